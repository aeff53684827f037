import { createHash } from "node:crypto";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { Readable } from "node:stream";
import { requestContext } from "../auth/access";
import { BatchError, InvalidInputError, UnauthorizedError } from "../errors";
import type { RouteDeps } from "../http/deps";
import { ErrorBody, listOf, pagination } from "../http/schemas";
import { exportPages, exportText, type ExportFormat } from "./export";
import { readCsv } from "./formats/csv";
import { StreamedUpload } from "./formats/stream";
import { Dhis2DataValueSet, readDhis2 } from "./formats/dhis2";
import { withUploadSlot } from "./formats/limits";
import { readSdmxCsv } from "./formats/sdmx";
import { sdmxCodes } from "../exchange/sdmx/codes";
import { expandWildcards } from "../exchange/sdmx/wildcards";
import { referenceData } from "./reference-cache";
import type { ReadResult } from "./formats/text";
import { dataValueService } from "./service";
import type { IncomingRow } from "./validation";

const statuses = ["draft", "submitted", "approved", "returned"] as const;

export const DataValue = z.object({
  indicator: z.string(),
  area: z.string(),
  period: z.string(),
  disaggregation: z.string().describe("Phân tổ: '' là tổng số; 'sex=F' hoặc 'sex=F;urban_rural=U'"),
  value: z.number().nullable(),
  valueText: z.string().nullable(),
  comment: z.string().nullable(),
  status: z.enum(statuses),
  version: z.number().int().describe("Phiên bản: mỗi lần sửa thêm một phiên bản, bản cũ được giữ"),
  source: z.string().describe("Kênh: form, spreadsheet, api, csv, sdmx, dhis2, review, sample (số liệu mẫu)"),
  agency: z.string().nullable(),
  batchId: z.string().nullable(),
  reviewComment: z.string().nullable(),
  flags: z.array(z.string()),
  sample: z.boolean().describe("Số liệu mẫu do hệ thống sinh để minh họa, không phải số liệu thật"),
  published: z.boolean().describe("Là bản được công bố (lãnh đạo, bảng điều khiển, tệp xuất đọc bản này)"),
  recordedAt: z.string(),
  supersededAt: z.string().nullable(),
  origin: z
    .object({ install: z.string(), name: z.string() })
    .nullable()
    .optional()
    .describe("Số liệu đồng bộ từ hệ thống khác (bản sao chỉ đọc): hệ thống gốc"),
});

export const WriteResult = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  deleted: z.number().int(),
  unchanged: z.number().int(),
  dryRun: z.boolean(),
  batchId: z.string().nullable(),
  warnings: z.array(z.object({ row: z.number().int(), field: z.string(), message: z.string() })),
});

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody } as const;

const ImportQuery = z.object({
  format: z.enum(["csv", "sdmx-csv", "dhis2"]),
  status: z.enum(["draft", "submitted"]).default("submitted"),
  dryRun: z.stringbool().default(false),
  importStrategy: z.enum(["CREATE_AND_UPDATE", "DELETE"]).default("CREATE_AND_UPDATE").describe("DHIS2: xóa thay vì ghi"),
  fileName: z.string().max(200).optional(),
});

const sha256 = (body: string | Buffer) => createHash("sha256").update(body).digest("hex");
const UPLOAD_BYTES = 50 * 1024 * 1024;

export const dataValueRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database, clock }) => {
  const service = dataValueService(database.db, { now: clock });
  // CSV is never held whole: read as it arrives, chunk by chunk (formats/csv.ts, formats/stream.ts), inside
  // an upload slot; 50 MB at most (a larger Content-Length is refused before a byte is read).
  app.addContentTypeParser(["text/csv", "application/csv", "application/vnd.sdmx.data+csv"], (request, payload, done) => {
    try {
      const declared = request.headers["content-length"];
      done(null, new StreamedUpload(payload, UPLOAD_BYTES, declared === undefined ? undefined : Number(declared)));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  app.post(
    "/api/data-values",
    {
      config: { access: { permission: "data.submit" } },
      bodyLimit: UPLOAD_BYTES,
      schema: {
        tags: ["data"],
        summary: "Gửi số liệu dạng JSON (cả lô hoặc không dòng nào); gửi lại cùng lô không thay đổi gì",
        description:
          'Ví dụ: {"values":[{"indicator":"CT.A.I.3","area":"92","period":"2025M10","value":1234.5}],"status":"submitted"}. ' +
          "Kỳ: 2025 (năm), 2025S1 (6 tháng), 2025Q3 (quý), 2025M07 (tháng), 2025W31 (tuần), 20250715 (ngày). " +
          "Phân tổ: 'sex=F' (xem /api/dimensions). Chỉ số dạng văn bản dùng valueText. dryRun=true chỉ kiểm tra. " +
          "Mỗi lỗi nêu dòng (row, bắt đầu từ 1) và trường.",
        body: z.object({
          values: z
            .array(
              z.object({
                indicator: z.string().min(1).max(60),
                area: z.string().min(1).max(20),
                period: z.string().min(4).max(10),
                disaggregation: z.string().max(200).optional(),
                value: z.number().nullable().optional(),
                valueText: z.string().max(4000).nullable().optional(),
                comment: z.string().max(2000).nullable().optional(),
                unit: z.string().max(60).optional().describe("Đơn vị của giá trị; nếu có, phải đúng đơn vị của chỉ số"),
                delete: z.boolean().optional().describe("Xóa giá trị hiện hành (lịch sử vẫn giữ)"),
              }),
            )
            .min(1)
            .max(100_000),
          status: z.enum(["draft", "submitted"]).default("submitted"),
          dryRun: z.boolean().default(false),
        }),
        response: { 200: WriteResult, ...errors },
      },
    },
    async (request) => {
      const rows: IncomingRow[] = request.body.values.map((v, i) => ({
        at: { row: i + 1 },
        indicator: v.indicator,
        area: v.area,
        period: v.period,
        disaggregation: v.disaggregation ?? "",
        value: v.value ?? null,
        valueText: v.valueText ?? null,
        comment: v.comment ?? null,
        action: v.delete ? "delete" : "upsert",
        unit: v.unit ?? null,
      }));
      return service.ingest(requestContext(request), {
        rows,
        status: request.body.status,
        channel: "api",
        dryRun: request.body.dryRun,
      });
    },
  );

  app.post(
    "/api/data-values/import",
    {
      config: { access: { permission: "data.submit" } },
      bodyLimit: UPLOAD_BYTES,
      schema: {
        tags: ["data"],
        summary: "Nhập số liệu từ tệp CSV, SDMX-CSV hoặc DHIS2 dataValueSets JSON (cả tệp hoặc không dòng nào)",
        description: [
          "format=csv (Content-Type: text/csv), cột: indicator,area,period,disaggregation,value,comment (hoặc tiêu đề tiếng Việt: Mã chỉ số, Mã địa bàn, Kỳ, Phân tổ, Giá trị, Ghi chú); dấu phân cách , hoặc ;",
          "Ví dụ CSV:\n```\nindicator;area;period;value;comment\nCT.A.I.3;92;2025M10;1.234,5;\n```",
          "format=sdmx-csv (Content-Type: text/csv hoặc application/vnd.sdmx.data+csv; version=2.0.0; labels=id|both), SDMX-CSV 2.0 và 1.0 (cột DATAFLOW): ACTION M gộp (ô trống giữ giá trị/ghi chú đã lưu), R thay thế (ô trống là không có), D xóa (ô chiều trống là mọi giá trị của chiều; COMMENT '-' xóa ghi chú); A và I đọc như M; OBS_VALUE NaN là thiếu giá trị (số liệu bị rút). Mã chỉ số viết CT_A_I_3 hoặc CT.A.I.3; mỗi chiều phân tổ một cột (SEX, …; _T là tổng số) hoặc cột DISAGGREGATION cũ. Cấu trúc: /api/sdmx/structure/dataflow/VN_DH/DF_DIEUHANH/1.0. Ví dụ:\n```\nSTRUCTURE,STRUCTURE_ID,ACTION,FREQ,INDICATOR,REF_AREA,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,COMMENT\ndataflow,VN_DH:DF_DIEUHANH(1.0),M,M,CT_A_I_3,92,2025-10,1234.5,TY_DONG,\n```",
          'format=dhis2 (Content-Type: application/json), DHIS2 dataValueSets. Ví dụ: {"dataValues":[{"dataElement":"CT.A.I.3","period":"202510","orgUnit":"92","value":"1234.5"}]}',
          "DHIS2: attributeOptionCombo chỉ nhận tổ hợp mặc định (HllvX50cXC0); tổ hợp khác bị từ chối (nêu dòng và trường), không bao giờ ghi thành tổng số. Trường lạ bị từ chối. SDMX-CSV: UNIT_MULT khác 0 bị từ chối.",
          "Dòng đánh dấu số liệu mẫu (cột sample, thuộc tính SAMPLE, attributeOptionCombo SAMPLE — như tệp xuất) được bỏ qua kèm cảnh báo. Văn bản bắt đầu bằng ' trước ký tự công thức được đọc là văn bản (bỏ dấu ').",
          "Giới hạn mỗi tệp: 50 MB, 100.000 dòng số liệu, 60 giây đọc (vượt: 413); khi từ chối, liệt kê 1.000 lỗi đầu tiên và tổng số lỗi (errorCount).",
        ].join("\n\n"),
        querystring: ImportQuery,
        body: z.unknown(),
        response: { 200: WriteResult, ...errors },
      },
    },
    async (request) => {
      const q = request.query;
      const body = request.body;
      let fileSha256: string | null = null;
      const read: ReadResult = await withUploadSlot(async () => {
        if (q.format === "dhis2") {
          const parsed = Dhis2DataValueSet.safeParse(body);
          if (!parsed.success) {
            const issue = parsed.error.issues[0];
            const keys = issue && "keys" in issue ? ` (${(issue.keys as string[]).join(", ")})` : "";
            throw new InvalidInputError(`Không phải DHIS2 dataValueSets: ${issue?.path.join(".")} ${issue?.message}${keys}`);
          }
          fileSha256 = sha256(JSON.stringify(body));
          return readDhis2(parsed.data, q.importStrategy);
        }
        if (!(body instanceof StreamedUpload))
          throw new InvalidInputError("Gửi tệp CSV với Content-Type: text/csv (SDMX-CSV: application/vnd.sdmx.data+csv)");
        if (q.format === "sdmx-csv" && /;\s*labels\s*=\s*"?name/i.test(request.headers["content-type"] ?? ""))
          throw new InvalidInputError("SDMX-CSV labels=name không được nhận: gửi labels=id hoặc labels=both");
        if (q.format === "csv") {
          const result = await readCsv(body.chunks());
          // The batch records the whole file's hash: what the reader left unread (after a problem) is read too.
          fileSha256 = await body.sha256();
          return result;
        }
        const sdmx = await readSdmxCsv(body.chunks(), sdmxCodes(await referenceData(database.db)));
        fileSha256 = await body.sha256();
        // D rows with wildcards: one deletion per stored figure they match, in the caller's scope.
        if (sdmx.wildcards.length && sdmx.errors.length === 0 && request.principal) {
          const expanded = await expandWildcards(database.db, request.principal, sdmx.wildcards, sdmx.rows);
          return { ...sdmx, rows: [...sdmx.rows, ...expanded.rows], errors: expanded.errors, errorCount: expanded.errors.length };
        }
        return sdmx;
      });
      const skipped = read.warnings ?? [];
      const errorCount = read.errorCount ?? read.errors.length;
      // More problems than an answer lists: the file is refused on what was read, without validating further.
      if (errorCount > read.errors.length)
        throw new BatchError(`Có ${errorCount.toLocaleString("vi-VN")} lỗi, không ghi dòng nào`, read.errors, 400, errorCount);
      if (read.rows.length === 0 && errorCount === 0 && skipped.length > 0) {
        if (!request.principal) throw new UnauthorizedError();
        // Only sample figures (e.g. an export re-imported): nothing to write, and the answer says why.
        return { created: 0, updated: 0, deleted: 0, unchanged: 0, dryRun: q.dryRun, batchId: null, warnings: skipped };
      }
      const result = await service.ingest(requestContext(request), {
        rows: read.rows,
        readErrors: read.errors,
        status: q.status,
        channel: q.format === "csv" ? "csv" : q.format === "sdmx-csv" ? "sdmx" : "dhis2",
        dryRun: q.dryRun,
        fileName: q.fileName ?? null,
        fileSha256: fileSha256!,
      });
      return { ...result, warnings: [...skipped, ...result.warnings].sort((a, b) => a.row - b.row) };
    },
  );

  const ListQuery = z.object({
    indicator: z.string().max(60).optional(),
    area: z.string().max(20).optional(),
    period: z.string().max(10).optional(),
    disaggregation: z.string().max(200).optional(),
    status: z
      .enum([...statuses, "published", "all"])
      .optional()
      .describe(
        "Mặc định: số liệu đã công bố (đã gửi hoặc đã duyệt); submitted/approved: đã công bố theo trạng thái; draft/returned: bản hiện hành đang nháp/bị trả lại; all: mọi bản hiện hành",
      ),
    agency: z.string().max(40).optional(),
    flagged: z.stringbool().optional().describe("Chỉ số liệu có cảnh báo (bất thường so với lịch sử)"),
    asOf: z.iso.datetime({ offset: true }).optional().describe("Thời điểm (ISO 8601): số liệu như đã có tại lúc đó"),
  });

  app.get(
    "/api/data-values",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["data"],
        summary: "Số liệu trong phạm vi của người gọi; asOf cho biết số liệu tại một thời điểm",
        querystring: ListQuery.extend(pagination),
        response: { 200: listOf(DataValue), ...errors },
      },
    },
    async (request) => service.list(requestContext(request), request.query),
  );

  app.get(
    "/api/data-values/history",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["data"],
        summary: "Mọi phiên bản của một số liệu: ai ghi, khi nào, qua kênh nào, trạng thái",
        querystring: z.object({
          indicator: z.string().max(60),
          area: z.string().max(20),
          period: z.string().max(10),
          disaggregation: z.string().max(200).default(""),
        }),
        response: { 200: listOf(DataValue.extend({ recordedBy: z.string().nullable() })), ...errors },
      },
    },
    async (request) => service.history(requestContext(request), request.query),
  );

  app.get(
    "/api/data-values/export",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["data"],
        summary: "Xuất số liệu: CSV, SDMX-CSV hoặc DHIS2 dataValueSets JSON — đầy đủ, không giới hạn số dòng (truyền dần)",
        description: [
          "Số viết dạng thập phân đầy đủ (0.0000001, không 1e-7), đọc lại được bằng chính chức năng nhập. ",
          "Văn bản bắt đầu bằng =, +, -, @ được thêm dấu ' ở đầu (bảng tính không chạy như công thức; khi nhập lại, dấu ' được bỏ). ",
          "Số liệu mẫu được đánh dấu: cột sample (CSV), thuộc tính SAMPLE (SDMX-CSV), attributeOptionCombo SAMPLE (DHIS2); ",
          "khi nhập lại, các dòng này được bỏ qua kèm cảnh báo.",
        ].join(""),
        querystring: ListQuery.extend({
          format: z.enum(["csv", "sdmx-csv", "dhis2"]),
          updatedAfter: z.iso
            .datetime({ offset: true })
            .optional()
            .describe(
              'Thời điểm (ISO 8601): chỉ số liệu công bố thay đổi sau lúc đó — công bố mới hoặc sửa, và số liệu bị xóa/rút không còn bản công bố (dòng xóa: SDMX-CSV ACTION D, CSV cột deleted=true, DHIS2 "deleted": true)',
            ),
        }),
      },
    },
    async (request, reply) => {
      const q = request.query;
      const principal = request.principal;
      if (!principal) throw new UnauthorizedError();
      if (q.updatedAfter && q.status && q.status !== "published" && q.status !== "submitted" && q.status !== "approved")
        throw new InvalidInputError("updatedAfter chỉ dùng với số liệu đã công bố (status published, submitted hoặc approved)");
      if (q.updatedAfter && q.asOf && Date.parse(q.updatedAfter) > Date.parse(q.asOf))
        throw new InvalidInputError("updatedAfter phải trước asOf");
      const pages = exportPages(database.db, principal, {
        indicatorCode: q.indicator,
        areaIds: q.area ? [q.area] : undefined,
        period: q.period,
        disaggregation: q.disaggregation,
        status: q.status,
        agencyCode: q.agency,
        flagged: q.flagged,
        asOf: q.asOf ? new Date(q.asOf) : undefined,
        updatedAfter: q.updatedAfter ? new Date(q.updatedAfter) : undefined,
      });
      // The first page is read before the answer starts, so that a failure is still a proper error response.
      const first = await pages.next();
      async function* all() {
        if (!first.done) yield first.value;
        yield* pages;
      }
      const format: ExportFormat = q.format;
      const body = Readable.from(exportText(database.db, format, all(), { changes: q.updatedAfter !== undefined }));
      if (format === "dhis2") return reply.type("application/json; charset=utf-8").send(body);
      return reply
        .type(format === "sdmx-csv" ? "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8" : "text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="so-lieu.${format === "sdmx-csv" ? "sdmx." : ""}csv"`)
        .send(body);
    },
  );
};
