import { parseNumber, foldVietnamese, type NumberStyle } from "@dieuhanh/core";
import { parse } from "csv-parse";
import { stringify } from "csv-stringify/sync";
import type { RowError } from "../../errors";
import type { IncomingRow } from "../validation";
import { locate } from "../validation";
import { ErrorList, importLimits, readingBudget, tooManyRows, yieldToEventLoop } from "./limits";
import { readText, type ReadResult } from "./text";

/**
 * The product's own CSV: one figure a line. Headers in English or Vietnamese (any case, any accents):
 *   indicator | Mã chỉ số, area | Mã địa bàn, period | Kỳ, disaggregation | Phân tổ (optional),
 *   value | Giá trị, comment | Ghi chú (optional), sample | Số liệu mẫu (optional: rows marked as
 *   sample figures are left out, with a warning). Delimiter "," or ";" (Excel in Vietnamese locale).
 * Numbers are read in either style, refusing the ambiguous (see core/src/reporting/numbers.ts); a value
 * that is not a number is kept as text for textual indicators. Text starting with ' before a formula
 * character is literal text (what the export writes).
 */
const headerNames: Record<string, string[]> = {
  indicator: ["indicator", "ma chi so", "chi so"],
  area: ["area", "ma dia ban", "dia ban", "ma don vi hanh chinh"],
  period: ["period", "ky", "ky bao cao"],
  disaggregation: ["disaggregation", "phan to"],
  value: ["value", "gia tri", "so lieu"],
  comment: ["comment", "ghi chu"],
  unit: ["unit", "don vi", "don vi tinh"],
  sample: ["sample", "so lieu mau"],
};
const required = ["indicator", "area", "period", "value"];

/** A CSV table handed record by record: the header first, then each record with its row number. */
export interface DelimitedReader {
  header(names: string[]): string | null;
  record(cells: string[], row: number): void;
}

const csvProblem = (e: unknown): RowError => {
  const err = e as { code?: string; lines?: number; message?: string };
  const row = err.lines ?? 0;
  const message =
    err.code === "CSV_QUOTE_NOT_CLOSED"
      ? 'Dấu ngoặc kép (") mở nhưng không đóng'
      : err.code === "CSV_MAX_RECORD_SIZE"
        ? "Một dòng dài hơn 1 MB: tệp không phải số liệu theo dòng (thường do dấu ngoặc kép không đóng)"
        : err.code === "CSV_INVALID_CLOSING_QUOTE"
          ? 'Sau dấu ngoặc kép đóng có ký tự lạ: đặt cả ô trong ngoặc kép và viết "" cho dấu ngoặc kép bên trong'
          : `Không đọc được tệp CSV (${err.code ?? err.message ?? "lỗi"})`;
  return { row, field: "file", message: row ? `Dòng ${row}: ${message}` : message };
};

/** A body given whole, as the slices a stream would bring. */
async function* slicesOf(bytes: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += importLimits.chunkBytes) yield bytes.subarray(i, i + importLimits.chunkBytes);
}

/** The delimiter: the more frequent of ";" and "," on the first line. */
function delimiterOf(head: Buffer): string {
  const firstLine =
    head
      .toString("utf8")
      .replace(/^\uFEFF/, "")
      .split(/\r?\n/, 1)[0] ?? "";
  return (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ";" : ",";
}

/**
 * Reads a CSV body — whole, or streamed as it is uploaded — chunk by chunk (`importLimits.chunkBytes`),
 * yielding to the event loop between chunks so that the rest of the service keeps answering, and stopping
 * at `importLimits.maxRows` records or `maxReadSeconds`. The delimiter is the more frequent of ";" and ","
 * on the first line (read before parsing starts).
 */
export async function readDelimited(
  body: Buffer | string | AsyncIterable<Buffer>,
  reader: DelimitedReader,
): Promise<RowError | null> {
  const source = typeof body === "string" ? slicesOf(Buffer.from(body, "utf8")) : Buffer.isBuffer(body) ? slicesOf(body) : body;
  // Reading time only: a streamed upload's waits for the network do not count.
  const spend = readingBudget();
  let records = 0;
  let failure: unknown = null;
  let headerProblem: string | null = null;
  let stopped = false;
  let parser: ReturnType<typeof parse> | null = null;
  let ended: Promise<void> = Promise.resolve();
  const start = (head: Buffer) => {
    // One record is a figure: a few codes, a value and a comment. A megabyte is far beyond any real one.
    const p = parse({
      delimiter: delimiterOf(head),
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
      max_record_size: 1_000_000,
    });
    p.on("data", (cells: string[]) => {
      if (stopped) return;
      records++;
      if (records === 1) {
        headerProblem = reader.header(cells.map((h) => h.trim()));
        if (headerProblem) stopped = true;
        return;
      }
      if (records - 1 > importLimits.maxRows) {
        stopped = true;
        failure = tooManyRows(records - 1);
        return;
      }
      reader.record(cells, records);
    });
    p.on("error", (e) => {
      failure ??= e;
    });
    ended = new Promise<void>((resolve) => {
      p.on("end", resolve);
      p.on("error", () => resolve());
      p.on("close", resolve);
    });
    return p;
  };
  const feed = async (bytes: Buffer) => {
    for (let i = 0; i < bytes.length && !stopped && !failure; i += importLimits.chunkBytes)
      await spend(async () => {
        parser!.write(bytes.subarray(i, i + importLimits.chunkBytes));
        await yieldToEventLoop();
      });
  };
  // The first line (or 64 KB of it) is gathered before parsing: it decides the delimiter.
  let head: Buffer[] = [];
  let headBytes = 0;
  for await (const chunk of source) {
    if (stopped || failure) break;
    if (!parser) {
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes < 64 * 1024 && !chunk.includes(0x0a)) continue;
      const first = Buffer.concat(head);
      head = [];
      parser = start(first);
      await feed(first);
    } else await feed(chunk);
  }
  if (!parser) {
    parser = start(Buffer.concat(head));
    await feed(Buffer.concat(head));
  }
  if (stopped || failure) parser.destroy();
  else parser.end();
  await ended;
  if (failure instanceof Error && "statusCode" in failure) throw failure; // too many rows: the whole file is refused
  if (failure) return csvProblem(failure);
  if (headerProblem) return { row: 1, field: "header", message: headerProblem };
  if (records === 0) return { row: 0, field: "file", message: "Tệp CSV trống" };
  return null;
}

const TRUE_WORDS = new Set(["true", "1", "x", "co", "yes", "y"]);
export const isMarkedSample = (cell: string) => TRUE_WORDS.has(foldVietnamese(cell).trim());
export const sampleWarning = (row: number, field = "sample") => ({
  row,
  field,
  message: "Số liệu mẫu (chỉ để minh họa), không nhập dòng này",
});

/** The value cell: a number when it reads as one, otherwise text (for textual indicators). */
export function readValueCell(cell: string, style: NumberStyle) {
  const n = parseNumber(cell, style);
  const text = readText(cell);
  return {
    value: n.ok ? n.value : null,
    valueText: cell.trim() === "" ? null : text.text,
    valueProblem: n.ok ? undefined : n.message,
    textProblem: text.problem,
  };
}

export async function readCsv(body: Buffer | string | AsyncIterable<Buffer>, style: NumberStyle = "auto"): Promise<ReadResult> {
  const rows: IncomingRow[] = [];
  const errors = new ErrorList();
  const warnings: ReadResult["warnings"] = [];
  const index: Record<string, number> = {};
  let header: string[] = [];
  const problem = await readDelimited(body, {
    header(names) {
      header = names;
      names.forEach((h, i) => {
        const key = foldVietnamese(h).trim();
        for (const [field, aliases] of Object.entries(headerNames)) if (aliases.includes(key)) index[field] = i;
      });
      const missing = required.filter((f) => index[f] === undefined);
      return missing.length ? `Thiếu cột: ${missing.join(", ")} (dòng tiêu đề: ${names.join(", ")})` : null;
    },
    record(rec, row) {
      const at = { row, columns: Object.fromEntries(Object.entries(index).map(([f, c]) => [f, header[c]!])) };
      // Comments and text values are kept as written (a round trip must not alter them); codes are trimmed.
      const raw = (f: string) => (index[f] === undefined ? "" : (rec[index[f]!] ?? ""));
      const cell = (f: string) => (f === "comment" || f === "value" ? raw(f) : raw(f).trim());
      if (rec.length !== header.length) {
        errors.add(locate(at, "file", `Dòng có ${rec.length} cột, dòng tiêu đề có ${header.length} cột`));
        return;
      }
      if (index.sample !== undefined && isMarkedSample(cell("sample"))) {
        warnings.push(sampleWarning(row));
        return;
      }
      const rowErrors: RowError[] = [];
      const text: Record<string, string> = {};
      for (const f of ["indicator", "area", "period", "disaggregation", "comment", "unit"]) {
        const read = readText(cell(f));
        text[f] = read.text;
        if (read.problem) rowErrors.push(locate(at, f, read.problem));
      }
      const value = readValueCell(cell("value"), style);
      if (value.textProblem) rowErrors.push(locate(at, "value", value.textProblem));
      if (rowErrors.length) {
        errors.add(...rowErrors);
        return;
      }
      rows.push({
        at,
        indicator: text.indicator!,
        area: text.area!,
        period: text.period!,
        disaggregation: text.disaggregation!,
        value: value.value,
        valueText: value.valueText,
        valueProblem: value.valueProblem,
        comment: text.comment!.trim() ? text.comment! : null,
        action: "upsert",
        unit: text.unit || null,
      });
    },
  });
  if (problem) return { rows: [], errors: [problem], errorCount: 1 };
  return { rows, errors: errors.items, errorCount: errors.count, warnings };
}

export function writeCsv(records: (string | number | null)[][], header?: string[]): string {
  return stringify([...(header ? [header] : []), ...records.map((r) => r.map((c) => (c === null ? "" : c)))], {
    record_delimiter: "windows",
  });
}
