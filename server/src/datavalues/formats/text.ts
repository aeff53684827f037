import { looksLikeFormula } from "@dieuhanh/core";
import type { RowError } from "../../errors";
import type { IncomingRow, Warning } from "../validation";

/** What a format reader returns: the rows it could read and the problems of the others. */
export interface ReadResult {
  rows: IncomingRow[];
  /** The first problems found (at most `importLimits.listedErrors`). */
  errors: RowError[];
  /** How many problems there were in all, when more than `errors` lists. */
  errorCount?: number;
  /** Rows deliberately left out, e.g. sample figures in a re-imported export. */
  warnings?: Warning[];
}

/** Text cells are data, never formulas: a cell a spreadsheet would execute is refused. */
export function checkText(text: string): string | null {
  if (looksLikeFormula(text))
    return `Nội dung '${text.slice(0, 40)}' bắt đầu bằng ký tự công thức (=, +, -, @): không nhận công thức`;
  return controlCharacterProblem(text);
}

/**
 * Neutralises a text cell going out to a spreadsheet or CSV so that it can never run as a formula:
 * a leading apostrophe, the spreadsheet convention for "literal text". Reversible by `literalText`
 * (text that already starts with apostrophes before a formula character gets one more).
 */
export function safeCell(text: string | null): string | null {
  if (text === null) return null;
  return /^'*[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/**
 * Reads a text cell coming in from an exchange file: an apostrophe before a formula character marks
 * literal text (what `safeCell` wrote, or what a person typed to say "this is text"), and is taken off.
 * Returns the text and whether it was so marked (then it is data, not a formula).
 */
export function literalText(cell: string): { text: string; literal: boolean } {
  return /^'+[=+\-@\t\r]/.test(cell) ? { text: cell.slice(1), literal: true } : { text: cell, literal: false };
}

/** `checkText` for an incoming cell that may carry the literal-text apostrophe; the text as stored. */
export function readText(cell: string): { text: string; problem: string | null } {
  const { text, literal } = literalText(cell);
  // Literal text may start like a formula; it may still not hold control characters.
  return { text, problem: literal ? controlCharacterProblem(text) : checkText(text) };
}

function controlCharacterProblem(text: string): string | null {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(text) ? "Có ký tự điều khiển không hợp lệ" : null;
}
