import { DownloadOutlined } from "@ant-design/icons";
import { formatNumber } from "@dieuhanh/core";
import { Button, Card, Col, Descriptions, Row, Space, Table, Typography } from "antd";
import { useParams, useSearchParams } from "react-router-dom";
import { EChart } from "../../components/EChart";
import { useLiveData } from "../../components/live";
import { QueryState } from "../../components/QueryState";
import { ReadingHelp } from "../../components/ReadingHelp";
import { useHomeDefaults } from "../../components/useHome";
import { lastMonthCode, periodsBefore } from "../reports/common";
import { useAnalytics } from "./MapView";
import { AreaPicker } from "./Overview";
import { Change, formatChange, SourceTag } from "./common";

/** One indicator: its series, the comparisons of the latest period, the breakdown by area, export. */
export default function IndicatorView() {
  const { code = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const home = useHomeDefaults();
  const area = home.areaFor(params.get("area"));
  const to = params.get("to") ?? lastMonthCode();
  const from = periodsBefore(to, 23);
  useLiveData();
  const series = useAnalytics({ indicators: code, areas: area, from, to, comparisons: "true" });
  const byArea = useAnalytics({ indicators: code, parent: area, from: to, to });
  const r = series.data;
  const ind = r?.indicators[0];
  const points = r?.series[0]?.points ?? [];
  const latest = [...points].reverse().find((p) => p.value !== null) ?? null;
  const children = byArea.data
    ? byArea.data.areas
        .map((a) => ({ name: a.name, value: byArea.data!.series.find((s) => s.area === a.id)?.points[0]?.value ?? null }))
        .filter((x) => x.value !== null)
    : [];
  return (
    <QueryState isLoading={series.isLoading} error={series.error}>
      {ind && (
        <>
          <Space style={{ width: "100%", justifyContent: "space-between" }} wrap>
            <Typography.Title level={3}>
              {ind.code} — {ind.name}
            </Typography.Title>
            <Space>
              <AreaPicker value={area} onChange={(v) => setParams({ area: v })} />
              <Button
                icon={<DownloadOutlined />}
                href={`/api/analytics/export?${new URLSearchParams({ indicators: code, areas: area, from, to })}`}
              >
                Xuất Excel
              </Button>
            </Space>
          </Space>
          <Row gutter={[12, 12]}>
            <Col xs={24} lg={16}>
              <Card size="small" title={`Diễn biến (${ind.unit ?? ""})`}>
                <EChart
                  testId="indicator-series"
                  style={{ height: 320 }}
                  option={{
                    tooltip: { trigger: "axis" },
                    grid: { left: 60, right: 20, top: 20, bottom: 40 },
                    xAxis: { type: "category", data: r!.periods.map((p) => p.label) },
                    yAxis: { type: "value", scale: true },
                    series: [{ type: "line", name: ind.name, data: points.map((p) => p.value), connectNulls: false }],
                  }}
                />
              </Card>
            </Col>
            <Col xs={24} lg={8}>
              <Card
                size="small"
                title={
                  <>
                    {latest ? `So sánh — ${r!.periods.find((p) => p.code === latest.period)?.label}` : "So sánh"}
                    <ReadingHelp testId="indicator-help" />
                  </>
                }
              >
                {latest ? (
                  <Descriptions column={1} size="small">
                    <Descriptions.Item label="Giá trị">
                      {/* One inline box: the item's content is a flex box, which drops the space before the unit. */}
                      <span data-testid="indicator-value-line">
                        <span data-testid="indicator-latest">{formatNumber(latest.value, 2)}</span> {ind.unit}{" "}
                        <SourceTag point={latest} />
                      </span>
                    </Descriptions.Item>
                    <Descriptions.Item label="So kỳ trước">
                      <Change label="" c={latest.comparisons?.previousPeriod} indicator={ind} />
                    </Descriptions.Item>
                    <Descriptions.Item label="So tháng 12 năm trước">
                      <Change label="" c={latest.comparisons?.previousDecember} indicator={ind} />
                    </Descriptions.Item>
                    <Descriptions.Item label="So cùng kỳ">
                      <Change label="" c={latest.comparisons?.samePeriodLastYear} indicator={ind} />
                    </Descriptions.Item>
                    {latest.comparisons?.ytdCumulative && (
                      <Descriptions.Item label="Lũy kế từ đầu năm">
                        {formatNumber(latest.comparisons.ytdCumulative.value, 1)} {ind.unit} (
                        {latest.comparisons.ytdCumulative.change !== null
                          ? `${formatNumber(latest.comparisons.ytdCumulative.change, 1)}% so cùng kỳ`
                          : "—"}
                        )
                      </Descriptions.Item>
                    )}
                    {latest.comparisons?.ytdAverage && (
                      <Descriptions.Item label="Bình quân từ đầu năm">
                        {formatNumber(latest.comparisons.ytdAverage.value, 2)} {ind.unit} (
                        {latest.comparisons.ytdAverage.change !== null
                          ? `${formatNumber(latest.comparisons.ytdAverage.change, 1)}% so cùng kỳ`
                          : "—"}
                        )
                      </Descriptions.Item>
                    )}
                    {latest.comparisons?.plan && (
                      <Descriptions.Item label="So kế hoạch">
                        {formatNumber(latest.comparisons.plan.percentOfPlan, 1)}%
                      </Descriptions.Item>
                    )}
                  </Descriptions>
                ) : (
                  <Typography.Text type="secondary">Chưa có số liệu</Typography.Text>
                )}
              </Card>
            </Col>
            {children.length > 0 && (
              <Col xs={24}>
                <Card size="small" title={`Theo địa bàn — ${byArea.data!.periods[0]?.label}`}>
                  <EChart
                    style={{ height: Math.max(240, children.length * 16) }}
                    option={{
                      grid: { left: 150, right: 30, top: 10, bottom: 20 },
                      tooltip: { trigger: "axis" },
                      xAxis: { type: "value" },
                      yAxis: {
                        type: "category",
                        inverse: true,
                        data: [...children].sort((a, b) => b.value! - a.value!).map((c) => c.name),
                      },
                      series: [{ type: "bar", data: [...children].sort((a, b) => b.value! - a.value!).map((c) => c.value) }],
                    }}
                  />
                </Card>
              </Col>
            )}
            <Col xs={24}>
              <Card size="small" title="Số liệu">
                <Table
                  rowKey="period"
                  size="small"
                  pagination={false}
                  scroll={{ x: 700 }}
                  dataSource={[...points].reverse()}
                  columns={[
                    { title: "Kỳ", dataIndex: "period", render: (p: string) => r!.periods.find((x) => x.code === p)?.label },
                    {
                      title: ind.unit ? `Giá trị (${ind.unit})` : "Giá trị",
                      dataIndex: "value",
                      align: "right",
                      render: (v: number | null) => formatNumber(v, 2),
                    },
                    { title: "Nguồn", key: "s", render: (_, p) => <SourceTag point={p} /> },
                    {
                      title: "So kỳ trước",
                      key: "pp",
                      align: "right",
                      render: (_, p) => formatChange(p.comparisons?.previousPeriod),
                    },
                    {
                      title: "So cùng kỳ",
                      key: "ly",
                      align: "right",
                      render: (_, p) => formatChange(p.comparisons?.samePeriodLastYear),
                    },
                  ]}
                />
              </Card>
            </Col>
          </Row>
        </>
      )}
    </QueryState>
  );
}
