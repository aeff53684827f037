import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { requestContext } from "../auth/access";
import { vietnamDate } from "../clock";
import type { RouteDeps } from "../http/deps";
import { errorResponses, bigserialId } from "../http/schemas";
import { formatDate } from "@dieuhanh/core";
import { tableWorkbook, XLSX_TYPE } from "../http/xlsx";
import { targetService } from "./service";

const Operator = z.enum([">=", "<=", "=", "range"]);
const Status = z.enum(["achieved", "on_track", "at_risk", "off_track", "no_target", "no_data"]);
const Target = z.object({
  id: z.string(),
  indicator: z.string(),
  indicatorName: z.string(),
  unit: z.string().nullable(),
  catalogueId: z.string(),
  kind: z.string(),
  area: z.string(),
  areaName: z.string(),
  year: z.number().int(),
  source: z.string().describe("Nghị quyết giao chỉ tiêu"),
  operator: Operator,
  targetValue: z.number().nullable(),
  targetMax: z.number().nullable(),
  note: z.string().nullable(),
  updatedAt: z.string(),
  status: Status.describe(
    "achieved, on_track, at_risk (hụt ≤ 5%), off_track, no_target, no_data — quy tắc ở docs/decisions/0006",
  ),
  statusLabel: z.string(),
  measured: z.number().nullable(),
  measuredAs: z.enum(["annual", "cumulative", "latest"]).nullable(),
  projected: z.number().nullable().describe("Dự báo đến cuối năm"),
  percentOfTarget: z.number().nullable(),
  monthsReported: z.number().int(),
});

export const targetRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database, clock }) => {
  const service = targetService(database.db, { today: () => vietnamDate(clock()) });

  app.get(
    "/api/targets",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["targets"],
        summary: "Chỉ tiêu kế hoạch với tiến độ từ số liệu báo cáo: giá trị đo được, dự báo cuối năm, đánh giá",
        querystring: z.object({
          indicator: z.string().max(60).optional(),
          area: z.string().max(20).optional(),
          year: z.coerce.number().int().min(2000).max(2100).optional(),
          catalogue: z.string().max(40).optional(),
        }),
        response: {
          200: z.object({
            items: z.array(Target),
            total: z.number().int(),
            summary: z.object({
              achieved: z.number().int(),
              onTrack: z.number().int(),
              atRisk: z.number().int(),
              offTrack: z.number().int(),
              noTarget: z.number().int(),
              noData: z.number().int(),
            }),
            asOf: z.string(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => service.list(request.query),
  );

  app.get(
    "/api/targets/export",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["targets"],
        summary: "Xuất chỉ tiêu và tiến độ ra Excel",
        querystring: z.object({
          year: z.coerce.number().int().min(2000).max(2100).optional(),
          catalogue: z.string().max(40).optional(),
        }),
      },
    },
    async (request, reply) => {
      const { items, asOf } = await service.list(request.query);
      const file = await tableWorkbook(
        `CHỈ TIÊU KẾ HOẠCH VÀ TIẾN ĐỘ (số liệu đến ngày ${formatDate(asOf)})`,
        [
          { header: "Mã chỉ số", width: 14, value: (t) => t.indicator },
          { header: "Chỉ tiêu", width: 50, value: (t) => t.indicatorName },
          { header: "Địa bàn", width: 14, value: (t) => t.areaName },
          { header: "Năm", width: 8, value: (t) => t.year },
          { header: "Đơn vị", width: 12, value: (t) => t.unit },
          { header: "So sánh", width: 8, value: (t) => t.operator },
          { header: "Chỉ tiêu giao", width: 14, value: (t) => t.targetValue },
          { header: "Thực hiện", width: 14, value: (t) => t.measured },
          { header: "Dự báo cuối năm", width: 14, value: (t) => t.projected },
          { header: "% so chỉ tiêu", width: 12, value: (t) => t.percentOfTarget },
          { header: "Đánh giá", width: 22, value: (t) => t.statusLabel },
          { header: "Căn cứ", width: 50, value: (t) => t.source },
        ],
        items,
        "Chỉ tiêu",
      );
      return reply.type(XLSX_TYPE).header("content-disposition", 'attachment; filename="chi-tieu.xlsx"').send(file);
    },
  );

  app.post(
    "/api/targets",
    {
      config: { access: { permission: "tasks.manage" } },
      schema: {
        tags: ["targets"],
        summary: "Thêm chỉ tiêu cho một chỉ số, địa bàn, năm",
        body: z.object({
          indicator: z.string().max(60),
          area: z.string().max(20),
          year: z.number().int().min(2000).max(2100),
          source: z.string().min(3).max(500),
          operator: Operator,
          targetValue: z.number().nullable(),
          targetMax: z.number().nullable().default(null),
          note: z.string().max(2000).nullable().default(null),
        }),
        response: { 200: z.object({ id: z.string() }), ...errorResponses },
      },
    },
    async (request) => service.create(requestContext(request), request.body),
  );

  app.patch(
    "/api/targets/:id",
    {
      config: { access: { permission: "tasks.manage" } },
      schema: {
        tags: ["targets"],
        summary: "Nhập hoặc sửa giá trị chỉ tiêu (cần lý do, ghi nhật ký)",
        params: z.object({ id: bigserialId }),
        body: z.object({
          operator: Operator.optional(),
          targetValue: z.number().nullable().optional(),
          targetMax: z.number().nullable().optional(),
          source: z.string().min(3).max(500).optional(),
          note: z.string().max(2000).nullable().optional(),
          reason: z.string().min(5).max(2000),
        }),
        response: { 200: z.object({ id: z.string() }), ...errorResponses },
      },
    },
    async (request) => service.update(requestContext(request), request.params.id, request.body),
  );

  app.get(
    "/api/targets/years",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["targets"],
        summary: "Các năm có chỉ tiêu, và năm hiện tại theo đồng hồ của hệ thống (mặc định của trang chỉ tiêu)",
        response: { 200: z.object({ years: z.array(z.number().int()), current: z.number().int() }), ...errorResponses },
      },
    },
    async () => ({ years: await service.years(), current: Number(vietnamDate(clock()).slice(0, 4)) }),
  );

  app.get(
    "/api/programmes",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["targets"],
        summary: "Chương trình mục tiêu quốc gia, dự án trọng điểm: dự án, kế hoạch vốn và giải ngân theo tỉnh",
        querystring: z.object({ year: z.coerce.number().int().min(2000).max(2100).optional() }),
        response: {
          200: z.object({
            year: z.number().int(),
            items: z.array(
              z.object({
                code: z.string(),
                name: z.string(),
                kind: z.enum(["national_target_programme", "key_projects"]),
                indicator: z.string().nullable(),
                leadAgency: z
                  .string()
                  .nullable()
                  .describe("Cơ quan chủ trì hiện nay (cơ quan kế thừa nếu cơ quan trong văn bản đã giải thể)"),
                leadAgencyName: z.string().nullable(),
                leadAgencyAsWritten: z
                  .object({ code: z.string(), name: z.string() })
                  .nullable()
                  .describe("Cơ quan chủ trì như văn bản ghi, khi đó là cơ quan đã giải thể"),
                periodFrom: z.number().int(),
                periodTo: z.number().int(),
                projects: z.array(
                  z.object({
                    code: z.string(),
                    name: z.string(),
                    area: z.string().nullable(),
                    areaName: z.string().nullable(),
                    capitalPlan: z.number().nullable(),
                    unit: z.string(),
                    physicalProgress: z.number().int().nullable(),
                  }),
                ),
                byArea: z.array(
                  z.object({
                    area: z.string(),
                    areaName: z.string(),
                    plan: z.number().nullable(),
                    disbursed: z.number().nullable(),
                    disbursementRate: z.number().nullable(),
                  }),
                ),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => service.programmes(request.query.year ?? Number(vietnamDate(clock()).slice(0, 4))),
  );

  app.post(
    "/api/projects",
    {
      config: { access: { permission: "tasks.manage" } },
      schema: {
        tags: ["targets"],
        summary: "Thêm hoặc sửa dự án của chương trình (kế hoạch vốn, tiến độ thực hiện %)",
        body: z.object({
          code: z.string().regex(/^[A-Za-z0-9._-]{2,40}$/),
          programme: z.string().max(40),
          name: z.string().min(3).max(500),
          area: z.string().max(20).nullable().default(null),
          capitalPlan: z.number().min(0).nullable().default(null),
          physicalProgress: z.number().int().min(0).max(100).nullable().default(null),
        }),
        response: { 200: z.object({ code: z.string() }), ...errorResponses },
      },
    },
    async (request) => service.saveProject(requestContext(request), request.body),
  );
};
