import { looksLikeFormula } from "@dieuhanh/core";
import type { RowError } from "../../errors";
import type { IncomingRow } from "../validation";

/** What a format reader returns: the rows it could read and the problems of the others. */
export interface ReadResult {
  rows: IncomingRow[];
  errors: RowError[];
}

/** Text cells are data, never formulas: a cell a spreadsheet would execute is refused. */
export function checkText(text: string): string | null {
  if (looksLikeFormula(text))
    return `Nội dung '${text.slice(0, 40)}' bắt đầu bằng ký tự công thức (=, +, -, @): không nhận công thức`;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(text)) return "Có ký tự điều khiển không hợp lệ";
  return null;
}

/** Neutralises a text cell going out to a spreadsheet or CSV so that it can never run as a formula. */
export function safeCell(text: string | null): string | null {
  if (text === null) return null;
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}
