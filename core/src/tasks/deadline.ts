import { collapseWhitespace, foldVietnamese } from "../text/fold";

/**
 * A task deadline (thời hạn hoàn thành) as the appendices write it, parsed.
 * - date: a day, or a month/quarter/year whose last day is the deadline ("Tháng 02/2025" → 2025-02-28);
 * - range: "2024 - 2025 (theo lộ trình …)" → 2024-01-01 … 2025-12-31, the note kept;
 * - recurring: "Thường xuyên" (ongoing; progress is reported on a cadence set later);
 * - on_request: "Khi Trung ương yêu cầu", "Theo yêu cầu của Văn phòng Chính phủ" (due when asked);
 * - unknown: text the parser could not read, kept as written for a person to decide.
 */
export type Deadline =
  | { kind: "date"; precision: "day" | "month" | "quarter" | "half_year" | "year"; dueDate: string; note: string | null }
  | { kind: "range"; from: string; to: string; note: string | null }
  | { kind: "recurring"; note: string | null }
  | { kind: "on_request"; note: string | null }
  | { kind: "unknown"; note: string | null };

const romanQuarters: Record<string, number> = { i: 1, ii: 2, iii: 3, iv: 4 };

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** Last day of a month, as YYYY-MM-DD. */
export function lastDayOfMonth(year: number, month: number): string {
  const day = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${pad(month)}-${pad(day)}`;
}

function validDate(year: number, month: number, day: number): string | null {
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return `${year}-${pad(month)}-${pad(day)}`;
}

/** Splits "2024 - 2025 (theo lộ trình …)" into the main text and the parenthesised note. */
function splitNote(text: string): { main: string; note: string | null } {
  const m = /^(.*?)\s*\((.*)\)\s*$/s.exec(text);
  if (!m) return { main: text, note: null };
  return { main: m[1]!.trim(), note: collapseWhitespace(m[2]!) };
}

export function parseDeadline(asWritten: string | null | undefined): Deadline {
  if (!asWritten || !asWritten.trim()) return { kind: "unknown", note: null };
  const { main, note } = splitNote(collapseWhitespace(asWritten));
  const t = foldVietnamese(main).replace(/^(truoc|trong) /, "");

  if (/^thuong xuyen/.test(t) || /^hang (nam|quy|thang)$/.test(t))
    return { kind: "recurring", note: note ?? (t === "thuong xuyen" ? null : main) };

  if (/^theo yeu cau\b/.test(t) || /^khi .*yeu cau/.test(t)) return { kind: "on_request", note: collapseWhitespace(asWritten) };

  let m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t) ?? /^ngay (\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t);
  if (m) {
    const date = validDate(Number(m[3]), Number(m[2]), Number(m[1]));
    if (date) return { kind: "date", precision: "day", dueDate: date, note };
  }
  m = /^thang (\d{1,2}) ?\/ ?(\d{4})$/.exec(t) ?? /^thang (\d{1,2}) nam (\d{4})$/.exec(t);
  if (m) {
    const month = Number(m[1]);
    if (month >= 1 && month <= 12)
      return { kind: "date", precision: "month", dueDate: lastDayOfMonth(Number(m[2]), month), note };
  }
  m = /^quy (i|ii|iii|iv|[1-4]) ?(?:\/|nam) ?(\d{4})$/.exec(t);
  if (m) {
    const q = romanQuarters[m[1]!] ?? Number(m[1]);
    return { kind: "date", precision: "quarter", dueDate: lastDayOfMonth(Number(m[2]), q * 3), note };
  }
  m = /^6 thang (dau|cuoi) nam (\d{4})$/.exec(t);
  if (m) {
    const month = m[1] === "dau" ? 6 : 12;
    return { kind: "date", precision: "half_year", dueDate: lastDayOfMonth(Number(m[2]), month), note };
  }
  m = /^(?:nam )?(\d{4})$/.exec(t);
  if (m) return { kind: "date", precision: "year", dueDate: `${m[1]}-12-31`, note };
  m = /^(?:nam |giai doan )?(\d{4}) ?- ?(\d{4})$/.exec(t);
  if (m && Number(m[1]) <= Number(m[2])) return { kind: "range", from: `${m[1]}-01-01`, to: `${m[2]}-12-31`, note };
  m = /^(?:tu )?thang (\d{1,2})\/(\d{4}) ?(?:-|den) ?thang (\d{1,2})\/(\d{4})$/.exec(t);
  if (m) return { kind: "range", from: `${m[2]}-${pad(Number(m[1]))}-01`, to: lastDayOfMonth(Number(m[4]), Number(m[3])), note };
  return { kind: "unknown", note: collapseWhitespace(asWritten) };
}
