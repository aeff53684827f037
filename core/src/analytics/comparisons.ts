import {
  parsePeriod,
  previousDecember,
  previousPeriod,
  samePeriodLastYear,
  yearToDateMonths,
  type Period,
} from "../periods/period";
import { isAdditiveUnit } from "../reporting/rules";

/**
 * The comparisons the decisions name, for one period of a series:
 * so với kỳ trước, so với tháng 12 năm trước, so với cùng kỳ năm trước, lũy kế từ đầu năm (and the same span
 * last year), bình quân từ đầu năm so với cùng kỳ, so với kế hoạch/dự toán. A change of a percentage is given in
 * percentage points (điểm phần trăm), of anything else in per cent.
 */
export interface Comparison {
  base: number | null;
  /** Change against the base: % for amounts and levels, percentage points for rates in %. */
  change: number | null;
  changeUnit: "%" | "điểm %";
}

export interface Comparisons {
  previousPeriod: Comparison;
  previousDecember: Comparison | null;
  samePeriodLastYear: Comparison;
  /** Months only: cumulative since January (additive units) against the same span last year. */
  ytdCumulative: { value: number | null; lastYear: number | null; change: number | null } | null;
  /** Months only: average since January against the same span last year. */
  ytdAverage: { value: number | null; lastYear: number | null; change: number | null } | null;
  plan: { target: number | null; percentOfPlan: number | null } | null;
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

export function compare(value: number | null, base: number | null, unit: string | null): Comparison {
  const points = (unit ?? "").trim().startsWith("%");
  if (value === null || base === null) return { base, change: null, changeUnit: points ? "điểm %" : "%" };
  if (points) return { base, change: round(value - base, 2), changeUnit: "điểm %" };
  return { base, change: base === 0 ? null : round(((value - base) / Math.abs(base)) * 100), changeUnit: "%" };
}

export function computeComparisons(
  period: Period,
  unit: string | null,
  valueAt: (periodCode: string) => number | null,
  target: number | null = null,
): Comparisons {
  const value = valueAt(period.code);
  const ytd = (months: Period[], kind: "sum" | "avg") => {
    const vs = months.map((m) => valueAt(m.code));
    if (vs.some((v) => v === null)) return null;
    const sum = (vs as number[]).reduce((s, v) => s + v, 0);
    return kind === "sum" ? sum : sum / vs.length;
  };
  let ytdCumulative: Comparisons["ytdCumulative"] = null;
  let ytdAverage: Comparisons["ytdAverage"] = null;
  if (period.type === "month") {
    const months = yearToDateMonths(period);
    const lastYearMonths = months.map((m) => samePeriodLastYear(m));
    const change = (a: number | null, b: number | null) =>
      a === null || b === null || b === 0 ? null : round(((a - b) / Math.abs(b)) * 100);
    if (isAdditiveUnit(unit)) {
      const a = ytd(months, "sum");
      const b = ytd(lastYearMonths, "sum");
      ytdCumulative = { value: a, lastYear: b, change: change(a, b) };
    }
    const a = ytd(months, "avg");
    const b = ytd(lastYearMonths, "avg");
    ytdAverage = { value: a === null ? null : round(a, 2), lastYear: b === null ? null : round(b, 2), change: change(a, b) };
  }
  const measured = ytdCumulative?.value ?? value;
  return {
    previousPeriod: compare(value, valueAt(previousPeriod(period).code), unit),
    previousDecember: period.type === "month" ? compare(value, valueAt(previousDecember(period).code), unit) : null,
    samePeriodLastYear: compare(value, valueAt(samePeriodLastYear(period).code), unit),
    ytdCumulative,
    ytdAverage,
    plan:
      target === null
        ? null
        : { target, percentOfPlan: measured === null || target === 0 ? null : round((measured / target) * 100) },
  };
}

/** How a value reaches an area that did not report it. */
export type AggregationRule = "sum" | "none";

/** Amounts and counts add up over areas; rates, indices, per-capita figures are never summed nor averaged. */
export function aggregationRule(unit: string | null): AggregationRule {
  return isAdditiveUnit(unit) ? "sum" : "none";
}

/** The periods a comparison may need, so that one query fetches them all. */
export function periodsNeeded(periods: Period[]): string[] {
  const codes = new Set<string>();
  for (const p of periods) {
    codes.add(p.code);
    codes.add(previousPeriod(p).code);
    codes.add(samePeriodLastYear(p).code);
    if (p.type === "month") {
      codes.add(previousDecember(p).code);
      for (const m of yearToDateMonths(p)) {
        codes.add(m.code);
        codes.add(samePeriodLastYear(m).code);
      }
    }
  }
  return [...codes].filter((c) => parsePeriod(c) !== null);
}
