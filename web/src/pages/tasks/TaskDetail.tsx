import { PaperClipOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { formatDate, formatDateTime } from "@dieuhanh/core";
import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  DatePicker,
  Descriptions,
  Form,
  Input,
  InputNumber,
  Modal,
  Select,
  Space,
  Table,
  Tag,
  Timeline,
  Typography,
  Upload,
} from "antd";
import type { Dayjs } from "dayjs";
import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { apiGet, apiSend, apiUpload } from "../../api/client";
import type { Attachment, BodyOf, JsonOf, Task, TaskDetail as Detail, TaskReport } from "../../api/types";
import { AgencyTags } from "../../components/AgencyTags";
import { useAuth } from "../../components/auth";
import { QueryState } from "../../components/QueryState";
import { daysLeftText, deadlineText } from "../../components/labels";
import { CreateTaskModal } from "./CreateTask";
import { priorityLabels, TaskStatusTag } from "./common";

const dateTime = (iso: string) => formatDateTime(iso);
const reviewLabels: Record<TaskReport["review"], { text: string; color: string }> = {
  pending: { text: "Chờ Văn phòng xem xét", color: "gold" },
  accepted: { text: "Đã công nhận", color: "green" },
  returned: { text: "Bị trả lại", color: "red" },
  noted: { text: "Đã ghi nhận", color: "default" },
};
const eventLabels: Record<string, string> = {
  created: "Giao nhiệm vụ",
  edited: "Sửa nhiệm vụ",
  report: "Báo cáo",
  accepted: "Văn phòng công nhận",
  returned: "Văn phòng trả lại",
  cancelled: "Hủy nhiệm vụ",
  adjusted: "Điều chỉnh nhiệm vụ",
};

interface ReportValues {
  agency: string;
  body: string;
  percent?: number;
  claimsCompletion?: boolean;
  proposedDeadline?: Dayjs;
}

/** One task: what, who, by when, its timeline, its reports; report progress, accept or return, close. */
export default function TaskDetail() {
  const { code = "" } = useParams();
  const { me, can } = useAuth();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<ReportValues>();
  const [files, setFiles] = useState<{ id: string; fileName: string }[]>([]);
  const [returning, setReturning] = useState<TaskReport | null>(null);
  const [closing, setClosing] = useState(false);
  const [comment, setComment] = useState("");
  const [subTask, setSubTask] = useState(false);
  const task = useQuery({ queryKey: ["task", code], queryFn: () => apiGet<Detail>(`/api/tasks/${encodeURIComponent(code)}`) });
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ["task", code] });
    void queryClient.invalidateQueries({ queryKey: ["tasks"] });
  };
  const t = task.data;
  const inCharge = t ? [...t.leadAgencies, ...t.coordinatingAgencies].map((a) => a.current?.code ?? a.code) : [];
  const myAgencies = (me?.scope.agencies ?? inCharge).filter((a) => inCharge.includes(a));
  /** Names of the agencies in charge, by their current code: a person picks an agency by name. */
  const agencyName = (code: string) =>
    [...(t?.leadAgencies ?? []), ...(t?.coordinatingAgencies ?? [])].find((a) => (a.current?.code ?? a.code) === code)?.current
      ?.name ?? code;
  const open = t && !t.completedOn && !t.closedAs;

  const report = useMutation({
    mutationFn: (v: ReportValues) =>
      apiSend<JsonOf<"/api/tasks/{code}/reports", "post">>("POST", `/api/tasks/${encodeURIComponent(code)}/reports`, {
        agency: v.agency,
        body: v.body,
        percent: v.percent ?? null,
        claimsCompletion: !!v.claimsCompletion,
        proposedDeadline: v.proposedDeadline?.format("YYYY-MM-DD") ?? null,
        attachmentIds: files.map((f) => f.id),
      } satisfies BodyOf<"/api/tasks/{code}/reports", "post">),
    onSuccess: () => {
      message.success("Đã gửi báo cáo tiến độ");
      form.resetFields();
      setFiles([]);
      refresh();
    },
    onError: (e) => message.error(e.message),
  });
  const review = useMutation({
    mutationFn: (v: { id: string; action: "accept" | "return"; comment?: string }) =>
      apiSend<JsonOf<"/api/tasks/{code}/reports/{id}/review", "post">>(
        "POST",
        `/api/tasks/${encodeURIComponent(code)}/reports/${v.id}/review`,
        { action: v.action, comment: v.comment ?? null } satisfies BodyOf<"/api/tasks/{code}/reports/{id}/review", "post">,
      ),
    onSuccess: (_, v) => {
      message.success(v.action === "accept" ? "Đã công nhận" : "Đã trả lại báo cáo");
      setReturning(null);
      setComment("");
      refresh();
    },
    onError: (e) => message.error(e.message),
  });
  const close = useMutation({
    mutationFn: (reason: string) => apiSend("POST", `/api/tasks/${encodeURIComponent(code)}/close`, { as: "cancelled", reason }),
    onSuccess: () => {
      message.success("Đã hủy nhiệm vụ");
      setClosing(false);
      setComment("");
      refresh();
    },
    onError: (e) => message.error(e.message),
  });

  return (
    <QueryState isLoading={task.isLoading} error={task.error}>
      {t && (
        <>
          <Typography.Title level={3}>
            {t.code} <TaskStatusTag status={t.status} label={t.statusLabel} />
          </Typography.Title>
          <Typography.Paragraph style={{ fontSize: 16 }}>{t.name}</Typography.Paragraph>
          {/* Fixed layout: long agency names wrap inside the page instead of widening the table past it. */}
          <Descriptions
            bordered
            size="small"
            column={{ xs: 1, md: 2 }}
            className="task-details"
            labelStyle={{ width: 130 }}
            style={{ marginBottom: 16 }}
            data-testid="task-details"
          >
            <Descriptions.Item label="Văn bản giao">
              {t.document ? `${t.document.number ?? ""} ${t.document.title}`.trim() : "—"}
            </Descriptions.Item>
            <Descriptions.Item label="Người giao">{t.assignedBy ?? "—"}</Descriptions.Item>
            <Descriptions.Item label="Thời hạn">
              {deadlineText(t.deadline)}
              {t.extendedTo && (
                <Tag color="orange" style={{ marginLeft: 8 }}>
                  Gia hạn đến {formatDate(t.extendedTo)}
                </Tag>
              )}
            </Descriptions.Item>
            <Descriptions.Item label="Tình trạng ngày">
              {formatDate(t.asOf)}
              {t.daysLeft !== null && open && (
                <Typography.Text type={t.daysLeft < 0 ? "danger" : undefined} data-testid="task-days-left">
                  {` (${daysLeftText(t.daysLeft)})`}
                </Typography.Text>
              )}
            </Descriptions.Item>
            <Descriptions.Item label="Cơ quan chủ trì">
              <AgencyTags agencies={t.leadAgencies} />
            </Descriptions.Item>
            <Descriptions.Item label="Cơ quan phối hợp">
              <AgencyTags agencies={t.coordinatingAgencies} />
            </Descriptions.Item>
            <Descriptions.Item label="Kết quả, sản phẩm">{t.expectedResult ?? "—"}</Descriptions.Item>
            <Descriptions.Item label="Mức độ">{priorityLabels[t.priority]}</Descriptions.Item>
            {t.completedOn && <Descriptions.Item label="Hoàn thành ngày">{formatDate(t.completedOn)}</Descriptions.Item>}
            {t.closedReason && <Descriptions.Item label="Lý do kết thúc">{t.closedReason}</Descriptions.Item>}
            {t.indicators.length > 0 && (
              <Descriptions.Item label="Chỉ số đo lường">
                {t.indicators.map((i) => (
                  <Tag key={i.code}>
                    {i.code} {i.name}
                  </Tag>
                ))}
              </Descriptions.Item>
            )}
          </Descriptions>

          {t.subTasks.length > 0 && (
            <Card size="small" title="Nhiệm vụ con" style={{ marginBottom: 16 }}>
              <Table<Task>
                rowKey="code"
                size="small"
                pagination={false}
                dataSource={t.subTasks}
                columns={[
                  { title: "Mã", dataIndex: "code", render: (c: string) => <Link to={`/nhiem-vu/${c}`}>{c}</Link> },
                  { title: "Nhiệm vụ", dataIndex: "name" },
                  { title: "Chủ trì", key: "l", render: (_, s) => <AgencyTags agencies={s.leadAgencies} /> },
                  { title: "Tình trạng", key: "s", render: (_, s) => <TaskStatusTag status={s.status} label={s.statusLabel} /> },
                ]}
              />
            </Card>
          )}

          <Card size="small" title={`Báo cáo tiến độ (${t.reports.length})`} style={{ marginBottom: 16 }}>
            {t.reports.length === 0 && <Typography.Text type="secondary">Chưa có báo cáo</Typography.Text>}
            {t.reports.map((r) => (
              <div key={r.id} className="task-report" style={{ borderBottom: "1px solid #f0f0f0", padding: "8px 0" }}>
                <Space wrap>
                  <b>{r.agencyName}</b>
                  <span>{formatDate(r.reportedOn)}</span>
                  {r.percent !== null && <Tag>{r.percent}%</Tag>}
                  {r.claimsCompletion && <Tag color="green">Báo cáo hoàn thành</Tag>}
                  {r.proposedDeadline && <Tag color="orange">Đề nghị gia hạn đến {formatDate(r.proposedDeadline)}</Tag>}
                  <Tag color={reviewLabels[r.review].color}>{reviewLabels[r.review].text}</Tag>
                </Space>
                <Typography.Paragraph style={{ margin: "4px 0" }}>{r.body}</Typography.Paragraph>
                {r.attachmentIds.map((id, i) => (
                  <a key={id} href={`/api/attachments/${id}`}>
                    <PaperClipOutlined /> Tệp {i + 1}{" "}
                  </a>
                ))}
                {r.reviewComment && <Typography.Text type="secondary">Văn phòng: {r.reviewComment}</Typography.Text>}
                {r.review === "pending" && can("tasks.manage") && (
                  <Space wrap style={{ display: "flex", marginTop: 4 }}>
                    {/* Four eyes: the server refuses accepting one's own report, so it is not offered. */}
                    {r.reportedByYou ? (
                      <Typography.Text type="secondary" data-testid="own-report">
                        Báo cáo do chính bạn gửi: cần một chuyên viên khác công nhận.
                      </Typography.Text>
                    ) : (
                      <Button size="small" type="primary" onClick={() => review.mutate({ id: r.id, action: "accept" })}>
                        {r.claimsCompletion ? "Công nhận hoàn thành" : "Đồng ý gia hạn"}
                      </Button>
                    )}
                    <Button size="small" danger onClick={() => setReturning(r)}>
                      Trả lại
                    </Button>
                  </Space>
                )}
              </div>
            ))}
          </Card>

          {open && can("tasks.report") && myAgencies.length > 0 && (
            <Card size="small" title="Báo cáo tiến độ" style={{ marginBottom: 16 }}>
              <Form<ReportValues>
                form={form}
                layout="vertical"
                initialValues={{ agency: myAgencies[0] }}
                onFinish={(v) => report.mutate(v)}
              >
                <Space wrap align="start">
                  <Form.Item name="agency" label="Cơ quan báo cáo">
                    <Select
                      style={{ width: 340, maxWidth: "100%" }}
                      aria-label="Cơ quan báo cáo"
                      options={myAgencies.map((a) => ({ value: a, label: agencyName(a) }))}
                    />
                  </Form.Item>
                  <Form.Item name="percent" label="Tiến độ (%)">
                    <InputNumber min={0} max={100} aria-label="Tiến độ" />
                  </Form.Item>
                  <Form.Item name="proposedDeadline" label="Đề nghị gia hạn đến">
                    <DatePicker format="DD/MM/YYYY" />
                  </Form.Item>
                </Space>
                <Form.Item name="body" label="Nội dung" rules={[{ required: true, min: 5, message: "Nhập nội dung báo cáo" }]}>
                  <Input.TextArea rows={3} aria-label="Nội dung báo cáo" />
                </Form.Item>
                <Space wrap>
                  <Form.Item name="claimsCompletion" valuePropName="checked" noStyle>
                    <Checkbox>Báo cáo hoàn thành nhiệm vụ</Checkbox>
                  </Form.Item>
                  <Upload
                    showUploadList={false}
                    beforeUpload={async (file) => {
                      try {
                        const saved = await apiUpload<Attachment>(
                          `/api/attachments?fileName=${encodeURIComponent(file.name)}`,
                          file,
                          "application/octet-stream",
                        );
                        setFiles((f) => [...f, saved]);
                      } catch (e) {
                        message.error((e as Error).message);
                      }
                      return false;
                    }}
                  >
                    <Button icon={<PaperClipOutlined />}>Đính kèm tệp</Button>
                  </Upload>
                  {files.map((f) => (
                    <Tag key={f.id}>{f.fileName}</Tag>
                  ))}
                  <Button type="primary" htmlType="submit" loading={report.isPending}>
                    Gửi báo cáo
                  </Button>
                </Space>
              </Form>
            </Card>
          )}

          {open && can("tasks.manage") && (
            <Space style={{ marginBottom: 16 }}>
              <Button onClick={() => setSubTask(true)}>Giao nhiệm vụ con</Button>
              <Button danger onClick={() => setClosing(true)}>
                Hủy nhiệm vụ
              </Button>
            </Space>
          )}

          <Card size="small" title="Diễn biến">
            <Timeline
              items={t.events.map((e) => ({
                color: e.kind === "returned" || e.kind === "cancelled" ? "red" : e.kind === "accepted" ? "green" : "blue",
                children: (
                  <>
                    <b>{eventLabels[e.kind] ?? e.kind}</b> — {dateTime(e.at)} {e.actor ? `· ${e.actor}` : ""}
                    {e.detail && <div>{e.detail}</div>}
                  </>
                ),
              }))}
            />
            {t.origin === "seed" && t.events.length === 0 && (
              <Alert
                type="info"
                showIcon
                message={`Nhiệm vụ giao tại văn bản ${t.document?.number ?? ""} (dòng ${t.sourceLine}); chưa có diễn biến.`}
              />
            )}
          </Card>

          <Modal
            open={returning !== null}
            title="Trả lại báo cáo"
            okText="Trả lại"
            cancelText="Hủy"
            okButtonProps={{ disabled: comment.trim().length < 5 }}
            onCancel={() => setReturning(null)}
            onOk={() => returning && review.mutate({ id: returning.id, action: "return", comment })}
          >
            <Input.TextArea
              rows={3}
              aria-label="Lý do"
              value={comment}
              onChange={(e) => setComment(e.target.value)}
              placeholder="Lý do (bắt buộc)"
            />
          </Modal>
          <Modal
            open={closing}
            title="Hủy nhiệm vụ"
            okText="Hủy nhiệm vụ"
            cancelText="Không"
            okButtonProps={{ danger: true, disabled: comment.trim().length < 5 }}
            onCancel={() => setClosing(false)}
            onOk={() => close.mutate(comment)}
          >
            <Input.TextArea
              rows={3}
              aria-label="Lý do"
              value={comment}
              onChange={(e) => setComment(e.target.value)}
              placeholder="Lý do (bắt buộc)"
            />
          </Modal>
          {subTask && <CreateTaskModal parentCode={t.code} onClose={() => setSubTask(false)} />}
        </>
      )}
    </QueryState>
  );
}
