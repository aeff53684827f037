import { MapChart, ScatterChart } from "echarts/charts";
import { GeoComponent, TooltipComponent, TitleComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";

echarts.use([MapChart, ScatterChart, GeoComponent, TooltipComponent, TitleComponent, CanvasRenderer]);

export { echarts };

type Handler = (params: { componentType: string; name: string; data?: unknown }) => void;

/** ECharts in React: one instance per element, resized with its container, disposed on unmount. */
export function EChart({ option, onClick, className, testId }: { option: echarts.EChartsCoreOption; onClick?: Handler; className?: string; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const clickRef = useRef(onClick);
  clickRef.current = onClick;

  useEffect(() => {
    const instance = echarts.init(ref.current!);
    chart.current = instance;
    instance.on("click", (p) => clickRef.current?.(p as Parameters<Handler>[0]));
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(ref.current!);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);

  return <div ref={ref} className={className} data-testid={testId} />;
}
