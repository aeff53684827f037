import { isAdditiveUnit } from "../reporting/rules";

/**
 * Progress of a plan target (chỉ tiêu) from reported figures, and its status:
 * - measured: the annual figure when there is one; otherwise, for a quantity that adds up over the year
 *   (money, counts) the sum of the months reported so far (lũy kế), and for a rate or a level the latest month;
 * - projected to year end: an annual figure stands; a cumulative quantity is scaled to 12 months
 *   (sum × 12 ÷ months reported); a rate or level follows the least-squares trend of its months to December
 *   (the latest value when there are fewer than three);
 * - status: achieved (the year is complete — an annual figure or December — and the target is met),
 *   on_track (the projection meets it), at_risk (the projection misses by at most 5% of the target),
 *   off_track (it misses by more); no_target when no value is set, no_data without figures.
 */
export type TargetOperator = ">=" | "<=" | "=" | "range";
export type TargetStatus = "achieved" | "on_track" | "at_risk" | "off_track" | "no_target" | "no_data";

export const targetStatusLabels: Record<TargetStatus, string> = {
  achieved: "Đã đạt",
  on_track: "Dự báo đạt",
  at_risk: "Có nguy cơ không đạt",
  off_track: "Dự báo không đạt",
  no_target: "Chưa nhập chỉ tiêu",
  no_data: "Chưa có số liệu",
};

export const AT_RISK_TOLERANCE = 0.05;

export interface TargetFigures {
  unit: string | null;
  /** The year's figure (period "2025"), if reported. */
  annual: number | null;
  /** Monthly figures of the target year, by month number 1–12. */
  months: { month: number; value: number }[];
}

export interface TargetProgress {
  status: TargetStatus;
  measured: number | null;
  measuredAs: "annual" | "cumulative" | "latest" | null;
  projected: number | null;
  /** Measured as a share of the target, in % (for ≥ and = targets); null when not meaningful. */
  percentOfTarget: number | null;
  monthsReported: number;
}

function meets(value: number, op: TargetOperator, target: number, max: number | null): boolean {
  switch (op) {
    case ">=":
      return value >= target;
    case "<=":
      return value <= target;
    case "=":
      return Math.abs(value - target) <= Math.max(Math.abs(target) * 0.01, 1e-9);
    case "range":
      return value >= target && value <= (max ?? target);
  }
}

/** How far `value` misses the target, as a share of the target (0 when met). */
function shortfall(value: number, op: TargetOperator, target: number, max: number | null): number {
  if (meets(value, op, target, max)) return 0;
  const scale = Math.max(Math.abs(target), 1e-9);
  if (op === ">=") return (target - value) / scale;
  if (op === "<=") return (value - target) / scale;
  if (op === "range")
    return value < target ? (target - value) / scale : (value - (max ?? target)) / Math.max(Math.abs(max ?? target), 1e-9);
  return Math.abs(value - target) / scale;
}

function trendToDecember(months: { month: number; value: number }[]): number {
  if (months.length < 3) return months[months.length - 1]!.value;
  const n = months.length;
  const mx = months.reduce((s, m) => s + m.month, 0) / n;
  const my = months.reduce((s, m) => s + m.value, 0) / n;
  const sxx = months.reduce((s, m) => s + (m.month - mx) ** 2, 0);
  const slope = sxx === 0 ? 0 : months.reduce((s, m) => s + (m.month - mx) * (m.value - my), 0) / sxx;
  return my + slope * (12 - mx);
}

export function targetProgress(
  figures: TargetFigures,
  op: TargetOperator,
  target: number | null,
  max: number | null = null,
): TargetProgress {
  const months = [...figures.months].sort((a, b) => a.month - b.month);
  const additive = isAdditiveUnit(figures.unit);
  let measured: number | null = null;
  let measuredAs: TargetProgress["measuredAs"] = null;
  let projected: number | null = null;
  let complete = false;
  if (figures.annual !== null) {
    measured = projected = figures.annual;
    measuredAs = "annual";
    complete = true;
  } else if (months.length) {
    if (additive) {
      measured = months.reduce((s, m) => s + m.value, 0);
      measuredAs = "cumulative";
      projected = (measured * 12) / months.length;
    } else {
      measured = months[months.length - 1]!.value;
      measuredAs = "latest";
      projected = trendToDecember(months);
    }
    complete = months.some((m) => m.month === 12);
    if (complete) projected = measured;
  }
  const round = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);
  const base = { measured: round(measured), measuredAs, projected: round(projected), monthsReported: months.length };
  if (target === null) return { ...base, status: "no_target", percentOfTarget: null };
  if (measured === null || projected === null) return { ...base, status: "no_data", percentOfTarget: null };
  const percentOfTarget = (op === ">=" || op === "=") && target !== 0 ? Math.round((measured / target) * 1000) / 10 : null;
  if (complete && meets(measured, op, target, max)) return { ...base, status: "achieved", percentOfTarget };
  const miss = shortfall(projected, op, target, max);
  const status: TargetStatus = complete
    ? miss === 0
      ? "achieved"
      : "off_track"
    : miss === 0
      ? "on_track"
      : miss <= AT_RISK_TOLERANCE
        ? "at_risk"
        : "off_track";
  return { ...base, status, percentOfTarget };
}

/**
 * Whether lower is better for an indicator, from its name and unit: prices and inflation, unemployment,
 * poverty rates, farm labour share, damage, and incidents counted in cases (vụ: fires, accidents, poisonings).
 */
export function lowerIsBetter(name: string, fold: (s: string) => string, unit: string | null = null): boolean {
  if (unit === "vụ") return true;
  const n = fold(name);
  return (
    /gia tieu dung|cpi|that nghiep|ty le ho ngheo|lao dong nong nghiep|ty le ngheo|tai nan|toi pham|o nhiem|lam phat|thiet hai|dich benh/.test(
      n,
    ) && !/muc giam/.test(n)
  );
}
