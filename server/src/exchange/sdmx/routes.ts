import { parseDisaggregation, parsePeriod } from "@dieuhanh/core";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { Readable } from "node:stream";
import { z } from "zod";
import { exportPages } from "../../datavalues/export";
import { sdmxCsvWriter, type ExportedValue } from "../../datavalues/formats/sdmx";
import { referenceData } from "../../datavalues/reference-cache";
import { InvalidInputError, NotFoundError, UnauthorizedError } from "../../errors";
import type { RouteDeps } from "../../http/deps";
import { ErrorBody } from "../../http/schemas";
import { SDMX_AGENCY, SDMX_DSD, SDMX_FLOW, SDMX_VERSION, sdmxCodes } from "./codes";
import { DATA_CSV_MEDIA_TYPE, DATA_JSON_MEDIA_TYPE, dataMessage } from "./messages";
import { negotiate, parseDataPath, parseKey, partsMatch, readPeriodBound } from "./query";
import { buildStructures, STRUCTURE_MEDIA_TYPE, structureMessage } from "./structure";

/** An SDMX-JSON observation message holds everything in memory: beyond this, ask SDMX-CSV (streamed). */
export const sdmxJsonLimit = { observations: 200_000 };

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 406: ErrorBody, 413: ErrorBody, 501: ErrorBody };
const notAcceptable = (message: string) => ({ statusCode: 406, error: "Not Acceptable", message });
const anyVersion = new Set(["*", "+", "~", "latest", SDMX_VERSION, `${SDMX_VERSION}.0`]);

/**
 * SDMX REST (ws entry point `/api/sdmx`): structure queries answered as SDMX-JSON 2.0 structure messages,
 * data queries as SDMX-CSV 2.0 (streamed) or SDMX-JSON 2.0 data messages, scope-filtered like every export.
 */
export const sdmxRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database, clock }) => {
  const now = () => clock();

  app.get(
    "/api/sdmx/structure/*",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["sdmx"],
        summary: "SDMX REST: cấu trúc (dataflow, datastructure, codelist, conceptscheme) dạng SDMX-JSON 2.0",
        description:
          "Ví dụ: /api/sdmx/structure/dataflow/VN_DH/DF_DIEUHANH/1.0?references=all (kèm DSD, khái niệm, danh mục mã), " +
          "/api/sdmx/structure/datastructure/VN_DH/DSD_DIEUHANH/1.0, /api/sdmx/structure/codelist/VN_DH/CL_AREA/1.0, " +
          "/api/sdmx/structure/codelist/VN_DH/*/1.0. Mã chỉ số: CT.A.I.3 viết CT_A_I_3 (mã SDMX không có dấu chấm).",
        params: z.object({ "*": z.string().max(300) }),
        querystring: z.object({
          references: z.enum(["none", "children", "descendants", "all", "parents", "parentsandsiblings"]).default("none"),
          detail: z
            .enum(["full", "allstubs", "referencestubs", "allcompletestubs", "referencecompletestubs", "referencepartial", "raw"])
            .optional(),
        }),
        response: { 200: z.unknown(), ...errors },
      },
    },
    async (request, reply) => {
      const accept = (request.headers.accept ?? "*/*").toLowerCase();
      if (!/\*\/\*|application\/\*|application\/json|application\/vnd\.sdmx\.structure\+json/.test(accept))
        return reply.code(406).send(notAcceptable("Chỉ có SDMX-JSON 2.0 (application/vnd.sdmx.structure+json; version=2.0.0)"));
      const [type = "", agency = "*", id = "*", version = "*", ...rest] = request.params["*"].split("/").map(decodeURIComponent);
      if (rest.length) throw new InvalidInputError("Đường dẫn cấu trúc thừa phần sau phiên bản");
      if (agency !== "*" && agency !== "all" && agency !== SDMX_AGENCY) throw new NotFoundError(`Không có cơ quan ${agency}`);
      if (!anyVersion.has(version) && version !== "all")
        throw new NotFoundError(`Không có phiên bản ${version} (có ${SDMX_VERSION})`);
      const s = await buildStructures(database.db);
      const wanted = (own: string) => id === "*" || id === "all" || id === own;
      const withReferences = request.query.references !== "none";
      const all = () => ({
        dataStructures: [s.dsd],
        conceptSchemes: [s.conceptScheme],
        codelists: [...s.codelists.values()],
      });
      let data: Record<string, unknown[]>;
      if (type === "dataflow" && wanted(SDMX_FLOW)) data = { dataflows: [s.dataflow], ...(withReferences ? all() : {}) };
      else if (type === "datastructure" && wanted(SDMX_DSD))
        data = {
          dataStructures: [s.dsd],
          ...(withReferences ? { conceptSchemes: [s.conceptScheme], codelists: [...s.codelists.values()] } : {}),
        };
      else if (type === "conceptscheme" && wanted("CS_DIEUHANH")) data = { conceptSchemes: [s.conceptScheme] };
      else if (type === "codelist") {
        const lists = [...s.codelists.values()].filter((c) => wanted(c.id));
        if (lists.length === 0) throw new NotFoundError(`Không có danh mục mã ${id}`);
        data = { codelists: lists };
      } else if (type === "structure" || type === "*") data = { dataflows: [s.dataflow], ...all() };
      else throw new NotFoundError(`Không có cấu trúc ${type}/${agency}/${id}/${version}`);
      return reply.type(STRUCTURE_MEDIA_TYPE).send(structureMessage(data, now()));
    },
  );

  app.get(
    "/api/sdmx/data/*",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["sdmx"],
        summary: "SDMX REST: truy vấn dữ liệu (SDMX-CSV 2.0 hoặc SDMX-JSON 2.0) trong phạm vi của người gọi",
        description: [
          "Đường dẫn: /api/sdmx/data/dataflow/VN_DH/DF_DIEUHANH/1.0/{khóa} (REST 2) hoặc /api/sdmx/data/DF_DIEUHANH/{khóa} (REST 1.x).",
          "Khóa: FREQ.INDICATOR.REF_AREA.<các chiều phân tổ>, ví dụ M.CT_A_I_3+CT_A_I_4.92 (ô trống hoặc * là mọi giá trị; + là hoặc; thiếu ở cuối là mọi giá trị; all là tất cả).",
          "Accept: application/vnd.sdmx.data+csv; version=2.0.0 (labels=both có tên), application/vnd.sdmx.data+json; version=2.0.0 (mặc định). Khác: 406.",
          "updatedAfter: chỉ số liệu công bố thay đổi sau thời điểm đó (số liệu bị xóa/rút: ACTION D, tập dữ liệu Delete). includeHistory=true: mọi phiên bản đã công bố kèm VALID_FROM/VALID_TO. Không có kết quả: 404.",
        ].join("\n\n"),
        params: z.object({ "*": z.string().max(4000) }),
        querystring: z.object({
          startPeriod: z.string().max(20).optional(),
          endPeriod: z.string().max(20).optional(),
          updatedAfter: z.iso.datetime({ offset: true }).optional(),
          asOf: z.iso.datetime({ offset: true }).optional(),
          includeHistory: z.stringbool().default(false),
          dimensionAtObservation: z.string().max(40).default("TIME_PERIOD"),
          detail: z.enum(["full", "dataonly", "serieskeysonly", "nodata"]).default("full"),
        }),
        response: { 200: z.unknown(), ...errors },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (!principal) throw new UnauthorizedError();
      const q = request.query;
      const format = negotiate(request.headers.accept);
      if (!format)
        return reply
          .code(406)
          .send(
            notAcceptable(
              "Định dạng không hỗ trợ: application/vnd.sdmx.data+csv; version=2.0.0 (labels=id|both) hoặc application/vnd.sdmx.data+json; version=2.0.0",
            ),
          );
      if (q.detail !== "full") throw new InvalidInputError(`detail=${q.detail} chưa được hỗ trợ (chỉ full)`, "detail");
      if (q.dimensionAtObservation !== "TIME_PERIOD" && q.dimensionAtObservation !== "AllDimensions")
        throw new InvalidInputError("dimensionAtObservation: TIME_PERIOD hoặc AllDimensions", "dimensionAtObservation");
      if (q.updatedAfter && q.asOf && Date.parse(q.updatedAfter) > Date.parse(q.asOf))
        throw new InvalidInputError("updatedAfter phải trước asOf", "updatedAfter");
      const ref = await referenceData(database.db);
      const codes = sdmxCodes(ref);
      const { key } = parseDataPath(request.params["*"]);
      const selection = parseKey(key, codes);
      const start = readPeriodBound(q.startPeriod, "startPeriod");
      const end = readPeriodBound(q.endPeriod, "endPeriod");
      const keep = (v: ExportedValue) => {
        const parsed = parseDisaggregation(v.disaggregation);
        if (selection.parts.size && !partsMatch(selection, parsed.ok ? parsed.parts : {})) return false;
        if (start || end) {
          const p = parsePeriod(v.period)!;
          if (start && p.end < start.start) return false;
          if (end && p.start > end.end) return false;
        }
        return true;
      };
      const pages = exportPages(database.db, principal, {
        indicatorCodes: selection.indicators,
        areaIds: selection.areas,
        periodTypes: selection.periodTypes,
        asOf: q.asOf ? new Date(q.asOf) : undefined,
        updatedAfter: q.updatedAfter ? new Date(q.updatedAfter) : undefined,
        includeHistory: q.includeHistory,
      });
      async function* kept() {
        for await (const page of pages) {
          const rows = page.filter(keep);
          if (rows.length) yield rows;
        }
      }
      const figures = kept();
      // The first page is read before answering: nothing at all is 404 (NoResultsFound), a failure an error.
      const first = await figures.next();
      if (first.done) throw new NotFoundError("Không có kết quả (NoResultsFound) cho truy vấn này trong phạm vi của bạn");
      const unitOf = (code: string) => ref.indicators.get(code)?.unit ?? null;
      if (format.kind === "json") {
        const values = [...first.value];
        for await (const page of figures) {
          values.push(...page);
          if (values.length > sdmxJsonLimit.observations)
            return reply.code(413).send({
              statusCode: 413,
              error: "Payload Too Large",
              message: `Quá ${sdmxJsonLimit.observations.toLocaleString("vi-VN")} quan sát cho SDMX-JSON: thu hẹp khóa hoặc dùng SDMX-CSV (truyền dần)`,
            });
        }
        const message = dataMessage(values, codes, unitOf, {
          dimensionAtObservation: q.dimensionAtObservation,
          history: q.includeHistory,
          now: now(),
        });
        return reply.type(DATA_JSON_MEDIA_TYPE).send(message);
      }
      let names: NonNullable<Parameters<typeof sdmxCsvWriter>[2]>["names"];
      if (format.labels === "both") {
        const s = await buildStructures(database.db);
        const concepts = new Map(s.conceptScheme.concepts.map((c) => [c.id, c.name]));
        const listOf = new Map<string, Map<string, string>>();
        for (const d of s.dsd.dataStructureComponents.dimensionList.dimensions) {
          const list = [...s.codelists.values()].find((c) => c.urn === d.localRepresentation.enumeration);
          if (list) listOf.set(d.id, new Map(list.codes.map((c) => [c.id, c.name])));
        }
        for (const a of ["UNIT_MEASURE", "OBS_STATUS"]) {
          const list = s.codelists.get(a === "UNIT_MEASURE" ? "CL_UNIT" : "CL_OBS_STATUS");
          if (list) listOf.set(a, new Map(list.codes.map((c) => [c.id, c.name])));
        }
        names = { column: (id) => concepts.get(id), code: (column, id) => listOf.get(column)?.get(id) };
      }
      const writer = sdmxCsvWriter(codes, unitOf, { history: q.includeHistory, labels: format.labels, names });
      async function* text() {
        yield writer.header();
        yield writer.rows(first.value!);
        for await (const page of figures) yield writer.rows(page);
      }
      return reply
        .type(`${DATA_CSV_MEDIA_TYPE.replace("; charset", `; labels=${format.labels}; charset`)}`)
        .header("content-language", "vi")
        .send(Readable.from(text()));
    },
  );
};
