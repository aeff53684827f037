import { sql, type Kysely } from "kysely";
import { z } from "zod";
import { recordAudit } from "../audit/service";
import type { RequestContext } from "../auth/principal";
import type { Schema } from "../db/schema";
import { ConflictError, InvalidInputError, NotFoundError } from "../errors";
import { pullLink } from "./puller";

export const SyncLink = z.object({
  id: z.string(),
  name: z.string(),
  peerUrl: z.string(),
  indicators: z.array(z.string()).nullable().describe("Chỉ số do hệ thống kia quản lý (null: mọi chỉ số)"),
  areaId: z.string().nullable().describe("Địa bàn (cả các đơn vị trực thuộc) do hệ thống kia quản lý"),
  areaName: z.string().nullable(),
  enabled: z.boolean(),
  webhooks: z.boolean().describe("Nhận webhook đánh thức từ hệ thống kia"),
  peerInstallId: z.string().nullable(),
  lastAttemptAt: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  lastChangeAt: z.string().nullable().describe("Thời điểm (tại hệ thống kia) của thay đổi mới nhất đã nhận"),
  peerHeadAt: z.string().nullable().describe("Thời điểm thay đổi mới nhất hệ thống kia có, ở lần hỏi gần nhất"),
  lagSeconds: z
    .number()
    .nullable()
    .describe("Độ trễ: thay đổi mới nhất bên kia so với thay đổi mới nhất đã nhận (0: đã theo kịp)"),
  sinceSuccessSeconds: z.number().nullable(),
  late: z.boolean().describe("Quá 10 phút chưa đồng bộ được"),
  appliedChanges: z.number(),
  skippedChanges: z.number(),
  failures: z.number(),
  lastError: z.string().nullable(),
  lastErrorAt: z.string().nullable(),
  metadata: z
    .object({
      checkedAt: z.string(),
      differentParts: z
        .array(z.string())
        .describe("Phần siêu dữ liệu khác với hệ thống này (indicators, areas, merges, dimensions)"),
      unknownIndicators: z.array(z.string()).describe("Chỉ số hệ thống kia có mà hệ thống này chưa có"),
    })
    .nullable(),
});
export type SyncLink = z.infer<typeof SyncLink>;

export const NewSyncLink = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, "mã kết nối: chữ thường không dấu, số và dấu '-' (tối đa 40 ký tự)")
    .describe("Mã kết nối, ví dụ 'quoc-gia', 'can-tho'"),
  name: z.string().min(1).max(200),
  peerUrl: z.url().max(500).describe("Địa chỉ của hệ thống kia, ví dụ https://dieuhanh.cantho.gov.vn/"),
  token: z.string().min(8).max(200).describe("Khóa API do hệ thống kia cấp (chỉ cần quyền đọc)"),
  indicators: z.array(z.string().min(1).max(60)).max(5000).nullable().default(null),
  areaId: z.string().max(20).nullable().default(null),
  webhookSecret: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]{16,200}$/, "khóa ký webhook dạng whsec_…")
    .nullable()
    .default(null),
});
export type NewSyncLink = z.infer<typeof NewSyncLink>;

export const SyncLinkChange = z
  .object({
    name: z.string().min(1).max(200),
    enabled: z.boolean().describe("false: tạm dừng kết nối (số liệu đã đồng bộ vẫn là bản sao chỉ đọc)"),
    token: z.string().min(8).max(200).describe("Khóa API mới do hệ thống kia cấp (đổi khóa)"),
    webhookSecret: NewSyncLink.shape.webhookSecret,
  })
  .partial();
export type SyncLinkChange = z.infer<typeof SyncLinkChange>;

export const LATE_AFTER_MS = 10 * 60_000;

type LinkRecord = Awaited<ReturnType<typeof readAll>>[number];

const readAll = (db: Kysely<Schema>) =>
  db
    .selectFrom("sync_links as l")
    .leftJoin("areas as a", "a.id", "l.area_id")
    .select([
      "l.id",
      "l.name",
      "l.peer_url",
      "l.indicators",
      "l.area_id",
      "a.full_name as area_name",
      "l.enabled",
      "l.webhook_secret",
      "l.peer_install_id",
      "l.created_at",
      "l.last_attempt_at",
      "l.last_success_at",
      "l.last_change_at",
      "l.peer_head_at",
      "l.applied_changes",
      "l.skipped_changes",
      "l.failures",
      "l.last_error",
      "l.last_error_at",
      "l.peer_metadata",
    ])
    .orderBy("l.id")
    .execute();

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function presentLink(l: LinkRecord, now: Date): SyncLink {
  const lastChange = l.last_change_at ? new Date(l.last_change_at).getTime() : null;
  const head = l.peer_head_at ? new Date(l.peer_head_at).getTime() : null;
  const since = new Date(l.last_success_at ?? l.created_at).getTime();
  return {
    id: l.id,
    name: l.name,
    peerUrl: l.peer_url,
    indicators: l.indicators,
    areaId: l.area_id,
    areaName: l.area_name,
    enabled: l.enabled,
    webhooks: l.webhook_secret !== null,
    peerInstallId: l.peer_install_id,
    lastAttemptAt: iso(l.last_attempt_at),
    lastSuccessAt: iso(l.last_success_at),
    lastChangeAt: iso(l.last_change_at),
    peerHeadAt: iso(l.peer_head_at),
    lagSeconds: head === null ? (l.last_success_at ? 0 : null) : Math.max(0, (head - (lastChange ?? head)) / 1000),
    sinceSuccessSeconds: l.last_success_at ? Math.max(0, (now.getTime() - since) / 1000) : null,
    late: l.enabled && now.getTime() - since > LATE_AFTER_MS,
    appliedChanges: Number(l.applied_changes),
    skippedChanges: Number(l.skipped_changes),
    failures: l.failures,
    lastError: l.last_error,
    lastErrorAt: iso(l.last_error_at),
    metadata: readMetadata(l.peer_metadata),
  };
}

function readMetadata(x: unknown): SyncLink["metadata"] {
  if (!x || typeof x !== "object") return null;
  const m = (typeof x === "string" ? JSON.parse(x) : x) as Record<string, unknown>;
  if (typeof m.checkedAt !== "string") return null;
  return {
    checkedAt: m.checkedAt,
    differentParts: Array.isArray(m.differentParts) ? (m.differentParts as string[]) : [],
    unknownIndicators: Array.isArray(m.unknownIndicators) ? (m.unknownIndicators as string[]) : [],
  };
}

/** Links to other installs: created by an administrator with the peer's token, listed on the monitor page. */
export function syncLinkService(db: Kysely<Schema>) {
  const one = async (id: string) => {
    const l = (await readAll(db)).find((x) => x.id === id);
    if (!l) throw new NotFoundError(`Không có kết nối ${id}`, "id");
    return presentLink(l, new Date());
  };
  return {
    async list(now: Date) {
      const items = (await readAll(db)).map((l) => presentLink(l, now));
      return { items, total: items.length };
    },

    async create(ctx: RequestContext, input: NewSyncLink) {
      if (input.areaId && !(await db.selectFrom("areas").select("id").where("id", "=", input.areaId).executeTakeFirst()))
        throw new InvalidInputError(`Không có đơn vị hành chính mã ${input.areaId}`, "areaId");
      if (input.indicators?.length) {
        const known = await db.selectFrom("indicators").select("code").where("code", "in", input.indicators).execute();
        const missing = input.indicators.filter((c) => !known.some((k) => k.code === c));
        if (missing.length)
          throw new InvalidInputError(`Không có chỉ số mã ${missing.slice(0, 10).join(", ")} trong danh mục`, "indicators");
      }
      const existing = await db.selectFrom("sync_links").select("id").where("id", "=", input.id).executeTakeFirst();
      if (existing) throw new ConflictError(`Đã có kết nối mã ${input.id}`, "id");
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto("sync_links")
          .values({
            id: input.id,
            name: input.name.trim(),
            peer_url: input.peerUrl,
            token: input.token,
            indicators: input.indicators,
            area_id: input.areaId,
            webhook_secret: input.webhookSecret,
            created_by: ctx.principal?.userId ?? null,
          })
          .execute();
        await recordAudit(trx, ctx, {
          action: "sync_link.create",
          entityType: "sync_link",
          entityId: input.id,
          after: { ...input, token: `${input.token.slice(0, 6)}…`, webhookSecret: input.webhookSecret ? "…" : null },
        });
      });
      return one(input.id);
    },

    /** Pauses or resumes a link, renames it, or rotates its token or webhook secret; audited. */
    async update(ctx: RequestContext, id: string, change: SyncLinkChange) {
      const before = await one(id);
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable("sync_links")
          .set({
            ...(change.name !== undefined ? { name: change.name.trim() } : {}),
            ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
            ...(change.token !== undefined ? { token: change.token } : {}),
            ...(change.webhookSecret !== undefined ? { webhook_secret: change.webhookSecret } : {}),
          })
          .where("id", "=", id)
          .execute();
        await recordAudit(trx, ctx, {
          action: "sync_link.update",
          entityType: "sync_link",
          entityId: id,
          before: { name: before.name, enabled: before.enabled, webhooks: before.webhooks },
          after: {
            ...change,
            token: change.token ? `${change.token.slice(0, 6)}…` : undefined,
            webhookSecret: change.webhookSecret ? "…" : change.webhookSecret,
          },
        });
      });
      return one(id);
    },

    async remove(ctx: RequestContext, id: string) {
      await one(id);
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom("sync_links").where("id", "=", id).execute();
        await recordAudit(trx, ctx, { action: "sync_link.delete", entityType: "sync_link", entityId: id });
      });
      return { id };
    },

    async pullNow(id: string) {
      await one(id);
      await pullLink(db, id);
      return one(id);
    },

    one,
  };
}

/** Resets a link to read its peer from the start (a full resync); the figures already mirrored stay. */
export async function resetLinkCursor(db: Kysely<Schema>, id: string) {
  await sql`UPDATE sync_links SET cursor = NULL WHERE id = ${id}`.execute(db);
}
