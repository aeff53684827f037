import { randomBytes, randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import type { Executor } from "../db/bulk";
import type { Schema } from "../db/schema";
import { ForbiddenError, NotFoundError } from "../errors";

/**
 * Webhooks that wake a peer's pull early, per Standard Webhooks (standardwebhooks.com): headers
 * `webhook-id`, `webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256 of id.timestamp.body>`),
 * a five-minute replay window and dedupe by id on the receiving side. A webhook carries no figures — it
 * only says the feed moved; the pull (with its cursor) is what moves data, so a lost webhook delays, never loses.
 */

/** A new signing secret in the Standard Webhooks form. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

/** Checks a webhook's signature and window; records its id. Duplicate: already received. */
export async function verifyWebhook(
  db: Executor,
  linkId: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  now: Date,
): Promise<{ duplicate: boolean }> {
  const link = await db.selectFrom("sync_links").select(["webhook_secret"]).where("id", "=", linkId).executeTakeFirst();
  if (!link) throw new NotFoundError(`Không có kết nối ${linkId}`);
  if (!link.webhook_secret) throw new ForbiddenError("Kết nối này không nhận webhook (chưa đặt khóa ký)");
  const flat: Record<string, string> = {};
  for (const h of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
    const v = headers[h];
    flat[h] = Array.isArray(v) ? (v[0] ?? "") : (v ?? "");
  }
  try {
    new Webhook(link.webhook_secret).verify(body, flat);
  } catch (e) {
    if (e instanceof WebhookVerificationError) throw new ForbiddenError(`Webhook không hợp lệ: ${e.message}`);
    throw e;
  }
  // Ids received within the window are kept a day: the same webhook again is acknowledged and ignored.
  const inserted = await sql<{
    id: string;
  }>`INSERT INTO webhook_receipts (id, received_at) VALUES (${`${linkId}:${flat["webhook-id"]}`}, ${now})
    ON CONFLICT (id) DO NOTHING RETURNING id`.execute(db);
  await sql`DELETE FROM webhook_receipts WHERE received_at < ${new Date(now.getTime() - 86_400_000)}`.execute(db);
  return { duplicate: inserted.rows.length === 0 };
}

/**
 * Sends webhooks when the feed moves: every `intervalMs` the log's head is compared with what each
 * subscription was told; a move writes a delivery to the outbox (with the new mark, in one transaction),
 * and due deliveries are sent, retried with a growing wait until answered 2xx.
 */
export function startWebhookSender(
  db: Kysely<Schema>,
  options: { intervalMs?: number; fetch?: typeof fetch; log?: (m: string) => void } = {},
) {
  const doFetch = options.fetch ?? fetch;
  let stopped = false;
  let running = false;
  const tick = async () => {
    if (running || stopped) return;
    running = true;
    try {
      const head = (await sql<{ id: string | null }>`SELECT max(id)::text AS id FROM change_log`.execute(db)).rows[0]?.id;
      if (head) {
        const behind = await db
          .selectFrom("webhook_subscriptions")
          .select(["id"])
          .where("revoked_at", "is", null)
          .where("notified_through", "<", head)
          .execute();
        for (const s of behind)
          await db.transaction().execute(async (trx) => {
            const id = `msg_${randomUUID()}`;
            const payload = JSON.stringify({
              type: "changes.available",
              timestamp: new Date().toISOString(),
              data: { through: head },
            });
            await trx.insertInto("webhook_deliveries").values({ id, subscription_id: s.id, payload }).execute();
            await trx.updateTable("webhook_subscriptions").set({ notified_through: head }).where("id", "=", s.id).execute();
          });
      }
      const due = await db
        .selectFrom("webhook_deliveries as d")
        .innerJoin("webhook_subscriptions as s", "s.id", "d.subscription_id")
        .select(["d.id", "d.payload", "d.attempts", "s.url", "s.secret"])
        .where("d.delivered_at", "is", null)
        .where("d.next_attempt_at", "<=", new Date())
        .where("s.revoked_at", "is", null)
        .orderBy("d.created_at")
        .limit(20)
        .execute();
      for (const d of due) {
        const at = new Date();
        const signature = new Webhook(d.secret).sign(d.id, at, d.payload);
        let error: string | null = null;
        try {
          const res = await doFetch(d.url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "webhook-id": d.id,
              "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
              "webhook-signature": signature,
            },
            body: d.payload,
            signal: AbortSignal.timeout(10_000),
          });
          if (!res.ok) error = `HTTP ${res.status}`;
        } catch (e) {
          error = e instanceof Error ? e.message : String(e);
        }
        await db
          .updateTable("webhook_deliveries")
          .set(
            error === null
              ? { delivered_at: new Date(), attempts: d.attempts + 1, last_error: null }
              : {
                  attempts: d.attempts + 1,
                  last_error: error.slice(0, 1000),
                  next_attempt_at: new Date(Date.now() + Math.min(3_600_000, 1000 * 2 ** Math.min(d.attempts, 12))),
                },
          )
          .where("id", "=", d.id)
          .execute();
        if (error) options.log?.(`webhook ${d.url}: ${error}`);
      }
      // A newer delivery supersedes older undelivered ones of the same subscription (they say the same).
      await sql`UPDATE webhook_deliveries d SET delivered_at = now(), last_error = 'thay bằng thông báo mới hơn'
        WHERE d.delivered_at IS NULL AND EXISTS (SELECT 1 FROM webhook_deliveries n
          WHERE n.subscription_id = d.subscription_id AND n.created_at > d.created_at AND n.delivered_at IS NOT NULL)`.execute(
        db,
      );
    } catch (e) {
      options.log?.(`webhooks: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), options.intervalMs ?? 200);
  timer.unref?.();
  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      while (running) await new Promise((r) => setTimeout(r, 20));
    },
  };
}
