import { DownloadOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import { formatNumber } from "@dieuhanh/core";
import { Button, Card, Col, Row, Select, Space, Table, Typography } from "antd";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import { apiGet, type Page } from "../../api/client";
import type { AnalyticsResult, Catalogue, IndicatorSummary } from "../../api/types";
import { EChart } from "../../components/EChart";
import { useLiveData } from "../../components/live";
import { QueryState } from "../../components/QueryState";
import { useHomeDefaults } from "../../components/useHome";
import { lastMonthCode, periodsBefore } from "../reports/common";
import { useAnalytics } from "./MapView";
import { AreaPicker } from "./Overview";
import { formatChange, SampleMark, SourceTag } from "./common";

/**
 * A sub-group of the national catalogue (prices, budget, banking, investment, industry, …): each indicator's
 * year against last year, a table of the latest month, and export of the whole group to Excel.
 */
export default function GroupView() {
  // "A-II": the catalogue's group A, sub-group II (no dot: the address must not look like a file).
  const { group = "A-I" } = useParams();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const home = useHomeDefaults();
  const area = home.areaFor(params.get("area"));
  const catalogueId = home.catalogueId;
  const [g, sub] = group.split("-");
  const to = lastMonthCode();
  const from = periodsBefore(to, 23);
  useLiveData();
  const catalogue = useQuery({
    queryKey: ["catalogue", catalogueId],
    enabled: home.ready,
    queryFn: () => apiGet<Catalogue>(`/api/catalogues/${catalogueId}`),
    staleTime: Infinity,
  });
  const rows = useQuery({
    queryKey: ["catalogue-rows", catalogueId, group],
    enabled: home.ready,
    queryFn: () =>
      apiGet<Page<IndicatorSummary>>(`/api/catalogues/${catalogueId}/indicators`, { group: g, subgroup: sub, limit: 500 }),
  });
  const codes = (rows.data?.items ?? []).filter((r) => r.kind !== "heading" && r.unit).map((r) => r.code);
  const data = useAnalytics({ indicators: codes.join(","), areas: area, from, to, comparisons: "true" }, codes.length > 0);
  const subgroups = (catalogue.data?.groups ?? []).flatMap((x) =>
    x.subgroups.length
      ? x.subgroups.map((s) => ({ value: `${x.code}-${s.code}`, label: `${x.code}.${s.code} ${s.name}` }))
      : [{ value: x.code, label: `${x.code} ${x.name}` }],
  );
  const r = data.data;
  // Cards and rows in the catalogue's order (the analytics answer comes in the database's).
  const order = new Map((rows.data?.items ?? []).map((x, i) => [x.code, i]));
  const inOrder = [...(r?.indicators ?? [])].sort((a, b) => (order.get(a.code) ?? 0) - (order.get(b.code) ?? 0));
  const year = to.slice(0, 4);
  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between" }} wrap>
        <Typography.Title level={3}>Theo lĩnh vực</Typography.Title>
        <Space wrap>
          <Select
            aria-label="Lĩnh vực"
            style={{ width: 380 }}
            value={group}
            onChange={(v) => navigate(`/dieu-hanh/nhom/${v}?area=${area}`)}
            options={subgroups}
          />
          <AreaPicker value={area} onChange={(v) => setParams({ area: v })} />
          <Button
            icon={<DownloadOutlined />}
            disabled={!codes.length}
            href={`/api/analytics/export?${new URLSearchParams({ indicators: codes.join(","), areas: area, from, to })}`}
          >
            Xuất Excel
          </Button>
        </Space>
      </Space>
      <QueryState isLoading={rows.isLoading || data.isLoading} error={rows.error ?? data.error}>
        {r && (
          <>
            <Row gutter={[12, 12]}>
              {inOrder.map((ind) => {
                const points = r.series.find((s) => s.indicator === ind.code)?.points ?? [];
                const thisYear = points.filter((p) => p.period.startsWith(year));
                const lastYear = points.filter((p) => p.period.startsWith(String(Number(year) - 1)));
                return (
                  <Col key={ind.code} xs={24} md={12} xl={8}>
                    <Card
                      size="small"
                      title={<Link to={`/dieu-hanh/chi-so/${ind.code}?area=${area}`}>{`${ind.code} ${ind.name}`}</Link>}
                      extra={<SampleMark show={points.some((p) => p.sample)} />}
                      data-testid={`group-card-${ind.code}`}
                    >
                      <EChart
                        testId={`group-chart-${ind.code}`}
                        style={{ height: 200 }}
                        option={{
                          tooltip: { trigger: "axis" },
                          legend: { bottom: 0 },
                          grid: { left: 50, right: 10, top: 10, bottom: 40 },
                          xAxis: { type: "category", data: Array.from({ length: 12 }, (_, i) => `T${i + 1}`) },
                          yAxis: { type: "value", scale: true },
                          series: [
                            {
                              type: "bar",
                              name: `Năm ${Number(year) - 1}`,
                              data: Array.from({ length: 12 }, (_, i) => lastYear[i]?.value ?? null),
                            },
                            {
                              type: "line",
                              name: `Năm ${year}`,
                              data: Array.from({ length: 12 }, (_, i) => thisYear[i]?.value ?? null),
                            },
                          ],
                        }}
                      />
                    </Card>
                  </Col>
                );
              })}
            </Row>
            <StructureChart rows={rows.data?.items ?? []} result={r} year={year} />
            <Card size="small" title={`Số liệu ${r.periods.at(-1)?.label}`} style={{ marginTop: 12 }}>
              <Table
                rowKey="code"
                size="small"
                pagination={false}
                scroll={{ x: 900 }}
                dataSource={inOrder.map((ind) => ({
                  ...ind,
                  point: r.series.find((s) => s.indicator === ind.code)?.points.at(-1) ?? null,
                }))}
                columns={[
                  { title: "Mã", dataIndex: "code" },
                  { title: "Chỉ số", dataIndex: "name" },
                  { title: "Đơn vị", dataIndex: "unit" },
                  { title: "Giá trị", key: "v", align: "right", render: (_, x) => formatNumber(x.point?.value ?? null, 2) },
                  {
                    title: "So kỳ trước",
                    key: "p",
                    align: "right",
                    render: (_, x) => formatChange(x.point?.comparisons?.previousPeriod),
                  },
                  {
                    title: "So cùng kỳ",
                    key: "y",
                    align: "right",
                    render: (_, x) => formatChange(x.point?.comparisons?.samePeriodLastYear),
                  },
                  { title: "Nguồn", key: "s", render: (_, x) => <SourceTag point={x.point} /> },
                ]}
              />
            </Card>
          </>
        )}
      </QueryState>
    </>
  );
}

/**
 * The structure of a whole month by month this year: the parts of one indicator (its sub-indicators and
 * "of which" rows in the same additive unit, whose sum never exceeds it) stacked, and the whole as a line
 * beside them — never stacked onto its own parts. "Of which" families first, then the one with the most
 * figures; a sector without such a family has no structure chart.
 */
function StructureChart({ rows, result, year }: { rows: IndicatorSummary[]; result: AnalyticsResult; year: string }) {
  const months = result.periods.filter((p) => p.code.startsWith(year));
  const valuesOf = (code: string) =>
    months.map((m) => result.series.find((x) => x.indicator === code)?.points.find((p) => p.period === m.code)?.value ?? null);
  const count = (code: string) => valuesOf(code).filter((v) => v !== null).length;
  const additive = new Map(result.indicators.filter((i) => i.aggregation === "sum").map((i) => [i.code, i]));
  const families = rows
    .filter((w) => additive.has(w.code))
    .map((whole) => ({
      whole,
      parts: rows.filter(
        (p) =>
          p.parentCode === whole.code &&
          (p.kind === "sub_indicator" || p.kind === "of_which") &&
          p.unit === whole.unit &&
          additive.has(p.code),
      ),
    }))
    .filter((f) => f.parts.length >= 2 && f.parts.some((p) => count(p.code) > 0))
    // Parts of a whole never add up to more than it: a family whose figures do is not a partition.
    .filter((f) => {
      const whole = valuesOf(f.whole.code);
      const sums = months.map((_, i) => f.parts.reduce((s, p) => s + (valuesOf(p.code)[i] ?? 0), 0));
      return sums.every((sum, i) => whole[i] === null || sum <= whole[i]! + Math.max(0.01, Math.abs(whole[i]!) * 1e-6));
    });
  // "Of which" rows are parts by definition; then the family with the most figures.
  const score = (f: (typeof families)[number]) =>
    (f.parts.every((p) => p.kind === "of_which") ? 1e6 : 0) + f.parts.reduce((s, p) => s + count(p.code), 0);
  const best = families.sort((a, b) => score(b) - score(a))[0];
  if (!best) return null;
  return (
    <Card size="small" title={`Cơ cấu ${best.whole.name} theo tháng năm ${year} (${best.whole.unit})`} style={{ marginTop: 12 }}>
      <EChart
        testId="group-stacked"
        style={{ height: 280 }}
        option={{
          tooltip: { trigger: "axis" },
          legend: { bottom: 0, type: "scroll" },
          grid: { left: 60, right: 10, top: 10, bottom: 50 },
          xAxis: { type: "category", data: months.map((p) => p.label) },
          yAxis: { type: "value" },
          series: [
            ...best.parts.map((part) => ({ type: "bar", stack: "parts", name: part.name, data: valuesOf(part.code) })),
            { type: "line", name: `${best.whole.name} (tổng)`, data: valuesOf(best.whole.code), symbolSize: 6 },
          ],
        }}
      />
    </Card>
  );
}
