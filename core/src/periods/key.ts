import { parsePeriod } from "./period";

const offsets = { year: 0, half_year: 100, quarter: 200, month: 300, week: 400, day: 500 } as const;

/**
 * A period code as a sortable integer, the read model's period key (docs/decisions/0011):
 * year × 1000 + t, with t = 0 for the year, 100 + n for half-year n, 200 + n for quarter n, 300 + n for
 * month n, 400 + n for ISO week n (of the ISO year the code names) and 500 + the day of the year for a day.
 * 2025 → 2025000, 2025S2 → 2025102, 2025Q3 → 2025203, 2025M07 → 2025307, 2025W31 → 2025431,
 * 20250715 → 2025696. The database's `period_key(text)` computes the same. Null for what is not a period code.
 */
export function periodKey(code: string): number | null {
  const p = parsePeriod(code);
  if (!p) return null;
  return p.year * 1000 + offsets[p.type] + p.index;
}

/** The year a period key falls in: its figures' partition of `figure_facts`. */
export const periodKeyYear = (key: number) => Math.floor(key / 1000);

const pad = (n: number) => String(n).padStart(2, "0");

/** The period code of a period key (the inverse of `periodKey`). */
export function periodFromKey(key: number): string {
  const y = Math.floor(key / 1000);
  const t = key % 1000;
  if (t === 0) return String(y);
  if (t < 200) return `${y}S${t - 100}`;
  if (t < 300) return `${y}Q${t - 200}`;
  if (t < 400) return `${y}M${pad(t - 300)}`;
  if (t < 500) return `${y}W${pad(t - 400)}`;
  const d = new Date(Date.UTC(y, 0, t - 500));
  return `${y}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
}
