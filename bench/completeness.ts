/**
 * Reporting completeness ("Tình hình báo cáo") at volume: the completeness read of one month with and
 * without the index leading on period (migration 20261202T0200), and the bytes a dashboard tile receives
 * with and without `summary=true`. Beside it, in the same run, the raw database counting the same month's
 * totals by hand. Prints figures; asserts nothing.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/completeness.ts --rows 3000000
 *   npx tsx bench/completeness.ts --rows 500000                                         # PGlite
 *
 * The figures are generated with SQL: every monthly obligation's (indicator, unit) pair for 37 months,
 * its total submitted (a third with an earlier superseded version) and breakdowns, up to `--rows`.
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { openDatabase } from "../server/src/db/database";
import { migrate } from "../server/src/db/migrate";
import { buildApp } from "../server/src/http/app";
import { loadReferenceData } from "../server/src/reference/load";
import { reportingRepository } from "../server/src/reporting/repository";
import { createUser, login } from "../server/src/testing/auth";

const { values: args } = parseArgs({
  options: { rows: { type: "string", default: "3000000" }, runs: { type: "string", default: "7" } },
});
const target = Number(args.rows);
const runs = Number(args.runs);
const url = process.env.DATABASE_URL;
const schema = `bench_completeness_${randomBytes(4).toString("hex")}`;
const database = url ? await openDatabase({ databaseUrl: url, schema }) : await openDatabase({ dataDir: "memory://" });
const db = database.db;
const engine = url ? "PostgreSQL" : "PGlite";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function time(f: () => Promise<unknown>) {
  await f(); // warm
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    xs.push(performance.now() - t);
  }
  return { p50: median(xs), max: Math.max(...xs) };
}
const fmt = (t: { p50: number; max: number }) => `${t.p50.toFixed(1)} ms (max ${t.max.toFixed(1)})`;

try {
  await migrate(db);
  await loadReferenceData(db);
  // Months 2023M01 … 2026M01, the (indicator, unit) pairs of the monthly obligations.
  await sql`CREATE TEMP TABLE bench_pairs AS
    SELECT DISTINCT ON (o.indicator_code, a.id) o.indicator_code, a.id AS area_id, o.agency_code FROM reporting_obligations o
    JOIN areas a ON a.level = o.area_level AND a.valid_to IS NULL
      AND (o.root_area_id = 'VN' OR a.id = o.root_area_id OR a.parent_id = o.root_area_id)
    WHERE o.active AND o.period_type = 'month'`.execute(db);
  const pairs = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM bench_pairs`.execute(db)).rows[0]!.n);
  const months = 37;
  // Each pair and month: the total (v2 current, v1 superseded for a third), and breakdowns to reach the target.
  const breakdowns = Math.max(0, Math.round(target / (pairs * months) - 4 / 3));
  const started = performance.now();
  await sql`INSERT INTO data_values (indicator_code, area_id, period, period_type, disaggregation, version, value, status,
      source, agency_code, recorded_at, superseded_at, published_at, unpublished_at)
    SELECT p.indicator_code, p.area_id, to_char(m, 'YYYY"M"MM'), 'month', d.code, v.version, 100 + v.version, 'submitted',
      'api', p.agency_code, m + interval '35 days' + v.version * interval '1 day',
      CASE WHEN v.version = 1 AND v.n = 2 THEN m + interval '37 days' END,
      m + interval '35 days' + v.version * interval '1 day',
      CASE WHEN v.version = 1 AND v.n = 2 THEN m + interval '37 days' END
    FROM bench_pairs p
    CROSS JOIN generate_series('2023-01-01'::timestamptz, '2026-01-01'::timestamptz, interval '1 month') AS m
    CROSS JOIN LATERAL (SELECT '' AS code UNION ALL SELECT 'bench=' || g FROM generate_series(1, ${breakdowns}) AS g) AS d
    CROSS JOIN LATERAL (
      SELECT g AS version, n FROM (SELECT CASE WHEN d.code = '' AND hashtext(p.indicator_code || p.area_id || m::text) % 3 = 0
        THEN 2 ELSE 1 END AS n) AS c, generate_series(1, c.n) AS g
    ) AS v`.execute(db);
  await sql`ANALYZE`.execute(db); // every table's statistics, as autovacuum keeps them
  const rows = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM data_values`.execute(db)).rows[0]!.n);
  console.log(
    `${engine}: ${rows.toLocaleString("en")} versions (${pairs} obligation pairs × ${months} months, ${breakdowns} breakdowns each), generated in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );

  const period = { period: "2025M10", periodType: "month", periodEnd: "2025-10-31" };
  const repo = reportingRepository(db);
  const completeness = () => repo.completeness(period);
  const raw = () =>
    sql`SELECT indicator_code, area_id, bool_or(superseded_at IS NULL AND status IN ('submitted', 'approved')) AS s,
        min(recorded_at) FILTER (WHERE status IN ('submitted', 'approved')) AS f
      FROM data_values WHERE period = '2025M10' AND disaggregation = '' GROUP BY 1, 2`.execute(db);

  await sql`DROP INDEX data_values_period_idx`.execute(db);
  await sql`ANALYZE data_values`.execute(db);
  const before = await time(completeness);
  const rawBefore = await time(raw);
  await sql`CREATE INDEX data_values_period_idx ON data_values (period, indicator_code, area_id)
    INCLUDE (status, recorded_at, superseded_at) WHERE disaggregation = ''`.execute(db);
  if (url) await sql`VACUUM ANALYZE data_values`.execute(db);
  else await sql`ANALYZE data_values`.execute(db);
  const after = await time(completeness);
  const rawAfter = await time(raw);
  const size = url
    ? (await sql<{ s: string }>`SELECT pg_size_pretty(pg_relation_size('data_values_period_idx')) AS s`.execute(db)).rows[0]!.s
    : "?";

  console.log(`completeness of 2025M10, ${runs} runs, median:`);
  console.log(
    `  without an index on period: ${fmt(before)}   raw database (the month's totals grouped by hand): ${fmt(rawBefore)}`,
  );
  console.log(`  with data_values_period_idx (${size}): ${fmt(after)}   raw database: ${fmt(rawAfter)}`);

  // What a dashboard tile receives.
  const app = await buildApp({ database, clock: () => new Date("2025-11-20T03:00:00Z") });
  const leader = await login(app, (await createUser(database, "leader")).username);
  for (const q of ["", "&summary=true"]) {
    let body = "";
    const t = await time(async () => {
      const res = await app.inject({ url: `/api/reports/completeness?period=2025M10${q}`, headers: leader.headers() });
      body = res.body;
    });
    console.log(`  GET /api/reports/completeness?period=2025M10${q}: ${(body.length / 1024).toFixed(1)} KiB, ${fmt(t)}`);
  }
  await app.close();
} finally {
  if (url) await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(db);
  await database.close();
}
