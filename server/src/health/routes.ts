import { sql } from "kysely";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { RouteDeps } from "../http/deps";

export const healthRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database }) => {
  app.get(
    "/api/health",
    {
      config: { access: { public: true } },
      schema: {
        tags: ["health"],
        summary: "Tình trạng hệ thống",
        response: { 200: z.object({ status: z.literal("ok"), engine: z.enum(["pglite", "postgres"]) }) },
      },
    },
    async () => {
      await sql`SELECT 1`.execute(database.db);
      return { status: "ok" as const, engine: database.engine };
    },
  );
};
