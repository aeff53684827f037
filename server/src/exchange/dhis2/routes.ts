import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { requestContext } from "../../auth/access";
import { scopeChecker } from "../../auth/scope";
import { ConflictError, InvalidInputError, UnauthorizedError } from "../../errors";
import type { RouteDeps } from "../../http/deps";
import { ErrorBody, isoDate } from "../../http/schemas";
import { withUploadSlot } from "../../datavalues/formats/limits";
import { dataValueService } from "../../datavalues/service";
import { fromDhis2Period } from "@dieuhanh/core";
import { dhis2ExportText, dhis2ValuePages, periodsWithin, type Dhis2ExportFormat } from "./export";
import { importDataValueSet, importStrategies, parseIdScheme, parseStrategy } from "./import";
import { metadataKinds, metadataList } from "./listing";
import { dhis2Metadata, type Dhis2Metadata, type IdScheme } from "./metadata";
import { idSchemeNames, readAdxSet, readCsvSet, readJsonSet, readXmlSet, type RawSet } from "./read";
import { WebMessage } from "./summary";

const UPLOAD_BYTES = 50 * 1024 * 1024;
const sha256 = (body: string) => createHash("sha256").update(body).digest("hex");

const idSchemeParams = Object.fromEntries(
  idSchemeNames.map((n) => [n, z.string().max(60).optional().describe("UID (mặc định), CODE hoặc NAME")]),
) as Record<(typeof idSchemeNames)[number], z.ZodOptional<z.ZodString>>;

/** Parameters DHIS2 clients send that change nothing here; accepted so that they work, and ignored. */
const ignoredParams = {
  preheatCache: z.stringbool().optional().describe("DHIS2: nạp trước bộ nhớ đệm — không ảnh hưởng, bỏ qua"),
  skipAudit: z
    .stringbool()
    .optional()
    .describe("DHIS2: bỏ ghi nhật ký — bỏ qua: hệ thống luôn ghi nhật ký (nhiều hơn, không ít hơn)"),
  skipExistingCheck: z.stringbool().optional().describe("DHIS2: bỏ kiểm tra giá trị đã có — bỏ qua: hệ thống luôn kiểm tra"),
  skipCache: z.stringbool().optional().describe("DHIS2: bỏ bộ nhớ đệm — bỏ qua"),
  force: z
    .stringbool()
    .optional()
    .describe("DHIS2: bỏ qua khóa kỳ — bỏ qua: khóa và phê duyệt của hệ thống vẫn áp dụng (chặt hơn, không lỏng hơn)"),
  async: z.stringbool().optional().describe("Chỉ nhận false: hệ thống nhập đồng bộ và trả ImportSummary ngay"),
};

const ImportQuery = z.object({
  importStrategy: z
    .enum([...importStrategies, "NEW", "UPDATES", "NEW_AND_UPDATES", "DELETES"])
    .default("CREATE_AND_UPDATE")
    .describe("CREATE: bỏ qua giá trị đã có; UPDATE: bỏ qua giá trị chưa có; CREATE_AND_UPDATE; DELETE: xóa"),
  dryRun: z.stringbool().default(false),
  status: z
    .enum(["draft", "submitted"])
    .default("submitted")
    .describe("Riêng của hệ thống (không có trong DHIS2): lưu nháp hay gửi chính thức"),
  fileName: z.string().max(200).optional(),
  ...idSchemeParams,
  ...ignoredParams,
});

const many = z.union([z.string().max(200), z.array(z.string().max(200)).max(1000)]).optional();

const ExportQuery = z.object({
  dataSet: many.describe("Bộ chỉ số (UID hoặc mã); lặp lại được"),
  dataElement: many.describe("Chỉ số (UID hoặc mã); lặp lại được"),
  period: many.describe("Kỳ DHIS2 (202507, 2025Q3, …); lặp lại được; ưu tiên hơn startDate/endDate"),
  startDate: isoDate.optional(),
  endDate: isoDate.optional(),
  orgUnit: many.describe("Địa bàn (UID hoặc mã); lặp lại được"),
  children: z.stringbool().default(false).describe("Gồm mọi địa bàn cấp dưới (và đơn vị cũ đã sáp nhập)"),
  lastUpdated: z.string().max(40).optional().describe("Chỉ giá trị cập nhật từ thời điểm này (ISO 8601)"),
  lastUpdatedDuration: z
    .string()
    .regex(/^\d{1,6}[dhms]$/, "dạng <số><d|h|m|s>, ví dụ 10d")
    .optional()
    .describe("Chỉ giá trị cập nhật trong khoảng này (10d, 12h)"),
  includeDeleted: z.stringbool().default(false).describe("Gồm giá trị đã xóa (deleted: true)"),
  limit: z.coerce.number().int().min(1).max(10_000_000).optional(),
  attachment: z.string().max(200).optional().describe("Tên tệp tải về"),
  ...idSchemeParams,
});

const MetadataQuery = z.object({
  fields: z
    .string()
    .max(2000)
    .optional()
    .describe("Trường trả về: id,code,name (mặc định id,code,name,displayName), * cho tất cả"),
  filter: z
    .union([z.string().max(500), z.array(z.string().max(500)).max(50)])
    .optional()
    .describe("Bộ lọc thuộc_tính:toán_tử:giá_trị, ví dụ code:eq:CT.A.I.3; lặp lại được (tất cả phải đúng)"),
  paging: z.stringbool().default(true),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100_000).default(50),
});

const xmlTypes = ["application/xml", "text/xml"];
const adxTypes = ["application/adx+xml", "application/xml+adx"];
const csvTypes = ["application/csv", "text/csv"];

function mediaType(request: FastifyRequest) {
  return (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
}

/** The format an answer is asked in: the path's extension, else the Accept header (JSON by default). */
function answerFormat(ext: Dhis2ExportFormat | null, accept: string | undefined): Dhis2ExportFormat {
  if (ext) return ext;
  const a = (accept ?? "").toLowerCase();
  if (adxTypes.some((t) => a.includes(t)))
    throw new ConflictError("Xuất ADX chưa được hỗ trợ: dùng JSON, CSV hoặc XML (DXF2)", "accept");
  if (csvTypes.some((t) => a.includes(t))) return "csv";
  if (xmlTypes.some((t) => a.includes(t)) && !a.includes("json")) return "xml";
  return "json";
}

export const dhis2Routes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database, clock }) => {
  const db = database.db;
  const service = dataValueService(db, { now: clock });

  app.addContentTypeParser(
    [...xmlTypes, ...adxTypes, ...csvTypes],
    { parseAs: "string", bodyLimit: UPLOAD_BYTES },
    (_r, body, done) => done(null, body),
  );

  app.post(
    "/api/dataValueSets",
    {
      config: { access: { permission: "data.submit" } },
      bodyLimit: UPLOAD_BYTES,
      schema: {
        tags: ["dhis2"],
        summary: "DHIS2: nhập dataValueSets (JSON, CSV, XML DXF2, ADX) — trả ImportSummary; cả tệp hoặc không giá trị nào",
        description: [
          'Như Web API của DHIS2 (POST /api/dataValueSets). Content-Type: application/json, application/csv (hoặc text/csv; cột dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,lastupdated,comment,followup,deleted, có dòng tiêu đề), application/xml (<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0">) hoặc application/adx+xml (<adx xmlns="urn:ihe:qrph:adx:2015">).',
          "Định danh theo idScheme (UID mặc định; ADX: CODE): UID lấy từ /api/dataElements, /api/organisationUnits, /api/categoryOptionCombos; CODE là mã của hệ thống (mã chỉ số, mã địa bàn, khóa phân tổ như sex=F); NAME là tên hiển thị, khớp chính xác.",
          "Trả WebMessage có response là ImportSummary (DHIS2 ≥ 2.38): 200 khi nhận (status OK, ImportSummary SUCCESS), 409 khi từ chối (ERROR, conflicts nêu giá trị thứ mấy và trường nào; không ghi giá trị nào). attributeOptionCombo chỉ nhận tổ hợp mặc định.",
          "Tham số preheatCache, skipAudit, skipExistingCheck, skipCache, force được nhận và bỏ qua (không làm kiểm tra lỏng hơn); async chỉ nhận false.",
        ].join("\n\n"),
        querystring: ImportQuery,
        body: z.unknown(),
        response: {
          200: WebMessage,
          400: ErrorBody,
          401: ErrorBody,
          403: z.union([WebMessage, ErrorBody]),
          409: z.union([WebMessage, ErrorBody]),
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      if (!request.principal) throw new UnauthorizedError();
      if (q.async)
        throw new InvalidInputError("async=true không được hỗ trợ: hệ thống nhập đồng bộ (bỏ tham số hoặc async=false)", "async");
      // Checked before the body is read: a bad parameter is refused whatever the payload.
      for (const n of idSchemeNames) if (q[n] !== undefined) parseIdScheme(q[n], n);
      const type = mediaType(request);
      const body = request.body;
      const { set, hash } = await withUploadSlot(async (): Promise<{ set: RawSet; hash: string }> => {
        if (typeof body === "string") {
          const set = csvTypes.includes(type) ? readCsvSet(body) : adxTypes.includes(type) ? readAdxSet(body) : readXmlSet(body);
          return { set, hash: sha256(body) };
        }
        if (type !== "application/json") throw new InvalidInputError(`Content-Type '${type}' không được hỗ trợ`, "content-type");
        return { set: readJsonSet(body), hash: sha256(JSON.stringify(body)) };
      });
      const answer = await importDataValueSet(db, service, requestContext(request), set, {
        strategy: parseStrategy(q.importStrategy, "Tham số"),
        dryRun: q.dryRun,
        status: q.status,
        idSchemes: Object.fromEntries(idSchemeNames.filter((n) => q[n] !== undefined).map((n) => [n, q[n]!])),
        fileName: q.fileName ?? null,
        fileSha256: hash,
      });
      return reply.code(answer.statusCode).send(answer.body);
    },
  );

  /** Identifiers of a GET query: by UID, else by code. */
  const identifiers = (
    meta: Dhis2Metadata,
    values: string | string[] | undefined,
    resolve: (text: string, scheme: IdScheme) => { ok: true; code: string } | { ok: false; message: string },
    what: string,
  ) =>
    [values ?? []].flat().map((text) => {
      const r = resolve(text, "UID");
      if (r.ok) return r.code;
      const c = resolve(text, "CODE");
      if (c.ok) return c.code;
      throw new ConflictError(`Không có ${what} nào có UID hoặc mã '${text}'`, what);
    });

  for (const [url, ext] of [
    ["/api/dataValueSets", null],
    ["/api/dataValueSets.json", "json"],
    ["/api/dataValueSets.csv", "csv"],
    ["/api/dataValueSets.xml", "xml"],
  ] as const)
    app.get(
      url,
      {
        config: { access: { permission: "reference.read" } },
        schema: {
          tags: ["dhis2"],
          summary: `DHIS2: xuất dataValueSets${ext ? ` (${ext.toUpperCase()})` : " (JSON, CSV hoặc XML theo Accept)"} — số liệu đã công bố, nhập lại được nguyên vẹn`,
          description:
            "Như GET /api/dataValueSets của DHIS2: cần dataSet hoặc dataElement; period, hoặc startDate và endDate, hoặc lastUpdated; và orgUnit. " +
            "Định danh trong tham số: UID hoặc mã. idScheme (UID mặc định, CODE, NAME) chọn định danh trong tệp xuất. " +
            "Mỗi giá trị có created, lastUpdated, storedBy (người ghi, hoặc tên khóa API); includeDeleted=true thêm giá trị đã xóa (deleted: true).",
          querystring: ExportQuery,
        },
      },
      async (request, reply) => {
        const q = request.query;
        const principal = request.principal;
        if (!principal) throw new UnauthorizedError();
        const format = answerFormat(ext, request.headers.accept);
        const meta = await dhis2Metadata(db);
        const scheme = (name: (typeof idSchemeNames)[number]) => {
          const text = q[name] ?? q.idScheme;
          return text === undefined ? "UID" : parseIdScheme(text, q[name] !== undefined ? name : "idScheme");
        };
        const schemes = {
          dataElement: scheme("dataElementIdScheme"),
          orgUnit: scheme("orgUnitIdScheme"),
          combo: scheme("categoryOptionComboIdScheme"),
        };
        const dataSets = identifiers(meta, q.dataSet, (t, s) => meta.resolveDataSet(t, s), "dataSet");
        const elements = identifiers(meta, q.dataElement, (t, s) => meta.resolveDataElement(t, s), "dataElement");
        if (!dataSets.length && !elements.length) throw new ConflictError("Cần ít nhất một dataSet hoặc dataElement", "dataSet");
        const indicators = [...new Set([...elements, ...dataSets.flatMap((d) => meta.dataSet(d)!.dataElements)])];
        let periods: string[] | null = null;
        if (q.period !== undefined)
          periods = [q.period].flat().map((p) => {
            const parsed = fromDhis2Period(p);
            if (!parsed)
              throw new ConflictError(`Kỳ '${p}' không hợp lệ (ví dụ 2025, 2025Q3, 202507, 2025W31, 20250715)`, "period");
            return parsed.code;
          });
        else if (q.startDate || q.endDate) {
          if (!q.startDate || !q.endDate) throw new ConflictError("Cần cả startDate và endDate", "startDate");
          if (q.startDate > q.endDate) throw new ConflictError("startDate sau endDate", "startDate");
          if (Date.parse(q.endDate) - Date.parse(q.startDate) > 20 * 366 * 86_400_000)
            throw new ConflictError("Khoảng startDate–endDate dài quá 20 năm", "endDate");
          periods = periodsWithin(q.startDate, q.endDate);
        }
        let lastUpdated: Date | null = null;
        if (q.lastUpdated !== undefined) {
          const t = Date.parse(q.lastUpdated);
          if (Number.isNaN(t))
            throw new ConflictError(`lastUpdated '${q.lastUpdated}' không phải thời điểm ISO 8601`, "lastUpdated");
          lastUpdated = new Date(t);
        }
        if (q.lastUpdatedDuration !== undefined) {
          const n = Number(q.lastUpdatedDuration.slice(0, -1));
          const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[q.lastUpdatedDuration.slice(-1) as "d"];
          lastUpdated = new Date(clock().getTime() - n * unit);
        }
        if (periods === null && lastUpdated === null)
          throw new ConflictError("Cần period, hoặc startDate và endDate, hoặc lastUpdated", "period");
        const units = identifiers(meta, q.orgUnit, (t, s) => meta.resolveOrgUnit(t, s), "orgUnit");
        if (!units.length) throw new ConflictError("Cần ít nhất một orgUnit", "orgUnit");
        const scope = scopeChecker(db);
        let areas = new Set<string>();
        for (const u of units) {
          if (q.children) for (const a of await scope.subtree(u)) areas.add(a);
          else areas.add(u);
        }
        // A province's officials read their province (and its communes and history) only.
        if (principal.scope.areaId) {
          const mine = await scope.subtree(principal.scope.areaId);
          areas = new Set([...areas].filter((a) => mine.has(a)));
        }
        const pages = dhis2ValuePages(
          db,
          meta,
          {
            indicators,
            periods: periods ?? [],
            areas: [...areas],
            lastUpdated,
            includeDeleted: q.includeDeleted,
            limit: q.limit ?? null,
            allPeriods: periods === null,
          },
          schemes,
        );
        // The first page is read before the answer starts, so that a failure is still a proper error response.
        const first = await pages.next();
        async function* all() {
          if (!first.done) yield first.value;
          yield* pages;
        }
        const text = Readable.from(dhis2ExportText(format, all()));
        const name = q.attachment ?? `dataValueSets.${format}`;
        if (format !== "json" || q.attachment)
          reply.header("content-disposition", `attachment; filename="${name.replace(/[^\w.-]/g, "_")}"`);
        return reply
          .type(
            format === "json"
              ? "application/json; charset=utf-8"
              : format === "csv"
                ? "application/csv; charset=utf-8"
                : "application/xml; charset=utf-8",
          )
          .send(text);
      },
    );

  const titles: Record<(typeof metadataKinds)[number], string> = {
    dataElements: "chỉ số (dataElement: code = mã chỉ số)",
    organisationUnits: "địa bàn (organisationUnit: code = mã địa bàn)",
    categories: "chiều phân tổ (category: code = mã chiều)",
    categoryOptions: "phương án phân tổ (categoryOption: code = chiều=MÃ, ví dụ sex=F)",
    categoryCombos: "tổ hợp chiều phân tổ (categoryCombo: code = các chiều, ví dụ sex;urban_rural)",
    categoryOptionCombos: "phân tổ (categoryOptionCombo: code = khóa phân tổ, ví dụ sex=F; tổng số là default HllvX50cXC0)",
    dataSets: "bộ chỉ số (dataSet: code = mã bộ chỉ số)",
  };
  for (const kind of metadataKinds)
    app.get(
      `/api/${kind}`,
      {
        config: { access: { permission: "reference.read" } },
        schema: {
          tags: ["dhis2"],
          summary: `DHIS2: danh mục ${titles[kind]} với UID ổn định để ánh xạ`,
          querystring: MetadataQuery,
          response: { 200: z.record(z.string(), z.unknown()), 400: ErrorBody, 401: ErrorBody },
        },
      },
      async (request) => metadataList(await dhis2Metadata(db), kind, request.query),
    );
};
