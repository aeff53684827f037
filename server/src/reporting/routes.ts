import { createHash } from "node:crypto";
import type { FastifyReply } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { requestContext } from "../auth/access";
import { AnswerCache } from "../analytics/cache";
import { onAnnounced } from "../events/change";
import { DataValue, WriteResult } from "../datavalues/routes";
import { buildTemplate, readTemplate } from "../datavalues/formats/excel";
import { dataValueService } from "../datavalues/service";
import { BatchError, InvalidInputError, UnauthorizedError } from "../errors";
import type { RouteDeps } from "../http/deps";
import { ErrorBody, listOf, pagination, serialId } from "../http/schemas";
import { obligationService } from "./obligations";
import { reportingService } from "./service";

const ReportKey = z.object({
  agency: z.string().min(1).max(40).describe("Mã cơ quan báo cáo, ví dụ CT.STC"),
  area: z.string().min(1).max(20).describe("Mã địa bàn, ví dụ 92"),
  period: z.string().min(4).max(10).describe("Kỳ, ví dụ 2025M10"),
});
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody } as const;
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const FoldedFrom = z.enum(["aggregated", "estimated"]).nullable();
const FormRow = z.object({
  indicator: z.string(),
  name: z.string(),
  unit: z.string().nullable(),
  valueType: z.enum(["number", "text"]),
  kind: z.string(),
  parent: z.string().nullable(),
  group: z.string(),
  subgroup: z.string().nullable(),
  current: DataValue.nullable(),
  submittedByYou: z
    .boolean()
    .describe("Số liệu hiện hành do chính người gọi ghi: họ không tự duyệt được (nguyên tắc bốn mắt), cần người khác"),
  previousValue: z.number().nullable(),
  lastYearValue: z.number().nullable(),
  previousFrom: FoldedFrom.describe(
    "Số kỳ trước không do đơn vị này giữ mà tính từ các đơn vị cũ sáp nhập vào (null: số của chính đơn vị)",
  ),
  lastYearFrom: FoldedFrom.describe(
    "Số cùng kỳ năm trước tính từ các đơn vị cũ sáp nhập vào: aggregated cộng đủ, estimated có phần chia ước tính",
  ),
  changeFromPrevious: z.number().nullable().describe("% thay đổi so với kỳ trước"),
  changeFromLastYear: z.number().nullable().describe("% thay đổi so với cùng kỳ năm trước"),
  breakdowns: z.number().int(),
  ownedBy: z
    .object({ linkId: z.string(), name: z.string() })
    .nullable()
    .describe("Hệ thống khác quản lý số liệu này (liên thông): bản sao chỉ đọc, không nhập ở đây; null: do hệ thống này quản lý"),
});

export const reportingRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database, clock, events, writes }) => {
  // The completeness answer, shared: every open dashboard asks for the same one and, unshared, 50 of them
  // refetching after an event ran 50 copies of a query reading the whole period (measured: 19 s each and
  // the pool exhausted at 50 M values). Identical requests of one scope share one computation; an answer is
  // kept 5 s at most (drafts and returns announce nothing), dropped at any announced change, and never
  // served after a write this process answered (the key holds the count of writes).
  const completenessAnswers = new AnswerCache({ ttlMs: 5_000, max: 500 });
  const offHeard = events.onChange(() => completenessAnswers.clear());
  const offAnnounced = onAnnounced(() => completenessAnswers.clear());
  app.addHook("onClose", async () => {
    offHeard();
    offAnnounced();
  });
  const reports = reportingService(database.db, { now: clock });
  const values = dataValueService(database.db, { now: clock });
  const obligations = obligationService(database.db);
  app.addContentTypeParser(XLSX, { parseAs: "buffer", bodyLimit: 20 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  app.get(
    "/api/reports/form",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["reports"],
        summary: "Biểu nhập số liệu của một cơ quan cho một địa bàn và kỳ: kỳ trước, cùng kỳ, % thay đổi",
        querystring: ReportKey,
        response: {
          200: z.object({
            agency: z.object({ code: z.string(), name: z.string() }),
            area: z.object({ id: z.string(), name: z.string(), level: z.string() }),
            period: z.object({ code: z.string(), label: z.string(), previous: z.string(), lastYear: z.string() }),
            deadline: z.string(),
            lockDate: z.string().nullable(),
            locked: z.boolean(),
            reopenedUntil: z.string().nullable(),
            submittableFrom: z
              .string()
              .nullable()
              .describe("Kỳ chưa kết thúc: ngày bắt đầu được gửi chính thức (trước đó chỉ lưu nháp); null khi kỳ đã kết thúc"),
            rows: z.array(FormRow),
          }),
          ...errors,
        },
      },
    },
    async (request) => reports.form(requestContext(request), request.query),
  );

  app.post(
    "/api/reports/form",
    {
      config: { access: { permission: "data.submit" } },
      schema: {
        tags: ["reports"],
        summary: "Lưu nháp hoặc gửi biểu nhập số liệu (cả biểu hoặc không dòng nào)",
        body: ReportKey.extend({
          status: z.enum(["draft", "submitted"]),
          dryRun: z.boolean().default(false),
          values: z
            .array(
              z.object({
                indicator: z.string().min(1).max(60),
                value: z.number().nullable().optional(),
                valueText: z.string().max(4000).nullable().optional(),
                comment: z.string().max(2000).nullable().optional(),
              }),
            )
            .max(2000),
        }),
        response: { 200: WriteResult, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      const b = request.body;
      return values.ingest(requestContext(request), {
        rows: b.values.map((v, i) => ({
          at: { row: i + 1 },
          indicator: v.indicator,
          area: b.area,
          period: b.period,
          disaggregation: "",
          value: v.value ?? null,
          valueText: v.valueText ?? null,
          comment: v.comment?.trim() || null,
          action: "upsert",
        })),
        status: b.status,
        channel: "form",
        dryRun: b.dryRun,
      });
    },
  );

  app.get(
    "/api/reports/template",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["reports"],
        summary: "Tải mẫu biểu Excel (.xlsx) điền sẵn của một cơ quan, địa bàn, kỳ",
        querystring: ReportKey,
      },
    },
    async (request, reply) => {
      const form = await reports.form(requestContext(request), request.query);
      const file = await buildTemplate(
        {
          title: `BÁO CÁO SỐ LIỆU – ${form.agency.name} – ${form.area.name} – ${form.period.label}`,
          agency: form.agency.code,
          area: form.area.id,
          period: form.period.code,
          periodLabel: form.period.label,
        },
        // Rows another install owns are read-only here: left out, so a filled template is never refused for them.
        form.rows
          .filter((r) => !r.ownedBy)
          .map((r) => ({
            indicator: r.indicator,
            name: r.name,
            unit: r.unit,
            valueType: r.valueType,
            area: form.area.id,
            period: form.period.code,
            disaggregation: "",
            previousValue: r.previousValue,
            lastYearValue: r.lastYearValue,
            value: r.current ? (r.current.value ?? r.current.valueText) : null,
            comment: r.current?.comment ?? null,
          })),
      );
      const name = `mau-bieu-${form.agency.code}-${form.area.id}-${form.period.code}.xlsx`;
      return reply.type(XLSX).header("content-disposition", `attachment; filename="${name}"`).send(file);
    },
  );

  app.post(
    "/api/reports/upload",
    {
      config: { access: { permission: "data.submit" } },
      bodyLimit: 20 * 1024 * 1024,
      schema: {
        tags: ["reports"],
        summary: "Tải lên mẫu biểu Excel đã điền (Content-Type: .xlsx); cả tệp hoặc không dòng nào",
        description: "Mọi lỗi nêu sheet, dòng và cột. dryRun=true chỉ kiểm tra.",
        querystring: z.object({
          status: z.enum(["draft", "submitted"]).default("submitted"),
          dryRun: z.stringbool().default(false),
          fileName: z.string().max(200).optional(),
        }),
        body: z.unknown(),
        response: { 200: WriteResult, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      if (!Buffer.isBuffer(request.body)) throw new InvalidInputError(`Gửi tệp .xlsx với Content-Type: ${XLSX}`);
      const read = await readTemplate(request.body);
      const errorCount = read.errorCount ?? read.errors.length;
      // More problems than an answer lists: refused on what was read, with the total.
      if (errorCount > read.errors.length)
        throw new BatchError(`Có ${errorCount.toLocaleString("vi-VN")} lỗi, không ghi dòng nào`, read.errors, 400, errorCount);
      return values.ingest(requestContext(request), {
        rows: read.rows,
        readErrors: read.errors,
        status: request.query.status,
        channel: "spreadsheet",
        dryRun: request.query.dryRun,
        fileName: request.query.fileName ?? null,
        fileSha256: createHash("sha256").update(request.body).digest("hex"),
      });
    },
  );

  app.get(
    "/api/reports/completeness",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["reports"],
        summary: "Tính đầy đủ và đúng hạn của báo cáo theo cơ quan, địa bàn, kỳ: ai đã gửi, ai chậm",
        querystring: z.object({
          period: z.string().min(4).max(10),
          agency: z.string().max(40).optional(),
          area: z.string().max(20).optional(),
          summary: z
            .stringbool()
            .default(false)
            .describe('Chỉ phần tổng hợp (items rỗng): các con số của ô "Tình hình báo cáo" trên bảng điều khiển'),
        }),
        response: {
          200: z.object({
            period: z.object({ code: z.string(), label: z.string() }),
            summary: z.object({
              reports: z.number().int(),
              expected: z.number().int(),
              submitted: z.number().int(),
              approved: z.number().int(),
              onTime: z.number().int(),
              lateReports: z.number().int(),
            }),
            items: z.array(
              z.object({
                agency: z.string(),
                agencyName: z.string(),
                area: z.string(),
                areaName: z.string(),
                period: z.string(),
                deadline: z.string(),
                lockDate: z.string().nullable(),
                expected: z.number().int(),
                submitted: z.number().int(),
                approved: z.number().int(),
                draft: z.number().int(),
                returned: z.number().int(),
                missing: z.number().int(),
                onTime: z.number().int(),
                late: z.number().int(),
                completeness: z.number().nullable(),
                timeliness: z.number().nullable(),
                lastSubmittedAt: z.string().nullable(),
                state: z.enum(["not_due", "open", "late", "complete", "complete_late"]),
                stateLabel: z.string(),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { summary, ...q } = request.query;
      const ctx = requestContext(request);
      if (!ctx.principal) throw new UnauthorizedError();
      const { body } = await completenessAnswers.get(
        AnswerCache.key("completeness", ctx.principal, { ...request.query, writes: writes.count }),
        { indicators: [], years: null },
        async () => {
          const answer = await reports.completeness(ctx, q);
          // A dashboard tile shows four numbers: the list of every report (hundreds of KiB) stays home.
          return JSON.stringify(summary ? { ...answer, items: [] } : answer);
        },
      );
      return (reply as FastifyReply).type("application/json; charset=utf-8").send(body);
    },
  );

  app.post(
    "/api/reports/review",
    {
      config: { access: { permission: "data.approve" } },
      schema: {
        tags: ["reports"],
        summary: "Duyệt hoặc trả lại số liệu đã gửi của một báo cáo: cả báo cáo, hoặc từng dòng với lý do riêng",
        description:
          "Cả báo cáo: `action` (và `comment` khi trả lại), có thể giới hạn bằng `indicators`. Từng dòng: `decisions`, " +
          "mỗi dòng một chỉ số với `action` và, khi trả lại, `comment` riêng; các dòng không nêu giữ nguyên chờ duyệt. " +
          "Người gửi số liệu nhận thông báo và thư điện tử.",
        body: ReportKey.extend({
          action: z.enum(["approve", "return"]).optional(),
          comment: z.string().max(2000).nullable().optional(),
          indicators: z.array(z.string().max(60)).max(2000).optional(),
          decisions: z
            .array(
              z.object({
                indicator: z.string().min(1).max(60),
                action: z.enum(["approve", "return"]),
                comment: z.string().max(2000).nullable().optional(),
              }),
            )
            .max(2000)
            .optional(),
        }).refine((b) => b.action || b.decisions?.length, { message: "Cần action hoặc decisions", path: ["action"] }),
        response: {
          200: z.object({
            action: z.enum(["approve", "return", "mixed"]),
            values: z.number().int(),
            approved: z.number().int(),
            returned: z.number().int(),
            batchId: z.string().nullable(),
          }),
          ...errors,
        },
      },
    },
    async (request) => reports.review(requestContext(request), request.body),
  );

  app.post(
    "/api/reports/reopen",
    {
      config: { access: { permission: "data.reopen" } },
      schema: {
        tags: ["reports"],
        summary: "Mở lại báo cáo đã khóa hoặc đã duyệt để sửa, kèm lý do",
        body: ReportKey.extend({ reason: z.string().min(1).max(2000), days: z.number().int().min(1).max(60).default(7) }),
        response: { 200: z.object({ openUntil: z.string(), reopenedValues: z.number().int() }), ...errors },
      },
    },
    async (request) => reports.reopen(requestContext(request), request.body),
  );

  const Obligation = z.object({
    id: z.number().int(),
    agency: z.string(),
    agencyName: z.string(),
    indicator: z.string(),
    indicatorName: z.string(),
    rootArea: z.string(),
    areaLevel: z.enum(["nation", "province", "commune"]),
    periodType: z.enum(["day", "week", "month", "quarter", "half_year", "year"]),
    deadlineDays: z.number().int().describe("Số ngày sau khi hết kỳ phải gửi"),
    lockAfterDays: z.number().int().nullable().describe("Số ngày sau hạn thì khóa nhập; null: không khóa"),
    active: z.boolean(),
    updatedAt: z.string(),
  });

  app.get(
    "/api/reporting-obligations",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["reports"],
        summary: "Chế độ báo cáo: cơ quan nào báo cáo chỉ số nào, cho cấp địa bàn nào, kỳ nào, hạn bao nhiêu ngày",
        querystring: z.object({
          agency: z.string().max(40).optional(),
          indicator: z.string().max(60).optional(),
          ...pagination,
        }),
        response: { 200: listOf(Obligation), ...errors },
      },
    },
    async (request) => obligations.list(request.query),
  );

  app.patch(
    "/api/reporting-obligations/:id",
    {
      config: { access: { permission: "catalogue.manage" } },
      schema: {
        tags: ["reports"],
        summary: "Sửa chế độ báo cáo (hạn gửi, khóa nhập, kỳ, áp dụng hay không); ghi nhật ký",
        params: z.object({ id: serialId }),
        body: z
          .object({
            deadlineDays: z.number().int().min(0).max(366).optional(),
            lockAfterDays: z.number().int().min(0).max(366).nullable().optional(),
            periodType: z.enum(["day", "week", "month", "quarter", "half_year", "year"]).optional(),
            active: z.boolean().optional(),
            reason: z.string().min(5).max(2000).describe("Lý do thay đổi (bắt buộc)"),
          })
          .refine((b) => Object.keys(b).length > 1, "Không có gì để sửa"),
        response: { 200: Obligation, ...errors },
      },
    },
    async (request) => obligations.update(requestContext(request), request.params.id, request.body),
  );
};
