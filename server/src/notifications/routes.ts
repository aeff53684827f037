import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { requestContext } from "../auth/access";
import { recordAudit } from "../audit/service";
import { NotFoundError, UnauthorizedError } from "../errors";
import type { RouteDeps } from "../http/deps";
import { ErrorBody, listOf, pagination } from "../http/schemas";

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody } as const;

/** The bell: the caller's own notifications (each addressed to one person), read and unread. */
export const notificationRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database }) => {
  const db = database.db;
  const me = (request: Parameters<typeof requestContext>[0]) => {
    const userId = requestContext(request).principal?.userId;
    if (!userId) throw new UnauthorizedError("Thông báo chỉ dành cho người dùng đăng nhập");
    return userId;
  };

  app.get(
    "/api/notifications",
    {
      config: { access: { permission: "account.self" } },
      schema: {
        tags: ["notifications"],
        summary: "Thông báo của tôi (mới nhất trước): đôn đốc, giao việc, số liệu chờ duyệt, bị trả lại",
        querystring: z.object({ unread: z.stringbool().optional(), ...pagination }),
        response: {
          200: listOf(
            z.object({
              id: z.string(),
              agency: z.string().nullable(),
              kind: z.string(),
              taskCode: z.string().nullable(),
              message: z.string(),
              link: z.string().nullable(),
              createdAt: z.string(),
              read: z.boolean(),
            }),
          ).extend({ unread: z.number().int() }),
          ...errors,
        },
      },
    },
    async (request) => {
      const userId = me(request);
      let q = db
        .selectFrom("notifications as n")
        .leftJoin("notification_reads as r", (j) => j.onRef("r.notification_id", "=", "n.id").on("r.user_id", "=", userId))
        .where("n.user_id", "=", userId);
      const unread = await q
        .where("r.notification_id", "is", null)
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      if (request.query.unread) q = q.where("r.notification_id", "is", null);
      const total = await q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
      const rows = await q
        .select(["n.id", "n.agency_code", "n.kind", "n.task_code", "n.message", "n.link", "n.created_at", "r.read_at"])
        .orderBy("n.created_at", "desc")
        .orderBy("n.id", "desc")
        .limit(request.query.limit)
        .offset(request.query.offset)
        .execute();
      return {
        items: rows.map((n) => ({
          id: String(n.id),
          agency: n.agency_code,
          kind: n.kind,
          taskCode: n.task_code,
          message: n.message,
          link: n.link,
          createdAt: new Date(n.created_at).toISOString(),
          read: n.read_at !== null,
        })),
        total: Number(total.n),
        unread: Number(unread.n),
      };
    },
  );

  app.post(
    "/api/notifications/:id/read",
    {
      config: { access: { permission: "account.self" } },
      schema: {
        tags: ["notifications"],
        summary: "Đánh dấu một thông báo của tôi là đã đọc",
        params: z.object({ id: z.string().regex(/^\d{1,18}$/, "mã thông báo không hợp lệ") }),
        response: { 200: z.object({ ok: z.boolean() }), ...errors },
      },
    },
    async (request) => {
      const userId = me(request);
      const mine = await db
        .selectFrom("notifications")
        .select("id")
        .where("id", "=", request.params.id)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      if (!mine) throw new NotFoundError("Không có thông báo này", "id");
      await db
        .insertInto("notification_reads")
        .values({ notification_id: request.params.id, user_id: userId })
        .onConflict((oc) => oc.doNothing())
        .execute();
      return { ok: true };
    },
  );

  app.post(
    "/api/notifications/read-all",
    {
      config: { access: { permission: "account.self" } },
      schema: {
        tags: ["notifications"],
        summary: "Đánh dấu mọi thông báo của tôi là đã đọc",
        response: { 200: z.object({ marked: z.number().int() }), ...errors },
      },
    },
    async (request) => {
      const userId = me(request);
      const r = await db
        .insertInto("notification_reads")
        .columns(["notification_id", "user_id"])
        .expression((eb) =>
          eb
            .selectFrom("notifications as n")
            .select((s) => ["n.id", s.val(userId).as("user_id")])
            .where("n.user_id", "=", userId)
            .where((w) =>
              w.not(
                w.exists(
                  w
                    .selectFrom("notification_reads as r")
                    .select("r.notification_id")
                    .whereRef("r.notification_id", "=", "n.id")
                    .where("r.user_id", "=", userId),
                ),
              ),
            ),
        )
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return { marked: Number(r.numInsertedOrUpdatedRows ?? 0) };
    },
  );

  app.put(
    "/api/me/email",
    {
      config: { access: { permission: "account.self" } },
      schema: {
        tags: ["notifications"],
        summary: "Đặt thư điện tử nhận thông báo của tôi (null: chỉ nhận trong ứng dụng)",
        body: z.object({ email: z.email("Thư điện tử không hợp lệ").max(254).nullable() }),
        response: { 200: z.object({ email: z.string().nullable() }), ...errors },
      },
    },
    async (request) => {
      const ctx = requestContext(request);
      const userId = me(request);
      const email = request.body.email?.trim() || null;
      const before = await db.selectFrom("users").select("email").where("id", "=", userId).executeTakeFirstOrThrow();
      await db.updateTable("users").set({ email, updated_at: new Date() }).where("id", "=", userId).execute();
      await recordAudit(db, ctx, {
        action: "user.email",
        entityType: "user",
        entityId: userId,
        before: { email: before.email },
        after: { email },
      });
      return { email };
    },
  );
};
