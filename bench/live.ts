/**
 * Live updates: `--dashboards` open dashboards (SSE clients on /api/events, each signed in with its own
 * session) — half on the nation's overview, half on a province's — each refetching, as the web UI does
 * (web/src/components/live.ts: 400 ms debounce), only the tiles an event names, and the reporting
 * completeness when the event names its period; then a
 * reporter submits a figure through the API (published = submitted) and the time until every dashboard has
 * the new figure in its refetched answer is measured, `--submissions` times: min / median / max. Beside it,
 * in the same run, the raw database doing the same work: the write as one SQL transaction, and the 50 tile
 * answers as the hand-written SQL (bench/warehouse.ts), back to back. Prints figures; asserts nothing.
 *
 *   npx tsx bench/live.ts --indicators 40 --months 24                              # PGlite
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5499/bench npx tsx bench/live.ts --schema w10m
 *
 * The dashboards run in a worker thread, so the server keeps its own event loop.
 */
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { sql } from "kysely";
import { defaultAuthSettings } from "../server/src/auth/service";
import { buildApp } from "../server/src/http/app";
import { createUser, login } from "../server/src/testing/auth";
import { argsOf, callKinds, CLOCK, engine, fmt, LAST_MONTH, loadavg, ms, openWarehouse, quantile } from "./warehouse";

const { values: args } = parseArgs({
  options: {
    indicators: { type: "string", default: "40" },
    months: { type: "string", default: "24" },
    schema: { type: "string" },
    keep: { type: "boolean", default: false },
    rebuild: { type: "boolean", default: false },
    dashboards: { type: "string", default: "50" },
    submissions: { type: "string", default: "10" },
    /** How long the web UI waits after an event before refetching (it gathers events that come together). */
    debounce: { type: "string", default: "400" },
    completeness: { type: "boolean", default: true },
    /** The reporter's province (its dashboards, its figure). */
    province: { type: "string", default: "92" },
    /** How long to wait for every dashboard to show a figure. */
    timeout: { type: "string", default: "120" },
  },
});
const nDashboards = Number(args.dashboards);
const nSubmissions = Number(args.submissions);

/** The dashboards, in a worker: an SSE stream each, refetching the touched tiles on an event. */
const DASHBOARDS = `
const { parentPort, workerData } = require("node:worker_threads");
const { address, boards, debounce, completeness } = workerData;
const now = () => performance.timeOrigin + performance.now();
let expect = null; // { indicator, values: { [area]: value }, seen: Set }
const seen = new Set();
const refetches = { events: 0, tiles: 0, completeness: 0 };
function check(b, body) {
  if (!expect || seen.has(b.i)) return;
  const item = body.items.find((x) => x.indicator.code === expect.indicator);
  const want = expect.values[b.area];
  if (item && item.latest && Math.abs(item.latest.value - want) <= 1e-6 * Math.max(1, Math.abs(want))) {
    seen.add(b.i);
    parentPort.postMessage({ seen: b.i, at: now() });
  }
}
async function refetch(b, e) {
  const touched = e.indicators === null ? b.tiles : b.tiles.filter((t) => e.indicators.includes(t));
  if (touched.length) {
    refetches.tiles++;
    // Only the touched tiles are fetched again (web/src/components/live.ts refreshTiles), merged into those shown.
    const res = await fetch(address + "/api/analytics/latest?indicators=" + touched.join(",") + "&area=" + b.area, { headers: { cookie: b.cookie } });
    const text = await res.text();
    if (res.status === 200) check(b, JSON.parse(text));
    else parentPort.postMessage({ error: "tiles answered " + res.status + ": " + text.slice(0, 200) });
  }
  if (completeness && (e.periods === null || e.periods.includes("${LAST_MONTH}"))) {
    refetches.completeness++;
    const res = await fetch(address + "/api/reports/completeness?period=${LAST_MONTH}" + (b.area === "VN" ? "" : "&area=" + b.area), { headers: { cookie: b.cookie } });
    await res.arrayBuffer();
  }
}
async function open(b) {
  const res = await fetch(address + "/api/events", { headers: { cookie: b.cookie } });
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = "", timer = null, pending = null;
  parentPort.postMessage({ open: b.i });
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let k;
    while ((k = buf.indexOf("\\n\\n")) >= 0) {
      const msg = buf.slice(0, k); buf = buf.slice(k + 2);
      const ev = /^event: (.*)$/m.exec(msg)?.[1];
      const data = /^data: (.*)$/m.exec(msg)?.[1];
      if (ev !== "data" || !data) continue;
      const e = JSON.parse(data);
      refetches.events++;
      // Debounced: events arriving together make one refetch of everything they touched.
      pending = pending === null ? e : {
        indicators: pending.indicators === null || e.indicators === null ? null : [...new Set([...pending.indicators, ...e.indicators])],
        periods: pending.periods === null || e.periods === null ? null : [...new Set([...pending.periods, ...e.periods])],
      };
      clearTimeout(timer);
      timer = setTimeout(() => { const p = pending; pending = null; refetch(b, p).catch((x) => parentPort.postMessage({ error: String(x) })); }, debounce);
    }
  }
}
parentPort.on("message", (m) => {
  if (m.expect) { expect = m.expect; seen.clear(); }
  if (m.stats) parentPort.postMessage({ stats: refetches });
});
for (const b of boards) open(b).catch((x) => parentPort.postMessage({ error: String(x) }));
`;

const w = await openWarehouse(argsOf(args));
try {
  const app = await buildApp({
    database: w.database,
    clock: () => CLOCK,
    authSettings: { ...defaultAuthSettings, loginRatePerMinute: 1_000_000, writeRatePerMinute: 1_000_000 },
  });
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  const province = w.provinces.includes(args.province) ? args.province : w.provinces[0]!;
  const indicator = w.summable[0]!;
  const tiles = [indicator, ...w.indicators.filter((c) => c !== indicator).slice(0, 7)];
  const viewer = await createUser(w.database, "viewer");
  const boards = [];
  for (let i = 0; i < nDashboards; i++)
    boards.push({ i, area: i % 2 ? "VN" : province, tiles, cookie: (await login(app, viewer.username)).cookie });
  const reporterUser = await createUser(w.database, "reporter", { scopeAreaId: province });
  const reporter = await login(app, reporterUser.username);
  // The warehouse's figures are approved (a reporter could not change them): this one stands submitted.
  await sql`UPDATE data_values SET status = 'submitted' WHERE indicator_code = ${indicator} AND area_id = ${province}
            AND period = ${LAST_MONTH} AND superseded_at IS NULL`.execute(w.db);
  const reader = await login(app, viewer.username);
  console.log(`${nDashboards} dashboards (half the nation's overview, half ${province}'s), tiles ${tiles.join(", ")}`);

  const worker = new Worker(DASHBOARDS, {
    eval: true,
    workerData: { address, boards, debounce: Number(args.debounce), completeness: args.completeness },
  });
  const messages: { seen?: number; at?: number; open?: number; error?: string; stats?: unknown }[] = [];
  let wake: (() => void) | null = null;
  worker.on("message", (m) => {
    if (m.error) console.log(`  dashboard error: ${m.error}`);
    messages.push(m);
    wake?.();
  });
  const until = async (pred: () => boolean, timeoutMs: number) => {
    const end = Date.now() + timeoutMs;
    while (!pred() && Date.now() < end)
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 200);
      });
    return pred();
  };
  await until(() => messages.filter((m) => m.open !== undefined).length === nDashboards, 60_000);
  await new Promise((r) => setTimeout(r, 1000));

  const latestOf = async (area: string) => {
    const res = await fetch(`${address}/api/analytics/latest?indicators=${indicator}&area=${area}`, {
      headers: reader.headers(),
    });
    if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
    return ((await res.json()) as { items: { latest: { value: number } | null }[] }).items[0]!.latest!.value;
  };
  const kinds = await callKinds(w);
  const tilesKind = kinds[0]!;
  const delays: number[] = [];
  const writes: number[] = [];
  const rawWrites: number[] = [];
  const rawReads: number[] = [];
  const rawModelReads: number[] = [];
  const l0 = await loadavg();
  for (let s = 0; s < nSubmissions; s++) {
    const before = { p: await latestOf(province), vn: await latestOf("VN") };
    const value = Math.round(before.p + 1000 + s * 7.3 + 0.1);
    const expect = { indicator, values: { [province]: value, VN: Math.round((before.vn - before.p + value) * 1e6) / 1e6 } };
    messages.length = 0;
    worker.postMessage({ expect });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.timeOrigin + performance.now();
    const res = await fetch(`${address}/api/data-values`, {
      method: "POST",
      headers: { ...reporter.headers(true), "content-type": "application/json" },
      body: JSON.stringify({
        values: [{ indicator, area: province, period: LAST_MONTH, value, comment: "bench" }],
        status: "submitted",
      }),
    });
    const body = await res.text();
    writes.push(performance.timeOrigin + performance.now() - t0);
    if (res.status !== 200) {
      console.log(`  the submission was refused: ${res.status} ${body.slice(0, 300)}`);
      break;
    }
    const all = await until(
      () => messages.filter((m) => m.seen !== undefined).length === nDashboards,
      Number(args.timeout) * 1000,
    );
    const last = Math.max(...messages.filter((m) => m.at).map((m) => m.at!));
    const n = messages.filter((m) => m.seen !== undefined).length;
    if (!all) {
      console.log(`  submission ${s + 1}: only ${n} of ${nDashboards} dashboards showed it within ${args.timeout} s`);
      continue;
    }
    delays.push(last - t0);
    console.log(
      `  submission ${s + 1}: all ${nDashboards} dashboards show ${value} after ${ms(last - t0)} ms (the write answered in ${ms(writes.at(-1)!)} ms)`,
    );

    // The raw database doing the same work: the write as SQL (a new version of the same value, the old one
    // superseded: answers stay as the API left them), then the dashboards' tile answers by the hand-written
    // query, back to back.
    let t = performance.now();
    await w.db.transaction().execute(async (trx) => {
      const old = await sql<{ id: string; version: number }>`
        SELECT id, version FROM data_values WHERE indicator_code = ${indicator} AND area_id = ${province} AND period = ${LAST_MONTH}
          AND disaggregation = '' AND superseded_at IS NULL FOR UPDATE`.execute(trx);
      await sql`UPDATE data_values SET superseded_at = now(), unpublished_at = now() WHERE id = ${old.rows[0]!.id}`.execute(trx);
      await sql`
        INSERT INTO data_values (indicator_code, area_id, period, period_type, disaggregation, version, value, status, source, recorded_at, published_at)
        VALUES (${indicator}, ${province}, ${LAST_MONTH}, 'month', '', ${old.rows[0]!.version + 1}, ${value}, 'submitted', 'api', now(), now())`.execute(
        trx,
      );
      await sql`SELECT pg_notify('bench', 'x')`.execute(trx);
    });
    rawWrites.push(performance.now() - t);
    t = performance.now();
    for (let i = 0; i < nDashboards; i++) await tilesKind.direct(i % 2 ? 1 : 0);
    rawReads.push(performance.now() - t);
    if (tilesKind.model) {
      t = performance.now();
      for (let i = 0; i < nDashboards; i++) await tilesKind.model(i % 2 ? 1 : 0);
      rawModelReads.push(performance.now() - t);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  worker.postMessage({ stats: true });
  await until(() => messages.some((m) => m.stats), 5_000);
  console.log(`  dashboards' refetches: ${JSON.stringify(messages.find((m) => m.stats)?.stats)}`);
  const l1 = await loadavg();
  const q = (xs: number[]) => `${ms(Math.min(...xs))} / ${ms(quantile(xs, 0.5))} / ${ms(Math.max(...xs))}`;
  console.log(
    `\n${engine}, ${fmt(w.values)} values, ${nDashboards} open dashboards, ${delays.length} submissions (load average ${l0} → ${l1})`,
  );
  console.log("| what | min / median / max (ms) |");
  console.log("|---|---|");
  if (delays.length)
    console.log(`| submitted figure shown on all ${nDashboards} dashboards (API write included) | ${q(delays)} |`);
  console.log(`| the API write alone (POST /api/data-values, one figure) | ${q(writes)} |`);
  if (rawWrites.length) console.log(`| raw database: the write as one SQL transaction | ${q(rawWrites)} |`);
  if (rawReads.length)
    console.log(
      `| raw database: ${nDashboards} tile answers by hand-written SQL on data_values, back to back | ${q(rawReads)} |`,
    );
  if (rawModelReads.length)
    console.log(
      `| raw database: ${nDashboards} tile answers by hand-written SQL on the read model, back to back | ${q(rawModelReads)} |`,
    );
  await worker.terminate();
  await app.close();
} finally {
  await w.close();
}
