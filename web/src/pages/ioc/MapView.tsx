import { ArrowLeftOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import { formatNumber } from "@dieuhanh/core";
import { Button, Card, Col, Row, Select, Space, Typography } from "antd";
import { useSearchParams } from "react-router-dom";
import { apiGet } from "../../api/client";
import type { AnalyticsResult, JsonOf } from "../../api/types";
import { EChart } from "../../components/EChart";
import { useLiveData } from "../../components/live";
import { useHomeDefaults } from "../../components/useHome";
import { lastMonthCode, recentMonths } from "../reports/common";
import { Choropleth, useChildFigures } from "./Choropleth";
import { SampleMark, useAreaName } from "./common";

export function useAnalytics(query: Record<string, string | undefined>, enabled = true) {
  return useQuery({ queryKey: ["analytics", query], enabled, queryFn: () => apiGet<AnalyticsResult>("/api/analytics", query) });
}

/** Names and units of indicators, for pickers that must show names rather than codes. */
export function useIndicatorNames(codes: string[], area: string, period: string) {
  const q = useAnalytics({ indicators: codes.join(","), areas: area, from: period, to: period }, codes.length > 0);
  return new Map((q.data?.indicators ?? []).map((i) => [i.code, i]));
}

/**
 * The choropleth (bản đồ) for an indicator and a month: the 34 provinces — Hoàng Sa and Trường Sa always
 * shown — and, on a click, the province's communes on their own boundaries with their ranking. A leader
 * of one province starts on its communes.
 */
export default function MapView() {
  const home = useHomeDefaults();
  const [params, setParams] = useSearchParams();
  // The caller's own area: the nation's provinces, or a province's communes (docs/decisions/0009).
  const root = home.area;
  const tiles = home.tiles;
  const indicator = params.get("indicator") ?? tiles[1] ?? tiles[0] ?? "";
  const period = params.get("period") ?? lastMonthCode();
  const shown = params.get("province") ?? root;
  const set = (patch: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch))
      if (v) next.set(k, v);
      else next.delete(k);
    setParams(next);
  };
  useLiveData();
  const base = !indicator || tiles.includes(indicator) ? tiles : [indicator, ...tiles];
  const names = useIndicatorNames(base, shown, period);
  // Below the nation, also every indicator of the catalogue with figures for the province's communes.
  const withData = useQuery({
    queryKey: ["indicators-with-data", home.catalogueId, shown, period],
    enabled: home.ready && shown !== "VN",
    queryFn: () =>
      apiGet<JsonOf<"/api/catalogues/{id}/indicators-with-data", "get">>(
        `/api/catalogues/${home.catalogueId}/indicators-with-data`,
        { parent: shown, period },
      ),
  });
  const choices = [...new Set([...base, ...(withData.data?.items ?? []).map((i) => i.code)])];
  const figures = useChildFigures(shown, indicator, period);
  const r = figures.result;
  const ind = r?.indicators[0];
  const children = r?.areas.length ?? 0;
  const ranking = r
    ? r.areas
        .map((a) => ({ name: a.name, value: r.series.find((s) => s.area === a.id)?.points[0]?.value ?? null }))
        .filter((x): x is { name: string; value: number } => x.value !== null)
        .sort((a, b) => b.value - a.value)
    : [];
  const periodLabel = r?.periods[0]?.label ?? "";
  const level = shown === "VN" ? "tỉnh, thành phố" : "xã, phường, đặc khu";
  const areaName = useAreaName(shown);
  return (
    <>
      <Space wrap style={{ marginBottom: 12 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          Bản đồ
        </Typography.Title>
        <Select
          aria-label="Chỉ số"
          showSearch
          optionFilterProp="label"
          style={{ width: "min(380px, calc(100vw - 32px))" }}
          value={indicator}
          onChange={(v) => set({ indicator: v })}
          options={choices.map((c) => {
            const i = names.get(c) ?? withData.data?.items.find((x) => x.code === c);
            return { value: c, label: i ? `${i.name}${i.unit ? ` (${i.unit})` : ""}` : c };
          })}
        />
        <Select
          aria-label="Kỳ"
          style={{ width: 160 }}
          value={period}
          onChange={(v) => set({ period: v })}
          options={recentMonths()}
        />
      </Space>
      <Row gutter={[12, 12]}>
        <Col xs={24} xl={shown === "VN" ? 24 : 14}>
          <Card
            size="small"
            className="map-card"
            title={
              <Space wrap>
                {shown !== root && (
                  <Button icon={<ArrowLeftOutlined />} onClick={() => set({ province: null })}>
                    Cả nước
                  </Button>
                )}
                <span data-testid="map-title">
                  {areaName ?? "…"} — {ind ? `${ind.name}${ind.unit ? ` (${ind.unit})` : ""}` : "…"} — {periodLabel}
                </span>
                <SampleMark show={figures.sample} />
              </Space>
            }
          >
            <Choropleth
              key={shown}
              testId={shown === "VN" ? "choropleth" : "commune-map"}
              area={shown}
              indicator={indicator}
              period={period}
              height="68vh"
              onSelect={shown === "VN" ? (code) => set({ province: code }) : undefined}
            />
            <Typography.Text type="secondary" data-testid="map-coverage">
              {formatNumber(figures.withData)}/{formatNumber(children)} {level} có số liệu
              {shown === "VN" ? " · nhấn vào một tỉnh, thành phố để xem các xã, phường" : ""}
              {figures.sample ? " · có số liệu mẫu (không phải số liệu thật)" : ""}
            </Typography.Text>
          </Card>
        </Col>
        {shown !== "VN" && (
          <Col xs={24} xl={10}>
            <Card size="small" title={`Xếp hạng các ${level}`}>
              <EChart
                testId="commune-chart"
                style={{ height: Math.max(240, ranking.length * 18) }}
                option={{
                  grid: { left: 150, right: 60, top: 10, bottom: 20 },
                  tooltip: { trigger: "axis" },
                  xAxis: { type: "value" },
                  yAxis: { type: "category", inverse: true, data: ranking.map((x) => x.name) },
                  series: [
                    {
                      type: "bar",
                      name: ind?.name,
                      data: ranking.map((x) => x.value),
                      label: { show: true, position: "right", formatter: (p: { value: number }) => formatNumber(p.value, 1) },
                    },
                  ],
                }}
              />
            </Card>
          </Col>
        )}
      </Row>
    </>
  );
}
