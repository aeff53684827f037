import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { requestContext } from "../auth/access";
import type { RouteDeps } from "../http/app";
import { ErrorBody, listOf, pagination } from "../http/schemas";
import { dataValueService } from "./service";

const DataValue = z.object({
  indicator: z.string(),
  area: z.string(),
  period: z.string(),
  disaggregation: z.string(),
  value: z.number().nullable(),
  comment: z.string().nullable(),
  status: z.enum(["draft", "submitted", "approved", "returned"]),
  version: z.number().int().describe("Phiên bản: mỗi lần sửa thêm một phiên bản, bản cũ được giữ"),
  source: z.string(),
  recordedAt: z.string(),
  supersededAt: z.string().nullable(),
});

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody } as const;

export const dataValueRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database }) => {
  const service = dataValueService(database.db);

  app.post(
    "/api/data-values",
    {
      config: { access: { permission: "data.submit" } },
      schema: {
        tags: ["data"],
        summary: "Gửi số liệu (cả lô hoặc không dòng nào); gửi lại cùng lô không thay đổi gì",
        description:
          'Ví dụ: {"values":[{"indicator":"CT.A.I.3","area":"92","period":"2025M10","value":1234.5}]}. ' +
          "Kỳ: 2025 (năm), 2025S1 (6 tháng), 2025Q3 (quý), 2025M07 (tháng), 2025W31 (tuần), 20250715 (ngày).",
        body: z.object({
          values: z
            .array(
              z.object({
                indicator: z.string().min(1).max(60),
                area: z.string().min(1).max(20),
                period: z.string().min(4).max(10),
                disaggregation: z.string().max(200).optional(),
                value: z.number(),
                comment: z.string().max(2000).nullable().optional(),
              }),
            )
            .min(1)
            .max(10_000),
          status: z.enum(["draft", "submitted"]).default("submitted"),
          dryRun: z.boolean().default(false),
        }),
        response: {
          200: z.object({
            created: z.number().int(),
            updated: z.number().int(),
            unchanged: z.number().int(),
            dryRun: z.boolean(),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const ctx = requestContext(request);
      const source = ctx.principal?.via === "token" ? `api:${ctx.principal.displayName}` : "api";
      return service.submit(ctx, { ...request.body, source });
    },
  );

  app.get(
    "/api/data-values",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["data"],
        summary: "Số liệu trong phạm vi của người gọi; asOf cho biết số liệu tại một thời điểm",
        querystring: z.object({
          indicator: z.string().max(60).optional(),
          area: z.string().max(20).optional(),
          period: z.string().max(10).optional(),
          asOf: z.iso.datetime({ offset: true }).optional().describe("Thời điểm (ISO 8601): số liệu như đã có tại lúc đó"),
          ...pagination,
        }),
        response: { 200: listOf(DataValue), ...errors },
      },
    },
    async (request) => service.list(requestContext(request), request.query),
  );
};
