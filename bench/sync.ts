/**
 * Sync between two installs (server/src/sync): throughput of a first full sync and lag of live changes.
 *
 *   npx tsx bench/sync.ts --indicators 5 --months 4              # PGlite → PGlite, in memory
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/sync.ts   # 75 × 3,355 × 4 ≈ 1 M values
 *
 * The source install holds monthly figures of `--indicators` indicators × the 3,355 current areas × `--months`
 * months from July 2025 (≈ 1 M values by default) and serves its feed over real HTTP (the app listening on a port); the
 * subscriber, with the reference data only, pulls it with a link (all indicators, the whole country)
 * exactly as the server's puller does — each page validated (codes, types, areas in existence) and
 * written as versioned batches with the read model's refresh and the subscriber's own change log.
 * Beside it, the raw database moving the same published rows (one INSERT … SELECT, same server, PostgreSQL
 * only). Then live changes: batches of figures written at the source through the writer while the
 * subscriber's puller runs every 250 ms; the lag is from the source's commit to the figure being
 * published at the subscriber.
 */
import { parseArgs } from "node:util";
import { sql } from "kysely";
import type { RequestContext } from "../server/src/auth/principal";
import { buildApp } from "../server/src/http/app";
import { loadReferenceData } from "../server/src/reference/load";
import { linkPrincipal } from "../server/src/sync/apply";
import { pullLink, startPuller } from "../server/src/sync/puller";
import { createTestDatabase } from "../server/src/testing/database";
import { writeRows } from "../server/src/datavalues/writer";
import { validateRows, type IncomingRow } from "../server/src/datavalues/validation";
import { randomUUID } from "node:crypto";
import { parsePeriod, periodsBetween } from "@dieuhanh/core";
import { engine, fmt, loadavg, ms, quantile, CLOCK } from "./warehouse";

const { values: args } = parseArgs({
  options: {
    indicators: { type: "string", default: "75" },
    months: { type: "string", default: "4" },
    page: { type: "string", default: "5000" },
    batches: { type: "string", default: "20" },
    "batch-size": { type: "string", default: "100" },
  },
});

/**
 * The source's figures: what the mirror's checks accept, as a real install's would be — monthly numeric
 * indicators (whole numbers), the current provinces and communes, months from the reform (July 2025) on,
 * each figure once, published; written straight in SQL (the source's own import is bench/import.ts).
 */
async function buildSource(indicatorCount: number, monthCount: number) {
  const database = await createTestDatabase();
  const db = database.db;
  await loadReferenceData(db);
  const indicators = (
    await db
      .selectFrom("indicators")
      .select("code")
      .where("value_type", "=", "number")
      .where("kind", "!=", "heading")
      .where(sql<boolean>`'month' = ANY(period_types)`)
      .orderBy("catalogue_id")
      .orderBy("seq")
      .limit(indicatorCount)
      .execute()
  ).map((i) => i.code);
  const areas = (
    await db
      .selectFrom("areas")
      .select("id")
      .where("level", "in", ["province", "commune"])
      .where("valid_to", "is", null)
      .execute()
  ).map((a) => a.id);
  const months = periodsBetween(parsePeriod("2025M07")!, parsePeriod("2026M12")!)
    .slice(0, monthCount)
    .map((p) => p.code);
  const batch = randomUUID();
  await sql`INSERT INTO data_batches (id, channel, created, updated, deleted, unchanged, completed_at)
    VALUES (${batch}, 'api', 0, 0, 0, 0, now())`.execute(db);
  const t0 = performance.now();
  for (const code of indicators)
    await sql`INSERT INTO data_values (indicator_code, area_id, period, period_type, disaggregation, version, value, status, source,
        recorded_at, published_at, batch_id)
      SELECT ${code}, a.id, p.code, 'month', '', 1, 100 + abs(hashtext(${code} || a.id || p.code)) % 900, 'submitted', 'api',
        now(), now(), ${batch}::uuid
      FROM unnest(${areas}::text[]) AS a(id) CROSS JOIN unnest(${months}::text[]) AS p(code)`.execute(db);
  await sql`ANALYZE data_values`.execute(db);
  const values = indicators.length * areas.length * months.length;
  console.log(
    `engine: ${engine}; source built: ${indicators.length} monthly indicators × ${fmt(areas.length)} areas × ${months.length} months ` +
      `= ${fmt(values)} values in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  return { database, db };
}

const source = await buildSource(Number(args.indicators), Number(args.months));
const subscriber = await createTestDatabase();
await loadReferenceData(subscriber.db);
const app = await buildApp({ database: source.database, clock: () => CLOCK });
await app.listen({ port: 0, host: "127.0.0.1" });
const address = app.server.address();
const peerUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/`;
// A read token at the source, for the whole country.
const { randomSecret, sha256 } = await import("../server/src/auth/secrets");
const secret = `dh_${randomSecret(32)}`;
await source.db
  .insertInto("api_tokens")
  .values({
    name: "bench",
    token_hash: sha256(secret),
    token_prefix: secret.slice(0, 8),
    can_write: false,
    agency_code: null,
    area_id: null,
    created_by: null,
    expires_at: null,
    last_used_at: null,
    revoked_at: null,
  })
  .execute();
await subscriber.db
  .insertInto("sync_links")
  .values({ id: "nguon", name: "Nguồn", peer_url: peerUrl, token: secret, indicators: null, area_id: null })
  .execute();

const published = async (db: typeof source.db) =>
  Number(
    (
      await sql<{ n: string }>`SELECT count(*) AS n FROM data_values WHERE published_at IS NOT NULL AND unpublished_at IS NULL
        AND source <> 'sample'`.execute(db)
    ).rows[0]!.n,
  );
const total = await published(source.db);
console.log(`engine: ${engine}; source holds ${fmt(total)} published values; page ${args.page} (load ${await loadavg()})`);

// 1. The first full sync: the source's snapshot, page by page, through the subscriber's validation and writer.
let t0 = performance.now();
let pages = 0;
let applied = 0;
for (;;) {
  const r = await pullLink(subscriber.db, "nguon", { pageSize: Number(args.page), maxPages: 50 });
  if (r.error) throw new Error(r.error);
  pages += r.pages;
  applied += r.applied;
  if (r.pages < 50) break;
  const s = (performance.now() - t0) / 1000;
  console.log(`  … ${fmt(applied)} values in ${s.toFixed(0)} s (${fmt(applied / s)} values/s)`);
}
const fullSeconds = (performance.now() - t0) / 1000;
const mirrored = await published(subscriber.db);
const link = await subscriber.db.selectFrom("sync_links").selectAll().where("id", "=", "nguon").executeTakeFirstOrThrow();
console.log(
  `full sync: ${fmt(mirrored)} of ${fmt(total)} values in ${fullSeconds.toFixed(1)} s = ${fmt(mirrored / fullSeconds)} values/s ` +
    `(${pages} pages; refused ${link.skipped_changes}; load ${await loadavg()})`,
);
if (link.last_error) console.log(`  last problem: ${link.last_error.slice(0, 300)}`);

// Beside it: the raw database moving the same rows (PostgreSQL: one INSERT … SELECT across the two schemas).
if (engine === "postgres") {
  const srcSchema = (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(source.db)).rows[0]!.s;
  t0 = performance.now();
  await sql`CREATE TABLE bench_raw AS SELECT indicator_code, area_id, period, disaggregation, value, value_text, comment, status
    FROM ${sql.table(`${srcSchema}.data_values`)} WHERE published_at IS NOT NULL AND unpublished_at IS NULL`.execute(
    subscriber.db,
  );
  const rawSeconds = (performance.now() - t0) / 1000;
  console.log(
    `raw database, same rows (INSERT … SELECT, no checks, no versions): ${rawSeconds.toFixed(1)} s = ${fmt(total / rawSeconds)} values/s`,
  );
}

// 2. Live changes: batches written at the source through the writer; the subscriber's puller every 250 ms.
const puller = startPuller(subscriber.db, { intervalMs: 250, log: (m) => console.log(`  puller: ${m}`) });
const ctx: RequestContext = {
  principal: linkPrincipal({ id: "bench", name: "bench", area_id: null }),
  ip: null,
  userAgent: "bench",
};
const sample = await sql<{ indicator_code: string; area_id: string; period: string; value: string }>`
  SELECT indicator_code, area_id, period, value::text AS value FROM data_values
  WHERE published_at IS NOT NULL AND unpublished_at IS NULL AND area_id IN (SELECT id FROM areas WHERE level = 'province')
  ORDER BY period DESC, indicator_code, area_id LIMIT ${Number(args["batch-size"]) * Number(args.batches)}`.execute(source.db);
const lags: number[] = [];
const size = Number(args["batch-size"]);
for (let b = 0; b < Number(args.batches); b++) {
  const rows: IncomingRow[] = sample.rows.slice(b * size, (b + 1) * size).map((r, i) => ({
    at: { row: i + 1 },
    indicator: r.indicator_code,
    area: r.area_id,
    period: r.period,
    disaggregation: "",
    value: Number(r.value) + 1,
    valueText: null,
    comment: null,
    action: "upsert",
  }));
  if (rows.length === 0) break;
  const last = rows[rows.length - 1]!;
  await source.db.transaction().execute(async (trx) => {
    const v = await validateRows(trx, ctx.principal!, rows, { status: "submitted", now: CLOCK, channel: "api", mirror: true });
    if (v.errors.length || v.scopeErrors.length) throw new Error(JSON.stringify([...v.errors, ...v.scopeErrors].slice(0, 3)));
    await writeRows(
      trx,
      ctx,
      v.rows,
      { channel: "api", status: "submitted" },
      { dryRun: false, now: new Date(), latest: v.latest },
    );
  });
  const committed = performance.now();
  for (;;) {
    const r = await sql<{ v: string | null }>`SELECT value::text AS v FROM data_values WHERE indicator_code = ${last.indicator}
      AND area_id = ${last.area} AND period = ${last.period} AND disaggregation = '' AND published_at IS NOT NULL
      AND unpublished_at IS NULL`.execute(subscriber.db);
    if (r.rows[0] && Number(r.rows[0].v) === last.value) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  lags.push(performance.now() - committed);
}
await puller.stop();
console.log(
  `live: ${lags.length} batches of ${size} values; lag from the source's commit to published at the subscriber: ` +
    `p50 ${ms(quantile(lags, 0.5))} ms, p95 ${ms(quantile(lags, 0.95))} ms, max ${ms(Math.max(...lags))} ms (puller every 250 ms)`,
);
await app.close();
await subscriber.close();
await source.database.close();
