import { formatDateTime } from "@dieuhanh/core";
import { sql, type Kysely } from "kysely";
import type { Schema } from "../db/schema";
import { isConnectionError } from "../db/database";
import { notify } from "../notifications/service";
import { applyPage, type LinkRow } from "./apply";
import type { FeedChange } from "./feed";
import { syncMetadata } from "./metadata";

/**
 * Pulls every enabled link's peer feed: an install needs no inbound connection (it works through an
 * integration gateway), and a webhook from the peer only wakes the pull early. Each link is pulled page
 * after page while the peer says there is more, then every `intervalMs`; a failure waits longer each
 * time (up to a minute) and is kept in the link's record for the monitor page.
 */
export interface PullerOptions {
  intervalMs?: number;
  pageSize?: number;
  /** A link with no successful pull for this long is late: the administrators are told once. */
  lateAfterMs?: number;
  fetch?: typeof fetch;
  log?: (message: string) => void;
}

export interface PullResult {
  pages: number;
  applied: number;
  error?: string;
}

interface FeedAnswer {
  install: { id: string; name: string };
  changes: FeedChange[];
  next: string;
  more: boolean;
  headAt: string | null;
}

function feedUrl(link: LinkRow, pageSize: number): string {
  const u = new URL("/api/changes", link.peer_url);
  if (link.cursor) u.searchParams.set("after", link.cursor);
  u.searchParams.set("limit", String(pageSize));
  if (link.indicators?.length) u.searchParams.set("indicators", link.indicators.join(","));
  if (link.area_id) u.searchParams.set("area", link.area_id);
  return u.toString();
}

async function readLink(db: Kysely<Schema>, id: string): Promise<(LinkRow & { enabled: boolean }) | undefined> {
  return db
    .selectFrom("sync_links")
    .select(["id", "name", "peer_url", "token", "indicators", "area_id", "cursor", "enabled"])
    .where("id", "=", id)
    .executeTakeFirst();
}

/** Pulls one link until its peer has nothing more (or `maxPages`); records the outcome on the link. */
export async function pullLink(
  db: Kysely<Schema>,
  id: string,
  options: PullerOptions & { maxPages?: number } = {},
): Promise<PullResult> {
  const doFetch = options.fetch ?? fetch;
  const pageSize = options.pageSize ?? 1000;
  const result: PullResult = { pages: 0, applied: 0 };
  for (let page = 0; page < (options.maxPages ?? 1000); page++) {
    const link = await readLink(db, id);
    if (!link || !link.enabled) return result;
    let answer: FeedAnswer;
    try {
      const res = await doFetch(feedUrl(link, pageSize), {
        headers: { authorization: `Bearer ${link.token}`, accept: "application/json" },
        signal: AbortSignal.timeout(30_000),
      });
      if (res.status === 410) {
        // The peer no longer knows the cursor (a restored or rebuilt install): start again from its snapshot.
        const body = (await res.json().catch(() => ({}))) as { message?: string };
        await db.updateTable("sync_links").set({ cursor: null }).where("id", "=", id).where("cursor", "=", link.cursor).execute();
        await recordFailure(db, id, `Con trỏ hết hiệu lực (410), đồng bộ lại từ đầu: ${body.message ?? ""}`);
        continue;
      }
      if (!res.ok) {
        const body = await res.text().catch(() => "");
        throw new Error(`HTTP ${res.status}: ${body.slice(0, 300)}`);
      }
      answer = (await res.json()) as FeedAnswer;
    } catch (e) {
      const message = `Không lấy được dữ liệu từ ${link.peer_url}: ${fetchFailure(e)}`;
      await recordFailure(db, id, message).catch(() => undefined);
      result.error = message;
      return result;
    }
    try {
      const outcome = await applyPage(db, link, link.cursor, { ...answer }, new Date());
      result.pages++;
      result.applied += outcome.created + outcome.updated + outcome.deleted;
      if (outcome.problems.length) options.log?.(`link ${id}: ${outcome.problems.join("; ")}`);
    } catch (e) {
      if (isConnectionError(e)) throw e;
      const message = `Không ghi được trang thay đổi: ${e instanceof Error ? e.message : String(e)}`;
      await recordFailure(db, id, message).catch(() => undefined);
      result.error = message;
      return result;
    }
    if (!answer.more) {
      await refreshPeerMetadata(db, link, doFetch).catch((e: unknown) =>
        options.log?.(`link ${id}: siêu dữ liệu: ${e instanceof Error ? e.message : String(e)}`),
      );
      return result;
    }
  }
  return result;
}

/** How often a link compares its peer's metadata with this install's. */
export const METADATA_EVERY_MS = 10 * 60_000;

/**
 * Metadata travels with the figures: the peer's summary (a checksum per part: indicators with their
 * national links, areas, the 2025 merges, code lists) is compared with this install's; where the
 * indicators differ, the codes the peer has and this install lacks are kept on the link (its figures of
 * those would be refused here, and the monitor page says why).
 */
export async function refreshPeerMetadata(db: Kysely<Schema>, link: LinkRow, doFetch: typeof fetch, now = new Date()) {
  const stored = await db.selectFrom("sync_links").select(["peer_metadata"]).where("id", "=", link.id).executeTakeFirst();
  const previous = stored?.peer_metadata as { checkedAt?: string } | null | undefined;
  if (previous?.checkedAt && now.getTime() - Date.parse(previous.checkedAt) < METADATA_EVERY_MS) return;
  const get = async (part: string) => {
    const u = new URL(`/api/sync/metadata?part=${part}`, link.peer_url);
    const res = await doFetch(u.toString(), {
      headers: { authorization: `Bearer ${link.token}` },
      signal: AbortSignal.timeout(60_000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return (await res.json()) as { summary?: Record<string, { count: number; checksum: string }>; items?: { code: string }[] };
  };
  const theirs = (await get("summary")).summary ?? {};
  const ours = (await syncMetadata(db, "summary")).summary as Record<string, { count: number; checksum: string }>;
  const differentParts = Object.keys(theirs).filter((k) => theirs[k]?.checksum !== ours[k]?.checksum);
  let unknownIndicators: string[] = [];
  if (differentParts.includes("indicators")) {
    const peerCodes = ((await get("indicators")).items ?? []).map((x) => x.code);
    const known = new Set((await db.selectFrom("indicators").select("code").execute()).map((r) => r.code));
    unknownIndicators = peerCodes.filter((c) => !known.has(c));
  }
  await db
    .updateTable("sync_links")
    .set({ peer_metadata: JSON.stringify({ checkedAt: now.toISOString(), summary: theirs, differentParts, unknownIndicators }) })
    .where("id", "=", link.id)
    .execute();
}

/** Why a request to the peer failed, in words an administrator reads ("fetch failed" says nothing). */
export function fetchFailure(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (e.name === "TimeoutError" || e.name === "AbortError") return "hệ thống kia không trả lời trong 30 giây";
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  const known: Record<string, string> = {
    ECONNREFUSED: "hệ thống kia từ chối kết nối (máy chủ không chạy hoặc sai cổng)",
    ENOTFOUND: "không tìm thấy tên máy chủ (kiểm tra địa chỉ)",
    EAI_AGAIN: "không phân giải được tên máy chủ (lỗi DNS tạm thời)",
    ECONNRESET: "kết nối bị ngắt giữa chừng",
    ETIMEDOUT: "quá thời gian chờ kết nối",
    EHOSTUNREACH: "không đến được máy chủ (mạng)",
    ENETUNREACH: "không đến được mạng của máy chủ",
    CERT_HAS_EXPIRED: "chứng chỉ HTTPS của hệ thống kia đã hết hạn",
    DEPTH_ZERO_SELF_SIGNED_CERT: "chứng chỉ HTTPS tự ký, không được tin cậy",
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: "không kiểm tra được chứng chỉ HTTPS của hệ thống kia",
  };
  if (code && known[code]) return `${known[code]} (${code})`;
  if (cause?.message === "bad port") return "cổng này bị chặn với HTTP (cổng của dịch vụ khác), dùng cổng khác";
  if (e.message === "fetch failed") return `không kết nối được${cause?.message ? ` (${cause.message})` : ""}`;
  return e.message;
}

async function recordFailure(db: Kysely<Schema>, id: string, message: string) {
  await db
    .updateTable("sync_links")
    .set({
      last_attempt_at: new Date(),
      last_error: message.slice(0, 4000),
      last_error_at: new Date(),
      failures: sql`failures + 1`,
    })
    .where("id", "=", id)
    .execute();
}

/** Tells the administrators of links with no successful pull for `lateAfterMs`, once per lateness. */
export async function notifyLateLinks(db: Kysely<Schema>, lateAfterMs: number, now = new Date()): Promise<number> {
  const late = await db
    .selectFrom("sync_links")
    .select(["id", "name", "last_success_at", "created_at", "last_error"])
    .where("enabled", "=", true)
    .where(sql<boolean>`coalesce(last_success_at, created_at) < ${new Date(now.getTime() - lateAfterMs)}`)
    .where(sql<boolean>`(late_notified_at IS NULL OR late_notified_at < coalesce(last_success_at, created_at))`)
    .execute();
  if (late.length === 0) return 0;
  const admins = await db
    .selectFrom("users")
    .select(["id", "email", "display_name"])
    .where("role", "=", "admin")
    .where("disabled_at", "is", null)
    .execute();
  const people = admins.map((a) => ({ id: a.id, email: a.email, displayName: a.display_name }));
  for (const l of late) {
    const since = new Date(l.last_success_at ?? l.created_at);
    await db.transaction().execute(async (trx) => {
      const message = `Liên thông "${l.name}" chậm: chưa đồng bộ được từ ${formatDateTime(since)}`;
      await notify(trx, people, {
        kind: "sync_late",
        message,
        subject: message,
        body: `${message}.${l.last_error ? `\n\nLỗi gần nhất: ${l.last_error}` : ""}\n\nXem trang Giám sát liên thông.`,
        link: "/lien-thong",
        key: `sync_late|${l.id}|${since.toISOString()}`,
      });
      await trx.updateTable("sync_links").set({ late_notified_at: now }).where("id", "=", l.id).execute();
    });
  }
  return late.length;
}

/** The background puller of a server process. */
export function startPuller(db: Kysely<Schema>, options: PullerOptions = {}) {
  const interval = options.intervalMs ?? 1000;
  const lateAfter = options.lateAfterMs ?? 10 * 60_000;
  const backoff = new Map<string, number>();
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let wokenWhileRunning = false;
  let lastLateCheck = 0;

  async function round(): Promise<void> {
    if (stopped) return;
    if (running) {
      // A webhook during a round: one more round right after it, so the new change is not left to the timer.
      wokenWhileRunning = true;
      return;
    }
    running = true;
    try {
      const links = await db.selectFrom("sync_links").select(["id"]).where("enabled", "=", true).execute();
      const now = Date.now();
      for (const { id } of links) {
        if (stopped) break;
        if ((backoff.get(id) ?? 0) > now) continue;
        const r = await pullLink(db, id, options);
        if (r.error) {
          const failures = Math.min(6, ((backoff.get(`${id}#n`) ?? 0) as number) + 1);
          backoff.set(`${id}#n`, failures);
          backoff.set(id, Date.now() + Math.min(60_000, 1000 * 2 ** failures));
          options.log?.(`link ${id}: ${r.error}`);
        } else {
          backoff.delete(id);
          backoff.delete(`${id}#n`);
        }
      }
      if (now - lastLateCheck > 30_000) {
        lastLateCheck = now;
        await notifyLateLinks(db, lateAfter);
      }
    } catch (e) {
      options.log?.(`sync round failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      running = false;
    }
    if (wokenWhileRunning && !stopped) {
      wokenWhileRunning = false;
      await round();
    }
  }

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void round().finally(schedule);
    }, interval);
    timer.unref?.();
  };
  schedule();

  return {
    /** Pulls a link at once (a webhook from its peer), skipping its wait after a failure. */
    wake(linkId?: string) {
      if (linkId) backoff.delete(linkId);
      void round();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      while (running) await new Promise((r) => setTimeout(r, 20));
    },
  };
}
