import { sql } from "kysely";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { RouteDeps } from "../http/deps";

/** How long the database may take to answer `SELECT 1` before it counts as unreachable. */
const DATABASE_CHECK_MS = 5_000;

export const healthRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database }) => {
  app.get(
    "/api/health",
    {
      config: { access: { public: true } },
      schema: {
        tags: ["health"],
        summary: "Tình trạng hệ thống",
        description:
          "200 khi cơ sở dữ liệu trả lời; 503 khi không kết nối được (mất kết nối, cơ sở dữ liệu khởi động lại) — " +
          "máy chủ vẫn chạy và tự kết nối lại.",
        response: {
          200: z.object({ status: z.literal("ok"), engine: z.enum(["pglite", "postgres"]) }),
          503: z.object({ status: z.literal("unavailable"), engine: z.enum(["pglite", "postgres"]), message: z.string() }),
        },
      },
    },
    async (_request, reply) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          sql`SELECT 1`.execute(database.db),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`không trả lời trong ${DATABASE_CHECK_MS / 1000} giây`)),
              DATABASE_CHECK_MS,
            );
          }),
        ]);
        return { status: "ok" as const, engine: database.engine };
      } catch (e) {
        return reply.code(503).send({
          status: "unavailable" as const,
          engine: database.engine,
          message: `Không kết nối được cơ sở dữ liệu: ${e instanceof Error ? e.message : String(e)}`,
        });
      } finally {
        clearTimeout(timer);
      }
    },
  );
};
