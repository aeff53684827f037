/**
 * Bulk import through the HTTP API, and the web form's save. Prints figures; asserts nothing.
 *
 *   npx tsx bench/import.ts [--values 1000000] [--batch 10000] [--concurrency 2] [--form-saves 200] [--profile]
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/import.ts   (a fresh schema, dropped after)
 *
 * The values: Cần Thơ's monthly indicators in number units without sub-indicators, for the city and its
 * 103 communes (units since the reform of 1/7/2025), month after month from July 2025 — so the outlier
 * check reads a growing history, as in real use; the server's clock is the month after the last. Each
 * request carries `--batch` values over a keep-alive HTTP connection to the real server (Fastify listening
 * on a local port), as an administrator's API token would send them. Then, in the same run, the same
 * values are written by COPY into a bare table of data_values' columns (no index, no constraint) and into
 * a copy of data_values with all its indexes: the database's own limits beside the API's rate.
 * `--profile` prints where the database time of the import went, by statement.
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { sql } from "kysely";
import { copyRows, type CopyValue } from "../server/src/db/bulk";
import { createUser, login } from "../server/src/testing/auth";
import { createTestDatabase, testEngine } from "../server/src/testing/database";
import { buildApp } from "../server/src/http/app";
import { loadReferenceData } from "../server/src/reference/load";
import { tokenService } from "../server/src/tokens/service";

const { values: args } = parseArgs({
  options: {
    values: { type: "string", default: "1000000" },
    batch: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "2" },
    "form-saves": { type: "string", default: "200" },
    profile: { type: "boolean", default: false },
  },
});
const total = Number(args.values);
const batchSize = Number(args.batch);
const concurrency = Number(args.concurrency);
const formSaves = Number(args["form-saves"]);

const database = await createTestDatabase();
try {
  await loadReferenceData(database.db);
  // Loading history: entry locks (a per-obligation setting) would refuse past months.
  await database.db.updateTable("reporting_obligations").set({ lock_after_days: null }).execute();
  const indicators = (
    await database.db
      .selectFrom("indicators as i")
      .innerJoin("reporting_obligations as o", "o.indicator_code", "i.code")
      .select("i.code")
      .distinct()
      .where("i.catalogue_id", "=", "cantho-256")
      .where("i.value_type", "=", "number")
      .where("i.kind", "=", "indicator")
      .where("o.period_type", "=", "month")
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom("indicators as c").select("c.code").whereRef("c.parent_code", "=", "i.code"))),
      )
      .orderBy("i.code")
      .execute()
  ).map((r) => r.code);
  const areas = [
    "92",
    ...(
      await database.db
        .selectFrom("areas")
        .select("id")
        .where("parent_id", "=", "92")
        .where("valid_to", "is", null)
        .orderBy("id")
        .execute()
    ).map((a) => a.id),
  ];

  // Values month by month from the reform (the communes' first month), oldest first as history grows.
  const perMonth = indicators.length * areas.length;
  const months = Array.from({ length: Math.ceil(total / perMonth) }, (_, i) => monthCode(2025, 7 + i));
  // The server's clock: the 5th of the month after the last, so every month is closed and may be reported.
  const after = monthCode(2025, 7 + months.length).replace(/M(\d\d)$/, "-$1");
  const clockStart = `${after}-05T03:00:00Z`;
  const start = Date.now();
  const app = await buildApp({ database, clock: () => new Date(Date.parse(clockStart) + Date.now() - start) });
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  const { secret } = await tokenService(database.db).create(
    { principal: null, ip: null, userAgent: "bench" },
    { name: "bench", agencyCode: null, areaId: null, canWrite: true, expiresAt: null },
  );

  function* values() {
    let n = 0;
    for (const period of months)
      for (const indicator of indicators)
        for (const area of areas) {
          if (n++ >= total) return;
          // Smooth series with a little noise: no outliers, so every batch is accepted as the API would see it.
          const base = 100 + ((indicator.length * 17 + area.length * 13) % 400);
          yield { indicator, area, period, value: Math.round((base + (n % 7)) * 10) / 10 };
        }
  }
  const batches: object[][] = [];
  let current: object[] = [];
  for (const v of values()) {
    current.push(v);
    if (current.length === batchSize) {
      batches.push(current);
      current = [];
    }
  }
  if (current.length) batches.push(current);

  console.log(
    `engine: ${testEngine}; ${indicators.length} indicators × ${areas.length} areas × ${months.length} months (${months[0]}–${months.at(-1)})`,
  );
  const headers = { authorization: `Bearer ${secret}`, "content-type": "application/json" };
  const timings: number[] = [];
  let next = 0;
  let written = 0;
  const profile = args.profile ? profileQueries() : null;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const t = performance.now();
        const res = await fetch(`${address}/api/data-values`, {
          method: "POST",
          headers,
          body: JSON.stringify({ values: batch }),
        });
        const body = (await res.json()) as { created?: number; message?: string; errors?: unknown[] };
        if (res.status !== 200)
          throw new Error(`batch refused: ${res.status} ${body.message} ${JSON.stringify(body.errors?.slice(0, 3))}`);
        written += body.created ?? 0;
        timings.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  timings.sort((a, b) => a - b);
  const q = (f: number) => timings[Math.min(timings.length - 1, Math.floor(f * timings.length))]!.toFixed(0);
  console.log(
    `bulk import: ${written.toLocaleString("en")} values in ${seconds.toFixed(1)} s = ${Math.round(written / seconds).toLocaleString("en")} values/s ` +
      `(${batches.length} requests of ${batchSize}, concurrency ${concurrency}; per request p50 ${q(0.5)} ms, p95 ${q(0.95)} ms)`,
  );
  if (profile) profile.report(seconds);

  // The database's own limit for the same values: COPY into a bare table of data_values' columns, and into
  // a copy of data_values with every index it has (what a loader bypassing all validation would get).
  const copyValues: CopyValue[][] = [...values()].map((v, n) => [
    n + 1,
    v.indicator,
    v.area,
    v.period,
    "month",
    "",
    1,
    v.value,
    "submitted",
    "api",
    new Date(),
    new Date(),
  ]);
  const copyColumns = [
    "id",
    "indicator_code",
    "area_id",
    "period",
    "period_type",
    "disaggregation",
    "version",
    "value",
    "status",
    "source",
    "recorded_at",
    "published_at",
  ];
  const rawCopy = async (label: string, like: string) => {
    await sql`DROP TABLE IF EXISTS bench_copy`.execute(database.db);
    await sql`CREATE TABLE bench_copy (LIKE data_values ${sql.raw(like)})`.execute(database.db);
    const t = performance.now();
    for (let i = 0; i < copyValues.length; i += batchSize)
      await database.db
        .transaction()
        .execute((trx) => copyRows(trx, "bench_copy" as "data_values", copyColumns, copyValues.slice(i, i + batchSize)));
    const rate = copyValues.length / ((performance.now() - t) / 1000);
    await sql`DROP TABLE bench_copy`.execute(database.db);
    console.log(
      `raw COPY into ${label}: ${Math.round(rate).toLocaleString("en")} values/s (${batchSize.toLocaleString("en")} a transaction); ` +
        `the API's rate is ${((100 * written) / seconds / rate).toFixed(1)} % of it`,
    );
  };
  await rawCopy("a bare table of data_values' columns (no index, no constraint)", "INCLUDING DEFAULTS");
  await rawCopy("a copy of data_values with all its indexes and constraints", "INCLUDING ALL");

  // The form: one province's monthly report of ~50 figures (Lâm Đồng, whose catalogue has the most monthly
  // indicators; the seeded schedule splits them among departments, so an administrator saves them together).
  const reporter = await login(app, (await createUser(database, "admin")).username);
  const formArea = "68";
  const rows = (
    await database.db
      .selectFrom("reporting_obligations as o")
      .innerJoin("indicators as i", "i.code", "o.indicator_code")
      .select("i.code as indicator")
      .distinct()
      .select("i.seq")
      .where("o.root_area_id", "=", formArea)
      .where("o.period_type", "=", "month")
      .where("i.value_type", "=", "number")
      .orderBy("i.seq")
      .limit(50)
      .execute()
  ).map((r) => ({ indicator: r.indicator }));
  const saves: number[] = [];
  for (let i = 0; i < formSaves; i++) {
    const payload = {
      agency: "LD.SCT",
      area: formArea,
      period: "2025M10",
      status: i % 2 ? "submitted" : "draft",
      values: rows.map((r, k) => ({ indicator: r.indicator, value: 100_000 - k * 100 + (i % 2), comment: i % 2 ? "gửi" : null })),
    };
    const t = performance.now();
    const res = await fetch(`${address}/api/reports/form`, {
      method: "POST",
      headers: { ...reporter.headers(true), "content-type": "application/json" },
      body: JSON.stringify(payload),
    });
    if (res.status !== 200) throw new Error(`form save refused: ${res.status} ${await res.text()}`);
    saves.push(performance.now() - t);
  }
  saves.sort((a, b) => a - b);
  const s = (f: number) => saves[Math.min(saves.length - 1, Math.floor(f * saves.length))]!.toFixed(1);
  console.log(
    `form save: ${rows.length} values (one province, ${formArea}), ${formSaves} saves alternating draft/submitted: ` +
      `p50 ${s(0.5)} ms, p95 ${s(0.95)} ms, max ${saves.at(-1)!.toFixed(1)} ms`,
  );
  await app.close();
} finally {
  await database.close();
}

function monthCode(year: number, month: number): string {
  const y = year + Math.floor((month - 1) / 12);
  const m = ((month - 1) % 12) + 1;
  return `${y}M${String(m).padStart(2, "0")}`;
}

/**
 * Times every statement the server sends (both engines talk through node-postgres' Client) and prints the
 * total per statement shape: where the import's database time goes.
 */
function profileQueries() {
  const spent = new Map<string, { ms: number; n: number }>();
  const timed = new WeakSet<object>();
  // The product sets each pooled client's own `query` (db/bulk.ts enableCopy): wrap what the pool hands out.
  const connect = pg.Pool.prototype.connect as (...a: unknown[]) => Promise<pg.PoolClient>;
  pg.Pool.prototype.connect = async function (this: pg.Pool, ...a: unknown[]) {
    const client = await connect.apply(this, a);
    if (!timed.has(client)) {
      timed.add(client);
      const query = client.query.bind(client) as (...q: unknown[]) => unknown;
      client.query = ((...q: unknown[]) => {
        const text = typeof q[0] === "string" ? q[0] : ((q[0] as { text?: string } | null)?.text ?? "?");
        const shape = text.replace(/\s+/g, " ").trim().slice(0, 110);
        const t = performance.now();
        const out = query(...q);
        const done = () => {
          const x = spent.get(shape) ?? { ms: 0, n: 0 };
          x.ms += performance.now() - t;
          x.n += 1;
          spent.set(shape, x);
        };
        if (out && typeof (out as Promise<unknown>).then === "function") (out as Promise<unknown>).then(done, done);
        return out;
      }) as typeof client.query;
    }
    return client;
  } as typeof pg.Pool.prototype.connect;
  return {
    report(seconds: number) {
      const total = [...spent.values()].reduce((s, x) => s + x.ms, 0);
      console.log(`database time: ${(total / 1000).toFixed(1)} s of ${seconds.toFixed(1)} s; the statements that took most:`);
      for (const [shape, x] of [...spent.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25))
        console.log(`  ${(x.ms / 1000).toFixed(2).padStart(7)} s ${String(x.n).padStart(6)}× ${shape}`);
    },
  };
}
