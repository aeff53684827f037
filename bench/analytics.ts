/**
 * The analytics warehouse benchmark: builds a synthetic warehouse straight in SQL (bench/warehouse.ts), fills
 * the read model from it, then times each dashboard call over HTTP to the real server BESIDE hand-written SQL
 * giving the same answer on the same database, in the same run: against data_values' published rows and
 * against the read model's tables. Prints figures; asserts nothing.
 *
 *   npx tsx bench/analytics.ts --indicators 40 --months 24                      # PGlite, in memory (~3.3 M values)
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5499/bench npx tsx bench/analytics.ts --indicators 100 --months 36 --schema w10m
 *
 * `--schema` (PostgreSQL) builds into that schema and keeps it, so load.ts / live.ts / storage.ts and later runs
 * reuse it; without it a fresh schema is dropped at the end. `--requests` is per call kind.
 */
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { buildApp } from "../server/src/http/app";
import { createUser, login } from "../server/src/testing/auth";
import { argsOf, callKinds, CLOCK, engine, fmt, loadavg, ms, openWarehouse, quantile } from "./warehouse";

const { values: args } = parseArgs({
  options: {
    indicators: { type: "string", default: "40" },
    months: { type: "string", default: "24" },
    requests: { type: "string", default: "100" },
    schema: { type: "string" },
    keep: { type: "boolean", default: false },
    rebuild: { type: "boolean", default: false },
  },
});
const nRequests = Number(args.requests);

const w = await openWarehouse(argsOf(args));
try {
  // Partitioned tables: their partitions' sizes (the parent itself holds nothing).
  const sizeOf = async (table: string) => {
    const r = await sql<{ bytes: string }>`SELECT coalesce((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits
      WHERE inhparent = ${table}::regclass), 0) + pg_total_relation_size(${table}::regclass) AS bytes`.execute(w.db);
    return Number(r.rows[0]!.bytes);
  };
  const mib = (b: number) => `${fmt(b / 1024 / 1024)} MiB`;
  const stored = await sizeOf("data_values");
  const facts = w.readModel ? await sizeOf("figure_facts") : 0;
  console.log(
    `${fmt(w.values)} values; data_values with its indexes: ${mib(stored)} (${(stored / w.values).toFixed(0)} bytes a value)` +
      (w.readModel ? `; figure_facts with its key: ${mib(facts)} (${(facts / w.values).toFixed(0)} bytes a value)` : ""),
  );

  const app = await buildApp({ database: w.database, clock: () => CLOCK });
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  const viewer = await login(app, (await createUser(w.database, "viewer")).username);
  const headers = viewer.headers();
  const kinds = await callKinds(w);

  let hits = 0;
  let lastHit = false;
  const get = async (url: string) => {
    const res = await fetch(`${address}${url}`, { headers });
    const body = await res.text();
    lastHit = res.headers.get("x-cache") === "hit";
    if (lastHit) hits++;
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.slice(0, 300)}`);
    return JSON.parse(body) as unknown;
  };
  // The answers agree: the API's figures for the periods asked against the hand-written query's.
  for (const k of kinds) {
    const api = await get(k.url(0));
    const direct = (await k.direct(0)) as { indicator_code: string; area_id?: string; period: string; value: string }[];
    const theirs = new Map(direct.map((r) => [`${r.indicator_code}|${r.area_id ?? "VN"}|${r.period}`, Number(r.value)]));
    let compared = 0;
    let differ = 0;
    const check = (key: string, v: number | null) => {
      if (v === null && !theirs.has(key)) return;
      compared++;
      if (v === null || !theirs.has(key) || Math.abs(theirs.get(key)! - v) > 1e-6 * Math.max(1, Math.abs(v))) {
        if (differ++ < 3) console.log(`    differs: ${key} API ${v} SQL ${theirs.get(key)}`);
      }
    };
    const a = api as {
      series?: { indicator: string; area: string; points: { period: string; value: number | null }[] }[];
      area?: string;
      items?: { indicator: { code: string }; sparkline: { period: string; value: number | null }[] }[];
    };
    for (const s of a.series ?? []) for (const p of s.points) check(`${s.indicator}|${s.area}|${p.period}`, p.value);
    for (const it of a.items ?? []) for (const p of it.sparkline) check(`${it.indicator.code}|${a.area}|${p.period}`, p.value);
    console.log(`  answers agree (${k.name}): ${compared - differ} of ${compared} figures equal`);
  }

  // Warm-up, then each call in turn: the API, the SQL on data_values, the SQL on the read model.
  for (const k of kinds) for (let i = 0; i < 3; i++) await get(k.url(i));
  const t = new Map(
    kinds.map((k) => [k.name, { api: [] as number[], computed: [] as number[], direct: [] as number[], model: [] as number[] }]),
  );
  const load0 = await loadavg();
  hits = 0;
  for (let i = 0; i < nRequests; i++)
    for (const k of kinds) {
      const r = t.get(k.name)!;
      let s = performance.now();
      await get(k.url(i));
      r.api.push(performance.now() - s);
      if (!lastHit) r.computed.push(performance.now() - s);
      s = performance.now();
      await k.direct(i);
      r.direct.push(performance.now() - s);
      if (k.model) {
        s = performance.now();
        await k.model(i);
        r.model.push(performance.now() - s);
      }
    }
  const load1 = await loadavg();
  console.log(
    `\n${engine}, ${fmt(w.values)} values, ${nRequests} calls of each kind, one at a time (load average ${load0} → ${load1})`,
  );
  console.log(
    `server's answer cache: ${hits} of ${nRequests * kinds.length} calls answered from it (the URLs repeat every ` +
      `${w.indicators.length - 7}–${w.indicators.length * w.provinces.length} calls of a kind)`,
  );
  console.log(
    "| call | API p50 / p95 (ms) | API computed (not from the cache) p50 / p95 | SQL on data_values p50 / p95 | API ÷ SQL (p95) | SQL on read model p50 / p95 | API ÷ read model SQL (p95) | API computed ÷ read model SQL (p95) |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const k of kinds) {
    const r = t.get(k.name)!;
    const q = (xs: number[]) => `${ms(quantile(xs, 0.5))} / ${ms(quantile(xs, 0.95))}`;
    const ratio = (a: number[], b: number[]) =>
      a.length && b.length ? `${(quantile(a, 0.95) / quantile(b, 0.95)).toFixed(1)}×` : "–";
    console.log(
      `| ${k.name} | ${q(r.api)} | ${q(r.computed)} (${r.computed.length}) | ${q(r.direct)} | ${ratio(r.api, r.direct)} | ` +
        `${r.model.length ? q(r.model) : "no read model"} | ${ratio(r.api, r.model)} | ${ratio(r.computed, r.model)} |`,
    );
  }
  await app.close();
} finally {
  await w.close();
}
