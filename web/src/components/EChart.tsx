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
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);

  return <div ref={ref} className={className} data-testid={testId} style={style} />;
}
