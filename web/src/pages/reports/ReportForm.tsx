import { DownloadOutlined, HistoryOutlined, UploadOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { formatDate, formatNumber, parseNumber } from "@dieuhanh/core";
import { Alert, App, Button, Grid, Input, Modal, Space, Table, Tag, Tooltip, Typography, Upload } from "antd";
import { useMemo, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { ApiError, apiGet, apiSend, apiUpload, type RowError } from "../../api/client";
import type { FormRow, JsonOf, ReportForm as Form, WriteResult } from "../../api/types";
import { useAuth } from "../../components/auth";
import { mirroredFrom } from "../../components/labels";
import { QueryState } from "../../components/QueryState";
import { ChangeText, ReportPicker, StatusTag, useReportKey } from "./common";
import { HistoryDrawer } from "./HistoryDrawer";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

interface Entry {
  value: string;
  comment: string;
}

/**
 * A comparison figure; one the unit does not hold itself (a unit formed on 1/7/2025 before that date) is the
 * figure of the old units merged into it, and says so.
 */
function Compared({ value, from }: { value: number | null; from: FormRow["lastYearFrom"] }) {
  if (value === null || from === null) return <>{formatNumber(value)}</>;
  const label = from === "estimated" ? "ước tính từ đơn vị cũ" : "cộng từ đơn vị cũ";
  const why =
    from === "estimated"
      ? "Đơn vị mới chưa có số kỳ này; số được tính từ các đơn vị cũ sáp nhập vào, phần của đơn vị cũ bị chia tách là ước tính"
      : "Đơn vị mới chưa có số kỳ này; số được cộng từ các đơn vị cũ sáp nhập vào";
  return (
    <Tooltip title={why}>
      <span data-testid="folded-comparison">
        {formatNumber(value)}
        <br />
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {label}
        </Typography.Text>
      </span>
    </Tooltip>
  );
}

/**
 * A row whose figure another install owns (linked installs, docs/decisions/0013): mirrored here read-only,
 * its cells disabled and never sent; the tag names the install to correct it at.
 */
function MirroredTag({ row }: { row: FormRow }) {
  if (!row.ownedBy) return null;
  const from = row.current?.origin?.name ?? row.ownedBy.name;
  return (
    <Tooltip
      title={`Số liệu này do ${row.ownedBy.name} quản lý và được đồng bộ liên thông về đây: chỉ xem, không nhập hoặc sửa ở đây; cần sửa thì sửa tại hệ thống đó.`}
    >
      <Tag color="cyan" data-testid={`mirrored-${row.indicator}`} style={{ whiteSpace: "normal", marginInlineEnd: 0 }}>
        {mirroredFrom(from)} — chỉ đọc
      </Tag>
    </Tooltip>
  );
}

function initialEntry(r: FormRow): Entry {
  const v = r.current;
  return {
    value: v ? (v.value !== null ? formatNumber(v.value, 6).replace(/\s/g, "") : (v.valueText ?? "")) : "",
    comment: v?.comment ?? "",
  };
}

/**
 * The report form (biểu nhập số liệu): one agency's indicators for an area and a period, with last
 * period's value, the same period last year and the change; save a draft, submit; approve, return
 * or reopen for those who may. Errors from the server land next to the cell they concern.
 */
export default function ReportFormPage() {
  const { message } = App.useApp();
  const { can } = useAuth();
  const wide = Grid.useBreakpoint().md !== false;
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const key = useReportKey(params);
  const [entries, setEntries] = useState<Record<string, Entry>>({});
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [history, setHistory] = useState<FormRow | null>(null);
  const [asking, setAsking] = useState<null | "return" | "reopen">(null);
  const [reason, setReason] = useState("");
  /** Rows the approver picked; a decision applies to them only (none picked: every row awaiting approval). */
  const [selected, setSelected] = useState<string[]>([]);
  /** Each returned row's own reason. */
  const [reasons, setReasons] = useState<Record<string, string>>({});

  const form = useQuery({
    queryKey: ["report-form", key],
    enabled: !!(key.agency && key.area && key.period),
    queryFn: async () => {
      const f = await apiGet<Form>("/api/reports/form", key);
      setEntries(Object.fromEntries(f.rows.map((r) => [r.indicator, initialEntry(r)])));
      setErrors({});
      setProblem(null);
      return f;
    },
  });
  const rows = useMemo(() => form.data?.rows ?? [], [form.data]);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["report-form", key] });

  /** The rows to send, with their position in the request so that errors find their row again. */
  function collect(): { values: object[]; order: string[]; local: Record<string, string[]> } {
    const values: object[] = [];
    const order: string[] = [];
    const local: Record<string, string[]> = {};
    for (const r of rows) {
      // Another install's figure: read-only here, never sent (the server would refuse the whole form).
      if (r.ownedBy) continue;
      const e = entries[r.indicator];
      if (!e || (e.value.trim() === "" && e.comment.trim() === "")) continue;
      if (e.value.trim() === "") {
        local[r.indicator] = ["Có ghi chú nhưng chưa nhập giá trị"];
        continue;
      }
      if (r.valueType === "number") {
        const n = parseNumber(e.value, "vi");
        if (!n.ok) {
          local[r.indicator] = [n.message];
          continue;
        }
        values.push({ indicator: r.indicator, value: n.value, comment: e.comment.trim() || null });
      } else values.push({ indicator: r.indicator, valueText: e.value.trim(), comment: e.comment.trim() || null });
      order.push(r.indicator);
    }
    return { values, order, local };
  }

  function showErrors(e: unknown, order: string[]) {
    if (e instanceof ApiError && e.errors.length) {
      const byRow: Record<string, string[]> = {};
      for (const x of e.errors as RowError[]) {
        const indicator = order[x.row - 1];
        if (indicator) (byRow[indicator] ??= []).push(x.message);
      }
      setErrors(byRow);
      setProblem(`${e.message}. Sửa các ô được đánh dấu rồi gửi lại.`);
    } else setProblem(e instanceof Error ? e.message : String(e));
  }

  const save = useMutation({
    mutationFn: async (status: "draft" | "submitted") => {
      const { values, order, local } = collect();
      if (Object.keys(local).length) {
        setErrors(local);
        throw new Error("Có ô chưa đúng, chưa gửi gì");
      }
      try {
        return await apiSend<WriteResult>("POST", "/api/reports/form", { ...key, status, values });
      } catch (e) {
        showErrors(e, order);
        throw e;
      }
    },
    onSuccess: (r, status) => {
      setErrors({});
      setProblem(null);
      const changed = r.created + r.updated;
      message.success(
        `${status === "draft" ? "Đã lưu nháp" : "Đã gửi báo cáo"}: ${changed} số liệu thay đổi, ${r.unchanged} không đổi` +
          (r.warnings.length ? `; ${r.warnings.length} cảnh báo` : ""),
      );
      void refresh();
    },
    onError: (e) => {
      if (!(e instanceof ApiError)) setProblem(e.message);
    },
  });

  const review = useMutation({
    mutationFn: (decisions: { indicator: string; action: "approve" | "return"; comment?: string }[]) =>
      apiSend<JsonOf<"/api/reports/review", "post">>("POST", "/api/reports/review", { ...key, decisions }),
    onSuccess: (r) => {
      const said = [r.approved ? `đã duyệt ${r.approved} số liệu` : "", r.returned ? `đã trả lại ${r.returned} số liệu` : ""]
        .filter(Boolean)
        .join(", ");
      message.success(said.charAt(0).toUpperCase() + said.slice(1));
      setAsking(null);
      setSelected([]);
      setReasons({});
      void refresh();
    },
    onError: (e) => message.error(e.message),
  });
  const reopen = useMutation({
    mutationFn: (r: string) =>
      apiSend<JsonOf<"/api/reports/reopen", "post">>("POST", "/api/reports/reopen", { ...key, reason: r }),
    onSuccess: (r) => {
      message.success(`Đã mở lại đến ${formatDate(r.openUntil)}; ${r.reopenedValues} số liệu trả về người báo cáo`);
      setAsking(null);
      setReason("");
      void refresh();
    },
    onError: (e) => message.error(e.message),
  });

  const upload = async (file: File) => {
    try {
      const r = await apiUpload<WriteResult>(
        `/api/reports/upload?status=submitted&fileName=${encodeURIComponent(file.name)}`,
        file,
        XLSX,
      );
      message.success(`Đã nhận tệp ${file.name}: ${r.created + r.updated} số liệu thay đổi, ${r.unchanged} không đổi`);
      setProblem(null);
      void refresh();
    } catch (e) {
      const list = e instanceof ApiError ? e.errors : [];
      setProblem(
        `${(e as Error).message}` +
          (list.length
            ? ": " +
              list
                .slice(0, 10)
                .map((x) => `${x.sheet ? `${x.sheet} ` : ""}${x.column ?? ""}${x.row}: ${x.message}`)
                .join("; ")
            : ""),
      );
    }
    return false;
  };

  // Mirrored figures were judged where they are owned: never reviewed here.
  const awaiting = rows.filter((r) => r.current?.status === "submitted" && !r.ownedBy);
  const mirrored = rows.filter((r) => r.ownedBy);
  const submitted = awaiting.length;
  const picked = selected.filter((c) => awaiting.some((r) => r.indicator === c));
  /** The rows a decision applies to: those picked, or every row awaiting approval. */
  const deciding = picked.length ? awaiting.filter((r) => picked.includes(r.indicator)) : awaiting;
  // Four eyes: the server refuses approving one's own figures, so they are never offered for approval.
  const approving = deciding.filter((r) => !r.submittedByYou);
  const ownAwaiting = awaiting.filter((r) => r.submittedByYou).length;
  const reviewer = can("data.approve");
  const approved = rows.filter((r) => r.current?.status === "approved" && !r.ownedBy).length;
  const f = form.data;
  const set = (indicator: string, patch: Partial<Entry>) =>
    setEntries((prev) => ({ ...prev, [indicator]: { ...(prev[indicator] ?? { value: "", comment: "" }), ...patch } }));

  return (
    <>
      <Typography.Title level={3}>Nhập số liệu báo cáo</Typography.Title>
      <ReportPicker value={key} onChange={(k) => setParams(k)} />
      {!(key.agency && key.area) && (
        <Alert
          type="info"
          showIcon
          style={{ marginTop: 12 }}
          message="Chọn cơ quan báo cáo và địa bàn để mở biểu nhập số liệu."
          data-testid="report-choose"
        />
      )}
      <QueryState isLoading={form.isLoading} error={form.error}>
        {f && (
          <>
            <Space wrap style={{ margin: "12px 0" }}>
              <Typography.Text strong>
                {f.agency.name} · {f.area.name} · {f.period.label}
              </Typography.Text>
              <Tag>Hạn gửi: {formatDate(f.deadline)}</Tag>
              {f.lockDate && <Tag>Khóa nhập từ: {formatDate(f.lockDate)}</Tag>}
              {f.locked && <Tag color="red">Đã khóa nhập</Tag>}
              {f.submittableFrom && (
                <Tag color="gold" data-testid="period-open">
                  Kỳ chưa kết thúc: chỉ lưu nháp, gửi chính thức từ {formatDate(f.submittableFrom)}
                </Tag>
              )}
              {f.reopenedUntil && <Tag color="orange">Mở lại đến {formatDate(f.reopenedUntil)}</Tag>}
              <Tag color="blue">
                {rows.filter((r) => r.current).length}/{rows.length} chỉ số có số liệu
              </Tag>
            </Space>
            {rows.some((r) => r.current?.sample) && (
              <Alert
                type="warning"
                showIcon
                style={{ marginBottom: 12 }}
                message="Biểu có SỐ LIỆU MẪU do hệ thống sinh để minh họa, không phải số liệu thật."
              />
            )}
            {mirrored.length > 0 && (
              <Alert
                type="info"
                showIcon
                style={{ marginBottom: 12 }}
                data-testid="mirrored-note"
                message={`${mirrored.length} chỉ số do hệ thống khác quản lý (${[...new Set(mirrored.map((r) => r.ownedBy!.name))].join(", ")}) được đồng bộ về đây: chỉ đọc, không gửi cùng biểu.`}
              />
            )}
            {problem && <Alert type="error" showIcon style={{ marginBottom: 12 }} message={problem} data-testid="form-problem" />}
            <Table<FormRow>
              rowKey="indicator"
              size="small"
              pagination={false}
              dataSource={rows}
              rowClassName={(r) => (r.current?.status === "returned" ? "row-returned" : "")}
              rowSelection={
                reviewer && submitted > 0
                  ? {
                      selectedRowKeys: picked,
                      onChange: (keys) => setSelected(keys as string[]),
                      getCheckboxProps: (r) => ({
                        disabled: r.current?.status !== "submitted" || !!r.ownedBy,
                        "aria-label": `Chọn dòng ${r.indicator}`,
                      }),
                      columnTitle: "Chọn",
                    }
                  : undefined
              }
              // On a phone the comparisons give way, so the value cell is on screen without scrolling sideways.
              scroll={{ x: wide ? 1300 : 640 }}
              columns={[
                { title: "Mã", dataIndex: "indicator", width: 120, responsive: ["md"] },
                { title: "Chỉ số", dataIndex: "name", width: wide ? 300 : 150 },
                { title: "Đơn vị", dataIndex: "unit", width: 90, render: (u: string | null) => u ?? "văn bản" },
                {
                  title: "Kỳ trước",
                  dataIndex: "previousValue",
                  align: "right",
                  width: 110,
                  responsive: ["md"],
                  render: (v: number | null, r) => <Compared value={v} from={r.previousFrom} />,
                },
                {
                  title: "Cùng kỳ năm trước",
                  dataIndex: "lastYearValue",
                  align: "right",
                  width: 120,
                  responsive: ["md"],
                  render: (v: number | null, r) => <Compared value={v} from={r.lastYearFrom} />,
                },
                {
                  title: "Giá trị kỳ này",
                  key: "value",
                  width: 170,
                  render: (_, r) => {
                    const errs = errors[r.indicator];
                    return (
                      <>
                        <Input
                          aria-label={`Giá trị ${r.indicator}`}
                          data-indicator={r.indicator}
                          value={entries[r.indicator]?.value ?? ""}
                          status={errs ? "error" : undefined}
                          disabled={f.locked || r.current?.status === "approved" || !!r.ownedBy}
                          inputMode={r.valueType === "number" ? "decimal" : "text"}
                          onChange={(e) => set(r.indicator, { value: e.target.value })}
                          style={{ textAlign: r.valueType === "number" ? "right" : "left" }}
                        />
                        <MirroredTag row={r} />
                        {errs?.map((m) => (
                          <Typography.Text
                            key={m}
                            type="danger"
                            style={{ fontSize: 12, display: "block" }}
                            className="cell-error"
                          >
                            {m}
                          </Typography.Text>
                        ))}
                      </>
                    );
                  },
                },
                {
                  title: "Trạng thái",
                  key: "status",
                  width: 200,
                  render: (_, r) => (
                    <Space direction="vertical" size={0}>
                      <StatusTag value={r.current} />
                      {reviewer && r.submittedByYou && r.current?.status === "submitted" && (
                        <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid={`own-${r.indicator}`}>
                          Bạn gửi: người khác duyệt
                        </Typography.Text>
                      )}
                      {r.current?.reviewComment && (
                        <Typography.Text
                          type={r.current.status === "returned" ? "danger" : "secondary"}
                          style={{ fontSize: 12 }}
                          data-testid={`review-comment-${r.indicator}`}
                        >
                          {r.current.status === "returned" ? "Lý do trả lại: " : ""}
                          {r.current.reviewComment}
                        </Typography.Text>
                      )}
                    </Space>
                  ),
                },
                {
                  title: "So kỳ trước",
                  key: "prev",
                  width: 100,
                  responsive: ["md"],
                  align: "right",
                  render: (_, r) => <ChangeText entry={entries[r.indicator]?.value} base={r.previousValue} />,
                },
                {
                  title: "So cùng kỳ",
                  key: "ly",
                  width: 100,
                  responsive: ["md"],
                  align: "right",
                  render: (_, r) => <ChangeText entry={entries[r.indicator]?.value} base={r.lastYearValue} />,
                },
                {
                  title: "Ghi chú",
                  key: "comment",
                  width: 220,
                  render: (_, r) => (
                    <Input
                      aria-label={`Ghi chú ${r.indicator}`}
                      value={entries[r.indicator]?.comment ?? ""}
                      disabled={f.locked || r.current?.status === "approved" || !!r.ownedBy}
                      onChange={(e) => set(r.indicator, { comment: e.target.value })}
                    />
                  ),
                },
                {
                  title: "",
                  key: "history",
                  width: 50,
                  render: (_, r) =>
                    r.current && (
                      <Button
                        size="small"
                        type="text"
                        icon={<HistoryOutlined />}
                        aria-label={`Lịch sử ${r.indicator}`}
                        onClick={() => setHistory(r)}
                      />
                    ),
                },
              ]}
            />
            <Space wrap style={{ marginTop: 16 }}>
              {can("data.submit") && (
                <>
                  <Button
                    onClick={() => save.mutate("draft")}
                    loading={save.isPending && save.variables === "draft"}
                    disabled={f.locked}
                  >
                    Lưu nháp
                  </Button>
                  <Button
                    type="primary"
                    onClick={() => save.mutate("submitted")}
                    loading={save.isPending && save.variables === "submitted"}
                    disabled={f.locked || !!f.submittableFrom}
                  >
                    Gửi báo cáo
                  </Button>
                </>
              )}
              <Button icon={<DownloadOutlined />} href={`/api/reports/template?${new URLSearchParams(key)}`}>
                Tải mẫu Excel
              </Button>
              {can("data.submit") && (
                <Upload accept=".xlsx" showUploadList={false} beforeUpload={(file) => upload(file)}>
                  <Button icon={<UploadOutlined />} disabled={f.locked || !!f.submittableFrom}>
                    Tải lên Excel
                  </Button>
                </Upload>
              )}
              {reviewer && (
                <>
                  <Button
                    type="primary"
                    ghost
                    disabled={approving.length === 0}
                    onClick={() => review.mutate(approving.map((r) => ({ indicator: r.indicator, action: "approve" as const })))}
                    loading={review.isPending && asking === null}
                  >
                    {picked.length ? `Duyệt ${approving.length} dòng đã chọn` : `Duyệt tất cả (${approving.length})`}
                  </Button>
                  <Button danger disabled={submitted === 0} onClick={() => setAsking("return")}>
                    {picked.length ? `Trả lại ${picked.length} dòng đã chọn` : `Trả lại tất cả (${submitted})`}
                  </Button>
                  {ownAwaiting > 0 && (
                    <Typography.Text type="warning" data-testid="four-eyes">
                      {ownAwaiting} số liệu do chính bạn gửi: cần một người phê duyệt khác (nguyên tắc bốn mắt); bạn vẫn trả lại
                      được.
                    </Typography.Text>
                  )}
                  {submitted > 0 && !picked.length && (
                    <Typography.Text type="secondary">
                      Chọn từng dòng để duyệt hoặc trả lại riêng, mỗi dòng một lý do.
                    </Typography.Text>
                  )}
                </>
              )}
              {can("data.reopen") && (f.locked || approved > 0) && <Button onClick={() => setAsking("reopen")}>Mở lại</Button>}
            </Space>
          </>
        )}
      </QueryState>
      <Modal
        open={asking === "return"}
        title={`Trả lại ${deciding.length} dòng cho người báo cáo`}
        okText="Trả lại"
        cancelText="Hủy"
        width={720}
        okButtonProps={{
          disabled: deciding.some((r) => (reasons[r.indicator] ?? "").trim().length < 5),
          loading: review.isPending,
        }}
        onCancel={() => setAsking(null)}
        onOk={() =>
          review.mutate(
            deciding.map((r) => ({ indicator: r.indicator, action: "return" as const, comment: reasons[r.indicator]!.trim() })),
          )
        }
      >
        <Typography.Paragraph>
          Mỗi dòng một lý do (bắt buộc, ít nhất 5 ký tự; người báo cáo nhận thông báo và thư điện tử):
        </Typography.Paragraph>
        {deciding.map((r) => (
          <div key={r.indicator} style={{ marginBottom: 8 }}>
            <Typography.Text strong>{r.name}</Typography.Text> <Typography.Text type="secondary">({r.indicator})</Typography.Text>
            <Input
              aria-label={`Lý do trả lại ${r.indicator}`}
              value={reasons[r.indicator] ?? ""}
              onChange={(e) => setReasons((prev) => ({ ...prev, [r.indicator]: e.target.value }))}
            />
          </div>
        ))}
      </Modal>
      <Modal
        open={asking === "reopen"}
        title="Mở lại báo cáo"
        okText="Mở lại"
        cancelText="Hủy"
        okButtonProps={{ disabled: reason.trim().length < 5, loading: reopen.isPending }}
        onCancel={() => setAsking(null)}
        onOk={() => reopen.mutate(reason)}
      >
        <Typography.Paragraph>Lý do (bắt buộc, được ghi vào nhật ký):</Typography.Paragraph>
        <Input.TextArea aria-label="Lý do" rows={3} value={reason} onChange={(e) => setReason(e.target.value)} />
      </Modal>
      {history && f && (
        <HistoryDrawer
          indicator={history.indicator}
          name={history.name}
          area={f.area.id}
          period={f.period.code}
          onClose={() => setHistory(null)}
        />
      )}
    </>
  );
}
