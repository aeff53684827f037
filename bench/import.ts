/**
 * Bulk import through the HTTP API, and the web form's save. Prints figures; asserts nothing.
 *
 *   npx tsx bench/import.ts [--values 1000000] [--batch 10000] [--concurrency 2] [--form-saves 200]
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/import.ts   (a fresh schema, dropped after)
 *
 * The values: Cần Thơ's monthly indicators in number units without sub-indicators, for the city and its
 * 103 communes, month after month back from October 2025 — so the outlier check reads a growing history,
 * as in real use. Each request carries `--batch` values over a keep-alive HTTP connection to the real
 * server (Fastify listening on a local port), as an administrator's API token would send them.
 */
import { parseArgs } from "node:util";
import { parsePeriod, previousPeriod } from "@dieuhanh/core";
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
  const start = Date.now();
  const app = await buildApp({ database, clock: () => new Date(Date.parse("2025-11-05T03:00:00Z") + Date.now() - start) });
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  const { secret } = await tokenService(database.db).create(
    { principal: null, ip: null, userAgent: "bench" },
    { name: "bench", agencyCode: null, areaId: null, canWrite: true, expiresAt: null },
  );

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

  // Values month by month, newest first would defeat the history check: go oldest first.
  const perMonth = indicators.length * areas.length;
  const months: string[] = [];
  let p = parsePeriod("2025M10")!;
  for (let i = 0; i < Math.ceil(total / perMonth); i++, p = previousPeriod(p)) months.unshift(p.code);
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
