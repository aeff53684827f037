import { ArrowDownOutlined, ArrowUpOutlined, MinusOutlined } from "@ant-design/icons";
import { formatNumber } from "@dieuhanh/core";
import { useQuery } from "@tanstack/react-query";
import { Tag, Typography } from "antd";
import { apiGet } from "../../api/client";
import type { AnalyticsComparison, AnalyticsIndicator, AnalyticsPoint, Area } from "../../api/types";

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

/** The mark of a sample figure (số liệu mẫu): generated to show the product, never a real figure. */
export function SampleMark({ show = true }: { show?: boolean }) {
  if (!show) return null;
  return (
    <Tag color="gold" className="sample-mark" title="Số liệu mẫu do hệ thống sinh để minh họa, không phải số liệu thật">
      Mẫu
    </Tag>
  );
}

/**
 * Where a figure comes from (reported, summed, estimated), "Chưa duyệt" when it is (or includes) a figure sent but
 * not yet approved, and "Mẫu" when it is, or includes, a sample figure.
 */
export function SourceTag({ point, sample = true }: { point: AnalyticsPoint | null; sample?: boolean }) {
  if (!point?.source) return null;
  const s = sourceLabels[point.source];
  const coverage = point.coverage ? ` ${point.coverage.reported}/${point.coverage.expected}` : "";
  return (
    <>
      <Tag color={s.color}>{s.text + coverage}</Tag>
      {point.unapproved && (
        <Tag color="orange" title="Số liệu đã gửi, đang chờ duyệt">
          Chưa duyệt
        </Tag>
      )}
      <SampleMark show={sample && !!point.sample} />
    </>
  );
}

/** A change as people read it, with its unit: "+1,2%", "−0,3 điểm %"; empty when there is none. */
export function formatChange(c: AnalyticsComparison | null | undefined): string {
  if (!c || c.change === null) return "";
  return `${c.change > 0 ? "+" : ""}${formatNumber(c.change, 2)}${c.changeUnit === "%" ? "%" : " điểm %"}`;
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
      <Icon /> {formatChange(c)} <Typography.Text type="secondary">{label}</Typography.Text>
    </Typography.Text>
  );
}

/** The overview's tiles draw their sparkline in plain SVG (components/Sparkline.tsx): no chart library there. */
export { Sparkline } from "../../components/Sparkline";

/** An area as people name it: "Cả nước", "Thành phố Cần Thơ", "Phường Cái Khế" — never its code. */
export function useAreaName(area: string): string | undefined {
  const q = useQuery({
    queryKey: ["area", area],
    enabled: area !== "VN",
    staleTime: Infinity,
    queryFn: () => apiGet<Area>(`/api/areas/${encodeURIComponent(area)}`),
  });
  return area === "VN" ? "Cả nước" : q.data?.fullName;
}
