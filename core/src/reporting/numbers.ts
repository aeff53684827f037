/**
 * Numbers typed by people. Vietnamese writes 1.234,5 (dot groups thousands, comma marks decimals);
 * systems and English write 1,234.5. A reading that could mean two different numbers is refused with
 * a message saying why, never guessed: "1.234" is 1234 to a Vietnamese clerk and 1.234 to a machine.
 */
export type NumberStyle =
  /** Web form and spreadsheets filled by people: 1.234,5 — dots group thousands. */
  | "vi"
  /** Machine exchange formats (SDMX-CSV, DHIS2): 1234.5 only. */
  | "machine"
  /** Unknown origin (CSV uploads): both styles, refusing what is ambiguous. */
  | "auto";

export type ParsedNumber = { ok: true; value: number } | { ok: false; message: string };

const fail = (message: string): ParsedNumber => ({ ok: false, message });
const ok = (value: number): ParsedNumber => (Number.isFinite(value) ? { ok: true, value } : fail("Số quá lớn"));

export function parseNumber(input: string, style: NumberStyle): ParsedNumber {
  const text = input.replace(/[\s\u00a0\u202f]/g, "");
  if (text === "") return fail("Ô trống: nhập một số");
  if (/%$/.test(text)) return fail(`'${input}': bỏ ký hiệu %, chỉ nhập số (đơn vị đã là %)`);
  if (!/^[-+]?[\d.,]+$/.test(text) || !/\d/.test(text)) return fail(`'${input}' không phải là số`);
  const sign = text.startsWith("-") ? -1 : 1;
  const body = text.replace(/^[-+]/, "");
  if (/^\d+$/.test(body)) return ok(sign * Number(body));

  const viGrouped = /^\d{1,3}(\.\d{3})+(,\d+)?$/; // 1.234 or 1.234,5
  const viDecimal = /^\d+,\d+$/; // 1234,5
  const enGrouped = /^\d{1,3}(,\d{3})+(\.\d+)?$/; // 1,234 or 1,234.5
  const enDecimal = /^\d+\.\d+$/; // 1234.5
  const fromVi = (s: string) => Number(s.replace(/\./g, "").replace(",", "."));
  const fromEn = (s: string) => Number(s.replace(/,/g, ""));

  if (style === "machine") {
    if (enDecimal.test(body)) return ok(sign * Number(body));
    return fail(`'${input}' không đúng định dạng số máy (dùng dấu chấm thập phân, không phân tách hàng nghìn, ví dụ 1234.5)`);
  }
  if (style === "vi") {
    if (viGrouped.test(body) || viDecimal.test(body)) return ok(sign * fromVi(body));
    return fail(`'${input}' không đúng cách viết số (ví dụ 1.234,5: dấu chấm phân tách hàng nghìn, dấu phẩy thập phân)`);
  }
  // auto: an unambiguous reading in either style, otherwise a precise refusal.
  const ambiguous = /^\d{1,3}[.,]\d{3}$/.test(body);
  if (ambiguous)
    return fail(
      `'${input}' có thể hiểu là ${fromVi(body)} hoặc ${fromEn(body.replace(",", "."))}: ghi rõ, ví dụ ${fromVi(body)} hoặc ${body.replace(/[.,]/, ",")}0`,
    );
  if (viGrouped.test(body) || viDecimal.test(body)) return ok(sign * fromVi(body));
  if (enGrouped.test(body) || enDecimal.test(body)) return ok(sign * fromEn(body));
  return fail(`'${input}' không phải là số (ví dụ 1.234,5 hoặc 1234.5)`);
}

/** Half of a UTF-16 surrogate pair without its other half: no character at all, refused by UTF-8 and PostgreSQL. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a text value or comment is refused, whatever channel brought it (form, JSON, Excel, CSV, SDMX,
 * DHIS2), or null: text is data, never a formula a spreadsheet would run once exported; and it holds
 * only real characters (no NUL or other control characters, no half surrogate pairs).
 */
export function textCellProblem(text: string): string | null {
  if (looksLikeFormula(text))
    return `Nội dung '${text.slice(0, 40)}' bắt đầu bằng ký tự công thức (=, +, -, @): không nhận công thức`;
  return textCharacterProblem(text);
}

/** Characters no stored text may hold: NUL and other control characters, half surrogate pairs. */
export function textCharacterProblem(text: string): string | null {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return "Có ký tự điều khiển không hợp lệ";
  if (LONE_SURROGATE.test(text)) return "Có ký tự không hợp lệ (nửa cặp mã UTF-16)";
  return null;
}

/** A cell that a spreadsheet would run as a formula (CSV/formula injection): =, +, -, @, tab, CR first. */
export function looksLikeFormula(text: string): boolean {
  return /^[=+\-@\t\r]/.test(text) && !/^[-+]?[\d.,\s]+$/.test(text);
}
