import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { RouteDeps } from "../http/deps";
import { ErrorBody } from "../http/schemas";

const Dimension = z.object({
  code: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  partition: z.boolean().describe("Các phương án loại trừ nhau và cộng lại bằng tổng số"),
  optionsFrom: z.string().nullable().describe("Lấy phương án từ danh mục khác (areas:province, agencies, country…)"),
  source: z.string().nullable(),
  options: z.array(z.object({ code: z.string(), name: z.string(), parent: z.string().nullable() })),
});

export const dimensionRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database }) => {
  app.get(
    "/api/dimensions",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["reference"],
        summary: "Chiều phân tổ và danh mục phương án (mã dùng trong khóa phân tổ, ví dụ sex=F)",
        querystring: z.object({ code: z.string().max(40).optional() }),
        response: { 200: z.object({ items: z.array(Dimension) }), 401: ErrorBody },
      },
    },
    async (request) => {
      const db = database.db;
      let q = db.selectFrom("dimensions").selectAll().orderBy("code");
      if (request.query.code) q = q.where("code", "=", request.query.code);
      const dims = await q.execute();
      const options = dims.length
        ? await db
            .selectFrom("dimension_options")
            .selectAll()
            .where(
              "dimension_code",
              "in",
              dims.map((d) => d.code),
            )
            .orderBy("seq")
            .execute()
        : [];
      return {
        items: dims.map((d) => ({
          code: d.code,
          name: d.name,
          description: d.description,
          partition: d.is_partition,
          optionsFrom: d.options_from,
          source: d.source,
          options: options
            .filter((o) => o.dimension_code === d.code)
            .map((o) => ({ code: o.code, name: o.name, parent: o.parent_code })),
        })),
      };
    },
  );
};
