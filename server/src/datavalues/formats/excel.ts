import { parseNumber } from "@dieuhanh/core";
import ExcelJS from "exceljs";
import type { RowError } from "../../errors";
import { locate, type IncomingRow } from "../validation";
import { ErrorList, withUploadSlot } from "./limits";
import { checkText, safeCell, type ReadResult } from "./text";
import { checkXlsxCost } from "./zip";

/**
 * The spreadsheet template (mẫu biểu) of one agency's report for an area and period: key columns
 * locked, value and comment columns open with data validation, and a hidden sheet that identifies
 * the template so that an upload of some other file is refused. The upload reads back the open
 * columns; a formula, a date, an error value or an unreadable number in any cell refuses the file.
 */
export const TEMPLATE_MARKER = "dieuhanh-report-template-v1";
const DATA_SHEET = "Số liệu";
const META_SHEET = "_mau_bieu";
const HEADER_ROW = 4;

export interface TemplateRow {
  indicator: string;
  name: string;
  unit: string | null;
  valueType: "number" | "text";
  area: string;
  period: string;
  disaggregation: string;
  previousValue: number | null;
  lastYearValue: number | null;
  value: number | string | null;
  comment: string | null;
}

export interface TemplateInfo {
  title: string;
  agency: string;
  area: string;
  period: string;
  periodLabel: string;
}

const columns = [
  { key: "indicator", header: "Mã chỉ số", width: 16 },
  { key: "name", header: "Tên chỉ số", width: 60 },
  { key: "unit", header: "Đơn vị tính", width: 14 },
  { key: "area", header: "Mã địa bàn", width: 12 },
  { key: "period", header: "Kỳ", width: 10 },
  { key: "disaggregation", header: "Phân tổ", width: 14 },
  { key: "previousValue", header: "Kỳ trước", width: 14 },
  { key: "lastYearValue", header: "Cùng kỳ năm trước", width: 16 },
  { key: "value", header: "Giá trị", width: 16 },
  { key: "comment", header: "Ghi chú", width: 40 },
] as const;
type ColumnKey = (typeof columns)[number]["key"];
/** 1-based column number and letter of a field in the data sheet. */
const columnNumber = (key: ColumnKey) => columns.findIndex((c) => c.key === key) + 1;
const letter = (key: ColumnKey) => String.fromCharCode(64 + columnNumber(key));

export async function buildTemplate(info: TemplateInfo, rows: TemplateRow[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = "Hệ thống chỉ đạo, điều hành";
  wb.created = new Date(0);
  const ws = wb.addWorksheet(DATA_SHEET, { views: [{ state: "frozen", ySplit: HEADER_ROW }] });
  ws.columns = columns.map((c) => ({ key: c.key, width: c.width }));
  ws.getCell("A1").value = info.title;
  ws.getCell("A1").font = { bold: true, size: 13 };
  ws.getCell("A2").value =
    `Kỳ báo cáo: ${info.periodLabel} · Nhập cột "Giá trị" và "Ghi chú"; không sửa các cột khác. Số thập phân theo máy tính của bạn (ví dụ 1.234,5).`;
  const header = ws.getRow(HEADER_ROW);
  columns.forEach((c, i) => (header.getCell(i + 1).value = c.header));
  header.font = { bold: true };
  header.fill = { type: "pattern", pattern: "solid", fgColor: { argb: "FFE6F0FA" } };
  rows.forEach((r, i) => {
    const row = ws.getRow(HEADER_ROW + 1 + i);
    row.values = [
      r.indicator,
      safeCell(r.name),
      r.unit ?? "",
      r.area,
      r.period,
      r.disaggregation,
      r.previousValue,
      r.lastYearValue,
      typeof r.value === "string" ? safeCell(r.value) : r.value,
      safeCell(r.comment),
    ];
    const value = row.getCell(columnNumber("value"));
    const comment = row.getCell(columnNumber("comment"));
    value.protection = { locked: false };
    comment.protection = { locked: false };
    value.numFmt = "#,##0.##";
    value.dataValidation =
      r.valueType === "number"
        ? {
            type: "decimal",
            operator: "between",
            formulae: [-1e15, 1e15],
            allowBlank: true,
            showErrorMessage: true,
            errorTitle: "Giá trị không hợp lệ",
            error: `Nhập một số (đơn vị: ${r.unit ?? "không ghi"})`,
          }
        : { type: "textLength", operator: "lessThanOrEqual", formulae: [4000], allowBlank: true };
    comment.dataValidation = { type: "textLength", operator: "lessThanOrEqual", formulae: [2000], allowBlank: true };
  });
  await ws.protect("", { selectLockedCells: true, selectUnlockedCells: true, formatColumns: true });

  const meta = wb.addWorksheet(META_SHEET, { state: "veryHidden" });
  meta.addRows([
    ["marker", TEMPLATE_MARKER],
    ["agency", info.agency],
    ["area", info.area],
    ["period", info.period],
  ]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

type CellValue = ExcelJS.CellValue;

/** A cell's content as text or number, or why it cannot be taken. */
function readCell(v: CellValue): { text: string | null; number: number | null; problem: string | null } {
  if (v === null || v === undefined || v === "") return { text: null, number: null, problem: null };
  if (typeof v === "number") return { text: null, number: v, problem: null };
  if (typeof v === "string") return { text: v, number: null, problem: null };
  if (typeof v === "boolean") return { text: null, number: null, problem: "Ô chứa giá trị đúng/sai, không phải số" };
  if (v instanceof Date) return { text: null, number: null, problem: "Ô chứa ngày tháng, không phải số" };
  if (typeof v === "object" && ("formula" in v || "sharedFormula" in v))
    return { text: null, number: null, problem: "Ô chứa công thức: hãy nhập giá trị, không nhập công thức" };
  if (typeof v === "object" && "error" in v) return { text: null, number: null, problem: `Ô chứa lỗi ${String(v.error)}` };
  if (typeof v === "object" && "richText" in v)
    return { text: v.richText.map((t) => t.text).join(""), number: null, problem: null };
  if (typeof v === "object" && "text" in v) return { text: String(v.text), number: null, problem: null };
  return { text: null, number: null, problem: "Ô có nội dung không đọc được" };
}

export interface TemplateUpload extends ReadResult {
  key: { agency: string; area: string; period: string } | null;
}

/** Reads an uploaded template, in one of the few upload slots (several large files at once queue). */
export async function readTemplate(buffer: Buffer): Promise<TemplateUpload> {
  return withUploadSlot(() => readTemplateNow(buffer));
}

async function readTemplateNow(buffer: Buffer): Promise<TemplateUpload> {
  const fail = (message: string): TemplateUpload => ({ rows: [], errors: [{ row: 0, field: "file", message }], key: null });
  // What the file would cost to open is measured first: a zip bomb never reaches the spreadsheet library.
  const tooCostly = await checkXlsxCost(buffer);
  if (tooCostly) return fail(tooCostly);
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(buffer as unknown as ArrayBuffer);
  } catch {
    return fail("Tệp không đọc được như một tệp Excel (.xlsx): tệp hỏng hoặc tải lên chưa hết; không ghi dòng nào");
  }
  const meta = wb.getWorksheet(META_SHEET);
  const ws = wb.getWorksheet(DATA_SHEET);
  const metaValue = (name: string) => {
    let found: string | null = null;
    meta?.eachRow((row) => {
      if (row.getCell(1).value === name) found = String(row.getCell(2).value ?? "");
    });
    return found as string | null;
  };
  if (!meta || !ws || metaValue("marker") !== TEMPLATE_MARKER)
    return fail("Tệp không phải mẫu biểu của hệ thống: hãy tải mẫu biểu về, nhập số liệu và tải lên lại");
  const headerOk = columns.every((c, i) => String(ws.getRow(HEADER_ROW).getCell(i + 1).value ?? "").trim() === c.header);
  if (!headerOk) return fail(`Dòng tiêu đề (dòng ${HEADER_ROW}) của sheet '${DATA_SHEET}' đã bị sửa: hãy dùng mẫu biểu mới`);

  const rows: IncomingRow[] = [];
  const errors = new ErrorList();
  const columnLetters = Object.fromEntries(columns.map((c) => [c.key, letter(c.key)]));
  // Only the rows the sheet holds: one cell at row 1,000,000 must not make a million empty rows.
  const sheetRows: ExcelJS.Row[] = [];
  ws.eachRow((row, r) => {
    if (r > HEADER_ROW) sheetRows.push(row);
  });
  for (const row of sheetRows) {
    const r = row.number;
    const get = (key: ColumnKey) => row.getCell(columnNumber(key)).value;
    const at = { row: r, sheet: DATA_SHEET, columns: { ...columnLetters, value: letter("value"), comment: letter("comment") } };
    const indicator = readCell(get("indicator")).text?.trim() ?? "";
    const value = readCell(get("value"));
    const comment = readCell(get("comment"));
    if (!indicator && value.text === null && value.number === null && !value.problem) continue;
    const rowErrors: RowError[] = [];
    if (value.problem) rowErrors.push(locate(at, "value", value.problem));
    if (comment.problem) rowErrors.push(locate(at, "comment", comment.problem));
    const commentText = comment.text ?? (comment.number !== null ? String(comment.number) : null);
    if (commentText) {
      const p = checkText(commentText);
      if (p) rowErrors.push(locate(at, "comment", p));
    }
    if (value.text === null && value.number === null && !value.problem) {
      if (commentText) rowErrors.push(locate(at, "value", "Có ghi chú nhưng chưa nhập giá trị"));
      else if (!rowErrors.length) continue; // not reported this time
    }
    // Text in the value cell: a number written as text, or the content of a textual indicator;
    // which one is decided against the indicator during validation.
    let valueProblem: string | undefined;
    let number: number | null = value.number;
    if (value.text !== null) {
      const n = parseNumber(value.text, "auto");
      if (n.ok) number = n.value;
      else valueProblem = n.message;
      const p = checkText(value.text);
      if (p) rowErrors.push(locate(at, "value", p));
    }
    if (rowErrors.length) {
      errors.add(...rowErrors);
      continue;
    }
    rows.push({
      at,
      indicator,
      area: readCell(get("area")).text?.trim() ?? String(get("area") ?? ""),
      period: readCell(get("period")).text?.trim() ?? String(get("period") ?? ""),
      disaggregation: readCell(get("disaggregation")).text?.trim() ?? "",
      value: number,
      valueText: value.text,
      valueProblem,
      comment: commentText?.trim() || null,
      action: "upsert",
      unit: readCell(get("unit")).text?.trim() || null,
    });
  }
  return {
    rows,
    errors: errors.items,
    errorCount: errors.count,
    key: { agency: metaValue("agency") ?? "", area: metaValue("area") ?? "", period: metaValue("period") ?? "" },
  };
}
