import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { RouteDeps } from "../http/deps";
import { errorResponses, isoDate, listOf, pagination } from "../http/schemas";
import { areaService } from "./service";

const Level = z.enum(["nation", "province", "district", "commune"]);

const Area = z.object({
  id: z.string().describe("Mã định danh: mã chính thức với đơn vị hiện hành, 'old-<mã>' với đơn vị trước 01/7/2025"),
  code: z.string().describe("Mã đơn vị hành chính chính thức"),
  level: Level,
  name: z.string(),
  fullName: z.string(),
  nameEn: z.string().nullable(),
  unitType: z.string(),
  parentId: z.string().nullable(),
  validFrom: z.string().nullable(),
  validTo: z.string().nullable(),
  areaKm2: z.number().nullable(),
});

const MergeLink = z.object({
  id: z.string(),
  code: z.string(),
  level: Level,
  name: z.string(),
  fullName: z.string(),
  parentId: z.string().nullable(),
  mergeType: z.enum(["full", "partial"]),
});

const AreaDetail = Area.extend({
  parent: Area.nullable(),
  childCount: z.number().int(),
  mergedFrom: z.array(MergeLink).describe("Các đơn vị cũ sáp nhập vào đơn vị này (toàn bộ hoặc một phần)"),
  mergedInto: z.array(MergeLink).describe("Các đơn vị mới mà đơn vị cũ này được sáp nhập vào"),
});

export const areaRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database }) => {
  const service = areaService(database.db);

  app.get(
    "/api/areas",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["areas"],
        summary: "Danh sách đơn vị hành chính (theo cấp, đơn vị cha, tại một ngày)",
        querystring: z.object({
          level: Level.optional(),
          parent: z.string().min(1).max(20).optional().describe("Mã hoặc id của đơn vị cha"),
          at: isoDate.optional().describe("Ngày hiệu lực (mặc định hôm nay); 2025-06-30 trả về 63 tỉnh cũ"),
          q: z.string().max(200).optional().describe("Tìm theo tên, không phân biệt dấu"),
          ...pagination,
        }),
        response: { 200: listOf(Area), ...errorResponses },
      },
    },
    async (request) => service.list(request.query),
  );

  app.get(
    "/api/areas/:code",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["areas"],
        summary: "Một đơn vị hành chính và các đơn vị đã sáp nhập vào nó",
        params: z.object({ code: z.string().min(1).max(20) }),
        querystring: z.object({ at: isoDate.optional() }),
        response: { 200: AreaDetail, ...errorResponses },
      },
    },
    async (request) => service.get(request.params.code, request.query.at),
  );
};
