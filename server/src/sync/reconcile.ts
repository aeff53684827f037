import { sql, type Kysely } from "kysely";
import { scopeChecker } from "../auth/scope";
import type { Executor } from "../db/bulk";
import type { Schema } from "../db/schema";
import { NotFoundError } from "../errors";

/**
 * Reconciliation: count and checksum of the published figures per indicator × period × province, so
 * that two installs can be compared without sending every figure. The checksum is the MD5 of the
 * figures' keys and exact values in key order; a figure filed under a provincial row counts under the
 * national indicator asked for when the row implements it (as the feed sends it). Sample figures,
 * which are never exchanged, are left out.
 */
export interface ReconciliationRow {
  indicator: string;
  period: string;
  province: string;
  count: number;
  checksum: string;
}

export interface ReconciliationQuery {
  indicators?: string[];
  /** Area ids (a subtree, already expanded) or null for all. */
  areaIds: string[] | null;
  from?: string;
  to?: string;
}

export async function reconciliation(db: Executor, q: ReconciliationQuery): Promise<ReconciliationRow[]> {
  // Asked codes and the provincial rows implementing them, each reported under the code asked for.
  const links = await sql<{ code: string; national_code: string }>`SELECT code, national_code FROM series_links`.execute(db);
  const asked = q.indicators?.length ? new Set(q.indicators) : null;
  const reportAs = new Map<string, string>();
  if (asked) {
    for (const c of asked) reportAs.set(c, c);
    for (const l of links.rows) if (asked.has(l.national_code) && !asked.has(l.code)) reportAs.set(l.code, l.national_code);
  }
  const mapping = [...reportAs].map(([code, as]) => ({ code, as }));
  const r = await sql<{ indicator: string; period: string; province: string; count: string; checksum: string }>`
    WITH province_of AS (
      SELECT a.id, CASE WHEN a.level IN ('province', 'nation') THEN a.id WHEN p.level = 'province' THEN p.id ELSE coalesce(g.id, p.id, a.id) END AS province
      FROM areas a LEFT JOIN areas p ON p.id = a.parent_id LEFT JOIN areas g ON g.id = p.parent_id
    ), codes AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(mapping)}::jsonb) AS m(code text, "as" text)
    )
    SELECT ${asked ? sql`c."as"` : sql`d.indicator_code`} AS indicator, d.period, po.province, count(*)::text AS count,
      md5(string_agg(d.area_id || '|' || d.disaggregation || '|' || coalesce(d.value::text, '') || '|' || coalesce(d.value_text, ''),
        E'\\n' ORDER BY d.area_id, d.disaggregation)) AS checksum
    FROM data_values d
    ${asked ? sql`JOIN codes c ON c.code = d.indicator_code` : sql``}
    JOIN province_of po ON po.id = d.area_id
    WHERE d.published_at IS NOT NULL AND d.unpublished_at IS NULL AND d.source <> 'sample'
      ${q.areaIds ? sql`AND d.area_id = ANY(${q.areaIds}::text[])` : sql``}
      ${q.from ? sql`AND d.period >= ${q.from}` : sql``}
      ${q.to ? sql`AND d.period <= ${q.to}` : sql``}
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3`.execute(db);
  return r.rows.map((x) => ({ ...x, count: Number(x.count) }));
}

export interface Difference {
  indicator: string;
  period: string;
  province: string;
  here: { count: number; checksum: string } | null;
  there: { count: number; checksum: string } | null;
}

/** The rows where two reconciliations disagree (missing on one side, other count or checksum). */
export function compareReconciliations(here: ReconciliationRow[], there: ReconciliationRow[]): Difference[] {
  const key = (r: ReconciliationRow) => `${r.indicator}|${r.period}|${r.province}`;
  const a = new Map(here.map((r) => [key(r), r]));
  const b = new Map(there.map((r) => [key(r), r]));
  const out: Difference[] = [];
  for (const k of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(k);
    const y = b.get(k);
    if (x && y && x.count === y.count && x.checksum === y.checksum) continue;
    const [indicator, period, province] = k.split("|") as [string, string, string];
    out.push({
      indicator,
      period,
      province,
      here: x ? { count: x.count, checksum: x.checksum } : null,
      there: y ? { count: y.count, checksum: y.checksum } : null,
    });
  }
  return out;
}

/**
 * Compares this install with a link's peer over the link's scope: the peer's reconciliation (asked with
 * the link's token) against this install's, per indicator × period × province.
 */
export async function compareWithPeer(db: Kysely<Schema>, linkId: string) {
  const link = await db
    .selectFrom("sync_links")
    .select(["peer_url", "token", "indicators", "area_id"])
    .where("id", "=", linkId)
    .executeTakeFirst();
  if (!link) throw new NotFoundError(`Không có kết nối ${linkId}`);
  const u = new URL("/api/sync/reconciliation", link.peer_url);
  if (link.indicators?.length) u.searchParams.set("indicators", link.indicators.join(","));
  if (link.area_id) u.searchParams.set("area", link.area_id);
  const res = await fetch(u, { headers: { authorization: `Bearer ${link.token}` }, signal: AbortSignal.timeout(120_000) });
  if (!res.ok) throw new Error(`${link.peer_url} trả lời ${res.status}: ${(await res.text()).slice(0, 300)}`);
  const there = (await res.json()) as { install: { name: string }; items: ReconciliationRow[] };
  const here = await reconciliation(db, {
    indicators: link.indicators ?? undefined,
    areaIds: link.area_id ? [...(await scopeChecker(db).subtree(link.area_id))] : null,
  });
  return {
    peer: there.install.name,
    here: here.length,
    there: there.items.length,
    differences: compareReconciliations(here, there.items),
  };
}
