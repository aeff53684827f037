import { ArrowDownOutlined, ArrowUpOutlined, MinusOutlined } from "@ant-design/icons";
import { formatNumber } from "@dieuhanh/core";
import { Tag, Typography } from "antd";
import type { AnalyticsComparison, AnalyticsIndicator, AnalyticsPoint } from "../../api/types";
import { EChart } from "../../components/EChart";

/** The indicators a leader sees first (editable per dashboard). */
export const DEFAULT_TILES = [
  "QG.A.I.1",
  "QG.A.II.1",
  "QG.A.II.3",
  "QG.A.IV.1",
  "QG.A.IV.6",
  "QG.A.IX.1",
  "QG.A.IX.3",
  "QG.A.XI.4",
];

export const sourceLabels: Record<NonNullable<AnalyticsPoint["source"]>, { text: string; color: string }> = {
  reported: { text: "Báo cáo", color: "blue" },
  aggregated: { text: "Cộng dồn", color: "purple" },
  estimated: { text: "Ước tính", color: "orange" },
};

export function SourceTag({ point }: { point: AnalyticsPoint | null }) {
  if (!point?.source) return null;
  const s = sourceLabels[point.source];
  const coverage = point.coverage ? ` ${point.coverage.reported}/${point.coverage.expected}` : "";
  return <Tag color={s.color}>{s.text + coverage}</Tag>;
}

/**
 * A change with an arrow; green when it goes the good way for this indicator (up for revenue, down for
 * prices and incidents), red when it goes the bad way.
 */
export function Change({
  label,
  c,
  indicator,
}: {
  label: string;
  c: AnalyticsComparison | null | undefined;
  indicator: AnalyticsIndicator;
}) {
  if (!c || c.change === null) return null;
  const good = c.change === 0 ? null : c.change > 0 !== indicator.lowerIsBetter;
  const color = good === null ? undefined : good ? "#389e0d" : "#cf1322";
  const Icon = c.change > 0 ? ArrowUpOutlined : c.change < 0 ? ArrowDownOutlined : MinusOutlined;
  return (
    <Typography.Text
      style={{ color, display: "block" }}
      className="change"
      data-good={good === null ? "flat" : good ? "up" : "down"}
    >
      <Icon /> {c.change > 0 ? "+" : ""}
      {formatNumber(c.change, 2)}
      {c.changeUnit === "%" ? "%" : " điểm %"} <Typography.Text type="secondary">{label}</Typography.Text>
    </Typography.Text>
  );
}

export function Sparkline({ values, height = 40 }: { values: { period: string; value: number | null }[]; height?: number }) {
  return (
    <EChart
      style={{ height, width: "100%" }}
      option={{
        animation: false,
        grid: { left: 0, right: 0, top: 4, bottom: 4 },
        xAxis: { type: "category", show: false, data: values.map((v) => v.period) },
        yAxis: { type: "value", show: false, scale: true },
        series: [
          {
            type: "line",
            data: values.map((v) => v.value),
            showSymbol: false,
            smooth: true,
            lineStyle: { width: 2 },
            areaStyle: { opacity: 0.12 },
          },
        ],
      }}
    />
  );
}
