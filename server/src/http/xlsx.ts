import ExcelJS from "exceljs";
import { safeCell } from "../datavalues/formats/text";

export const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

export interface SheetColumn<T> {
  header: string;
  width?: number;
  value: (row: T) => string | number | null;
  /** Excel number format, e.g. "#,##0.0" or "dd/mm/yyyy". */
  format?: string;
}

/** A one-sheet workbook of a table with Vietnamese headers; text is neutralised against formula injection. */
export async function tableWorkbook<T>(
  title: string,
  columns: SheetColumn<T>[],
  rows: T[],
  sheetName = "Dữ liệu",
): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = "Hệ thống chỉ đạo, điều hành";
  const ws = wb.addWorksheet(sheetName, { views: [{ state: "frozen", ySplit: 3 }] });
  ws.getCell("A1").value = title;
  ws.getCell("A1").font = { bold: true, size: 13 };
  const header = ws.getRow(3);
  columns.forEach((c, i) => {
    header.getCell(i + 1).value = c.header;
    ws.getColumn(i + 1).width = c.width ?? 16;
    if (c.format) ws.getColumn(i + 1).numFmt = c.format;
  });
  header.font = { bold: true };
  rows.forEach((r, n) => {
    const row = ws.getRow(4 + n);
    columns.forEach((c, i) => {
      const v = c.value(r);
      row.getCell(i + 1).value = typeof v === "string" ? safeCell(v) : v;
    });
  });
  ws.autoFilter = { from: { row: 3, column: 1 }, to: { row: 3 + rows.length, column: columns.length } };
  return Buffer.from(await wb.xlsx.writeBuffer());
}
