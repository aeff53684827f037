import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { agencyKinds, agencyLevels } from "@dieuhanh/core";
import type { RouteDeps } from "../http/deps";
import { errorResponses, listOf, pagination } from "../http/schemas";
import { agencyService } from "./service";

const AgencyRef = z.object({ code: z.string(), name: z.string() });

const Agency = z.object({
  code: z.string(),
  name: z.string(),
  level: z.string(),
  kind: z.string(),
  provinceCode: z.string().nullable(),
  dissolvedOn: z.string().nullable().describe("Ngày chấm dứt hoạt động (hợp nhất, sáp nhập năm 2025)"),
  successor: AgencyRef.nullable().describe("Cơ quan kế thừa trực tiếp"),
  current: AgencyRef.describe("Cơ quan hiện nay đảm nhận chức năng (cuối chuỗi kế thừa)"),
  aliases: z.array(z.string()).describe("Các cách viết tên trong văn bản nguồn"),
  note: z.string().nullable(),
});

export const agencyRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database }) => {
  const service = agencyService(database.db);
  app.get(
    "/api/agencies",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["agencies"],
        summary: "Danh mục cơ quan, với tên gọi trong văn bản và cơ quan kế thừa sau sắp xếp năm 2025",
        querystring: z.object({
          q: z.string().max(200).optional().describe("Tìm theo tên hoặc cách viết, không phân biệt dấu"),
          level: z.enum(agencyLevels).optional(),
          kind: z.enum(agencyKinds).optional(),
          province: z
            .string()
            .regex(/^\d{2}$/, "mã tỉnh gồm 2 chữ số")
            .optional(),
          includeDissolved: z
            .enum(["true", "false"])
            .transform((v) => v === "true")
            .optional(),
          ...pagination,
        }),
        response: { 200: listOf(Agency), ...errorResponses },
      },
    },
    async (request) => service.list(request.query),
  );
};
