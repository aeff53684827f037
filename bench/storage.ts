/**
 * Storage per figure (issue 12, goal "≤ 120 bytes per current figure including indexes"): builds the shared
 * synthetic warehouse (bench/warehouse.ts: one published version per figure, the read model filled from
 * it), revises a share of the figures (a second version, the first superseded and withdrawn — as the writer
 * does), VACUUMs, then prints for data_values, figure_facts and figure_rollup the bytes per row of the heap and
 * of each index (summed over the year partitions), beside a bare table of the same rows and columns (no
 * index, no constraint) built in the same run — and bytes per CURRENT figure, the goal's unit. Also where a
 * data_values row's bytes go, column by column. Prints figures; asserts nothing.
 *
 *   createdb -h 127.0.0.1 -U postgres storagebench
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/storagebench npx tsx bench/storage.ts --indicators 30 --months 12
 *   dropdb -h 127.0.0.1 -U postgres storagebench
 *
 * On PGlite (no DATABASE_URL) the same figures come from the same engine code, at a smaller size.
 */
import { parseArgs } from "node:util";
import { sql, type Kysely } from "kysely";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { exportYear } from "../server/src/archive/archive";
import { ensureYearPartitions } from "../server/src/archive/partitions";
import { openDatabase } from "../server/src/db/database";
import { migrate } from "../server/src/db/migrate";
import type { Schema } from "../server/src/db/schema";
import { argsOf, engine, fmt, loadavg, openWarehouse } from "./warehouse";

const { values: args } = parseArgs({
  options: {
    indicators: { type: "string", default: "30" },
    months: { type: "string", default: "12" },
    /** Share of the figures revised once (a second version). */
    revised: { type: "string", default: "0.1" },
    schema: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});

interface Sizes {
  rows: number;
  heap: number;
  indexes: { name: string; bytes: number }[];
  partitions: number;
}

async function exists(db: Kysely<Schema>, table: string) {
  return (await sql<{ t: string | null }>`SELECT to_regclass(${table})::text AS t`.execute(db)).rows[0]?.t != null;
}

/** Heap (with TOAST, free-space and visibility maps) and each index, summed over a table's partitions. */
async function sizes(db: Kysely<Schema>, table: string): Promise<Sizes> {
  // A partitioned table's leaves, or the table itself when it is not partitioned.
  const leaves = sql`SELECT relid FROM pg_partition_tree(${table}::regclass) WHERE isleaf
    UNION SELECT oid FROM pg_class WHERE oid = ${table}::regclass AND relkind = 'r'`;
  const heap = await sql<{ bytes: string; n: number }>`
    SELECT sum(pg_table_size(relid))::bigint AS bytes, count(*)::int AS n FROM (${leaves}) l`.execute(db);
  const idx = await sql<{ name: string; bytes: string }>`
    SELECT coalesce(pg_partition_root(i.indexrelid), i.indexrelid)::regclass::text AS name,
           sum(pg_relation_size(i.indexrelid))::bigint AS bytes
    FROM pg_index i WHERE i.indrelid IN (${leaves}) GROUP BY 1 ORDER BY 2 DESC`.execute(db);
  const rows = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(db);
  return {
    rows: Number(rows.rows[0]!.n),
    heap: Number(heap.rows[0]!.bytes),
    partitions: heap.rows[0]!.n,
    indexes: idx.rows.map((r) => ({ name: r.name, bytes: Number(r.bytes) })),
  };
}

const per = (bytes: number, n: number) => (n ? (bytes / n).toFixed(1) : "–");

function print(label: string, s: Sizes, bare: Sizes | null, current: number) {
  const indexBytes = s.indexes.reduce((a, i) => a + i.bytes, 0);
  console.log(
    `\n${label}: ${fmt(s.rows)} rows in ${s.partitions} partition(s); ${fmt(current)} current figures` +
      `\n  bytes per row            heap ${per(s.heap, s.rows)}   indexes ${per(indexBytes, s.rows)}   total ${per(s.heap + indexBytes, s.rows)}` +
      (bare ? `\n  bare table, same rows    heap ${per(bare.heap, bare.rows)} (no index, no constraint)` : "") +
      `\n  bytes per current figure heap ${per(s.heap, current)}   with indexes ${per(s.heap + indexBytes, current)}`,
  );
  for (const i of s.indexes) console.log(`    ${i.name.padEnd(44)} ${per(i.bytes, s.rows).padStart(7)} B/row`);
}

// On PostgreSQL the figures are built into a schema of this run whose year partitions exist first, as on an
// install that has run through those years (a move out of the default partition would leave its space
// behind and inflate the figures); the schema is dropped at the end unless --keep.
const schema = process.env.DATABASE_URL ? (args.schema ?? `storage_bench_${process.pid}`) : undefined;
if (schema) {
  const pre = await openDatabase({ databaseUrl: process.env.DATABASE_URL!, schema });
  await migrate(pre.db);
  if ((await sql<{ f: string | null }>`SELECT to_regproc('ensure_data_values_year')::text AS f`.execute(pre.db)).rows[0]?.f)
    await sql`SELECT ensure_data_values_year(y) FROM generate_series(2020, 2026) AS y`.execute(pre.db);
  await pre.close();
}
const w = await openWarehouse(argsOf({ ...args, schema }));
const db = w.db;
try {
  console.log(`engine: ${engine}; load ${await loadavg()}`);
  // What a start does: each year's figures in their year's partition (from the default one).
  const t1 = performance.now();
  const made = await ensureYearPartitions(db, "2025-11-05");
  if (made.length) console.log(`partitions made for ${made.join(", ")} in ${((performance.now() - t1) / 1000).toFixed(0)} s`);
  // Revisions: a share of the figures gets a second version; the first is superseded and withdrawn.
  const share = Number(args.revised);
  if (share > 0) {
    const t0 = performance.now();
    const now = new Date("2025-11-05T03:00:00Z");
    await sql`CREATE TEMPORARY TABLE revised AS SELECT id FROM data_values
      WHERE version = 1 AND abs(hashtext(id::text)) % 1000 < ${Math.round(share * 1000)}`.execute(db);
    await sql`UPDATE data_values d SET superseded_at = ${now}, unpublished_at = ${now} FROM revised r WHERE d.id = r.id`.execute(
      db,
    );
    await sql`INSERT INTO data_values (indicator_code, area_id, period, period_type, disaggregation, version, value, status,
                source, recorded_at, published_at, batch_id)
      SELECT d.indicator_code, d.area_id, d.period, d.period_type, d.disaggregation, 2, d.value + 1, 'approved', d.source,
             ${now}, ${now}, d.batch_id FROM data_values d JOIN revised r ON r.id = d.id`.execute(db);
    console.log(`revised ${Math.round(share * 100)} % of the figures in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  await sql`VACUUM ANALYZE data_values`.execute(db);
  const current = Number(
    (await sql<{ n: string }>`SELECT count(*) AS n FROM data_values WHERE superseded_at IS NULL`.execute(db)).rows[0]!.n,
  );

  // Bare tables: the same rows and columns, no index, no constraint, not partitioned.
  const bare = async (table: string) => {
    if (!(await exists(db, table))) return null;
    await sql`DROP TABLE IF EXISTS ${sql.table(`bare_${table}`)}`.execute(db);
    await sql`CREATE TABLE ${sql.table(`bare_${table}`)} AS SELECT * FROM ${sql.table(table)}`.execute(db);
    await sql`VACUUM ANALYZE ${sql.table(`bare_${table}`)}`.execute(db);
    return sizes(db, `bare_${table}`);
  };

  print("data_values (every version)", await sizes(db, "data_values"), await bare("data_values"), current);

  // Where a data_values row's bytes go: the tuple header, each column's stored width, the line pointer.
  const columns = (
    await sql<{ column_name: string }>`SELECT column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'data_values' ORDER BY ordinal_position`.execute(db)
  ).rows.map((c) => c.column_name);
  const widths = await sql<Record<string, string>>`SELECT ${sql.join(
    columns.map((c) => sql`avg(coalesce(pg_column_size(${sql.ref(c)}), 0))::numeric(8, 1) AS ${sql.ref(c)}`),
  )}, avg(pg_column_size(d.*))::numeric(8, 1) AS "(whole row)" FROM (SELECT * FROM data_values TABLESAMPLE SYSTEM (1)) d`.execute(
    db,
  );
  console.log("\n  data_values: average stored bytes per column (1 % sample; before alignment padding)");
  for (const [c, v] of Object.entries(widths.rows[0] ?? {})) console.log(`    ${c.padEnd(20)} ${String(v).padStart(6)}`);
  console.log("    + tuple header 23–24 B (+ null bitmap), padded to 8; + 4 B line pointer per row");

  for (const t of ["figure_facts", "figure_rollup"]) {
    if (!(await exists(db, t))) {
      console.log(`\n${t}: absent`);
      continue;
    }
    await sql`VACUUM ANALYZE ${sql.table(t)}`.execute(db);
    const s = await sizes(db, t);
    print(t, s, await bare(t), s.rows);
  }
  if (await exists(db, "figure_facts")) {
    const facts = await sizes(db, "figure_facts");
    const rollup = (await exists(db, "figure_rollup")) ? await sizes(db, "figure_rollup") : null;
    const all = (s: Sizes | null) => (s ? s.heap + s.indexes.reduce((a, i) => a + i.bytes, 0) : 0);
    console.log(
      `\nread model per current figure (figure_facts + figure_rollup, with indexes): ${per(all(facts) + all(rollup), facts.rows)} B` +
        ` — goal ≤ 120 B; with data_values' versions: ${per(all(facts) + all(rollup) + all(await sizes(db, "data_values")), facts.rows)} B`,
    );
  }
  for (const t of ["data_values", "figure_facts", "figure_rollup"])
    await sql`DROP TABLE IF EXISTS ${sql.table(`bare_${t}`)}`.execute(db);

  // Cold storage: a year's versions as archive-year --export writes them (gzip CSV, every column).
  const year = Number(w.months.at(-1)!.slice(0, 4));
  const file = path.join(tmpdir(), `storage-bench-${process.pid}.csv.gz`);
  const t2 = performance.now();
  const exported = await exportYear(db, year, file);
  console.log(
    `\nexport of ${year} (archive-year --export): ${fmt(exported.rows)} versions, ${fmt(exported.bytes)} bytes gzip = ` +
      `${per(exported.bytes, exported.rows)} B per version, in ${((performance.now() - t2) / 1000).toFixed(0)} s`,
  );
  await rm(file, { force: true });
  await rm(`${file}.sha256`, { force: true });
} finally {
  await w.close();
  if (schema && !args.schema && !args.keep) {
    const admin = await openDatabase({ databaseUrl: process.env.DATABASE_URL! });
    await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(admin.db);
    await admin.close();
  }
}
