import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Schema } from "../db/schema";
import { applyPage, type ApplyOutcome } from "../sync/apply";
import type { FeedChange } from "../sync/feed";

/**
 * Tests: figures mirrored from another install, as the puller would apply them. Makes the link (the peer
 * owns `indicators` in `areaId`'s subtree here) if it does not exist yet, then applies one hand-made page of
 * the peer's feed through the real `applyPage` (the link's cursor is the one the page was "fetched with").
 */
export async function mirrorFigures(
  db: Kysely<Schema>,
  link: { id: string; name: string; indicators: string[] | null; areaId: string | null },
  figures: {
    indicator: string;
    area: string;
    period: string;
    value: number;
    comment?: string;
    status?: "submitted" | "approved";
  }[],
  now = new Date(),
): Promise<ApplyOutcome & { origin: string }> {
  await db
    .insertInto("sync_links")
    .values({
      id: link.id,
      name: link.name,
      peer_url: `http://${link.id}.example/`,
      token: "khoa-doc-cua-he-thong-goc",
      indicators: link.indicators,
      area_id: link.areaId,
    })
    .onConflict((oc) => oc.column("id").doNothing())
    .execute();
  const row = await db
    .selectFrom("sync_links")
    .select(["id", "name", "peer_url", "token", "indicators", "area_id", "cursor", "peer_install_id"])
    .where("id", "=", link.id)
    .executeTakeFirstOrThrow();
  const origin = row.peer_install_id ?? randomUUID().replace(/-/g, "");
  const at = now.toISOString();
  const changes: FeedChange[] = figures.map((f, i) => ({
    id: `${Date.now()}${i}`,
    origin,
    indicator: f.indicator,
    nationalIndicator: null,
    area: f.area,
    period: f.period,
    disaggregation: "",
    deleted: false,
    value: String(f.value),
    valueText: null,
    comment: f.comment ?? null,
    status: f.status ?? "approved",
    version: 1,
    recordedAt: at,
    changedAt: at,
  }));
  const outcome = await applyPage(
    db,
    row,
    row.cursor,
    { changes, next: `l1.test.${Date.now()}.${changes.length}`, headAt: at, install: { id: origin } },
    now,
  );
  return { ...outcome, origin };
}
