import { DownloadOutlined } from "@ant-design/icons";
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
import { apiGet, apiSend } from "../../api/client";
import type { Programme, Target, TargetStatus } from "../../api/types";
import { useAuth } from "../../components/auth";
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

interface TargetsResponse {
  items: Target[];
  total: number;
  summary: { achieved: number; onTrack: number; atRisk: number; offTrack: number; noTarget: number; noData: number };
  asOf: string;
}

/** Plan targets (chỉ tiêu) with progress from reported figures, and the national target programmes. */
export default function Targets() {
  const { can } = useAuth();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [catalogue, setCatalogue] = useState<string>("qd1012");
  const [editing, setEditing] = useState<Target | null>(null);
  const [form] = Form.useForm<{
    operator: Target["operator"];
    targetValue: number | null;
    targetMax: number | null;
    reason: string;
  }>();
  const year = 2025;
  const targets = useQuery({
    queryKey: ["targets", catalogue],
    queryFn: () => apiGet<TargetsResponse>("/api/targets", { catalogue, year }),
  });
  const programmes = useQuery({
    queryKey: ["programmes"],
    queryFn: () => apiGet<{ year: number; items: Programme[] }>("/api/programmes"),
  });
  const save = useMutation({
    mutationFn: (v: { operator: Target["operator"]; targetValue: number | null; targetMax: number | null; reason: string }) =>
      apiSend("PATCH", `/api/targets/${editing!.id}`, v),
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
                  <Select
                    style={{ width: 360 }}
                    value={catalogue}
                    onChange={setCatalogue}
                    options={[
                      { value: "qd1012", label: "Nhóm B — Kế hoạch phát triển KT-XH năm (quốc gia)" },
                      { value: "cantho-256", label: "Nhóm D — Nghị quyết HĐND thành phố Cần Thơ" },
                    ]}
                  />
                  <Typography.Text type="secondary">Năm {year}</Typography.Text>
                  <Button icon={<DownloadOutlined />} href={`/api/targets/export?catalogue=${catalogue}&year=${year}`}>
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
                <QueryState isLoading={targets.isLoading} error={targets.error}>
                  <Table<Target>
                    rowKey="id"
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
                {programmes.data?.items.map((p) => (
                  <Card
                    key={p.code}
                    size="small"
                    title={p.name}
                    extra={`${p.periodFrom}–${p.periodTo} · ${p.leadAgencyName ?? ""}`}
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
                          { title: "Địa bàn", dataIndex: "area" },
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
                      <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
                        {p.projects.length} dự án: {p.projects.map((j) => `${j.name} (${j.physicalProgress ?? 0}%)`).join("; ")}
                      </Typography.Paragraph>
                    )}
                  </Card>
                ))}
              </QueryState>
            ),
          },
        ]}
      />
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
