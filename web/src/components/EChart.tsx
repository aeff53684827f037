import { BarChart, LineChart, MapChart, ScatterChart } from "echarts/charts";
import {
  GeoComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from "echarts/components";
import { formatNumber } from "@dieuhanh/core";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import { useEffect, useRef, type CSSProperties } from "react";

echarts.use([
  MapChart,
  ScatterChart,
  LineChart,
  BarChart,
  GeoComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  TitleComponent,
  VisualMapComponent,
  SVGRenderer,
]);

export { echarts };

type Axis = { type?: string; axisLabel?: Record<string, unknown>; scale?: boolean; min?: unknown };
type Series = { type?: string; data?: unknown[] };

const asList = <T,>(x: unknown): T[] => (Array.isArray(x) ? x : x ? [x] : []) as T[];

/** A data item holds a number: 5, { value: 5 }, [x, 5]. */
function holdsNumber(item: unknown): boolean {
  if (typeof item === "number") return Number.isFinite(item);
  if (Array.isArray(item)) return item.some(holdsNumber);
  if (item && typeof item === "object" && "value" in item) return holdsNumber((item as { value: unknown }).value);
  return false;
}

/**
 * Whether a chart has anything to draw. Maps always do (the boundaries are information in themselves);
 * line and bar charts whose every value is missing would show bare axes, so they say so instead.
 */
export function chartHasData(option: echarts.EChartsCoreOption): boolean {
  const series = asList<Series>((option as { series?: unknown }).series);
  if (series.length === 0) return false;
  if (series.some((s) => s.type === "map" || s.type === "scatter" || s.type === "pie")) return true;
  return series.some((s) => (s.data ?? []).some(holdsNumber));
}

/**
 * The house rules of every chart: numbers on value axes and in tooltips written the Vietnamese way
 * (1.234,5) unless a chart says otherwise, and bars start at zero (a bar's length is its value, so the
 * value axis of a chart with bars always includes zero).
 */
function houseRules(option: echarts.EChartsCoreOption): echarts.EChartsCoreOption {
  const o = option as Record<string, unknown>;
  const bars = asList<Series>(o.series).some((s) => s.type === "bar");
  const fix = (axis: unknown) =>
    asList<Axis>(axis).map((a) => {
      if (a.type !== "value") return a;
      const labelled = a.axisLabel?.formatter
        ? a
        : { ...a, axisLabel: { ...a.axisLabel, formatter: (v: number) => formatNumber(v) } };
      // Without `scale` ECharts always takes zero into the axis (negative bars still show below it).
      return bars ? { ...labelled, scale: false, min: a.min === "dataMin" ? undefined : a.min } : labelled;
    });
  const tooltip = o.tooltip as Record<string, unknown> | undefined;
  return {
    ...o,
    ...(o.xAxis ? { xAxis: fix(o.xAxis) } : {}),
    ...(o.yAxis ? { yAxis: fix(o.yAxis) } : {}),
    ...(tooltip && !tooltip.formatter && !tooltip.valueFormatter
      ? { tooltip: { ...tooltip, valueFormatter: (v: number) => formatNumber(v, 2) } }
      : {}),
  };
}

type Handler = (params: { componentType: string; name: string; data?: unknown }) => void;

declare global {
  interface Window {
    /** Chart instances by test id, so browser tests can turn map coordinates into pixels. */
    __charts?: Record<string, echarts.ECharts>;
  }
}

/**
 * ECharts in React: one instance per element, resized with its container, disposed on unmount.
 * SVG rendering keeps maps and labels sharp on wall screens and phones alike. A chart with nothing to
 * draw says "Chưa có số liệu" instead of showing bare axes.
 */
export function EChart({
  option,
  onClick,
  className,
  testId,
  style,
}: {
  option: echarts.EChartsCoreOption;
  onClick?: Handler;
  className?: string;
  testId?: string;
  style?: CSSProperties;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const clickRef = useRef(onClick);
  clickRef.current = onClick;

  useEffect(() => {
    const instance = echarts.init(ref.current!, undefined, { renderer: "svg" });
    chart.current = instance;
    if (testId) window.__charts = { ...window.__charts, [testId]: instance };
    instance.on("click", (p) => clickRef.current?.(p as Parameters<Handler>[0]));
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(ref.current!);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- one instance for the element's lifetime
  }, []);

  const empty = !chartHasData(option);
  useEffect(() => {
    if (empty) chart.current?.clear();
    else chart.current?.setOption(houseRules(option), { notMerge: true });
  }, [option, empty]);

  return (
    <div className={className} data-testid={testId} style={{ position: "relative", ...style }}>
      <div ref={ref} style={{ position: "absolute", inset: 0 }} />
      {empty && (
        <div className="chart-empty" data-testid={testId ? `${testId}-empty` : undefined}>
          Chưa có số liệu
        </div>
      )}
    </div>
  );
}
