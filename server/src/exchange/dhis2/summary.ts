import { z } from "zod";
import type { RowError } from "../../errors";

/**
 * DHIS2's answer to an import: an ImportSummary inside a WebMessage (DHIS2 2.38 and later, whose clients
 * read `response`). As DHIS2's WebMessageUtils.importSummary: status ERROR → 409 Conflict, "An error
 * occurred, please check import summary."; otherwise 200 OK, "Import was successful.". The product never
 * imports part of a payload, so a refusal is always ERROR with nothing imported, updated or deleted and
 * every value counted as ignored, and its conflicts name the value (indexes, 0-based as DHIS2's) and the
 * field in Vietnamese.
 */
export const ImportConflict = z.object({
  object: z.string().describe("Định danh hoặc trường có vấn đề"),
  value: z.string().describe("Mô tả lỗi (tiếng Việt), nêu giá trị thứ mấy và trường nào"),
  errorCode: z.string().optional(),
  property: z.string().optional().describe("Trường (dataElement, orgUnit, period, categoryOptionCombo, value, …)"),
  indexes: z.array(z.number().int()).optional().describe("Vị trí giá trị trong tệp, bắt đầu từ 0 như DHIS2"),
});

export const ImportSummary = z.object({
  responseType: z.literal("ImportSummary"),
  status: z.enum(["SUCCESS", "WARNING", "ERROR"]),
  description: z.string(),
  importCount: z.object({
    imported: z.number().int(),
    updated: z.number().int(),
    ignored: z.number().int(),
    deleted: z.number().int(),
  }),
  conflicts: z.array(ImportConflict),
  rejectedIndexes: z.array(z.number().int()),
  dataSetComplete: z.string().describe("DHIS2: ngày hoàn thành bộ dữ liệu, hoặc 'false' (hệ thống không ghi nhận hoàn thành)"),
  importOptions: z.object({
    dryRun: z.boolean(),
    importStrategy: z.string(),
    idSchemes: z.record(z.string(), z.string()),
  }),
  warnings: z
    .array(z.object({ row: z.number().int(), field: z.string(), message: z.string() }))
    .describe("Cảnh báo của hệ thống (không phải của DHIS2): giá trị vẫn được ghi, hoặc dòng số liệu mẫu được bỏ qua"),
});
export type ImportSummary = z.infer<typeof ImportSummary>;

export const WebMessage = z.object({
  httpStatus: z.string(),
  httpStatusCode: z.number().int(),
  status: z.enum(["OK", "WARNING", "ERROR"]),
  message: z.string(),
  response: ImportSummary,
});
export type WebMessage = z.infer<typeof WebMessage>;

const httpStatusNames: Record<number, string> = { 200: "OK", 403: "Forbidden", 409: "Conflict" };

export function webMessage(summary: ImportSummary, httpStatusCode: number): WebMessage {
  const ok = summary.status !== "ERROR";
  return {
    httpStatus: httpStatusNames[httpStatusCode] ?? "Conflict",
    httpStatusCode,
    status: ok ? "OK" : "ERROR",
    message: ok ? "Import was successful." : "An error occurred, please check import summary.",
    response: summary,
  };
}

/**
 * A product error as a DHIS2 conflict. `row` is the value's position (1-based), or the line of a CSV file:
 * `place` words it ("Giá trị thứ 3", "Dòng 4") and `index` gives DHIS2's 0-based index of the value.
 */
export function conflictOf(
  e: RowError,
  object: string | undefined,
  place: (row: number) => string,
  index: (row: number) => number,
): z.infer<typeof ImportConflict> {
  const property = e.column ?? e.field;
  return {
    object: object ?? property,
    value: e.row > 0 ? `${place(e.row)}, trường ${property}: ${e.message}` : e.message,
    property,
    indexes: e.row > 0 ? [index(e.row)] : [],
  };
}
