import { useQuery } from "@tanstack/react-query";
import { formatNumber } from "@dieuhanh/core";
import { useMemo } from "react";
import { apiGet } from "../../api/client";
import type { AnalyticsResult, Area } from "../../api/types";
import { EChart, echarts } from "../../components/EChart";

interface Boundaries {
  features: { properties: { code: string; name: string; fullName: string } }[];
}

/** The archipelagos are too small to see at national scale: they are labelled. */
const ARCHIPELAGOS = [
  { name: "Quần đảo Hoàng Sa", value: [112.0, 16.5], label: { position: "right" } },
  { name: "Quần đảo Trường Sa", value: [114.3, 10.0], label: { position: "left" } },
];

/** The map an area's children are drawn on: the 34 provinces for the nation, a province's communes. */
export const mapNameOf = (area: string) => (area === "VN" ? "vn-34-provinces" : `communes-${area}`);

/** Where an area is drawn: `map` is the area whose children's boundaries are drawn, `focus` a unit picked out. */
export interface MapArea {
  map: string;
  focus: string | null;
}

/**
 * The nation is drawn on its provinces and a province on its communes; a commune has no units below it, so
 * it is drawn on its province's communes with itself picked out. Null while the area is being looked up.
 */
export function useMapArea(area: string): MapArea | null {
  const q = useQuery({
    queryKey: ["area", area],
    enabled: area !== "VN",
    staleTime: Infinity,
    queryFn: () => apiGet<Area>(`/api/areas/${encodeURIComponent(area)}`),
  });
  const { data, error } = q;
  return useMemo(() => {
    if (area === "VN") return { map: "VN", focus: null };
    if (data) return data.level === "commune" && data.parentId ? { map: data.parentId, focus: area } : { map: area, focus: null };
    // Not found: draw the area itself, so the boundaries' own error says why.
    return error ? { map: area, focus: null } : null;
  }, [area, data, error]);
}

/**
 * The boundaries of an area's children, registered with ECharts under `mapNameOf(area)` once loaded:
 * provinces for the nation, or one province's communes, fetched only when that province is shown.
 */
export function useBoundaries(area: string | null) {
  return useQuery({
    queryKey: ["boundaries", area],
    enabled: !!area,
    staleTime: Infinity,
    queryFn: async () => {
      const url = area === "VN" ? "/api/boundaries/provinces" : `/api/boundaries/communes/${area}`;
      const geo = await apiGet<Boundaries>(url);
      echarts.registerMap(mapNameOf(area!), geo as unknown as Parameters<typeof echarts.registerMap>[1]);
      return geo;
    },
  });
}

/** Class breaks of equal counts (quantiles), so a few large units do not wash the others out. */
export function classBreaks(values: number[], classes = 5): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const breaks: number[] = [];
  for (let i = 1; i < classes; i++) {
    const b = sorted[Math.floor((i * sorted.length) / classes)]!;
    if (b > sorted[0]! && b !== breaks.at(-1)) breaks.push(b);
  }
  return [sorted[0]!, ...breaks, sorted.at(-1)!];
}

const BLUES = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
const REDS = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];

export interface ChoroplethData {
  result: AnalyticsResult | undefined;
  /** How many of the children have a figure. */
  withData: number;
  /** Some figure shown is, or includes, a sample figure. */
  sample: boolean;
}

/** The figure of each child of `area` for one indicator and period, with its source. */
export function useChildFigures(area: string, indicator: string, period: string): ChoroplethData {
  // A commune has no children: its own figure is the one on the map.
  const where = useMapArea(area);
  const query = { indicators: indicator, ...(where?.focus ? { areas: area } : { parent: area }), from: period, to: period };
  const q = useQuery({
    queryKey: ["analytics", query],
    queryFn: () => apiGet<AnalyticsResult>("/api/analytics", query),
    enabled: !!indicator && !!where,
  });
  const points = (q.data?.series ?? []).map((s) => s.points[0]);
  return {
    result: q.data,
    withData: points.filter((p) => p && p.value !== null).length,
    sample: points.some((p) => p?.sample),
  };
}

/**
 * A choropleth of an area's children for one indicator and period: the 34 provinces (Hoàng Sa and
 * Trường Sa always shown and labelled) or a province's communes. Regions are matched by code, never by
 * name. The legend is in classes written the Vietnamese way; a unit without a figure stays grey.
 */
export function Choropleth({
  area,
  indicator,
  period,
  height,
  dark,
  testId,
  onSelect,
}: {
  area: string;
  indicator: string;
  period: string;
  height: number | string;
  dark?: boolean;
  testId?: string;
  onSelect?: (code: string) => void;
}) {
  const where = useMapArea(area);
  const boundaries = useBoundaries(where?.map ?? null);
  const { result } = useChildFigures(area, indicator, period);
  const option = useMemo(() => {
    if (!boundaries.data || !where) return null;
    const names = new Map(boundaries.data.features.map((f) => [f.properties.code, f.properties.fullName]));
    const ind = result?.indicators[0];
    const byArea = new Map((result?.series ?? []).map((s) => [s.area, s.points[0]]));
    const data = boundaries.data.features.map((f) => {
      const p = byArea.get(f.properties.code);
      return { name: f.properties.code, value: p?.value ?? NaN, sample: !!p?.sample };
    });
    const nums = data.map((d) => d.value).filter((v) => Number.isFinite(v));
    const breaks = nums.length ? classBreaks(nums) : [];
    const colors = ind?.lowerIsBetter ? REDS : BLUES;
    const digits = nums.every((v) => Math.abs(v) >= 100) ? 0 : 1;
    const pieces = breaks.slice(0, -1).map((lo, i) => {
      const hi = breaks[i + 1]!;
      const last = i === breaks.length - 2;
      return {
        gte: lo,
        // The last class includes its upper bound; the others stop just below it.
        ...(last ? { lte: hi } : { lt: hi }),
        label: `${formatNumber(lo, digits)} – ${formatNumber(hi, digits)}`,
        color: colors[Math.round((i * (colors.length - 1)) / Math.max(1, breaks.length - 2))],
      };
    });
    const text = dark ? "#e6eef7" : "#333";
    const national = where.map === "VN";
    return {
      tooltip: {
        trigger: "item",
        formatter: (p: { name: string; value: number; data?: { sample?: boolean } }) =>
          `${names.get(p.name) ?? p.name}<br/>${
            Number.isFinite(p.value)
              ? `<b>${formatNumber(p.value, 2)}</b> ${ind?.unit ?? ""}${p.data?.sample ? " (số liệu mẫu)" : ""}`
              : "chưa có số liệu"
          }`,
      },
      ...(pieces.length
        ? {
            visualMap: {
              type: "piecewise",
              pieces,
              left: 8,
              // Beside the country (over Laos), clear of the Mekong delta; below a province's communes.
              ...(national ? { top: "40%" } : { bottom: 8 }),
              seriesIndex: 0,
              itemWidth: dark ? 28 : 18,
              itemHeight: dark ? 18 : 12,
              textStyle: { color: text, fontSize: dark ? 18 : 12 },
              // A unit without figures is not in any class: it keeps the grey of the map.
              outOfRange: { color: dark ? "#2b4560" : "#eeeeee" },
            },
          }
        : {}),
      geo: {
        map: mapNameOf(where.map),
        // The caller's own commune, outlined on its province's communes.
        ...(where.focus
          ? { regions: [{ name: where.focus, itemStyle: { borderColor: dark ? "#ffd666" : "#d4380d", borderWidth: 3 } }] }
          : {}),
        nameProperty: "code",
        roam: !dark,
        ...(national
          ? {
              // Wide enough to show both archipelagos in the East Sea.
              boundingCoords: [
                [101.5, 23.6],
                [117.5, 7.8],
              ],
            }
          : {}),
        label: { show: false },
        itemStyle: { areaColor: dark ? "#2b4560" : "#eeeeee", borderColor: dark ? "#0b1f33" : "#888", borderWidth: 0.5 },
        emphasis: { itemStyle: { areaColor: "#ffe58f" }, label: { show: false } },
      },
      series: [
        { type: "map", geoIndex: 0, data },
        ...(national
          ? [
              {
                type: "scatter",
                coordinateSystem: "geo",
                symbolSize: 6,
                itemStyle: { color: "#b71c1c" },
                label: { show: true, formatter: "{b}", fontSize: dark ? 16 : 12, color: dark ? "#ffccc7" : "#7f0000" },
                tooltip: { formatter: "{b}" },
                data: ARCHIPELAGOS,
              },
            ]
          : []),
      ],
    };
  }, [boundaries.data, result, where, dark]);
  if (!option)
    return (
      <div style={{ height, position: "relative" }}>
        <div className="chart-empty">
          {boundaries.error ? `Không tải được ranh giới: ${boundaries.error.message}` : "Đang tải bản đồ…"}
        </div>
      </div>
    );
  return (
    <EChart
      testId={testId}
      className="map"
      style={{ height, width: "100%" }}
      option={option}
      onClick={(p) => {
        if (p.componentType === "series" && onSelect && p.name && /^\d+$/.test(p.name)) onSelect(p.name);
      }}
    />
  );
}
