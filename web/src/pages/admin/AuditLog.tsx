import { formatDateTime } from "@dieuhanh/core";
import { useQuery } from "@tanstack/react-query";
import { Button, DatePicker, Input, Select, Space, Table, Tag, Typography } from "antd";
import type { Dayjs } from "dayjs";
import { useState } from "react";
import { apiGet, type Page } from "../../api/client";
import type { AuditEntry } from "../../api/types";
import { QueryState } from "../../components/QueryState";

const outcomeTags: Record<AuditEntry["outcome"], { color: string; label: string }> = {
  success: { color: "green", label: "Thành công" },
  failure: { color: "orange", label: "Thất bại" },
  denied: { color: "red", label: "Bị từ chối" },
};

const PAGE_SIZE = 50;

/** The audit trail: who did what, when, from where, before and after, and why. Exportable to CSV. */
/** The audit trail's codes in words (server/src/**: recordAudit's actions and entity types). */
const actionLabels: Record<string, string> = {
  "auth.login": "Đăng nhập",
  "auth.logout": "Đăng xuất",
  "user.create": "Tạo người dùng",
  "user.update": "Sửa người dùng",
  "user.disable": "Khóa người dùng",
  "user.enable": "Mở khóa người dùng",
  "user.email": "Đổi thư điện tử",
  "user.password.change": "Đổi mật khẩu",
  "user.password.reset": "Đặt lại mật khẩu",
  "token.create": "Tạo khóa API",
  "token.revoke": "Thu hồi khóa API",
  "data_value.write": "Ghi số liệu",
  "data_value.approved": "Duyệt số liệu",
  "data_value.returned": "Trả lại số liệu",
  "data.sample.remove": "Xóa số liệu mẫu",
  "report.reopen": "Mở lại báo cáo",
  "reporting_obligation.update": "Sửa chế độ báo cáo",
  "task.create": "Giao nhiệm vụ",
  "task.update": "Sửa nhiệm vụ",
  "task.report": "Báo cáo tiến độ",
  "task.report_accept": "Công nhận báo cáo",
  "document.create": "Thêm văn bản",
  "attachment.upload": "Tải tệp lên",
  "target.create": "Thêm chỉ tiêu",
  "target.update": "Sửa chỉ tiêu",
  "project.create": "Thêm dự án",
  "project.update": "Sửa dự án",
  "dashboard.create": "Tạo bảng điều khiển",
  "dashboard.update": "Sửa bảng điều khiển",
  "dashboard.delete": "Xóa bảng điều khiển",
  "install_profile.create": "Thiết lập hồ sơ triển khai",
  "install_profile.update": "Sửa hồ sơ triển khai",
  "area.split_weights": "Trọng số chia địa bàn",
  "storage.archive_year": "Lưu trữ năm đã khép",
  "sync_link.create": "Thêm kết nối liên thông",
  "sync_link.delete": "Xóa kết nối liên thông",
  "webhook.create": "Thêm webhook gửi đi",
  "webhook.revoke": "Thu hồi webhook",
};
const entityLabels: Record<string, string> = {
  user: "Người dùng",
  api_token: "Khóa API",
  area: "Địa bàn",
  attachment: "Tệp",
  dashboard: "Bảng điều khiển",
  data_batch: "Lô số liệu",
  data_value: "Số liệu",
  data_year: "Năm số liệu",
  document: "Văn bản",
  install_profile: "Hồ sơ triển khai",
  project: "Dự án",
  report: "Báo cáo",
  reporting_obligation: "Chế độ báo cáo",
  route: "Đường dẫn",
  sync_link: "Kết nối liên thông",
  target: "Chỉ tiêu",
  task: "Nhiệm vụ",
  webhook_subscription: "Webhook",
};

export default function AuditLog() {
  const [entityType, setEntityType] = useState<string>();
  const [entityId, setEntityId] = useState<string>();
  const [range, setRange] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  const [page, setPage] = useState(1);
  const filters = {
    entityType,
    entityId: entityId || undefined,
    from: range?.[0]?.startOf("day").toISOString(),
    to: range?.[1]?.endOf("day").toISOString(),
  };
  const entries = useQuery({
    queryKey: ["audit", filters, page],
    queryFn: () => apiGet<Page<AuditEntry>>("/api/audit", { ...filters, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }),
  });
  const exportUrl = `/api/audit/export?${new URLSearchParams(Object.entries(filters).filter((e): e is [string, string] => !!e[1]))}`;
  return (
    <>
      <Typography.Title level={3}>Nhật ký hệ thống</Typography.Title>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select
          allowClear
          placeholder="Loại đối tượng"
          style={{ width: 180 }}
          value={entityType}
          onChange={(v) => (setEntityType(v), setPage(1))}
          options={[
            { value: "user", label: "Người dùng" },
            { value: "api_token", label: "Khóa API" },
            { value: "route", label: "Yêu cầu bị từ chối" },
          ]}
        />
        <Input.Search
          allowClear
          placeholder="Mã đối tượng"
          style={{ width: 260 }}
          onSearch={(v) => (setEntityId(v), setPage(1))}
        />
        <DatePicker.RangePicker format="DD/MM/YYYY" onChange={(v) => (setRange(v), setPage(1))} />
        <Button href={exportUrl}>Xuất CSV</Button>
      </Space>
      <QueryState isLoading={false} error={entries.error}>
        <Table
          rowKey="id"
          size="small"
          loading={entries.isLoading}
          dataSource={entries.data?.items}
          scroll={{ x: 1100 }}
          pagination={{
            current: page,
            pageSize: PAGE_SIZE,
            total: entries.data?.total,
            onChange: setPage,
            showSizeChanger: false,
          }}
          expandable={{
            expandedRowRender: (e) => (
              <pre style={{ margin: 0, whiteSpace: "pre-wrap" }}>
                {`Trước: ${JSON.stringify(e.before, null, 2)}\nSau: ${JSON.stringify(e.after, null, 2)}\nTrình duyệt: ${e.userAgent ?? "—"}`}
              </pre>
            ),
          }}
          columns={[
            { title: "Thời điểm", dataIndex: "at", width: 170, render: (v: string) => formatDateTime(v, true) },
            {
              title: "Người thực hiện",
              key: "actor",
              width: 160,
              render: (_, e) => e.actorUsername ?? (e.actorTokenId ? "khóa API" : "hệ thống"),
            },
            {
              title: "Thao tác",
              dataIndex: "action",
              width: 200,
              // What was done in words; the code stays beside it for searching and for the technical reader.
              render: (a: string) => (
                <>
                  {actionLabels[a] ?? a}
                  {actionLabels[a] && (
                    <Typography.Text type="secondary" style={{ display: "block", fontSize: 12 }}>
                      {a}
                    </Typography.Text>
                  )}
                </>
              ),
            },
            {
              title: "Kết quả",
              dataIndex: "outcome",
              width: 110,
              render: (o: AuditEntry["outcome"]) => <Tag color={outcomeTags[o].color}>{outcomeTags[o].label}</Tag>,
            },
            {
              title: "Đối tượng",
              key: "entity",
              render: (_, e) => {
                // A person reads the account's name, not its identifier.
                const named =
                  [e.after, e.before].map((x) => (x as { username?: unknown } | null)?.username).find(Boolean) ??
                  // A sign-in's account is the one signing in.
                  (e.entityType === "user" && e.action.startsWith("auth.") ? e.actorUsername : null);
                return `${entityLabels[e.entityType] ?? e.entityType} ${typeof named === "string" ? named : (e.entityId ?? "")}`;
              },
            },
            { title: "Lý do", dataIndex: "reason" },
            { title: "Địa chỉ IP", dataIndex: "ip", width: 130 },
          ]}
        />
      </QueryState>
    </>
  );
}
