import { DownloadOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import { formatDate, formatNumber } from "@dieuhanh/core";
import { Button, DatePicker, Segmented, Select, Space, Table, Typography } from "antd";
import dayjs from "dayjs";
import { Link, useSearchParams } from "react-router-dom";
import { apiGet, type Page } from "../../api/client";
import type { Scorecard as Card, ScorecardRow, TaskList } from "../../api/types";
import { QueryState } from "../../components/QueryState";

/**
 * The scorecard (kết quả thực hiện nhiệm vụ) per lead agency or assigning authority, for a period of due
 * dates; every number opens the list of tasks behind it.
 */
export default function Scorecard() {
  const [params, setParams] = useSearchParams();
  const by = (params.get("by") as "agency" | "authority") ?? "agency";
  const from = params.get("from") ?? undefined;
  const to = params.get("to") ?? undefined;
  const source = params.get("source") ?? undefined;
  const set = (patch: Record<string, string | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch))
      if (v) next.set(k, v);
      else next.delete(k);
    setParams(next);
  };
  const lists = useQuery({ queryKey: ["task-lists"], queryFn: () => apiGet<Page<TaskList>>("/api/task-lists") });
  const card = useQuery({
    queryKey: ["scorecard", params.toString()],
    queryFn: () => apiGet<Card>("/api/tasks/scorecard", { by, from, to, source }),
  });
  const link = (row: ScorecardRow, status?: string) => {
    const q = new URLSearchParams();
    if (by === "agency") {
      q.set("agency", row.key);
      q.set("role", "lead");
    } else q.set("authority", row.key);
    if (status) q.set("status", status);
    if (from) q.set("dueFrom", from);
    if (to) q.set("dueTo", to);
    if (source) q.set("source", source);
    return `/nhiem-vu?${q}`;
  };
  const cell = (status?: string) => (v: number, row: ScorecardRow) =>
    row.key ? (
      <Link to={link(row, status)} data-testid={`score-${row.key}-${status ?? "all"}`}>
        {formatNumber(v)}
      </Link>
    ) : (
      formatNumber(v)
    );
  const rows = card.data ? [...card.data.items, { key: "", name: "Tổng cộng", tasks: [], ...card.data.totals }] : [];
  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between" }} wrap>
        <Typography.Title level={3}>Kết quả thực hiện nhiệm vụ</Typography.Title>
        <Button
          icon={<DownloadOutlined />}
          href={`/api/tasks/scorecard/export?${new URLSearchParams({ by, ...(from ? { from } : {}), ...(to ? { to } : {}) })}`}
        >
          Xuất Excel
        </Button>
      </Space>
      <Space wrap style={{ marginBottom: 12 }}>
        <Segmented
          value={by}
          onChange={(v) => set({ by: String(v) })}
          options={[
            { value: "agency", label: "Theo cơ quan chủ trì" },
            { value: "authority", label: "Theo người giao" },
          ]}
        />
        <Select
          allowClear
          placeholder="Văn bản giao"
          style={{ width: 260 }}
          value={source}
          onChange={(v) => set({ source: v })}
          options={lists.data?.items.map((l) => ({ value: l.catalogueId, label: `${l.appendix} — ${l.catalogueId}` }))}
        />
        <DatePicker.RangePicker
          format="DD/MM/YYYY"
          placeholder={["Hạn từ", "đến"]}
          value={from && to ? [dayjs(from), dayjs(to)] : null}
          onChange={(r) => set({ from: r?.[0]?.format("YYYY-MM-DD"), to: r?.[1]?.format("YYYY-MM-DD") })}
        />
        {card.data && <Typography.Text type="secondary">Tình trạng tính đến ngày {formatDate(card.data.asOf)}</Typography.Text>}
      </Space>
      <QueryState isLoading={card.isLoading} error={card.error}>
        <Table<ScorecardRow>
          rowKey={(r) => r.key || "total"}
          size="small"
          pagination={false}
          dataSource={rows}
          scroll={{ x: 900 }}
          rowClassName={(r) => (r.key ? "" : "total-row")}
          columns={[
            { title: by === "agency" ? "Cơ quan chủ trì" : "Người giao", dataIndex: "name", width: 320 },
            { title: "Được giao", dataIndex: "assigned", align: "right", render: cell() },
            { title: "Hoàn thành đúng hạn", dataIndex: "doneOnTime", align: "right", render: cell("done_on_time") },
            { title: "Hoàn thành quá hạn", dataIndex: "doneLate", align: "right", render: cell("done_late") },
            { title: "Quá hạn", dataIndex: "overdue", align: "right", render: cell("overdue") },
            {
              title: "Đang thực hiện",
              dataIndex: "inProgress",
              align: "right",
              render: cell("in_progress,due_soon,not_yet_due"),
            },
            { title: "Hủy/điều chỉnh", dataIndex: "closed", align: "right", render: cell("cancelled,adjusted") },
            {
              title: "Tỷ lệ đúng hạn",
              dataIndex: "onTimeRate",
              align: "right",
              render: (v: number | null) => (v === null ? "—" : `${formatNumber(v, 1)}%`),
            },
          ]}
        />
      </QueryState>
    </>
  );
}
