import { sql } from "kysely";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { RouteDeps } from "../http/deps";

/** How long the database may take to answer `SELECT 1` before it counts as unreachable. */
const DATABASE_CHECK_MS = 5_000;

const Replica = z
  .object({
    state: z
      .enum(["ok", "down"])
      .describe("ok: bản sao trả lời; down: không kết nối được, bảng điều khiển đọc từ cơ sở dữ liệu chính"),
    inRecovery: z.boolean().nullable().describe("Bản sao đang ở chế độ dự phòng nóng (hot standby), như phải vậy"),
    lagBytes: z.number().nullable().describe("Số byte WAL của cơ sở dữ liệu chính bản sao chưa áp dụng"),
    lastReplayAgeSeconds: z
      .number()
      .nullable()
      .describe("Số giây kể từ lúc giao dịch cuối cùng bản sao đã áp dụng được ghi trên cơ sở dữ liệu chính"),
    reads: z
      .object({ standby: z.number().int(), primary: z.number().int() })
      .describe("Số lần đọc của bảng điều khiển từ khi khởi động: từ bản sao, và từ cơ sở dữ liệu chính thay cho bản sao"),
    message: z.string().optional(),
  })
  .describe("Bản sao chỉ đọc (DATABASE_READ_URL), khi được cấu hình");

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
          "máy chủ vẫn chạy và tự kết nối lại. Bản sao chỉ đọc không trả lời vẫn là 200 (bảng điều khiển đọc từ cơ sở dữ liệu chính), " +
          "với replica.state = down.",
        response: {
          200: z.object({ status: z.literal("ok"), engine: z.enum(["pglite", "postgres"]), replica: Replica.optional() }),
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
        const replica = database.replica ? await database.replica.status(DATABASE_CHECK_MS) : undefined;
        return { status: "ok" as const, engine: database.engine, ...(replica ? { replica } : {}) };
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
