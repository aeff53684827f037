import { formatNumber, formatPeriod, parsePeriod } from "@dieuhanh/core";

export interface SparkPoint {
  period: string;
  value: number | null;
}

/** Width of the drawing in its own units; the SVG stretches to its box (the stroke keeps its width). */
const W = 100;
const H = 40;
/** Room above the highest and below the lowest point, so that the line is not cut by the box. */
const PAD = 4;

/** "Tháng 7/2025" for 2025M07; the code itself for a code that is not a period. */
function periodText(code: string): string {
  const p = parsePeriod(code);
  return p ? formatPeriod(p) : code;
}

/** What a screen reader says, and the tooltip: "Diễn biến 12 kỳ: Tháng 1/2026 1.234,5 tỷ đồng; Tháng 2/2026 chưa có số liệu; …". */
export function sparklineLabel(values: SparkPoint[], unit?: string | null): string {
  const u = unit ? ` ${unit}` : "";
  const parts = values.map(
    (v) => `${periodText(v.period)} ${v.value === null ? "chưa có số liệu" : `${formatNumber(v.value, 2)}${u}`}`,
  );
  return `Diễn biến ${formatNumber(values.length)} kỳ: ${parts.join("; ")}`;
}

/** The runs of consecutive known values (a missing period breaks the line rather than drawing through it). */
function runs(points: ({ x: number; y: number } | null)[]): { x: number; y: number }[][] {
  const out: { x: number; y: number }[][] = [];
  let current: { x: number; y: number }[] = [];
  for (const p of points) {
    if (p) current.push(p);
    else if (current.length) {
      out.push(current);
      current = [];
    }
  }
  if (current.length) out.push(current);
  return out;
}

const f = (n: number) => (Math.round(n * 100) / 100).toString();

/**
 * A small line of an indicator's recent periods, drawn as plain SVG (no chart library on the overview):
 * the line, a light area under it and a dot on the latest value; accessible as an image whose label reads
 * every period with its value in Vietnamese number format.
 */
export function Sparkline({
  values,
  unit,
  height = 40,
  color = "#1f5fbf",
}: {
  values: SparkPoint[];
  unit?: string | null;
  height?: number | string;
  color?: string;
}) {
  const known = values.filter((v): v is { period: string; value: number } => v.value !== null && Number.isFinite(v.value));
  const label = sparklineLabel(values, unit);
  if (known.length === 0) return <div style={{ height }} aria-hidden="true" />;
  const min = Math.min(...known.map((v) => v.value));
  const max = Math.max(...known.map((v) => v.value));
  const span = max - min;
  const step = values.length > 1 ? W / (values.length - 1) : 0;
  // One value, or all equal: a level line in the middle.
  const y = (v: number) => (span === 0 ? H / 2 : PAD + ((max - v) / span) * (H - 2 * PAD));
  const points = values.map((v, i) =>
    v.value === null || !Number.isFinite(v.value) ? null : { x: values.length > 1 ? i * step : W / 2, y: y(v.value) },
  );
  const lines = runs(points);
  const last = [...points].reverse().find((p) => p !== null)!;
  return (
    <svg
      className="sparkline"
      role="img"
      aria-label={label}
      viewBox={`0 0 ${W} ${H}`}
      preserveAspectRatio="none"
      style={{ display: "block", width: "100%", height, overflow: "visible" }}
    >
      <title>{label}</title>
      {lines.map((run, i) => {
        const d = run.map((p, j) => `${j ? "L" : "M"}${f(p.x)} ${f(p.y)}`).join("");
        return (
          <g key={i}>
            {run.length > 1 && (
              <path d={`${d}L${f(run.at(-1)!.x)} ${H}L${f(run[0]!.x)} ${H}Z`} fill={color} fillOpacity={0.12} stroke="none" />
            )}
            <path
              d={run.length > 1 ? d : `${d}h0.01`}
              fill="none"
              stroke={color}
              strokeWidth={2}
              strokeLinejoin="round"
              strokeLinecap="round"
              vectorEffect="non-scaling-stroke"
            />
          </g>
        );
      })}
      {/* A zero-length stroke with round caps: a round dot whatever the box's proportions. */}
      <path
        d={`M${f(last.x)} ${f(last.y)}h0`}
        stroke={color}
        strokeWidth={6}
        strokeLinecap="round"
        vectorEffect="non-scaling-stroke"
        data-testid="sparkline-last"
      />
    </svg>
  );
}
