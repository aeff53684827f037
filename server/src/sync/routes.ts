import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { requestContext } from "../auth/access";
import { scopeChecker } from "../auth/scope";
import { sql } from "kysely";
import { recordAudit } from "../audit/service";
import { NotFoundError, UnauthorizedError } from "../errors";
import type { RouteDeps } from "../http/deps";
import { ErrorBody, listOf } from "../http/schemas";
import { profileService } from "../profile/service";
import { feedLimit, installIdentity, readFeed } from "./feed";
import { syncLinkService, SyncLink, NewSyncLink, SyncLinkChange } from "./links";
import { syncMetadata } from "./metadata";
import { reconciliation } from "./reconcile";
import { newWebhookSecret, verifyWebhook } from "./webhooks";

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 410: ErrorBody } as const;

const codeList = z
  .string()
  .max(20_000)
  .regex(/^[^,]+(,[^,]+)*$/, "danh sách mã cách nhau bởi dấu phẩy")
  .transform((s) => s.split(",").map((x) => x.trim()));

const FeedChange = z.object({
  id: z.string().describe("Mã thay đổi tại hệ thống gốc"),
  origin: z.string().describe("Mã hệ thống (install) nơi thay đổi được tạo ra"),
  indicator: z.string(),
  nationalIndicator: z.string().nullable().describe("Chỉ số quốc gia mà dòng chỉ số của tỉnh thực hiện (nếu có)"),
  area: z.string(),
  period: z.string(),
  disaggregation: z.string(),
  deleted: z.boolean().describe("true: số liệu đã bị xóa hoặc rút lại (bản ghi xóa)"),
  value: z.string().nullable().describe("Giá trị số đúng như lưu (thập phân, dấu chấm)"),
  valueText: z.string().nullable(),
  comment: z.string().nullable(),
  status: z.string().nullable(),
  version: z.number().int().nullable(),
  recordedAt: z.string().nullable(),
  changedAt: z.string(),
});

const Install = z.object({ id: z.string(), name: z.string() });

export const syncRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  const { database } = deps;
  const db = database.db;
  const scope = scopeChecker(db);
  const links = syncLinkService(db);
  const install = async () => {
    const [{ installId }, profile] = await Promise.all([installIdentity(db), profileService(db).get()]);
    return { id: installId, name: profile?.name ?? installId };
  };
  /** The areas a request may read: its scope, narrowed to the area asked for (with their subtrees). */
  const areasFor = async (principalArea: string | null, asked: string | undefined) => {
    const mine = principalArea ? [...(await scope.subtree(principalArea))] : null;
    const wanted = asked ? [...(await scope.subtree(asked))] : null;
    if (mine && wanted) {
      const allowed = new Set(mine);
      return wanted.filter((a) => allowed.has(a));
    }
    return wanted ?? mine;
  };

  app.get(
    "/api/changes",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["sync"],
        summary: "Dòng thay đổi: mọi lần công bố, sửa, xóa số liệu theo thứ tự ghi, trong phạm vi của người gọi",
        description: [
          "Lần đầu gọi không có `after`: nhận toàn bộ số liệu đang công bố (theo trang), rồi mọi thay đổi sau đó. ",
          "Mỗi trang trả `next`: gọi lại với `after=<next>`; `more=true` là còn thay đổi, gọi ngay. ",
          "Con trỏ ổn định: một trang đã trả không bao giờ có thêm thay đổi. Con trỏ không hợp lệ hoặc của cơ sở dữ liệu khác: 410 (bắt đầu lại không có `after`). ",
          "Mỗi thay đổi mang hệ thống gốc (`origin`) và mã thay đổi tại đó (`id`); bản ghi xóa có `deleted=true`.",
        ].join(""),
        querystring: z.object({
          after: z.string().max(2000).optional(),
          limit: z.coerce.number().int().min(1).max(10_000).optional(),
          indicators: codeList
            .optional()
            .describe("Mã chỉ số, cách nhau bởi dấu phẩy; mã quốc gia gồm cả dòng của tỉnh thực hiện nó"),
          area: z.string().max(20).optional().describe("Một địa bàn và các đơn vị trực thuộc (kể cả đơn vị cũ trước 2025)"),
        }),
        response: {
          200: z.object({
            install: Install,
            changes: z.array(FeedChange),
            next: z.string(),
            more: z.boolean(),
            headAt: z.string().nullable(),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const principal = request.principal;
      if (!principal) throw new UnauthorizedError();
      const q = request.query;
      const areas = await areasFor(principal.scope.areaId, q.area);
      const page = await readFeed(db, {
        after: q.after,
        limit: feedLimit(q.limit),
        scopeAreaIds: areas,
        indicators: q.indicators,
      });
      return { install: await install(), ...page };
    },
  );

  app.get(
    "/api/sync/reconciliation",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["sync"],
        summary: "Đối soát: số lượng và mã kiểm tra (MD5) số liệu đang công bố theo chỉ số × kỳ × tỉnh",
        querystring: z.object({
          indicators: codeList.optional(),
          area: z.string().max(20).optional(),
          from: z.string().max(10).optional(),
          to: z.string().max(10).optional(),
        }),
        response: {
          200: z.object({
            install: Install,
            items: z.array(
              z.object({
                indicator: z.string(),
                period: z.string(),
                province: z.string(),
                count: z.number(),
                checksum: z.string(),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const principal = request.principal;
      if (!principal) throw new UnauthorizedError();
      const q = request.query;
      const items = await reconciliation(db, {
        indicators: q.indicators,
        areaIds: await areasFor(principal.scope.areaId, q.area),
        from: q.from,
        to: q.to,
      });
      return { install: await install(), items };
    },
  );

  app.get(
    "/api/sync/metadata",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["sync"],
        summary:
          "Siêu dữ liệu cho hệ thống liên thông: bộ chỉ số (kèm liên kết chỉ số quốc gia), địa bàn và sáp nhập 2025, danh mục phân tổ",
        querystring: z.object({ part: z.enum(["summary", "indicators", "areas", "merges", "dimensions"]).default("summary") }),
      },
    },
    async (request) => ({ install: await install(), ...(await syncMetadata(db, request.query.part)) }),
  );

  app.get(
    "/api/sync/links",
    {
      config: { access: { permission: "audit.read" } },
      schema: {
        tags: ["sync"],
        summary: "Giám sát liên thông: mỗi kết nối với lần đồng bộ gần nhất, độ trễ, số thay đổi, lỗi",
        response: { 200: listOf(SyncLink).extend({ install: Install }), ...errors },
      },
    },
    async () => ({ install: await install(), ...(await links.list(new Date())) }),
  );

  app.post(
    "/api/sync/links",
    {
      config: { access: { permission: "tokens.manage" } },
      schema: {
        tags: ["sync"],
        summary: "Thêm kết nối: hệ thống này lấy dòng thay đổi của hệ thống kia (khóa API của hệ thống kia)",
        description:
          "Hệ thống kia là nơi quản lý (có thẩm quyền) số liệu của các chỉ số × địa bàn trong phạm vi kết nối: tại đây các số liệu đó là bản sao chỉ đọc.",
        body: NewSyncLink,
        response: { 201: SyncLink, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await links.create(requestContext(request), request.body)),
  );

  app.patch(
    "/api/sync/links/:id",
    {
      config: { access: { permission: "tokens.manage" } },
      schema: {
        tags: ["sync"],
        summary: "Tạm dừng hoặc tiếp tục một kết nối, đổi tên, đổi khóa API hoặc khóa ký webhook",
        params: z.object({ id: z.string().max(40) }),
        body: SyncLinkChange,
        response: { 200: SyncLink, ...errors },
      },
    },
    async (request) => links.update(requestContext(request), request.params.id, request.body),
  );

  app.delete(
    "/api/sync/links/:id",
    {
      config: { access: { permission: "tokens.manage" } },
      schema: {
        tags: ["sync"],
        summary: "Xóa kết nối (số liệu đã đồng bộ được giữ, không còn là bản sao chỉ đọc)",
        params: z.object({ id: z.string().max(40) }),
        response: { 200: z.object({ id: z.string() }), ...errors },
      },
    },
    async (request) => links.remove(requestContext(request), request.params.id),
  );

  app.post(
    "/api/sync/links/:id/pull",
    {
      config: { access: { permission: "tokens.manage" } },
      schema: {
        tags: ["sync"],
        summary: "Đồng bộ ngay một kết nối",
        params: z.object({ id: z.string().max(40) }),
        response: { 200: SyncLink, ...errors },
      },
    },
    async (request) => links.pullNow(request.params.id),
  );

  const WebhookSubscription = z.object({
    id: z.string(),
    url: z.string(),
    createdAt: z.string(),
    pending: z.number().describe("Thông báo chưa gửi được"),
    lastError: z.string().nullable(),
  });

  app.get(
    "/api/sync/webhooks",
    {
      config: { access: { permission: "tokens.manage" } },
      schema: {
        tags: ["sync"],
        summary: "Webhook gửi đi khi dòng thay đổi có thay đổi mới (Standard Webhooks)",
        response: { 200: listOf(WebhookSubscription), ...errors },
      },
    },
    async () => {
      const rows = await db
        .selectFrom("webhook_subscriptions as s")
        .select((eb) => [
          "s.id",
          "s.url",
          "s.created_at",
          eb
            .selectFrom("webhook_deliveries as d")
            .select((e) => e.fn.countAll<string>().as("n"))
            .whereRef("d.subscription_id", "=", "s.id")
            .where("d.delivered_at", "is", null)
            .as("pending"),
          eb
            .selectFrom("webhook_deliveries as d")
            .select("d.last_error")
            .whereRef("d.subscription_id", "=", "s.id")
            .where("d.last_error", "is not", null)
            .orderBy("d.created_at", "desc")
            .limit(1)
            .as("last_error"),
        ])
        .where("s.revoked_at", "is", null)
        .orderBy("s.created_at")
        .execute();
      const items = rows.map((r) => ({
        id: r.id,
        url: r.url,
        createdAt: new Date(r.created_at).toISOString(),
        pending: Number(r.pending ?? 0),
        lastError: r.last_error ?? null,
      }));
      return { items, total: items.length };
    },
  );

  app.post(
    "/api/sync/webhooks",
    {
      config: { access: { permission: "tokens.manage" } },
      schema: {
        tags: ["sync"],
        summary: "Đăng ký webhook: hệ thống kia được đánh thức khi có thay đổi; khóa ký chỉ hiện một lần",
        body: z.object({ url: z.url().max(500) }),
        response: { 201: z.object({ id: z.string(), url: z.string(), secret: z.string() }), ...errors },
      },
    },
    async (request, reply) => {
      const secret = newWebhookSecret();
      const head = await sql<{ id: string | null }>`SELECT max(id)::text AS id FROM change_log`.execute(db);
      const row = await db
        .insertInto("webhook_subscriptions")
        .values({ url: request.body.url, secret, notified_through: head.rows[0]?.id ?? "0" })
        .returning(["id", "url"])
        .executeTakeFirstOrThrow();
      await recordAudit(db, requestContext(request), {
        action: "webhook.create",
        entityType: "webhook_subscription",
        entityId: row.id,
        after: { url: row.url },
      });
      return reply.code(201).send({ ...row, secret });
    },
  );

  app.delete(
    "/api/sync/webhooks/:id",
    {
      config: { access: { permission: "tokens.manage" } },
      schema: {
        tags: ["sync"],
        summary: "Thu hồi webhook",
        params: z.object({ id: z.uuid("mã webhook không hợp lệ") }),
        response: { 200: z.object({ id: z.string() }), ...errors },
      },
    },
    async (request) => {
      const r = await db
        .updateTable("webhook_subscriptions")
        .set({ revoked_at: new Date() })
        .where("id", "=", request.params.id)
        .where("revoked_at", "is", null)
        .returning("id")
        .executeTakeFirst();
      if (!r) throw new NotFoundError(`Không có webhook ${request.params.id}`, "id");
      await recordAudit(db, requestContext(request), {
        action: "webhook.revoke",
        entityType: "webhook_subscription",
        entityId: r.id,
      });
      return { id: r.id };
    },
  );

  app.post(
    "/api/sync/links/:id/webhook",
    {
      // Called by the peer: it proves itself with the link's webhook secret (Standard Webhooks signature).
      config: { access: { public: true } },
      bodyLimit: 64 * 1024,
      schema: {
        tags: ["sync"],
        summary: "Webhook của hệ thống kia (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature): đồng bộ ngay",
        params: z.object({ id: z.string().max(40) }),
        body: z.unknown(),
        response: { 202: z.object({ accepted: z.boolean(), duplicate: z.boolean() }), ...errors },
      },
      preParsing: async (request, _reply, payload) => {
        // The signature covers the exact bytes: keep them.
        const chunks: Buffer[] = [];
        for await (const c of payload) chunks.push(c as Buffer);
        const raw = Buffer.concat(chunks);
        (request as unknown as { rawBody: Buffer }).rawBody = raw;
        const { Readable } = await import("node:stream");
        return Readable.from([raw]);
      },
    },
    async (request, reply) => {
      const raw = (request as unknown as { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0);
      const outcome = await verifyWebhook(db, request.params.id, request.headers, raw.toString("utf8"), new Date());
      if (!outcome.duplicate) deps.sync?.wake(request.params.id);
      return reply.code(202).send({ accepted: true, duplicate: outcome.duplicate });
    },
  );
};
