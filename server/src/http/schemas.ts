import { z } from "zod";

/** Shared pieces of request and response schemas. */

export const MAX_PAGE_SIZE = 5000;

export const pagination = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(100).describe("Số bản ghi tối đa (1–5000)"),
  offset: z.coerce.number().int().min(0).default(0).describe("Bỏ qua bao nhiêu bản ghi"),
};

export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "phải là ngày dạng YYYY-MM-DD")
  .refine((s) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString().startsWith(s), "không phải ngày có thật");

export function listOf<T extends z.ZodTypeAny>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int() });
}

export const ErrorBody = z.object({
  statusCode: z.number().int(),
  error: z.string(),
  message: z.string(),
  field: z.string().optional(),
  errors: z
    .array(
      z.object({
        row: z.number().int(),
        field: z.string(),
        message: z.string(),
        sheet: z.string().optional(),
        column: z.string().optional(),
      }),
    )
    .optional()
    .describe("Các lỗi theo dòng và trường (tối đa 1.000 lỗi đầu tiên)"),
  errorCount: z.number().int().optional().describe("Tổng số lỗi (có thể nhiều hơn số lỗi được liệt kê)"),
});

export const errorResponses = { 400: ErrorBody, 404: ErrorBody } as const;

const INT4_MAX = 2_147_483_647;
const INT8_MAX = 9_223_372_036_854_775_807n;

/** The id of a `serial` (int4) row in a path or query: a positive whole number PostgreSQL can hold. */
export const serialId = z.coerce
  .number()
  .int("phải là số nguyên")
  .min(1, "phải là số nguyên dương")
  .max(INT4_MAX, `vượt quá giới hạn mã số (${INT4_MAX})`);

/** The id of a `bigserial` (int8) row, kept as its decimal text (beyond JavaScript's safe integers). */
export const bigserialId = z
  .string()
  .regex(/^\d{1,19}$/, "phải là số nguyên dương")
  .refine((s) => BigInt(s) <= INT8_MAX, "vượt quá giới hạn mã số");
