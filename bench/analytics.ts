/**
 * The analytics warehouse benchmark: builds a synthetic warehouse straight in SQL, then times 1,000 mixed
 * dashboard API calls over HTTP and the delay from a submitted figure to its effect on an aggregate.
 * Prints figures; asserts nothing.
 *
 *   npx tsx bench/analytics.ts --indicators 40 --months 24            # PGlite, in memory
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/analytics.ts --indicators 250 --months 60
 *
 * Values: `--indicators` real numeric indicators × the 34 provinces and 3,321 communes × `--months` months
 * ending October 2025, one figure each (250 × 3,355 × 60 ≈ 50 million).
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { parsePeriod, previousPeriod } from "@dieuhanh/core";
import { sql } from "kysely";
import { buildApp } from "../server/src/http/app";
import { loadReferenceData } from "../server/src/reference/load";
import { createUser, login } from "../server/src/testing/auth";
import { createTestDatabase, testEngine } from "../server/src/testing/database";

const { values: args } = parseArgs({
  options: {
    indicators: { type: "string", default: "40" },
    months: { type: "string", default: "24" },
    requests: { type: "string", default: "1000" },
    keep: { type: "boolean", default: false },
  },
});
const nIndicators = Number(args.indicators);
const nMonths = Number(args.months);
const nRequests = Number(args.requests);

const database = await createTestDatabase();
const db = database.db;
try {
  await loadReferenceData(db);
  const indicators = [
    "QG.A.II.1",
    ...(
      await db
        .selectFrom("indicators")
        .select(["code", "unit"])
        .where("value_type", "=", "number")
        .where("kind", "!=", "heading")
        .orderBy("catalogue_id")
        .orderBy("seq")
        .where("code", "!=", "QG.A.II.1")
        .limit(nIndicators - 1)
        .execute()
    ).map((i) => i.code),
  ];
  const areas = (
    await db
      .selectFrom("areas")
      .select("id")
      .where("level", "in", ["province", "commune"])
      .where("valid_to", "is", null)
      .orderBy("id")
      .execute()
  ).map((a) => a.id);
  const months: string[] = [];
  for (let p = parsePeriod("2025M10")!, i = 0; i < nMonths; i++, p = previousPeriod(p)) months.unshift(p.code);
  const total = indicators.length * areas.length * months.length;
  console.log(
    `engine: ${testEngine}; building ${indicators.length} indicators × ${areas.length} areas × ${months.length} months = ${total.toLocaleString("en")} values`,
  );

  const batch = randomUUID();
  await sql`INSERT INTO data_batches (id, channel, created, updated, deleted, unchanged) VALUES (${batch}, 'sample', 0, 0, 0, 0)`.execute(
    db,
  );
  const t0 = performance.now();
  let done = 0;
  for (const code of indicators) {
    await sql`
      INSERT INTO data_values (indicator_code, area_id, period, period_type, disaggregation, version, value, status, source, recorded_at, published_at, batch_id)
      SELECT ${code}, a.id, p.code, 'month', '', 1,
             round((100 + abs(hashtext(${code} || a.id || p.code)) % 900 + p.n * 0.5)::numeric, 1),
             'approved', 'sample', now(), now(), ${batch}::uuid
      FROM unnest(${areas}::text[]) AS a(id)
      CROSS JOIN unnest(${months}::text[]) WITH ORDINALITY AS p(code, n)`.execute(db);
    done += areas.length * months.length;
    if (indicators.indexOf(code) % 10 === 9)
      console.log(
        `  ${done.toLocaleString("en")} values, ${Math.round(done / ((performance.now() - t0) / 1000)).toLocaleString("en")}/s`,
      );
  }
  const buildSeconds = (performance.now() - t0) / 1000;
  await sql`ANALYZE data_values`.execute(db);
  const size = await sql<{ table: string; total: string }>`
    SELECT pg_size_pretty(pg_relation_size('data_values')) AS table, pg_size_pretty(pg_total_relation_size('data_values')) AS total`.execute(
    db,
  );
  console.log(
    `warehouse built in ${buildSeconds.toFixed(0)} s (${Math.round(total / buildSeconds).toLocaleString("en")} values/s); data_values: table ${size.rows[0]!.table}, with indexes ${size.rows[0]!.total}`,
  );

  const app = await buildApp({ database, clock: () => new Date("2025-11-05T03:00:00Z") });
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  const viewer = await login(app, (await createUser(database, "viewer")).username);
  const admin = await login(app, (await createUser(database, "admin")).username);
  const headers = viewer.headers();
  const provinces = areas.filter((a) => a.length === 2);
  const pick = <T>(xs: T[], i: number) => xs[i % xs.length]!;
  const last = months.at(-1)!;
  const first24 = months.at(-Math.min(24, months.length))!;
  const kinds: { name: string; url: (i: number) => string }[] = [
    {
      name: "overview tiles (8 indicators)",
      url: (i) =>
        `/api/analytics/latest?indicators=${indicators.slice(i % 8, (i % 8) + 8).join(",")}&area=${i % 2 ? "VN" : pick(provinces, i)}`,
    },
    {
      name: "sector page (8 indicators × 24 months, comparisons)",
      url: (i) =>
        `/api/analytics?indicators=${indicators.slice(i % 8, (i % 8) + 8).join(",")}&areas=${pick(provinces, i)}&from=${first24}&to=${last}&comparisons=true`,
    },
    {
      name: "map (34 provinces, one month)",
      url: (i) => `/api/analytics?indicators=${pick(indicators, i)}&parent=VN&from=${last}&to=${last}`,
    },
    {
      name: "drill-down (a province's communes)",
      url: (i) => `/api/analytics?indicators=${pick(indicators, i)}&parent=${pick(provinces, i)}&from=${last}&to=${last}`,
    },
    {
      name: "national series (24 months, comparisons)",
      url: (i) => `/api/analytics?indicators=${pick(indicators, i)}&areas=VN&from=${first24}&to=${last}&comparisons=true`,
    },
  ];
  const timings = new Map<string, number[]>(kinds.map((k) => [k.name, []]));
  const all: number[] = [];
  for (let i = 0; i < nRequests; i++) {
    const kind = kinds[i % kinds.length]!;
    const t = performance.now();
    const res = await fetch(`${address}${kind.url(i)}`, { headers });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${kind.name}: ${res.status}`);
    const ms = performance.now() - t;
    timings.get(kind.name)!.push(ms);
    all.push(ms);
  }
  const q = (xs: number[], f: number) =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(f * xs.length))]!.toFixed(1);
  console.log(`${nRequests} mixed dashboard requests: p50 ${q(all, 0.5)} ms, p95 ${q(all, 0.95)} ms`);
  for (const [name, xs] of timings) console.log(`  ${name}: p50 ${q(xs, 0.5)} ms, p95 ${q(xs, 0.95)} ms`);

  // Freshness: a figure submitted for the month just begun, then the national aggregate until it shows it.
  const province = provinces[0]!;
  const code = "QG.A.II.1";
  const fresh = "2025M11";
  const before = await (
    await fetch(`${address}/api/analytics?indicators=${code}&areas=VN&from=${fresh}&to=${fresh}`, { headers })
  ).json();
  const t = performance.now();
  const post = await fetch(`${address}/api/data-values`, {
    method: "POST",
    headers: { ...admin.headers(true), "content-type": "application/json" },
    body: JSON.stringify({ values: [{ indicator: code, area: province, period: fresh, value: 123_456, comment: "bench" }] }),
  });
  if (post.status !== 200)
    console.log(`freshness: the write was refused (${post.status} ${await post.text()}); figures above stand`);
  else {
    let seen = false;
    while (!seen && performance.now() - t < 10_000) {
      const now = await (
        await fetch(`${address}/api/analytics?indicators=${code}&areas=VN&from=${fresh}&to=${fresh}`, { headers })
      ).json();
      seen = now.series[0].points[0].value !== before.series[0].points[0].value;
    }
    console.log(
      `freshness: a submitted figure changed the national aggregate after ${(performance.now() - t).toFixed(0)} ms (write included)`,
    );
  }
  await app.close();
} finally {
  if (!args.keep) await database.close();
}
