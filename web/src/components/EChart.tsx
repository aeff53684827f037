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

type Axis = { type?: string; axisLabel?: Record<string, unknown> };

/** Numbers on value axes and in tooltips written the Vietnamese way (1.234,5), unless a chart says otherwise. */
function vietnameseNumbers(option: echarts.EChartsCoreOption): echarts.EChartsCoreOption {
  const fix = (axis: unknown) => {
    const list = (Array.isArray(axis) ? axis : axis ? [axis] : []) as Axis[];
    return list.map((a) =>
      a.type === "value" && !a.axisLabel?.formatter
        ? { ...a, axisLabel: { ...a.axisLabel, formatter: (v: number) => formatNumber(v) } }
        : a,
    );
  };
  const o = option as Record<string, unknown>;
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
 * SVG rendering keeps maps and labels sharp on wall screens and phones alike.
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

  useEffect(() => {
    chart.current?.setOption(vietnameseNumbers(option), { notMerge: true });
  }, [option]);

  return <div ref={ref} className={className} data-testid={testId} style={style} />;
}
