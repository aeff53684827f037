import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { periodTypes, rowKinds } from "@dieuhanh/core";
import type { RouteDeps } from "../http/deps";
import { AgencyLinkSchema } from "../agencies/schemas";
import { ErrorBody, errorResponses, listOf, pagination } from "../http/schemas";
import { requestContext } from "../auth/access";
import { scopeChecker } from "../auth/scope";
import { ForbiddenError } from "../errors";
import { indicatorsWithChildData } from "./series";
import { catalogueService } from "./service";

const Subgroup = z.object({ code: z.string(), name: z.string(), count: z.number().int() });
const Catalogue = z.object({
  id: z.string(),
  codePrefix: z.string(),
  name: z.string(),
  document: z.object({
    number: z.string().nullable(),
    date: z.string().nullable(),
    issuer: z.string(),
    title: z.string(),
  }),
  appendix: z.string(),
  issuingAreaId: z.string().nullable(),
  version: z.number().int(),
  rowCount: z.number().int().describe("Số dòng của bảng (kể cả dòng tiêu đề mục)"),
  indicatorCount: z.number().int().describe("Số chỉ số (không tính dòng tiêu đề mục)"),
  groups: z.array(Subgroup.extend({ subgroups: z.array(Subgroup) })).describe("Số dòng theo nhóm và nhóm con"),
});

const IndicatorSummary = z.object({
  code: z.string(),
  catalogueId: z.string(),
  seq: z.number().int(),
  stt: z.string().nullable(),
  kind: z.enum(rowKinds),
  parentCode: z.string().nullable(),
  group: z.string(),
  subgroup: z.string().nullable(),
  name: z.string(),
  nameAsWritten: z.string(),
  details: z.string().nullable(),
  unit: z.string().nullable(),
  unitInferred: z.boolean(),
  scopeAsWritten: z.string().nullable(),
  frequencyAsWritten: z.string().nullable(),
  periodTypes: z.array(z.string()),
  agencies: z.array(AgencyLinkSchema),
  nationalCode: z.string().nullable(),
});

const IndicatorRef = z.object({
  code: z.string(),
  catalogueId: z.string(),
  name: z.string(),
  kind: z.string(),
  stt: z.string().nullable(),
});

const IndicatorDetail = IndicatorSummary.extend({
  unitAsWritten: z.string().nullable(),
  scopeLevels: z.array(z.string()),
  frequencyMonths: z.array(z.number().int()),
  frequencyDueMonth: z.string().nullable(),
  disaggregationAsWritten: z.string().nullable(),
  dimensions: z.array(z.string()),
  agenciesAsWritten: z.string().nullable(),
  sharingAgenciesAsWritten: z.string().nullable(),
  sharingAgencies: z.array(AgencyLinkSchema),
  collectionMethodAsWritten: z.string().nullable(),
  comparisons: z.array(z.string()),
  note: z.string().nullable(),
  version: z.number().int(),
  parent: IndicatorRef.nullable(),
  children: z.array(IndicatorRef),
  nationalIndicator: IndicatorRef.nullable(),
  implementedBy: z.array(IndicatorRef).describe("Các chỉ số của địa phương triển khai chỉ số quốc gia này"),
  source: z.object({
    catalogueId: z.string(),
    catalogueName: z.string().nullable(),
    documentNumber: z.string().nullable(),
    documentDate: z.string().nullable(),
    documentIssuer: z.string().nullable(),
    appendix: z.string().nullable(),
    sourceFile: z.string().nullable(),
    line: z.number().int(),
    rowLabel: z.string().nullable(),
  }),
});

const CatalogueId = z.object({ id: z.string().regex(/^[a-z0-9-]{1,40}$/, "mã bộ chỉ số không hợp lệ") });

export const catalogueRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database }) => {
  const service = catalogueService(database.db);

  app.get(
    "/api/catalogues",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["catalogues"],
        summary: "Các bộ chỉ số và số dòng theo nhóm",
        response: { 200: listOf(Catalogue) },
      },
    },
    async () => service.listCatalogues(),
  );

  app.get(
    "/api/catalogues/:id",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["catalogues"],
        summary: "Một bộ chỉ số",
        params: CatalogueId,
        response: { 200: Catalogue, ...errorResponses },
      },
    },
    async (request) => service.getCatalogue(request.params.id),
  );

  app.get(
    "/api/catalogues/:id/indicators",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["catalogues"],
        summary: "Các chỉ số của một bộ chỉ số, lọc theo nhóm, cơ quan, tần suất và từ khóa",
        params: CatalogueId,
        querystring: z.object({
          group: z
            .string()
            .regex(/^[A-Z]$/, "nhóm là một chữ cái A–D")
            .optional(),
          subgroup: z
            .string()
            .regex(/^[IVXL]+$/, "nhóm con là số La Mã")
            .optional(),
          kind: z.enum(rowKinds).optional(),
          agency: z.string().max(40).optional().describe("Mã cơ quan thực hiện (kể cả cơ quan tiền thân)"),
          frequency: z.enum(periodTypes).optional().describe("Loại kỳ: day, month, quarter, …"),
          q: z.string().max(200).optional().describe("Tìm không phân biệt dấu, hoa thường: 'chi so gia' tìm được 'Chỉ số giá'"),
          ...pagination,
        }),
        response: { 200: listOf(IndicatorSummary), ...errorResponses },
      },
    },
    async (request) => service.listIndicators(request.params.id, request.query),
  );

  app.get(
    "/api/catalogues/:id/indicators-with-data",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["catalogues"],
        summary:
          "Các chỉ số của bộ có số liệu cho các địa bàn con (xã của một tỉnh) trong một kỳ: để chọn chỉ số khi xem chi tiết",
        params: CatalogueId,
        querystring: z.strictObject({
          parent: z.string().min(1).max(20).describe("Địa bàn cha: VN hoặc mã tỉnh"),
          period: z.string().regex(/^\d{4}(M\d{2}|Q[1-4]|S[12])?$/, "kỳ dạng 2025M07, 2025Q3, 2025S1 hoặc 2025"),
        }),
        response: {
          200: listOf(
            z.object({ code: z.string(), name: z.string(), unit: z.string().nullable(), areasWithData: z.number().int() }),
          ),
          ...errorResponses,
          403: ErrorBody,
        },
      },
    },
    async (request) => {
      const principal = requestContext(request).principal!;
      if (!(await scopeChecker(database.db).coversArea(principal, request.query.parent)))
        throw new ForbiddenError(`Địa bàn ${request.query.parent} nằm ngoài phạm vi của bạn`);
      const items = await indicatorsWithChildData(database.db, { catalogueId: request.params.id, ...request.query });
      return { items, total: items.length };
    },
  );

  app.get(
    "/api/indicators/:code",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["catalogues"],
        summary: "Một chỉ số với đầy đủ thuộc tính và dẫn chiếu nguồn",
        params: z.object({ code: z.string().min(3).max(60) }),
        response: { 200: IndicatorDetail, ...errorResponses },
      },
    },
    async (request) => service.getIndicator(request.params.code),
  );
};
