import { DownloadOutlined, PlusOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { formatNumber } from "@dieuhanh/core";
import {
  App,
  Button,
  Card,
  Col,
  Form,
  Input,
  InputNumber,
  Modal,
  Progress,
  Row,
  Select,
  Space,
  Statistic,
  Table,
  Tabs,
  Tag,
  Typography,
} from "antd";
import { useState } from "react";
import { apiGet, apiSend, type Page } from "../../api/client";
import type { Area, BodyOf, JsonOf, Programme, Target, TargetsPage, TargetStatus } from "../../api/types";
import { useAuth } from "../../components/auth";
import { useHomeDefaults } from "../../components/useHome";
import { QueryState } from "../../components/QueryState";

const statusColors: Record<TargetStatus, string> = {
  achieved: "green",
  on_track: "blue",
  at_risk: "gold",
  off_track: "red",
  no_target: "default",
  no_data: "default",
};
const operatorText: Record<Target["operator"], string> = { ">=": "≥", "<=": "≤", "=": "=", range: "trong khoảng" };

/** Adding a project with its capital plan to a programme; a province's office adds its own province's projects. */
function ProjectModal({ programme, onClose }: { programme: Programme; onClose: () => void }) {
  const { message } = App.useApp();
  const { me } = useAuth();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<{
    code: string;
    name: string;
    area: string | null;
    capitalPlan: number | null;
    physicalProgress: number | null;
  }>();
  const provinces = useQuery({
    queryKey: ["areas", "provinces"],
    queryFn: () => apiGet<Page<Area>>("/api/areas", { level: "province", limit: 100 }),
  });
  const scopeArea = me.scope.areaId;
  const save = useMutation({
    mutationFn: (v: {
      code: string;
      name: string;
      area: string | null;
      capitalPlan: number | null;
      physicalProgress: number | null;
    }) =>
      apiSend<JsonOf<"/api/projects", "post">>("POST", "/api/projects", {
        code: v.code.trim(),
        programme: programme.code,
        name: v.name.trim(),
        area: v.area ?? null,
        capitalPlan: v.capitalPlan ?? null,
        physicalProgress: v.physicalProgress ?? null,
      } satisfies BodyOf<"/api/projects", "post">),
    onSuccess: (r) => {
      message.success(`Đã lưu dự án ${r.code}`);
      void queryClient.invalidateQueries({ queryKey: ["programmes"] });
      onClose();
    },
    onError: (e) => message.error(e.message),
  });
  return (
    <Modal
      open
      title={`Thêm dự án: ${programme.name}`}
      okText="Lưu dự án"
      cancelText="Hủy"
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={save.isPending}
    >
      <Form form={form} layout="vertical" initialValues={{ area: scopeArea ?? null }} onFinish={(v) => save.mutate(v)}>
        <Form.Item
          name="code"
          label="Mã dự án"
          rules={[
            { required: true, pattern: /^[A-Za-z0-9._-]{2,40}$/, message: "2–40 ký tự: chữ không dấu, số, dấu chấm, gạch" },
          ]}
        >
          <Input aria-label="Mã dự án" placeholder="DA-2026-01" />
        </Form.Item>
        <Form.Item name="name" label="Tên dự án" rules={[{ required: true, min: 3, message: "Nhập tên dự án" }]}>
          <Input aria-label="Tên dự án" />
        </Form.Item>
        <Form.Item name="area" label="Địa bàn" rules={[{ required: !!scopeArea, message: "Chọn địa bàn" }]}>
          <Select
            allowClear={!scopeArea}
            showSearch
            optionFilterProp="label"
            aria-label="Địa bàn dự án"
            options={(provinces.data?.items ?? [])
              .filter((a) => !scopeArea || a.id === scopeArea)
              .map((a) => ({ value: a.id, label: a.fullName || a.name }))}
          />
        </Form.Item>
        <Form.Item name="capitalPlan" label="Kế hoạch vốn (tỷ đồng)">
          <InputNumber style={{ width: 200 }} min={0} decimalSeparator="," aria-label="Kế hoạch vốn" />
        </Form.Item>
        <Form.Item name="physicalProgress" label="Tiến độ thực hiện (%)">
          <InputNumber style={{ width: 120 }} min={0} max={100} precision={0} aria-label="Tiến độ thực hiện" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

const targetCatalogues = [
  { value: "qd1012", label: "Nhóm B — Kế hoạch phát triển KT-XH năm (quốc gia)" },
  { value: "cantho-256", label: "Nhóm D — Nghị quyết HĐND thành phố Cần Thơ" },
];

/** Plan targets (chỉ tiêu) with progress from reported figures, and the national target programmes. */

/** The year the page opens on: the latest year that has targets, not after the current one. */
function openingYear(withTargets: number[], current: number): number {
  const past = withTargets.filter((y) => y <= current);
  return past.length ? Math.max(...past) : current;
}

export default function Targets() {
  const { can } = useAuth();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const home = useHomeDefaults();
  const [chosen, setCatalogue] = useState<string>();
  // The install's own plan first: Cần Thơ's resolution targets on Cần Thơ's install.
  const catalogue = chosen ?? (targetCatalogues.some((c) => c.value === home.catalogueId) ? home.catalogueId : "qd1012");
  const [editing, setEditing] = useState<Target | null>(null);
  const [form] = Form.useForm<{
    operator: Target["operator"];
    targetValue: number | null;
    targetMax: number | null;
    reason: string;
  }>();
  // The year: the latest year with targets up to the app clock's current year (a new year has none until
  // they are set), else the current year; the picker lists the years that have targets.
  const years = useQuery({
    queryKey: ["targets", "years"],
    queryFn: () => apiGet<JsonOf<"/api/targets/years", "get">>("/api/targets/years"),
  });
  const [picked, setPicked] = useState<number | null>(null);
  const year = picked ?? (years.data ? openingYear(years.data.years, years.data.current) : null);
  const yearOptions = [...new Set([...(years.data?.years ?? []), ...(years.data ? [years.data.current] : [])])]
    .sort((a, b) => b - a)
    .map((y) => ({ value: y, label: `Năm ${y}` }));
  const [addingTo, setAddingTo] = useState<Programme | null>(null);
  const targets = useQuery({
    queryKey: ["targets", catalogue, year],
    enabled: year !== null,
    queryFn: () => apiGet<TargetsPage>("/api/targets", { catalogue, year }),
  });
  const programmes = useQuery({
    queryKey: ["programmes", year],
    enabled: year !== null,
    queryFn: () => apiGet<JsonOf<"/api/programmes", "get">>("/api/programmes", { year }),
  });
  const yearPicker = (
    <Select
      style={{ width: 130 }}
      value={year ?? undefined}
      onChange={(y: number) => setPicked(y)}
      options={yearOptions}
      aria-label="Năm"
      data-testid="year-picker"
    />
  );
  const save = useMutation({
    mutationFn: (v: { operator: Target["operator"]; targetValue: number | null; targetMax: number | null; reason: string }) =>
      apiSend("PATCH", `/api/targets/${editing!.id}`, v satisfies BodyOf<"/api/targets/{id}", "patch">),
    onSuccess: () => {
      message.success("Đã lưu chỉ tiêu");
      setEditing(null);
      void queryClient.invalidateQueries({ queryKey: ["targets"] });
    },
    onError: (e) => message.error(e.message),
  });
  const s = targets.data?.summary;
  return (
    <>
      <Typography.Title level={3}>Chỉ tiêu kế hoạch và chương trình mục tiêu</Typography.Title>
      <Tabs
        items={[
          {
            key: "targets",
            label: "Chỉ tiêu",
            children: (
              <>
                <Space style={{ marginBottom: 12 }} wrap>
                  <Select style={{ width: 360 }} value={catalogue} onChange={setCatalogue} options={targetCatalogues} />
                  {yearPicker}
                  {/* The shown year, always: until it is known there is nothing to export (an empty year is refused). */}
                  <Button
                    icon={<DownloadOutlined />}
                    data-testid="targets-export"
                    disabled={year === null}
                    href={
                      year === null ? undefined : `/api/targets/export?${new URLSearchParams({ catalogue, year: String(year) })}`
                    }
                  >
                    Xuất Excel
                  </Button>
                </Space>
                {s && (
                  <Row gutter={[12, 12]} style={{ marginBottom: 12 }}>
                    {[
                      ["Đã đạt", s.achieved, "#389e0d"],
                      ["Dự báo đạt", s.onTrack, "#0958d9"],
                      ["Có nguy cơ", s.atRisk, "#d48806"],
                      ["Dự báo không đạt", s.offTrack, "#cf1322"],
                      ["Chưa nhập chỉ tiêu", s.noTarget, undefined],
                    ].map(([label, v, color]) => (
                      <Col key={label as string} xs={12} md={4}>
                        <Card size="small">
                          <Statistic
                            title={label as string}
                            value={v as number}
                            valueStyle={{ color: color as string | undefined }}
                          />
                        </Card>
                      </Col>
                    ))}
                  </Row>
                )}
                {targets.data && targets.data.items.length === 0 && (
                  <Typography.Paragraph type="secondary">
                    Chưa có chỉ tiêu nào của năm {year} trong bộ chỉ số này. Chọn năm khác ở ô «Năm».
                  </Typography.Paragraph>
                )}
                <QueryState isLoading={targets.isLoading || years.isLoading} error={targets.error ?? years.error}>
                  <Table<Target>
                    rowKey="id"
                    data-testid="targets-table"
                    size="small"
                    dataSource={targets.data?.items}
                    pagination={{ pageSize: 50, showSizeChanger: false }}
                    scroll={{ x: 1100 }}
                    onRow={(t) => ({
                      onClick: () =>
                        can("tasks.manage") &&
                        (setEditing(t),
                        form.setFieldsValue({
                          operator: t.operator,
                          targetValue: t.targetValue,
                          targetMax: t.targetMax,
                          reason: "",
                        })),
                    })}
                    columns={[
                      { title: "Mã", dataIndex: "indicator", width: 120 },
                      { title: "Chỉ tiêu", dataIndex: "indicatorName", width: 300 },
                      { title: "Địa bàn", dataIndex: "areaName", width: 110 },
                      {
                        title: "Chỉ tiêu giao",
                        key: "target",
                        width: 150,
                        render: (_, t) =>
                          t.targetValue === null ? (
                            <Typography.Text type="secondary">chưa nhập</Typography.Text>
                          ) : (
                            `${operatorText[t.operator]} ${formatNumber(t.targetValue)}${t.targetMax !== null ? `–${formatNumber(t.targetMax)}` : ""} ${t.unit ?? ""}`
                          ),
                      },
                      {
                        title: "Thực hiện",
                        dataIndex: "measured",
                        width: 110,
                        align: "right",
                        render: (v: number | null, t) =>
                          v === null ? "—" : `${formatNumber(v)}${t.measuredAs === "cumulative" ? " (lũy kế)" : ""}`,
                      },
                      {
                        title: "Dự báo cuối năm",
                        dataIndex: "projected",
                        width: 110,
                        align: "right",
                        render: (v: number | null) => formatNumber(v) || "—",
                      },
                      {
                        title: "So với chỉ tiêu",
                        dataIndex: "percentOfTarget",
                        width: 140,
                        render: (v: number | null) =>
                          v === null ? (
                            ""
                          ) : (
                            <Progress percent={Math.min(100, v)} format={() => `${formatNumber(v, 1)}%`} size="small" />
                          ),
                      },
                      {
                        title: "Đánh giá",
                        dataIndex: "status",
                        width: 170,
                        render: (st: TargetStatus, t) => <Tag color={statusColors[st]}>{t.statusLabel}</Tag>,
                      },
                    ]}
                  />
                </QueryState>
              </>
            ),
          },
          {
            key: "programmes",
            label: "Chương trình mục tiêu quốc gia",
            children: (
              <QueryState isLoading={programmes.isLoading} error={programmes.error}>
                <Space style={{ marginBottom: 12 }}>
                  {yearPicker}
                  <Typography.Text type="secondary">Kế hoạch vốn và giải ngân theo năm đã chọn</Typography.Text>
                </Space>
                {programmes.data?.items.map((p) => (
                  <Card
                    key={p.code}
                    size="small"
                    title={p.name}
                    data-testid={`programme-${p.code}`}
                    extra={
                      <Space>
                        {/* Who leads it today; the dissolved agency the document named stays readable beside it. */}
                        <span data-testid="lead-agency">
                          {`${p.periodFrom}–${p.periodTo} · ${p.leadAgencyName ?? ""}`}
                          {p.leadAgencyAsWritten && (
                            <Typography.Text type="secondary">{` (văn bản ghi: ${p.leadAgencyAsWritten.name})`}</Typography.Text>
                          )}
                        </span>
                        {can("tasks.manage") && (
                          <Button size="small" icon={<PlusOutlined />} onClick={() => setAddingTo(p)}>
                            Thêm dự án, kế hoạch vốn
                          </Button>
                        )}
                      </Space>
                    }
                    style={{ marginBottom: 12 }}
                  >
                    {p.byArea.length === 0 ? (
                      <Typography.Text type="secondary">
                        Chưa có dự án, kế hoạch vốn hoặc số liệu giải ngân năm {programmes.data.year}.
                      </Typography.Text>
                    ) : (
                      <Table
                        rowKey="area"
                        size="small"
                        pagination={false}
                        dataSource={p.byArea}
                        columns={[
                          { title: "Địa bàn", dataIndex: "areaName" },
                          {
                            title: "Kế hoạch vốn (tỷ đồng)",
                            dataIndex: "plan",
                            align: "right",
                            render: (v: number | null) => formatNumber(v),
                          },
                          {
                            title: "Đã giải ngân (tỷ đồng)",
                            dataIndex: "disbursed",
                            align: "right",
                            render: (v: number | null) => formatNumber(v),
                          },
                          {
                            title: "Tỷ lệ giải ngân",
                            dataIndex: "disbursementRate",
                            render: (v: number | null) =>
                              v === null ? "" : <Progress percent={Math.min(100, v)} size="small" />,
                          },
                        ]}
                      />
                    )}
                    {p.projects.length > 0 && (
                      <Table
                        rowKey="code"
                        size="small"
                        pagination={false}
                        style={{ marginTop: 8 }}
                        dataSource={p.projects}
                        data-testid={`projects-${p.code}`}
                        columns={[
                          { title: "Mã dự án", dataIndex: "code", width: 120 },
                          { title: "Dự án", dataIndex: "name" },
                          { title: "Địa bàn", dataIndex: "areaName", width: 160 },
                          {
                            title: "Kế hoạch vốn",
                            dataIndex: "capitalPlan",
                            align: "right",
                            width: 150,
                            render: (v: number | null, j) => (v === null ? "—" : `${formatNumber(v)} ${j.unit}`),
                          },
                          {
                            title: "Tiến độ thực hiện",
                            dataIndex: "physicalProgress",
                            width: 160,
                            render: (v: number | null) => (v === null ? "—" : <Progress percent={v} size="small" />),
                          },
                        ]}
                      />
                    )}
                  </Card>
                ))}
              </QueryState>
            ),
          },
        ]}
      />
      {addingTo && <ProjectModal programme={addingTo} onClose={() => setAddingTo(null)} />}
      <Modal
        open={editing !== null}
        title={editing ? `Chỉ tiêu ${editing.indicator}: ${editing.indicatorName}` : ""}
        okText="Lưu"
        cancelText="Hủy"
        onCancel={() => setEditing(null)}
        onOk={() => form.submit()}
        confirmLoading={save.isPending}
      >
        <Form form={form} layout="vertical" onFinish={(v) => save.mutate(v)}>
          <Form.Item name="operator" label="So sánh">
            <Select options={Object.entries(operatorText).map(([value, label]) => ({ value, label }))} />
          </Form.Item>
          <Form.Item name="targetValue" label={`Giá trị chỉ tiêu (${editing?.unit ?? ""})`}>
            <InputNumber style={{ width: 200 }} decimalSeparator="," aria-label="Giá trị chỉ tiêu" />
          </Form.Item>
          <Form.Item name="targetMax" label="Giá trị tối đa (chỉ tiêu dạng khoảng)">
            <InputNumber style={{ width: 200 }} decimalSeparator="," />
          </Form.Item>
          <Form.Item
            name="reason"
            label="Căn cứ, lý do"
            rules={[{ required: true, min: 5, message: "Ghi căn cứ (nghị quyết, văn bản)" }]}
          >
            <Input aria-label="Căn cứ" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
