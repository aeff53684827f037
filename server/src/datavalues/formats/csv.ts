import { parseNumber, foldVietnamese, type NumberStyle } from "@dieuhanh/core";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import type { RowError } from "../../errors";
import type { IncomingRow } from "../validation";
import { locate } from "../validation";
import { checkText, type ReadResult } from "./text";

/**
 * The product's own CSV: one figure a line. Headers in English or Vietnamese (any case, any accents):
 *   indicator | Mã chỉ số, area | Mã địa bàn, period | Kỳ, disaggregation | Phân tổ (optional),
 *   value | Giá trị, comment | Ghi chú (optional). Delimiter "," or ";" (Excel in Vietnamese locale).
 * Numbers are read in either style, refusing the ambiguous (see core/src/reporting/numbers.ts).
 */
const headerNames: Record<string, string[]> = {
  indicator: ["indicator", "ma chi so", "chi so"],
  area: ["area", "ma dia ban", "dia ban", "ma don vi hanh chinh"],
  period: ["period", "ky", "ky bao cao"],
  disaggregation: ["disaggregation", "phan to"],
  value: ["value", "gia tri", "so lieu"],
  comment: ["comment", "ghi chu"],
  unit: ["unit", "don vi", "don vi tinh"],
};
const required = ["indicator", "area", "period", "value"];

export function parseCsvTable(text: string): { header: string[]; records: string[][] } | { error: string } {
  const body = text.replace(/^\uFEFF/, "");
  const firstLine = body.split(/\r?\n/, 1)[0] ?? "";
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ";" : ",";
  try {
    const records = parse(body, { delimiter, relax_column_count: false, skip_empty_lines: true, bom: true }) as string[][];
    if (records.length === 0) return { error: "Tệp CSV trống" };
    return { header: records[0]!.map((h) => h.trim()), records: records.slice(1) };
  } catch (e) {
    return { error: `Không đọc được tệp CSV: ${(e as Error).message}` };
  }
}

export function readCsv(text: string, style: NumberStyle = "auto"): ReadResult {
  const table = parseCsvTable(text);
  if ("error" in table) return { rows: [], errors: [{ row: 0, field: "file", message: table.error }] };
  const index: Record<string, number> = {};
  table.header.forEach((h, i) => {
    const key = foldVietnamese(h).trim();
    for (const [field, names] of Object.entries(headerNames)) if (names.includes(key)) index[field] = i;
  });
  const missing = required.filter((f) => index[f] === undefined);
  if (missing.length)
    return {
      rows: [],
      errors: [
        { row: 1, field: "header", message: `Thiếu cột: ${missing.join(", ")} (dòng tiêu đề: ${table.header.join(", ")})` },
      ],
    };
  const rows: IncomingRow[] = [];
  const errors: RowError[] = [];
  table.records.forEach((rec, i) => {
    const at = { row: i + 2, columns: Object.fromEntries(Object.entries(index).map(([f, c]) => [f, table.header[c]!])) };
    const cell = (f: string) => (index[f] === undefined ? "" : (rec[index[f]!] ?? "").trim());
    const rowErrors: RowError[] = [];
    for (const f of Object.keys(headerNames)) {
      const problem = checkText(cell(f));
      if (problem) rowErrors.push(locate(at, f, problem));
    }
    const n = parseNumber(cell("value"), style);
    if (!n.ok && !rowErrors.some((e) => e.field === "value")) rowErrors.push(locate(at, "value", n.message));
    if (rowErrors.length) {
      errors.push(...rowErrors);
      return;
    }
    rows.push({
      at,
      indicator: cell("indicator"),
      area: cell("area"),
      period: cell("period"),
      disaggregation: cell("disaggregation"),
      value: n.ok ? n.value : null,
      valueText: null,
      comment: cell("comment") || null,
      action: "upsert",
      unit: cell("unit") || null,
    });
  });
  return { rows, errors };
}

export function writeCsv(records: (string | number | null)[][], header: string[]): string {
  return stringify([header, ...records.map((r) => r.map((c) => (c === null ? "" : c)))], { record_delimiter: "windows" });
}
