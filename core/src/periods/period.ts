import { lastDayOfMonth } from "../tasks/deadline";
import type { PeriodType } from "./frequency";

/**
 * Reporting periods (kỳ báo cáo), one canonical code each:
 *   2025 (year) · 2025S1 (first half) · 2025Q3 · 2025M07 · 2025W31 (ISO week) · 20250715 (day).
 * Readable, sortable within a type, and close to DHIS2/SDMX practice (see docs/decisions/0004).
 */
export interface Period {
  code: string;
  type: Exclude<PeriodType, "hour" | "nine_months" | "ad_hoc">;
  year: number;
  /** Half 1–2, quarter 1–4, month 1–12, ISO week 1–53, or day of year; 0 for a year. */
  index: number;
  /** First and last day, ISO dates. */
  start: string;
  end: string;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");
const iso = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;

/** Monday of ISO week 1 of `year`. */
function isoWeekOneMonday(year: number): Date {
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const day = jan4.getUTCDay() || 7;
  return new Date(Date.UTC(year, 0, 4 - day + 1));
}

function weeksInYear(year: number): number {
  const next = isoWeekOneMonday(year + 1).getTime();
  return Math.round((next - isoWeekOneMonday(year).getTime()) / (7 * 86_400_000));
}

/** Parses a canonical period code; null when it is not one. */
export function parsePeriod(code: string): Period | null {
  let m = /^(\d{4})$/.exec(code);
  if (m) {
    const y = Number(m[1]);
    return { code, type: "year", year: y, index: 0, start: `${y}-01-01`, end: `${y}-12-31` };
  }
  m = /^(\d{4})S([12])$/.exec(code);
  if (m) {
    const y = Number(m[1]);
    const h = Number(m[2]);
    return { code, type: "half_year", year: y, index: h, start: `${y}-${pad(h * 6 - 5)}-01`, end: lastDayOfMonth(y, h * 6) };
  }
  m = /^(\d{4})Q([1-4])$/.exec(code);
  if (m) {
    const y = Number(m[1]);
    const q = Number(m[2]);
    return { code, type: "quarter", year: y, index: q, start: `${y}-${pad(q * 3 - 2)}-01`, end: lastDayOfMonth(y, q * 3) };
  }
  m = /^(\d{4})M(0[1-9]|1[0-2])$/.exec(code);
  if (m) {
    const y = Number(m[1]);
    const mo = Number(m[2]);
    return { code, type: "month", year: y, index: mo, start: `${y}-${pad(mo)}-01`, end: lastDayOfMonth(y, mo) };
  }
  m = /^(\d{4})W(0[1-9]|[1-4]\d|5[0-3])$/.exec(code);
  if (m) {
    const y = Number(m[1]);
    const w = Number(m[2]);
    if (w > weeksInYear(y)) return null;
    const start = new Date(isoWeekOneMonday(y).getTime() + (w - 1) * 7 * 86_400_000);
    const end = new Date(start.getTime() + 6 * 86_400_000);
    return { code, type: "week", year: y, index: w, start: iso(start), end: iso(end) };
  }
  m = /^(\d{4})(\d{2})(\d{2})$/.exec(code);
  if (m) {
    const y = Number(m[1]);
    const d = new Date(Date.UTC(y, Number(m[2]) - 1, Number(m[3])));
    if (d.getUTCFullYear() !== y || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) return null;
    const dayOfYear = Math.round((d.getTime() - Date.UTC(y, 0, 1)) / 86_400_000) + 1;
    return { code, type: "day", year: y, index: dayOfYear, start: iso(d), end: iso(d) };
  }
  return null;
}

const roman = ["", "I", "II", "III", "IV"];

/** Vietnamese label: "Năm 2025", "6 tháng đầu năm 2025", "Quý III/2025", "Tháng 7/2025", "Tuần 31/2025", "15/07/2025". */
export function formatPeriod(period: Period): string {
  switch (period.type) {
    case "year":
      return `Năm ${period.year}`;
    case "half_year":
      return `6 tháng ${period.index === 1 ? "đầu" : "cuối"} năm ${period.year}`;
    case "quarter":
      return `Quý ${roman[period.index]}/${period.year}`;
    case "month":
      return `Tháng ${period.index}/${period.year}`;
    case "week":
      return `Tuần ${period.index}/${period.year}`;
    case "day": {
      const [y, mo, d] = period.start.split("-");
      return `${d}/${mo}/${y}`;
    }
  }
}

function fromParts(type: Period["type"], year: number, index: number): Period {
  const code =
    type === "year"
      ? `${year}`
      : type === "half_year"
        ? `${year}S${index}`
        : type === "quarter"
          ? `${year}Q${index}`
          : type === "month"
            ? `${year}M${pad(index)}`
            : type === "week"
              ? `${year}W${pad(index)}`
              : "";
  if (type === "day") {
    const d = new Date(Date.UTC(year, 0, index));
    return parsePeriod(`${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`)!;
  }
  return parsePeriod(code)!;
}

const periodsPerYear: Record<Exclude<Period["type"], "week" | "day">, number> = { year: 1, half_year: 2, quarter: 4, month: 12 };

/** The period before (so với kỳ trước). */
export function previousPeriod(p: Period): Period {
  if (p.type === "year") return fromParts("year", p.year - 1, 0);
  if (p.type === "day") {
    const d = new Date(Date.parse(p.start) - 86_400_000);
    return parsePeriod(`${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`)!;
  }
  if (p.type === "week")
    return p.index > 1 ? fromParts("week", p.year, p.index - 1) : fromParts("week", p.year - 1, weeksInYear(p.year - 1));
  return p.index > 1 ? fromParts(p.type, p.year, p.index - 1) : fromParts(p.type, p.year - 1, periodsPerYear[p.type]);
}

/** The same period of the previous year (so với cùng kỳ năm trước); 29/02 maps to 28/02. */
export function samePeriodLastYear(p: Period): Period {
  if (p.type === "day") {
    const [, mo, d] = p.start.split("-").map(Number) as [number, number, number];
    const day = Math.min(d, new Date(Date.UTC(p.year - 1, mo, 0)).getUTCDate());
    return parsePeriod(`${p.year - 1}${pad(mo)}${pad(day)}`)!;
  }
  if (p.type === "week") return fromParts("week", p.year - 1, Math.min(p.index, weeksInYear(p.year - 1)));
  return fromParts(p.type, p.year - 1, p.index);
}

/** December of the previous year (so với tháng 12 năm trước), for monthly figures. */
export function previousDecember(p: Period): Period {
  return fromParts("month", p.year - 1, 12);
}

/** The months from January to the end of `p` (lũy kế từ đầu năm), as month periods. */
export function yearToDateMonths(p: Period): Period[] {
  const lastMonth = Number(p.end.slice(5, 7));
  const endYear = Number(p.end.slice(0, 4));
  return Array.from({ length: lastMonth }, (_, i) => fromParts("month", endYear, i + 1));
}

/** Every period of `type` from `from` to `to`, inclusive. */
export function periodsBetween(from: Period, to: Period): Period[] {
  if (from.type !== to.type) throw new Error("periodsBetween needs two periods of the same type");
  const result: Period[] = [];
  for (let cur = to; cur.start >= from.start; cur = previousPeriod(cur)) {
    result.unshift(cur);
    if (result.length > 100_000) throw new Error("range too long");
  }
  return result;
}
