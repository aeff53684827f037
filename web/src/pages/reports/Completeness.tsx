import { useQuery } from "@tanstack/react-query";
import { formatDate, formatNumber } from "@dieuhanh/core";
import { Card, Col, Grid, Progress, Row, Select, Space, Statistic, Switch, Table, Tabs, Tag, Typography } from "antd";
import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { apiGet, type Page } from "../../api/client";
import type { Completeness, CompletenessItem, DataValue, ReportState } from "../../api/types";
import { channelText } from "../../components/labels";
import { QueryState } from "../../components/QueryState";
import { lastMonthCode, recentMonths } from "./common";

const stateColors: Record<ReportState, string> = {
  not_due: "default",
  open: "blue",
  late: "red",
  complete: "green",
  complete_late: "orange",
};

/**
 * Who has reported and who is late (tình hình báo cáo), and the figures that need a second look
 * (chất lượng số liệu): missing, late, outlying and returned, per agency.
 */
export default function CompletenessPage() {
  const wide = Grid.useBreakpoint().md !== false;
  const [params, setParams] = useSearchParams();
  const period = params.get("period") ?? lastMonthCode();
  const [onlyProblems, setOnlyProblems] = useState(false);
  const data = useQuery({
    queryKey: ["completeness", period],
    queryFn: () => apiGet<Completeness>("/api/reports/completeness", { period }),
  });
  const outliers = useQuery({
    queryKey: ["flagged", period],
    queryFn: () => apiGet<Page<DataValue>>("/api/data-values", { period, flagged: "true", limit: 200 }),
  });
  const returned = useQuery({
    queryKey: ["returned", period],
    queryFn: () => apiGet<Page<DataValue>>("/api/data-values", { period, status: "returned", limit: 200 }),
  });
  const items = (data.data?.items ?? []).filter(
    (i) => !onlyProblems || i.state === "late" || i.state === "complete_late" || i.missing > 0,
  );
  const s = data.data?.summary;
  const valueColumns = [
    { title: "Chỉ số", dataIndex: "indicator" },
    { title: "Địa bàn", dataIndex: "area" },
    { title: "Cơ quan", dataIndex: "agency" },
    { title: "Giá trị", dataIndex: "value", align: "right" as const, render: (v: number | null) => formatNumber(v) },
    {
      title: "Nguồn",
      key: "source",
      render: (_: unknown, v: DataValue) => (v.origin ? <Tag color="cyan">{channelText(v)}</Tag> : channelText(v)),
    },
    {
      title: "Ghi chú",
      key: "c",
      render: (_: unknown, v: DataValue) => [v.comment, v.reviewComment].filter(Boolean).join(" · "),
    },
  ];
  return (
    <>
      <Typography.Title level={3}>Tình hình báo cáo và chất lượng số liệu</Typography.Title>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select
          aria-label="Kỳ báo cáo"
          style={{ width: 160 }}
          value={period}
          options={recentMonths()}
          onChange={(p) => setParams({ period: p })}
        />
        <Space>
          <Switch aria-label="Chỉ hiện báo cáo thiếu hoặc chậm" checked={onlyProblems} onChange={setOnlyProblems} />
          Chỉ hiện báo cáo thiếu hoặc chậm
        </Space>
      </Space>
      <QueryState isLoading={data.isLoading} error={data.error}>
        {s && (
          <Row gutter={[12, 12]} style={{ marginBottom: 12 }}>
            <Col xs={12} md={6}>
              <Card size="small">
                <Statistic title="Báo cáo phải gửi" value={s.reports} formatter={(v) => formatNumber(Number(v))} />
              </Card>
            </Col>
            <Col xs={12} md={6}>
              <Card size="small">
                <Statistic
                  title="Số liệu đã gửi / phải gửi"
                  value={`${formatNumber(s.submitted)} / ${formatNumber(s.expected)}`}
                  data-testid="summary-submitted"
                />
              </Card>
            </Col>
            <Col xs={12} md={6}>
              <Card size="small">
                <Statistic title="Đã duyệt" value={s.approved} formatter={(v) => formatNumber(Number(v))} />
              </Card>
            </Col>
            <Col xs={12} md={6}>
              <Card size="small">
                <Statistic
                  title="Báo cáo chậm"
                  value={s.lateReports}
                  valueStyle={{ color: s.lateReports ? "#cf1322" : undefined }}
                />
              </Card>
            </Col>
          </Row>
        )}
        <Tabs
          items={[
            {
              key: "completeness",
              label: "Đầy đủ, đúng hạn",
              children: (
                <Table<CompletenessItem>
                  rowKey={(r) => `${r.agency}|${r.area}`}
                  size="small"
                  dataSource={items}
                  pagination={{ pageSize: 50, showSizeChanger: false }}
                  // On a phone: agency, how complete, state (the details from a tablet up), no sideways scrolling.
                  scroll={wide ? { x: 1000 } : undefined}
                  columns={[
                    {
                      title: "Cơ quan",
                      dataIndex: "agencyName",
                      render: (n: string, r) => (
                        <Link to={`/nhap-so-lieu?${new URLSearchParams({ agency: r.agency, area: r.area, period: r.period })}`}>
                          {n}
                        </Link>
                      ),
                    },
                    { title: "Địa bàn", dataIndex: "areaName", responsive: ["md"] },
                    { title: "Hạn", dataIndex: "deadline", render: formatDate, responsive: ["md"] },
                    {
                      title: "Đầy đủ",
                      key: "c",
                      width: wide ? 200 : 70,
                      render: (_, r) => (
                        <Space>
                          {wide && (
                            <Progress percent={r.completeness ?? 0} size="small" style={{ width: 100 }} showInfo={false} />
                          )}
                          <span data-testid={`completeness-${r.agency}-${r.area}`}>{`${r.submitted}/${r.expected}`}</span>
                        </Space>
                      ),
                    },
                    { title: "Đúng hạn", dataIndex: "onTime", responsive: ["md"] },
                    { title: "Chậm", dataIndex: "late", responsive: ["md"] },
                    { title: "Đã duyệt", dataIndex: "approved", responsive: ["md"] },
                    {
                      title: "Trạng thái",
                      dataIndex: "state",
                      render: (st: ReportState, r) => <Tag color={stateColors[st]}>{r.stateLabel}</Tag>,
                    },
                  ]}
                />
              ),
            },
            {
              key: "outliers",
              label: `Bất thường (${outliers.data?.total ?? 0})`,
              children: (
                <Table<DataValue>
                  rowKey={(v) => `${v.indicator}|${v.area}|${v.disaggregation}`}
                  size="small"
                  dataSource={outliers.data?.items}
                  columns={valueColumns}
                />
              ),
            },
            {
              key: "returned",
              label: `Bị trả lại (${returned.data?.total ?? 0})`,
              children: (
                <Table<DataValue>
                  rowKey={(v) => `${v.indicator}|${v.area}|${v.disaggregation}`}
                  size="small"
                  dataSource={returned.data?.items}
                  columns={valueColumns}
                />
              ),
            },
          ]}
        />
      </QueryState>
    </>
  );
}
