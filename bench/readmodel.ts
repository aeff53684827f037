/**
 * The read model's costs (docs/decisions/0011): builds the shared synthetic warehouse (bench/warehouse.ts,
 * one published version per figure, the read model rebuilt from it), then
 *   - the bytes per row of figure_facts and figure_rollup (heap + indexes, summed over the partitions);
 *   - the cost of `refreshReadModel` for 10,000 changed keys — one province's communes (what an upload
 *     looks like) and keys spread over the country — beside the raw UPDATE of the same 10,000 rows of
 *     data_values in the same run (the writer's own statements cost about that much).
 * Prints figures; asserts nothing.
 *
 *   createdb -h 127.0.0.1 -U postgres rmbench
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/rmbench npx tsx bench/readmodel.ts --indicators 30 --months 12
 *   dropdb -h 127.0.0.1 -U postgres rmbench
 */
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { refreshReadModel, type FigureKey } from "../server/src/readmodel/maintain";
import { argsOf, engine, fmt, loadavg, openWarehouse } from "./warehouse";

const { values: args } = parseArgs({
  options: {
    indicators: { type: "string", default: "30" },
    months: { type: "string", default: "12" },
    runs: { type: "string", default: "3" },
    schema: { type: "string" },
    keep: { type: "boolean", default: false },
    rebuild: { type: "boolean", default: false },
  },
});

const w = await openWarehouse(argsOf(args));
const db = w.db;

const sizes = async (table: string) => {
  const r = await sql<{ rows: string; bytes: string; heap: string }>`
    SELECT (SELECT count(*) FROM ${sql.table(table)}) AS rows,
      coalesce((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = ${table}::regclass), 0)
        + pg_total_relation_size(${table}::regclass) AS bytes,
      coalesce((SELECT sum(pg_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = ${table}::regclass), 0)
        + pg_relation_size(${table}::regclass) AS heap`.execute(db);
  const x = r.rows[0]!;
  return { rows: Number(x.rows), bytes: Number(x.bytes), heap: Number(x.heap) };
};
await sql`VACUUM ANALYZE figure_facts`.execute(db).catch(() => undefined);
await sql`VACUUM ANALYZE figure_rollup`.execute(db).catch(() => undefined);
console.log(`engine ${engine}; ${fmt(w.values)} values; load ${await loadavg()}`);
for (const t of ["figure_facts", "figure_rollup", "data_values"]) {
  const s = await sizes(t);
  console.log(
    `${t.padEnd(14)} ${fmt(s.rows).padStart(11)} rows  ${fmt(s.bytes / 1024 / 1024).padStart(6)} MiB  ` +
      `${(s.bytes / Math.max(1, s.rows)).toFixed(1).padStart(6)} bytes/row (heap ${(s.heap / Math.max(1, s.rows)).toFixed(1)})`,
  );
}

const month = w.months[w.months.length - 1]!;
const months = w.months.slice(-3);
const keysOf = (areas: string[], indicators: string[], periods: string[]): FigureKey[] =>
  indicators.flatMap((indicator) =>
    areas.flatMap((area) => periods.map((period) => ({ indicator, area, period, disaggregation: "" }))),
  );
// One province's communes × every indicator × the last months, up to 10,000 keys.
const province = [...w.communesOf.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
const upload = keysOf(province[1], w.indicators, months).slice(0, 10_000);
// Keys spread over the country: every commune, a few indicators, the last month.
const allCommunes = [...w.communesOf.values()].flat();
const spread = keysOf(allCommunes, w.indicators.slice(0, Math.ceil(10_000 / allCommunes.length)), [month]).slice(0, 10_000);

const runs = Number(args.runs);
for (const [name, keys] of [
  [`one province (${province[0]}, ${province[1].length} communes)`, upload],
  ["spread over the country", spread],
] as const) {
  const raw: number[] = [];
  const refresh: number[] = [];
  for (let run = 0; run < runs; run++) {
    await db.transaction().execute(async (trx) => {
      const t0 = performance.now();
      // The figures change (a revision of each), as the writer's statements would leave them.
      await sql`UPDATE data_values d SET value = d.value + 1
        FROM unnest(${keys.map((k) => k.indicator)}::text[], ${keys.map((k) => k.area)}::text[], ${keys.map((k) => k.period)}::text[])
          AS k(i, a, p)
        WHERE d.indicator_code = k.i AND d.area_id = k.a AND d.period = k.p AND d.disaggregation = ''
          AND d.published_at IS NOT NULL AND d.unpublished_at IS NULL`.execute(trx);
      const t1 = performance.now();
      await refreshReadModel(trx, keys);
      const t2 = performance.now();
      raw.push(t1 - t0);
      refresh.push(t2 - t1);
    });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `${name}: ${fmt(keys.length)} keys — refreshReadModel median ${fmt(median(refresh))} ms ` +
      `(${fmt((median(refresh) / keys.length) * 10_000)} ms per 10k; runs ${refresh.map(fmt).join(", ")}); ` +
      `raw UPDATE of the same rows ${fmt(median(raw))} ms`,
  );
}
await w.close();
