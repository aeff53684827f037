import { DownloadOutlined, PlusOutlined, SaveOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import { formatDate } from "@dieuhanh/core";
import { Badge, Button, Calendar, DatePicker, Input, Popover, Segmented, Select, Space, Table, Tag, Typography } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { apiGet, type Page } from "../../api/client";
import type { Agency, JsonOf, Task, TaskList as TaskListType } from "../../api/types";
import { AgencyTags } from "../../components/AgencyTags";
import { useAuth } from "../../components/auth";
import { QueryState } from "../../components/QueryState";
import { daysLeftText, deadlineText } from "../../components/labels";
import { CreateTaskModal } from "./CreateTask";
import { TaskStatusTag, taskStatusOptions } from "./common";

const deadlineColors: Record<string, string> = {
  date: "blue",
  range: "purple",
  recurring: "green",
  on_request: "default",
  unknown: "red",
};
const filterKeys = ["source", "agency", "role", "status", "authority", "dueFrom", "dueTo", "q", "section", "document"] as const;
const VIEWS_KEY = "dieuhanh:task-views";

interface SavedView {
  name: string;
  query: string;
}

function loadViews(): SavedView[] {
  try {
    return JSON.parse(localStorage.getItem(VIEWS_KEY) ?? "[]") as SavedView[];
  } catch {
    return [];
  }
}

/**
 * The task screen (theo dõi nhiệm vụ): every filter in the address (so a view can be shared or saved),
 * statuses computed for today, a list or a calendar of deadlines, export to Excel.
 */
export default function TaskList() {
  const { can } = useAuth();
  const [params, setParams] = useSearchParams();
  const [mode, setMode] = useState<"list" | "calendar">("list");
  const [creating, setCreating] = useState(false);
  const [views, setViews] = useState<SavedView[]>(loadViews);
  const filters = Object.fromEntries(filterKeys.map((k) => [k, params.get(k) ?? undefined])) as Record<
    (typeof filterKeys)[number],
    string | undefined
  >;
  const set = (patch: Partial<typeof filters>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch))
      if (v) next.set(k, v);
      else next.delete(k);
    setParams(next);
  };

  const lists = useQuery({ queryKey: ["task-lists"], queryFn: () => apiGet<Page<TaskListType>>("/api/task-lists") });
  const agencies = useQuery({
    queryKey: ["agencies", "all"],
    queryFn: () => apiGet<Page<Agency>>("/api/agencies", { limit: 5000 }),
  });
  const tasks = useQuery({
    queryKey: ["tasks", params.toString()],
    queryFn: () =>
      apiGet<JsonOf<"/api/tasks", "get">>("/api/tasks", {
        ...filters,
        sort: mode === "calendar" ? "due" : undefined,
        limit: 5000,
      }),
  });
  const sections = lists.data?.items.find((l) => l.id === filters.source)?.sections ?? [];
  const authorities = useMemo(
    () => [...new Set((tasks.data?.items ?? []).map((t) => t.assignedBy).filter(Boolean))] as string[],
    [tasks.data],
  );
  const byDay = useMemo(() => {
    const m = new Map<string, Task[]>();
    for (const t of tasks.data?.items ?? []) if (t.dueDate) m.set(t.dueDate, [...(m.get(t.dueDate) ?? []), t]);
    return m;
  }, [tasks.data]);
  const saveView = () => {
    const name = window.prompt("Tên bộ lọc", "Nhiệm vụ quá hạn của tôi");
    if (!name) return;
    const next = [...views.filter((v) => v.name !== name), { name, query: params.toString() }];
    localStorage.setItem(VIEWS_KEY, JSON.stringify(next));
    setViews(next);
  };

  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between" }} wrap>
        <Typography.Title level={3}>Theo dõi nhiệm vụ</Typography.Title>
        <Space wrap>
          {can("tasks.manage") && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
              Giao nhiệm vụ
            </Button>
          )}
          <Button icon={<DownloadOutlined />} href={`/api/tasks/export?${params}`}>
            Xuất Excel
          </Button>
        </Space>
      </Space>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select
          allowClear
          placeholder="Văn bản giao"
          style={{ width: 260 }}
          value={filters.source}
          onChange={(v) => set({ source: v, section: undefined })}
          options={lists.data?.items.map((l) => ({ value: l.id, label: `${l.appendix} — ${l.catalogueId} (${l.taskCount})` }))}
        />
        {sections.length > 0 && (
          <Select
            allowClear
            placeholder="Mục"
            style={{ width: 240 }}
            value={filters.section}
            onChange={(v) => set({ section: v })}
            options={sections.map((s) => ({ value: s.code, label: `${s.code}. ${s.name}` }))}
          />
        )}
        <Select
          allowClear
          showSearch
          optionFilterProp="label"
          placeholder="Cơ quan (chủ trì hoặc phối hợp)"
          aria-label="Cơ quan"
          style={{ width: 260 }}
          value={filters.agency}
          onChange={(v) => set({ agency: v })}
          options={agencies.data?.items.map((a) => ({
            value: a.code,
            label: a.dissolvedOn ? `${a.name} (đã hợp nhất)` : a.name,
          }))}
        />
        {filters.agency && (
          <Select
            allowClear
            placeholder="Vai trò"
            style={{ width: 130 }}
            value={filters.role}
            onChange={(v) => set({ role: v })}
            options={[
              { value: "lead", label: "Chủ trì" },
              { value: "coordinating", label: "Phối hợp" },
            ]}
          />
        )}
        <Select
          mode="multiple"
          allowClear
          placeholder="Tình trạng"
          aria-label="Tình trạng"
          style={{ minWidth: 220 }}
          value={filters.status ? filters.status.split(",") : []}
          onChange={(v: string[]) => set({ status: v.join(",") || undefined })}
          options={taskStatusOptions}
        />
        <Select
          allowClear
          placeholder="Người giao"
          style={{ width: 220 }}
          value={filters.authority}
          onChange={(v) => set({ authority: v })}
          options={authorities.map((a) => ({ value: a, label: a }))}
        />
        <DatePicker.RangePicker
          format="DD/MM/YYYY"
          placeholder={["Hạn từ", "đến"]}
          value={filters.dueFrom && filters.dueTo ? [dayjs(filters.dueFrom), dayjs(filters.dueTo)] : null}
          onChange={(r) => set({ dueFrom: r?.[0]?.format("YYYY-MM-DD"), dueTo: r?.[1]?.format("YYYY-MM-DD") })}
        />
        <Input.Search
          allowClear
          placeholder="Tìm nhiệm vụ (không cần dấu)"
          defaultValue={filters.q}
          onSearch={(q) => set({ q })}
          style={{ width: 240 }}
        />
        <Button icon={<SaveOutlined />} onClick={saveView}>
          Lưu bộ lọc
        </Button>
        {views.length > 0 && (
          <Select
            placeholder="Bộ lọc đã lưu"
            style={{ width: 200 }}
            value={null}
            onChange={(q: string) => setParams(new URLSearchParams(q))}
            options={views.map((v) => ({ value: v.query, label: v.name }))}
          />
        )}
      </Space>
      <Space style={{ marginBottom: 8 }}>
        <Segmented
          value={mode}
          onChange={(v) => setMode(v as "list" | "calendar")}
          options={[
            { value: "list", label: "Danh sách" },
            { value: "calendar", label: "Lịch thời hạn" },
          ]}
        />
        {tasks.data && <Typography.Text type="secondary">Tình trạng tính đến ngày {formatDate(tasks.data.asOf)}</Typography.Text>}
      </Space>
      <QueryState isLoading={false} error={tasks.error}>
        {mode === "calendar" ? (
          <Calendar
            cellRender={(d: Dayjs, info) => {
              if (info.type !== "date") return info.originNode;
              const due = byDay.get(d.format("YYYY-MM-DD")) ?? [];
              return due.length ? (
                <Popover
                  content={due.map((t) => (
                    <div key={t.code}>
                      <Link to={`/nhiem-vu/${t.code}`}>{t.code}</Link> {t.name.slice(0, 60)}
                    </div>
                  ))}
                >
                  <Badge count={due.length} color={due.some((t) => t.status === "overdue") ? "red" : "blue"} />
                </Popover>
              ) : null;
            }}
          />
        ) : (
          <div data-testid="task-table">
            <Table<Task>
              rowKey="code"
              size="small"
              loading={tasks.isLoading}
              dataSource={tasks.data?.items}
              scroll={{ x: 1400 }}
              tableLayout="fixed"
              pagination={{ pageSize: 30, showSizeChanger: false, showTotal: (t) => `${t} nhiệm vụ` }}
              columns={[
                { title: "Mã", dataIndex: "code", width: 130, render: (c: string) => <Link to={`/nhiem-vu/${c}`}>{c}</Link> },
                {
                  title: "Nhiệm vụ",
                  dataIndex: "name",
                  width: 400,
                  render: (n: string, t) => (
                    <>
                      {n}
                      {t.priority !== "normal" && (
                        <Tag color="red" style={{ marginLeft: 6 }}>
                          {t.priority === "urgent" ? "Khẩn" : "Quan trọng"}
                        </Tag>
                      )}
                      {t.pendingReports > 0 && (
                        <Tag color="gold" style={{ marginLeft: 6 }}>
                          {t.pendingReports} báo cáo chờ xem
                        </Tag>
                      )}
                    </>
                  ),
                },
                {
                  title: "Thời hạn",
                  key: "deadline",
                  width: 170,
                  render: (_, t) => <Tag color={deadlineColors[t.deadline.kind]}>{deadlineText(t.deadline)}</Tag>,
                },
                {
                  title: "Tình trạng",
                  key: "status",
                  width: 170,
                  render: (_, t) => <TaskStatusTag status={t.status} label={t.statusLabel} />,
                },
                {
                  title: "Thời gian còn",
                  dataIndex: "daysLeft",
                  width: 110,
                  align: "right",
                  render: (d: number | null, t) =>
                    d === null || t.completedOn || t.closedAs ? (
                      ""
                    ) : (
                      <Typography.Text type={d < 0 ? "danger" : undefined}>{daysLeftText(d)}</Typography.Text>
                    ),
                },
                {
                  title: "Tiến độ",
                  dataIndex: "lastPercent",
                  width: 80,
                  align: "right",
                  render: (p: number | null) => (p === null ? "" : `${p}%`),
                },
                { title: "Cơ quan chủ trì", key: "lead", width: 230, render: (_, t) => <AgencyTags agencies={t.leadAgencies} /> },
                {
                  title: "Cơ quan phối hợp",
                  key: "coord",
                  width: 230,
                  render: (_, t) => <AgencyTags agencies={t.coordinatingAgencies} />,
                },
              ]}
            />
          </div>
        )}
      </QueryState>
      {creating && <CreateTaskModal onClose={() => setCreating(false)} />}
    </>
  );
}
