/**
 * The synthetic warehouse the dashboard benchmarks share (bench/analytics.ts, load.ts, live.ts, storage.ts):
 * built straight in SQL, the read model filled from it, and the five dashboard calls — each as the HTTP
 * request the web UI sends and as hand-written SQL giving the same answer, against `data_values`' published
 * rows and against the read model's tables (figure_facts / figure_rollup) when they exist.
 *
 * Values: `indicators` real numeric indicators × the 34 provinces and 3,321 communes × `months` months ending
 * October 2025 (the server's clock is 5 November 2025, so the current month has no figure yet — as in real
 * use), plus the 63 pre-reform provinces' figures under their old codes for the months before July 2025.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { aggregationRule, parsePeriod, periodsBetween, periodsNeeded, previousPeriod } from "@dieuhanh/core";
import { sql, type Kysely } from "kysely";
import type { Database } from "../server/src/db/database";
import { openDatabase } from "../server/src/db/database";
import { migrate } from "../server/src/db/migrate";
import type { Schema } from "../server/src/db/schema";
import { loadReferenceData } from "../server/src/reference/load";
import { createTestDatabase } from "../server/src/testing/database";

export const engine = process.env.DATABASE_URL ? "postgres" : "pglite";
export const CLOCK = new Date("2025-11-05T03:00:00Z");
export const LAST_MONTH = "2025M10";
const REFORM_MONTH = "2025M07";

export const loadavg = async () => {
  const { readFile } = await import("node:fs/promises");
  return (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ");
};

export const quantile = (xs: number[], f: number) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(f * xs.length))]! : NaN;
export const ms = (x: number) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x.toFixed(1)) : "–");
export const fmt = (n: number) => Math.round(n).toLocaleString("en");

export interface Warehouse {
  database: Database;
  db: Kysely<Schema>;
  indicators: string[];
  /** The indicators whose figures add up (amounts, counts); rates are never summed. */
  summable: string[];
  provinces: string[];
  communesOf: Map<string, string[]>;
  months: string[];
  values: number;
  /** Whether the read model's tables are there and filled. */
  readModel: boolean;
  close(): Promise<void>;
}

export interface WarehouseOptions {
  indicators: number;
  months: number;
  /** PostgreSQL only: build into this schema and keep it; reuse it when already built. */
  schema?: string;
  keep?: boolean;
  /** With a reused schema: fill the read model again (after a change to its code). */
  rebuild?: boolean;
}

async function tableExists(db: Kysely<Schema>, name: string) {
  const r = await sql<{ t: string | null }>`SELECT to_regclass(${name})::text AS t`.execute(db);
  return r.rows[0]?.t != null;
}

export async function openWarehouse(o: WarehouseOptions): Promise<Warehouse> {
  let database: Database;
  let reuse = false;
  if (o.schema && process.env.DATABASE_URL) {
    database = await openDatabase({ databaseUrl: process.env.DATABASE_URL, schema: o.schema });
    await migrate(database.db);
    reuse = (await tableExists(database.db, "bench_warehouse")) && (await tableExists(database.db, "data_values"));
  } else database = await createTestDatabase();
  const db = database.db;
  let indicators: string[];
  let months: string[];
  if (reuse) {
    const r = await sql<{ indicators: string[]; months: string[] }>`SELECT indicators, months FROM bench_warehouse`.execute(db);
    indicators = r.rows[0]!.indicators;
    months = r.rows[0]!.months;
    console.log(`reusing the warehouse in schema ${o.schema}: ${indicators.length} indicators × ${months.length} months`);
  } else {
    await loadReferenceData(db);
    // Loading history and submitting past months: entry locks would refuse them.
    await db.updateTable("reporting_obligations").set({ lock_after_days: null }).execute();
    indicators = [
      "QG.A.II.1",
      ...(
        await db
          .selectFrom("indicators")
          .select("code")
          .where("value_type", "=", "number")
          .where("kind", "!=", "heading")
          // No provincial row implementing a national indicator: the two are one series (docs/decisions/0009),
          // and two different synthetic figures for one series would make the answers disagree.
          .where("national_code", "is", null)
          .where("code", "!=", "QG.A.II.1")
          .orderBy("catalogue_id")
          .orderBy("seq")
          .limit(o.indicators - 1)
          .execute()
      ).map((i) => i.code),
    ];
    months = [];
    for (let p = parsePeriod(LAST_MONTH)!, i = 0; i < o.months; i++, p = previousPeriod(p)) months.unshift(p.code);
  }
  const units = new Map(
    (await db.selectFrom("indicators").select(["code", "unit"]).where("code", "in", indicators).execute()).map((i) => [
      i.code,
      i.unit,
    ]),
  );
  const summable = indicators.filter((c) => aggregationRule(units.get(c) ?? null) === "sum");
  const current = await db
    .selectFrom("areas")
    .select(["id", "parent_id", "level"])
    .where("level", "in", ["province", "commune"])
    .where("valid_to", "is", null)
    .orderBy("id")
    .execute();
  const provinces = current.filter((a) => a.level === "province").map((a) => a.id);
  const communesOf = new Map<string, string[]>(provinces.map((p) => [p, []]));
  for (const a of current) if (a.level === "commune") communesOf.get(a.parent_id!)?.push(a.id);
  const areaIds = current.map((a) => a.id);
  const oldProvinces = (
    await db.selectFrom("areas").select("id").where("level", "=", "province").where("valid_to", "is not", null).execute()
  ).map((a) => a.id);
  const oldMonths = months.filter((m) => m < REFORM_MONTH);
  const values = indicators.length * (areaIds.length * months.length + oldProvinces.length * oldMonths.length);

  if (!reuse) {
    console.log(
      `engine: ${engine}; building ${indicators.length} indicators × (${areaIds.length} areas × ${months.length} months + ` +
        `${oldProvinces.length} pre-reform provinces × ${oldMonths.length} months) = ${fmt(values)} values (load ${await loadavg()})`,
    );
    const batch = randomUUID();
    await sql`INSERT INTO data_batches (id, channel, created, updated, deleted, unchanged, completed_at)
              VALUES (${batch}, 'api', 0, 0, 0, 0, now())`.execute(db);
    const t0 = performance.now();
    // The secondary indexes are dropped for the load and made again after it (much faster than row by row).
    const indexes = (
      await sql<{ name: string; def: string }>`
        SELECT indexname AS name, indexdef AS def FROM pg_indexes i
        WHERE tablename = 'data_values' AND schemaname = current_schema()
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                          WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`.execute(
        db,
      )
    ).rows;
    for (const i of indexes) await sql`DROP INDEX ${sql.ref(i.name)}`.execute(db);
    let done = 0;
    const insert = (code: string, areas: string[], ms: string[]) =>
      sql`
        INSERT INTO data_values (indicator_code, area_id, period, period_type, disaggregation, version, value, status, source,
                                 recorded_at, published_at, batch_id)
        SELECT ${code}, a.id, p.code, 'month', '', 1,
               round((100 + abs(hashtext(${code} || a.id || p.code)) % 900 + p.n * 0.5)::numeric, 1),
               'approved', 'api', now(), now(), ${batch}::uuid
        FROM unnest(${areas}::text[]) AS a(id)
        CROSS JOIN unnest(${ms}::text[]) WITH ORDINALITY AS p(code, n)`.execute(db);
    for (const [i, code] of indicators.entries()) {
      await insert(code, areaIds, months);
      if (oldMonths.length) await insert(code, oldProvinces, oldMonths);
      done += areaIds.length * months.length + oldProvinces.length * oldMonths.length;
      if (i % 10 === 9 || i === indicators.length - 1)
        console.log(`  ${fmt(done)} values, ${fmt(done / ((performance.now() - t0) / 1000))}/s`);
    }
    const t1 = performance.now();
    for (const i of indexes) await sql.raw(i.def).execute(db);
    console.log(`  ${indexes.length} indexes made again in ${((performance.now() - t1) / 1000).toFixed(0)} s`);
    await sql`ANALYZE data_values`.execute(db);
    console.log(`data_values built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }

  let readModel = await tableExists(db, "figure_facts");
  if (!reuse || o.rebuild) readModel = await fillReadModel(db);
  if (o.schema && process.env.DATABASE_URL && !reuse) {
    await sql`CREATE TABLE bench_warehouse (indicators text[], months text[])`.execute(db);
    await sql`INSERT INTO bench_warehouse VALUES (${indicators}::text[], ${months}::text[])`.execute(db);
  }
  const keep = o.keep || !!o.schema;
  return {
    database,
    db,
    indicators,
    summable,
    provinces,
    communesOf,
    months,
    values,
    readModel,
    close: async () => {
      if (keep && process.env.DATABASE_URL) await database.db.destroy();
      else await database.close();
    },
  };
}

/** Fills READMODEL's tables from data_values with `rebuildReadModel(db)`, when that module exists. */
async function fillReadModel(db: Kysely<Schema>): Promise<boolean> {
  const dir = path.join(import.meta.dirname, "../server/src/readmodel");
  const candidates = ["index.ts", "rebuild.ts", "maintain.ts"].map((f) => path.join(dir, f)).filter((f) => existsSync(f));
  for (const file of candidates) {
    const mod = (await import(file)) as { rebuildReadModel?: (db: Kysely<Schema>) => Promise<unknown> };
    if (typeof mod.rebuildReadModel !== "function") continue;
    const t0 = performance.now();
    await mod.rebuildReadModel(db);
    for (const t of ["figure_facts", "figure_rollup"])
      if (await tableExists(db, t)) await sql`ANALYZE ${sql.table(t)}`.execute(db);
    const n = await sql<{ facts: string; rollup: string }>`
      SELECT (SELECT count(*) FROM figure_facts) AS facts, (SELECT count(*) FROM figure_rollup) AS rollup`.execute(db);
    console.log(
      `read model rebuilt in ${((performance.now() - t0) / 1000).toFixed(0)} s: figure_facts ${fmt(Number(n.rows[0]!.facts))} rows, ` +
        `figure_rollup ${fmt(Number(n.rows[0]!.rollup))} rows`,
    );
    return true;
  }
  console.log(
    "note: server/src/readmodel has no rebuildReadModel yet — the read model is not filled; only data_values is compared",
  );
  return false;
}

/** Keys of the read model (indicator_keys, area_keys, disaggregation_keys) and `period_key` as the shared name defines it. */
export async function readModelKeys(w: Warehouse) {
  if (!w.readModel) return null;
  const ind = new Map(
    (await sql<{ code: string; key: number }>`SELECT code, key FROM indicator_keys`.execute(w.db)).rows.map((r) => [
      r.code,
      r.key,
    ]),
  );
  const area = new Map(
    (await sql<{ id: string; key: number }>`SELECT id, key FROM area_keys`.execute(w.db)).rows.map((r) => [r.id, r.key]),
  );
  const dis = (await sql<{ key: number }>`SELECT key FROM disaggregation_keys WHERE code = ''`.execute(w.db)).rows[0]?.key;
  return { ind, area, dis: dis ?? 0 };
}

export const periodKey = (code: string) => {
  const p = parsePeriod(code)!;
  const n = Number(code.slice(5));
  const t = p.type === "year" ? 0 : p.type === "half_year" ? 100 + n : p.type === "quarter" ? 200 + n : 300 + n;
  return p.year * 1000 + t;
};

export interface CallKind {
  name: string;
  url(i: number): string;
  /** Hand-written SQL for the same answer on data_values' published rows. */
  direct(i: number): Promise<unknown[]>;
  /** Hand-written SQL for the same answer on the read model's tables (null without them). */
  model: ((i: number) => Promise<unknown[]>) | null;
}

/** The five dashboard calls, as the web UI sends them and as hand-written SQL. */
export async function callKinds(w: Warehouse): Promise<CallKind[]> {
  const { db, indicators, summable, provinces } = w;
  const keys = await readModelKeys(w);
  const pick = <T>(xs: T[], i: number) => xs[i % xs.length]!;
  const last = w.months.at(-1)!;
  const first24 = w.months.at(-Math.min(24, w.months.length))!;
  // Overview tiles: the current month back 23 months, with comparisons (what the service reads).
  let tileStart = parsePeriod("2025M11")!;
  for (let i = 0; i < 23; i++) tileStart = previousPeriod(tileStart);
  const tileNeeded = periodsNeeded(periodsBetween(tileStart, parsePeriod("2025M11")!));
  const seriesNeeded = periodsNeeded(periodsBetween(parsePeriod(first24)!, parsePeriod(last)!));
  const eight = (i: number) =>
    indicators.slice(i % Math.max(1, indicators.length - 7), (i % Math.max(1, indicators.length - 7)) + 8);
  const published = sql`disaggregation = '' AND published_at IS NOT NULL AND unpublished_at IS NULL`;
  const rows = async <T>(q: ReturnType<typeof sql<T>>) => (await q.execute(db)).rows;
  // The nation: the sum of its provinces for the summable indicators (rates are never summed: no answer).
  const national = (codes: string[], periods: string[]) =>
    rows(sql`
      SELECT indicator_code, period, sum(value) AS value, count(*) AS reported,
             bool_or(source = 'sample') AS sample, bool_or(status = 'submitted') AS unapproved
      FROM data_values
      WHERE indicator_code = ANY(${codes.filter((c) => summable.includes(c))}::text[]) AND area_id = ANY(${provinces}::text[])
        AND period = ANY(${periods}::text[]) AND ${published}
      GROUP BY indicator_code, period`);
  const own = (codes: string[], areas: string[], periods: string[]) =>
    rows(sql`
      SELECT indicator_code, area_id, period, value, source, status FROM data_values
      WHERE indicator_code = ANY(${codes}::text[]) AND area_id = ANY(${areas}::text[]) AND period = ANY(${periods}::text[])
        AND ${published}`);
  const k = keys;
  const ik = (codes: string[]) => codes.map((c) => k!.ind.get(c) ?? -1);
  const ak = (areas: string[]) => areas.map((a) => k!.area.get(a) ?? -1);
  const pk = (periods: string[]) => periods.map(periodKey);
  const rollup = (codes: string[], area: string, periods: string[]) =>
    rows(sql`
      SELECT * FROM figure_rollup
      WHERE indicator_key = ANY(${ik(codes)}::int[]) AND area_key = ${k!.area.get(area) ?? -1}
        AND period_key = ANY(${pk(periods)}::int[]) AND disaggregation_key = ${k!.dis}`);
  const facts = (codes: string[], areas: string[], periods: string[]) =>
    rows(sql`
      SELECT * FROM figure_facts
      WHERE indicator_key = ANY(${ik(codes)}::int[]) AND area_key = ANY(${ak(areas)}::int[])
        AND period_key = ANY(${pk(periods)}::int[]) AND disaggregation_key = ${k!.dis}`);
  const tileArea = (i: number) => (i % 2 ? "VN" : pick(provinces, i));
  return [
    {
      name: "overview tiles (8 indicators, 24 months + comparisons)",
      url: (i) => `/api/analytics/latest?indicators=${eight(i).join(",")}&area=${tileArea(i)}`,
      direct: (i) => (tileArea(i) === "VN" ? national(eight(i), tileNeeded) : own(eight(i), [tileArea(i)], tileNeeded)),
      model: k
        ? (i) => (tileArea(i) === "VN" ? rollup(eight(i), "VN", tileNeeded) : facts(eight(i), [tileArea(i)], tileNeeded))
        : null,
    },
    {
      name: "sector page (8 indicators × a province × 24 months, comparisons)",
      url: (i) =>
        `/api/analytics?indicators=${eight(i).join(",")}&areas=${pick(provinces, i)}&from=${first24}&to=${last}&comparisons=true`,
      direct: (i) => own(eight(i), [pick(provinces, i)], seriesNeeded),
      model: k ? (i) => facts(eight(i), [pick(provinces, i)], seriesNeeded) : null,
    },
    {
      name: "map (34 provinces, one month)",
      url: (i) => `/api/analytics?indicators=${pick(indicators, i)}&parent=VN&from=${last}&to=${last}`,
      direct: (i) => own([pick(indicators, i)], provinces, [last]),
      model: k ? (i) => facts([pick(indicators, i)], provinces, [last]) : null,
    },
    {
      name: "drill-down (a province's communes, one month)",
      url: (i) => `/api/analytics?indicators=${pick(indicators, i)}&parent=${pick(provinces, i)}&from=${last}&to=${last}`,
      direct: (i) =>
        rows(sql`
          SELECT d.indicator_code, d.area_id, d.period, d.value, d.source, d.status FROM data_values d
          JOIN areas a ON a.id = d.area_id AND a.parent_id = ${pick(provinces, i)} AND a.valid_to IS NULL
          WHERE d.indicator_code = ${pick(indicators, i)} AND d.period = ${last} AND d.disaggregation = ''
            AND d.published_at IS NOT NULL AND d.unpublished_at IS NULL`),
      model: k ? (i) => facts([pick(indicators, i)], w.communesOf.get(pick(provinces, i))!, [last]) : null,
    },
    {
      name: "national series (24 months, comparisons)",
      url: (i) => `/api/analytics?indicators=${pick(summable, i)}&areas=VN&from=${first24}&to=${last}&comparisons=true`,
      direct: (i) => national([pick(summable, i)], seriesNeeded),
      model: k ? (i) => rollup([pick(summable, i)], "VN", seriesNeeded) : null,
    },
  ];
}

export const argsOf = (a: {
  indicators: string;
  months: string;
  schema?: string;
  keep?: boolean;
  rebuild?: boolean;
}): WarehouseOptions => ({
  indicators: Number(a.indicators),
  months: Number(a.months),
  schema: a.schema,
  keep: a.keep,
  rebuild: a.rebuild,
});
