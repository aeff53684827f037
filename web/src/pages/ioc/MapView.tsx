import { ArrowLeftOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import { formatNumber } from "@dieuhanh/core";
import { Button, Card, Select, Space, Typography } from "antd";
import { useMemo } from "react";
import { useSearchParams } from "react-router-dom";
import { apiGet } from "../../api/client";
import type { AnalyticsResult } from "../../api/types";
import { EChart, echarts } from "../../components/EChart";
import { useLiveData } from "../../components/live";
import { QueryState } from "../../components/QueryState";
import { lastMonthCode, recentMonths } from "../reports/common";
import { DEFAULT_TILES, SourceTag } from "./common";

const MAP_NAME = "vn-34-provinces";
/** The archipelagos are too small to see at national scale: they are labelled. */
const ARCHIPELAGOS = [
  { name: "Quần đảo Hoàng Sa", value: [112.0, 16.5], label: { position: "right" } },
  { name: "Quần đảo Trường Sa", value: [114.3, 10.0], label: { position: "left" } },
];

interface Boundaries {
  features: { properties: { code: string; name: string } }[];
}

async function loadBoundaries(): Promise<Boundaries> {
  const geo = await apiGet<Boundaries>("/api/boundaries/provinces");
  echarts.registerMap(MAP_NAME, geo as unknown as Parameters<typeof echarts.registerMap>[1]);
  return geo;
}

export function useAnalytics(query: Record<string, string | undefined>, enabled = true) {
  return useQuery({ queryKey: ["analytics", query], enabled, queryFn: () => apiGet<AnalyticsResult>("/api/analytics", query) });
}

/**
 * The choropleth (bản đồ) of the 34 provinces for an indicator and a month — Hoàng Sa and Trường Sa always
 * shown — and, on a click, the province's communes ranked (the source data has no commune boundaries).
 */
export default function MapView() {
  const [params, setParams] = useSearchParams();
  const indicator = params.get("indicator") ?? "QG.A.II.1";
  const period = params.get("period") ?? lastMonthCode();
  const province = params.get("province");
  const set = (patch: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch))
      if (v) next.set(k, v);
      else next.delete(k);
    setParams(next);
  };
  useLiveData();
  const boundaries = useQuery({ queryKey: ["boundaries"], queryFn: loadBoundaries, staleTime: Infinity });
  const provinces = useAnalytics({ indicators: indicator, parent: "VN", from: period, to: period });
  const communes = useAnalytics({ indicators: indicator, parent: province ?? undefined, from: period, to: period }, !!province);
  const nameToId = useMemo(
    () => new Map((boundaries.data?.features ?? []).map((f) => [f.properties.name, f.properties.code])),
    [boundaries.data],
  );
  const values = useMemo(() => {
    const r = provinces.data;
    if (!r) return [];
    return r.areas.map((a) => ({
      name: a.name,
      id: a.id,
      value: r.series.find((s) => s.area === a.id)?.points[0]?.value ?? null,
    }));
  }, [provinces.data]);
  const nums = values.map((v) => v.value).filter((v): v is number => v !== null);
  const ind = provinces.data?.indicators[0];
  const option = boundaries.data && {
    tooltip: {
      trigger: "item",
      formatter: (p: { name: string; value: number }) =>
        `${p.name}<br/>${Number.isFinite(p.value) ? `${formatNumber(p.value, 2)} ${ind?.unit ?? ""}` : "chưa có số liệu"}`,
    },
    visualMap: nums.length
      ? {
          min: Math.min(...nums),
          max: Math.max(...nums),
          left: 8,
          bottom: 8,
          calculable: true,
          text: ["cao", "thấp"],
          inRange: { color: ind?.lowerIsBetter ? ["#f6ffed", "#cf1322"] : ["#fff7e6", "#0958d9"] },
          seriesIndex: 0,
        }
      : undefined,
    geo: {
      map: MAP_NAME,
      roam: true,
      itemStyle: { areaColor: "#f0f0f0", borderColor: "#999" },
      emphasis: { itemStyle: { areaColor: "#ffe58f" } },
    },
    series: [
      { type: "map", geoIndex: 0, data: values.map((v) => ({ name: v.name, value: v.value ?? NaN })) },
      {
        type: "scatter",
        coordinateSystem: "geo",
        symbolSize: 6,
        itemStyle: { color: "#b71c1c" },
        label: { show: true, formatter: "{b}", fontSize: 12 },
        data: ARCHIPELAGOS,
      },
    ],
  };
  const commune = communes.data;
  const communeRows = commune
    ? commune.areas
        .map((a) => ({ name: a.name, value: commune.series.find((s) => s.area === a.id)?.points[0]?.value ?? null }))
        .filter((r) => r.value !== null)
        .sort((a, b) => b.value! - a.value!)
    : [];
  const provinceName = values.find((v) => v.id === province)?.name;
  return (
    <>
      <Space wrap style={{ marginBottom: 12 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          Bản đồ
        </Typography.Title>
        <Select
          aria-label="Chỉ số"
          showSearch
          style={{ width: 320 }}
          value={indicator}
          onChange={(v) => set({ indicator: v })}
          options={DEFAULT_TILES.map((c) => ({ value: c, label: c === ind?.code ? `${c} ${ind.name}` : c }))}
        />
        <Select
          aria-label="Kỳ"
          style={{ width: 160 }}
          value={period}
          onChange={(v) => set({ period: v })}
          options={recentMonths()}
        />
      </Space>
      <QueryState isLoading={boundaries.isLoading || provinces.isLoading} error={boundaries.error ?? provinces.error}>
        {province ? (
          <Card
            size="small"
            title={
              <Space>
                <Button icon={<ArrowLeftOutlined />} onClick={() => set({ province: null })}>
                  Cả nước
                </Button>
                {provinceName} — theo xã, phường
              </Space>
            }
          >
            <QueryState isLoading={communes.isLoading} error={communes.error}>
              {communeRows.length === 0 ? (
                <Typography.Text type="secondary">Chưa có số liệu cấp xã cho chỉ số này.</Typography.Text>
              ) : (
                <EChart
                  testId="commune-chart"
                  style={{ height: Math.max(300, communeRows.length * 18) }}
                  option={{
                    grid: { left: 160, right: 40, top: 10, bottom: 20 },
                    tooltip: { trigger: "axis" },
                    xAxis: { type: "value" },
                    yAxis: { type: "category", inverse: true, data: communeRows.map((r) => r.name) },
                    series: [{ type: "bar", data: communeRows.map((r) => r.value) }],
                  }}
                />
              )}
            </QueryState>
          </Card>
        ) : (
          <>
            <EChart
              testId="choropleth"
              className="map"
              style={{ height: "70vh", minHeight: 420 }}
              option={option ?? {}}
              onClick={(p) => p.componentType === "series" && nameToId.get(p.name) && set({ province: nameToId.get(p.name)! })}
            />
            <Typography.Text type="secondary">
              {ind?.name} ({ind?.unit}) · nhấn vào một tỉnh để xem các xã · {values.filter((v) => v.value !== null).length}/34
              tỉnh có số liệu{" "}
            </Typography.Text>
            <SourceTag point={provinces.data?.series[0]?.points[0] ?? null} />
          </>
        )}
      </QueryState>
    </>
  );
}
