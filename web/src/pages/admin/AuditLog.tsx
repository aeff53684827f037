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
            { title: "Thao tác", dataIndex: "action", width: 200 },
            {
              title: "Kết quả",
              dataIndex: "outcome",
              width: 110,
              render: (o: AuditEntry["outcome"]) => <Tag color={outcomeTags[o].color}>{outcomeTags[o].label}</Tag>,
            },
            { title: "Đối tượng", key: "entity", render: (_, e) => `${e.entityType} ${e.entityId ?? ""}` },
            { title: "Lý do", dataIndex: "reason" },
            { title: "Địa chỉ IP", dataIndex: "ip", width: 130 },
          ]}
        />
      </QueryState>
    </>
  );
}
