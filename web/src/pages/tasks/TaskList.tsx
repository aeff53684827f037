import { useQuery } from "@tanstack/react-query";
import { Input, Select, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { apiGet, type Page } from "../../api/client";
import type { Agency, Task, TaskList as TaskListType } from "../../api/types";
import { AgencyTags } from "../../components/AgencyTags";
import { QueryState } from "../../components/QueryState";
import { deadlineText } from "../../components/labels";

const deadlineColors: Record<string, string> = {
  date: "blue",
  range: "purple",
  recurring: "green",
  on_request: "default",
  unknown: "red",
};

export default function TaskList() {
  const [source, setSource] = useState<string>();
  const [agency, setAgency] = useState<string>();
  const [section, setSection] = useState<string>();
  const [q, setQ] = useState("");
  const lists = useQuery({
    queryKey: ["task-lists"],
    queryFn: () => apiGet<Page<TaskListType>>("/api/task-lists"),
  });
  const agencies = useQuery({
    queryKey: ["agencies", "all"],
    queryFn: () => apiGet<Page<Agency>>("/api/agencies", { limit: 5000 }),
  });
  const tasks = useQuery({
    queryKey: ["tasks", source, agency, section, q],
    queryFn: () =>
      apiGet<Page<Task>>("/api/tasks", {
        source,
        agency,
        section,
        q: q || undefined,
        limit: 5000,
      }),
  });
  const sections = lists.data?.items.find((l) => l.id === source)?.sections ?? [];
  return (
    <>
      <Typography.Title level={3}>Nhiệm vụ</Typography.Title>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select
          allowClear
          placeholder="Văn bản giao"
          style={{ width: 300 }}
          value={source}
          onChange={(v) => (setSource(v), setSection(undefined))}
          options={lists.data?.items.map((l) => ({
            value: l.id,
            label: `${l.appendix} — ${l.catalogueId} (${l.taskCount})`,
          }))}
        />
        {sections.length > 0 && (
          <Select
            allowClear
            placeholder="Mục"
            style={{ width: 280 }}
            value={section}
            onChange={setSection}
            options={sections.map((s) => ({
              value: s.code,
              label: `${s.code}. ${s.name}`,
            }))}
          />
        )}
        <Select
          allowClear
          showSearch
          optionFilterProp="label"
          placeholder="Cơ quan (chủ trì hoặc phối hợp)"
          style={{ width: 280 }}
          value={agency}
          onChange={setAgency}
          options={agencies.data?.items.map((a) => ({
            value: a.code,
            label: a.dissolvedOn ? `${a.name} (đã hợp nhất)` : a.name,
          }))}
        />
        <Input.Search allowClear placeholder="Tìm nhiệm vụ (không cần dấu)" onSearch={setQ} style={{ width: 260 }} />
      </Space>
      <QueryState isLoading={false} error={tasks.error}>
        <div data-testid="task-table">
          <Table
            rowKey="code"
            size="small"
            loading={tasks.isLoading}
            dataSource={tasks.data?.items}
            scroll={{ x: 1300 }}
            tableLayout="fixed"
            pagination={{
              pageSize: 30,
              showSizeChanger: false,
              showTotal: (t) => `${t} nhiệm vụ`,
            }}
            expandable={{
              expandedRowRender: (t) => (
                <Typography.Paragraph style={{ margin: 0 }}>
                  <b>Kết quả thực hiện:</b> {t.expectedResult ?? "—"}
                  <br />
                  <b>Thời hạn (nguyên văn):</b> {t.deadline.asWritten ?? "—"}
                  {t.deadline.note && (
                    <>
                      <br />
                      <b>Ghi chú thời hạn:</b> {t.deadline.note}
                    </>
                  )}
                  <br />
                  <Typography.Text type="secondary">
                    Mục {t.section}. {t.sectionName} — dòng {t.sourceLine} của văn bản nguồn
                  </Typography.Text>
                </Typography.Paragraph>
              ),
            }}
            columns={[
              {
                title: "Mã",
                dataIndex: "code",
                width: 120,
                render: (c: string) => <Typography.Text code>{c}</Typography.Text>,
              },
              { title: "Nhiệm vụ", dataIndex: "name", width: 420 },
              {
                title: "Thời hạn",
                key: "deadline",
                width: 170,
                render: (_, t) => <Tag color={deadlineColors[t.deadline.kind]}>{deadlineText(t.deadline)}</Tag>,
              },
              {
                title: "Cơ quan thực hiện",
                key: "lead",
                width: 230,
                render: (_, t) => <AgencyTags agencies={t.leadAgencies} />,
              },
              {
                title: "Cơ quan phối hợp",
                key: "coord",
                width: 230,
                render: (_, t) => <AgencyTags agencies={t.coordinatingAgencies} />,
              },
            ]}
          />
        </div>
      </QueryState>
    </>
  );
}
