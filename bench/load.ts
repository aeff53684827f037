/**
 * Concurrent dashboard users: `--users 50,200` signed-in users (each its own session, signed in before
 * timing) send a mix of the five dashboard calls (bench/warehouse.ts) to the real server for `--seconds`,
 * each user waiting for its answer before the next call; BESIDE pgbench running the hand-written SQL for the
 * same answers on the same PostgreSQL database with as many clients (`-M prepared -j 2`), against
 * data_values and against the read model. Prints requests/s, p50/p95 and errors; asserts nothing.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5499/bench npx tsx bench/load.ts --schema w10m --users 50,200
 *   npx tsx bench/load.ts --indicators 20 --months 24 --users 50          # PGlite: the SQL side is run back to back
 *
 * The HTTP clients run in a worker thread, so the server keeps its own event loop (one Node process serves,
 * as in production behind one port).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import { Worker } from "node:worker_threads";
import { parsePeriod, periodsBetween, periodsNeeded, previousPeriod } from "@dieuhanh/core";
import { sql } from "kysely";
import { defaultAuthSettings } from "../server/src/auth/service";
import { buildApp } from "../server/src/http/app";
import { createUser, login, type TestSession } from "../server/src/testing/auth";
import {
  argsOf,
  callKinds,
  CLOCK,
  engine,
  fmt,
  loadavg,
  ms,
  openWarehouse,
  periodKey,
  quantile,
  readModelKeys,
  type Warehouse,
} from "./warehouse";

const { values: args } = parseArgs({
  options: {
    indicators: { type: "string", default: "40" },
    months: { type: "string", default: "24" },
    schema: { type: "string" },
    keep: { type: "boolean", default: false },
    rebuild: { type: "boolean", default: false },
    users: { type: "string", default: "50,200" },
    seconds: { type: "string", default: "20" },
  },
});
const levels = args.users.split(",").map(Number);
const seconds = Number(args.seconds);

/** The client side, in a worker: `users` loops of fetch, each with its own session cookie. */
const CLIENT = `
const { parentPort, workerData } = require("node:worker_threads");
const { address, cookies, urls, seconds } = workerData;
const lat = [], errors = [];
let stop = false, sent = 0, hits = 0;
async function user(u) {
  let i = (u * 7919) % urls.length;
  while (!stop) {
    const url = urls[i++ % urls.length];
    const t = performance.now();
    try {
      const res = await fetch(address + url, { headers: { cookie: cookies[u] } });
      await res.arrayBuffer();
      if (stop) break;
      if (res.headers.get("x-cache") === "hit") hits++;
      if (res.status !== 200) errors.push(res.status + " " + url);
      else lat.push(performance.now() - t);
    } catch (e) { if (!stop) errors.push(String(e)); }
    sent++;
  }
}
const t0 = performance.now();
setTimeout(() => { stop = true; }, seconds * 1000);
Promise.all(cookies.map((_, u) => user(u))).then(() =>
  parentPort.postMessage({ lat, errors, hits, elapsed: (performance.now() - t0) / 1000 }));
`;

function runClients(address: string, cookies: string[], urls: string[]) {
  return new Promise<{ lat: number[]; errors: string[]; hits: number; elapsed: number }>((resolve, reject) => {
    const worker = new Worker(CLIENT, { eval: true, workerData: { address, cookies, urls, seconds } });
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

const lit = (xs: (string | number)[]) =>
  `ARRAY[${xs.map((x) => (typeof x === "number" ? String(x) : `'${x.replace(/'/g, "''")}'`)).join(",")}]`;

/** pgbench scripts: the hand-written SQL of bench/warehouse.ts, parameters drawn as the HTTP mix draws them. */
async function pgbenchScripts(w: Warehouse, model: boolean) {
  const last = w.months.at(-1)!;
  const first24 = w.months.at(-Math.min(24, w.months.length))!;
  let tileStart = parsePeriod("2025M11")!;
  for (let i = 0; i < 23; i++) tileStart = previousPeriod(tileStart);
  const tileNeeded = periodsNeeded(periodsBetween(tileStart, parsePeriod("2025M11")!));
  const seriesNeeded = periodsNeeded(periodsBetween(parsePeriod(first24)!, parsePeriod(last)!));
  const m = Math.max(1, w.indicators.length - 7);
  const eight = `(${lit(w.indicators)})[(:i % ${m}) + 1 : (:i % ${m}) + 8]`;
  const one = `(${lit(w.indicators)})[(:i % ${w.indicators.length}) + 1]`;
  const oneSum = `(${lit(w.summable)})[(:i % ${w.summable.length}) + 1]`;
  const province = `(${lit(w.provinces)})[(:i % ${w.provinces.length}) + 1]`;
  const pub = `disaggregation = '' AND published_at IS NOT NULL AND unpublished_at IS NULL`;
  const head = `\\set i random(0, 99999)\n`;
  if (!model)
    return {
      "tiles-nation@1": `${head}SELECT indicator_code, period, sum(value), count(*), bool_or(source = 'sample'), bool_or(status = 'submitted') FROM data_values WHERE indicator_code = ANY(${eight}) AND indicator_code = ANY(${lit(w.summable)}) AND area_id = ANY(${lit(w.provinces)}) AND period = ANY(${lit(tileNeeded)}) AND ${pub} GROUP BY indicator_code, period;\n`,
      "tiles-province@1": `${head}SELECT indicator_code, area_id, period, value, source, status FROM data_values WHERE indicator_code = ANY(${eight}) AND area_id = ${province} AND period = ANY(${lit(tileNeeded)}) AND ${pub};\n`,
      "sector@2": `${head}SELECT indicator_code, area_id, period, value, source, status FROM data_values WHERE indicator_code = ANY(${eight}) AND area_id = ${province} AND period = ANY(${lit(seriesNeeded)}) AND ${pub};\n`,
      "map@2": `${head}SELECT indicator_code, area_id, period, value, source, status FROM data_values WHERE indicator_code = ${one} AND area_id = ANY(${lit(w.provinces)}) AND period = '${last}' AND ${pub};\n`,
      "drill@2": `${head}SELECT d.indicator_code, d.area_id, d.period, d.value, d.source, d.status FROM data_values d JOIN areas a ON a.id = d.area_id AND a.parent_id = ${province} AND a.valid_to IS NULL WHERE d.indicator_code = ${one} AND d.period = '${last}' AND d.disaggregation = '' AND d.published_at IS NOT NULL AND d.unpublished_at IS NULL;\n`,
      "series@2": `${head}SELECT indicator_code, period, sum(value), count(*), bool_or(source = 'sample'), bool_or(status = 'submitted') FROM data_values WHERE indicator_code = ${oneSum} AND area_id = ANY(${lit(w.provinces)}) AND period = ANY(${lit(seriesNeeded)}) AND ${pub} GROUP BY indicator_code, period;\n`,
    };
  const k = (await readModelKeys(w))!;
  const ik = (codes: string[]) => lit(codes.map((c) => k.ind.get(c) ?? -1));
  const eightK = `(${ik(w.indicators)})[(:i % ${m}) + 1 : (:i % ${m}) + 8]`;
  const oneK = `(${ik(w.indicators)})[(:i % ${w.indicators.length}) + 1]`;
  const oneSumK = `(${ik(w.summable)})[(:i % ${w.summable.length}) + 1]`;
  const provinceK = `(${lit(w.provinces.map((p) => k.area.get(p) ?? -1))})[(:i % ${w.provinces.length}) + 1]`;
  const pk = (ps: string[]) => lit(ps.map(periodKey));
  const vn = k.area.get("VN") ?? -1;
  const d = `disaggregation_key = ${k.dis}`;
  return {
    "tiles-nation@1": `${head}SELECT * FROM figure_rollup WHERE indicator_key = ANY(${eightK}) AND area_key = ${vn} AND period_key = ANY(${pk(tileNeeded)}) AND ${d};\n`,
    "tiles-province@1": `${head}SELECT * FROM figure_facts WHERE indicator_key = ANY(${eightK}) AND area_key = ${provinceK} AND period_key = ANY(${pk(tileNeeded)}) AND ${d};\n`,
    "sector@2": `${head}SELECT * FROM figure_facts WHERE indicator_key = ANY(${eightK}) AND area_key = ${provinceK} AND period_key = ANY(${pk(seriesNeeded)}) AND ${d};\n`,
    "map@2": `${head}SELECT * FROM figure_facts WHERE indicator_key = ${oneK} AND area_key = ANY(${lit(w.provinces.map((p) => k.area.get(p) ?? -1))}) AND period_key = ${periodKey(last)} AND ${d};\n`,
    "drill@2": `${head}SELECT f.* FROM figure_facts f JOIN area_keys ak ON ak.key = f.area_key JOIN areas a ON a.id = ak.id AND a.parent_id = (${lit(w.provinces)})[(:i % ${w.provinces.length}) + 1] AND a.valid_to IS NULL WHERE f.indicator_key = ${oneK} AND f.period_key = ${periodKey(last)} AND f.${d};\n`,
    "series@2": `${head}SELECT * FROM figure_rollup WHERE indicator_key = ${oneSumK} AND area_key = ${vn} AND period_key = ANY(${pk(seriesNeeded)}) AND ${d};\n`,
  };
}

async function pgbench(w: Warehouse, clients: number, model: boolean) {
  const dir = await mkdtemp(path.join(tmpdir(), "bench-pgbench-"));
  try {
    const files: string[] = [];
    for (const [name, text] of Object.entries(await pgbenchScripts(w, model))) {
      const [file, weight] = name.split("@");
      await writeFile(path.join(dir, `${file}.sql`), text);
      files.push("-f", `${path.join(dir, `${file}.sql`)}@${weight}`);
    }
    const schema = (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(w.db)).rows[0]!.s;
    const { stdout } = await promisify(execFile)(
      "pgbench",
      [
        "-n",
        ...files,
        "-c",
        String(clients),
        "-j",
        "2",
        "-T",
        String(seconds),
        "-M",
        "prepared",
        "-l",
        "--log-prefix",
        path.join(dir, "log"),
        process.env.DATABASE_URL!,
      ],
      { env: { ...process.env, PGOPTIONS: `-c search_path=${schema}` }, maxBuffer: 1 << 24 },
    );
    const lat: number[] = [];
    for (const f of (await readdir(dir)).filter((f) => f.startsWith("log")))
      for (const line of (await readFile(path.join(dir, f), "utf8")).split("\n"))
        if (line) lat.push(Number(line.split(" ")[2]) / 1000);
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1] ?? NaN);
    const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
    return { rate: tps, p50: quantile(lat, 0.5), p95: quantile(lat, 0.95), errors: failed };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const w = await openWarehouse(argsOf(args));
try {
  const app = await buildApp({
    database: w.database,
    clock: () => CLOCK,
    authSettings: { ...defaultAuthSettings, loginRatePerMinute: 1_000_000, writeRatePerMinute: 1_000_000 },
  });
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  // Users: one created through the service, the others its copies (same password hash) — each signs in.
  const maxUsers = Math.max(...levels);
  const first = await createUser(w.database, "viewer");
  const prefix = `bench-${Date.now().toString(36)}-`;
  await sql`
    INSERT INTO users (username, display_name, role, scope_agencies, scope_area_id, password_hash, must_change_password)
    SELECT ${prefix} || n, display_name, role, scope_agencies, scope_area_id, password_hash, must_change_password
    FROM users, generate_series(1, ${maxUsers - 1}) AS n WHERE id = ${first.id}`.execute(w.db);
  const names = [first.username, ...Array.from({ length: maxUsers - 1 }, (_, i) => `${prefix}${i + 1}`)];
  const t0 = performance.now();
  const sessions: TestSession[] = [];
  for (let i = 0; i < names.length; i += 4)
    sessions.push(...(await Promise.all(names.slice(i, i + 4).map((n) => login(app, n)))));
  console.log(`${sessions.length} users signed in (${((performance.now() - t0) / 1000).toFixed(0)} s; argon2id)`);

  const kinds = await callKinds(w);
  // The mix: tiles, sector, map, drill-down, series in equal parts, parameters varying.
  const urls: string[] = [];
  for (let i = 0; i < 2000; i++) urls.push(kinds[i % kinds.length]!.url(Math.floor(i / kinds.length)));
  await runClients(
    address,
    sessions.slice(0, 10).map((s) => s.cookie),
    urls.slice(0, 200),
  ); // warm-up (a few seconds)

  const rows: string[] = [];
  for (const users of levels) {
    const l0 = await loadavg();
    const api = await runClients(
      address,
      sessions.slice(0, users).map((s) => s.cookie),
      urls,
    );
    const apiRate = api.lat.length / api.elapsed;
    const l1 = await loadavg();
    const line = (what: string, rate: number, p50: number, p95: number, errors: number, load: string) =>
      `| ${users} | ${what} | ${fmt(rate)} | ${ms(p50)} / ${ms(p95)} | ${errors} | ${load} |`;
    console.log(`  ${users} users: ${api.hits} of ${api.lat.length} answers from the server's answer cache`);
    rows.push(
      line(
        "API (HTTP, real server)",
        apiRate,
        quantile(api.lat, 0.5),
        quantile(api.lat, 0.95),
        api.errors.length,
        `${l0} → ${l1}`,
      ),
    );
    if (api.errors.length) console.log(`  errors, first: ${api.errors.slice(0, 3).join("; ")}`);
    if (engine === "postgres") {
      for (const model of w.readModel ? [false, true] : [false]) {
        const l2 = await loadavg();
        const b = await pgbench(w, users, model);
        rows.push(
          line(`pgbench, SQL on ${model ? "the read model" : "data_values"}`, b.rate, b.p50, b.p95, b.errors, l2) +
            ` API = ${((apiRate / b.rate) * 100).toFixed(0)} % of it`,
        );
      }
    } else {
      // PGlite serves one query at a time: the same SQL back to back for as long, in this process.
      for (const model of w.readModel ? [false, true] : [false]) {
        const lat: number[] = [];
        const end = performance.now() + seconds * 1000;
        for (let i = 0; performance.now() < end; i++) {
          const k = kinds[i % kinds.length]!;
          const t = performance.now();
          await (model ? k.model! : k.direct)(Math.floor(i / kinds.length));
          lat.push(performance.now() - t);
        }
        const rate = lat.length / seconds;
        rows.push(
          line(
            `SQL on ${model ? "the read model" : "data_values"}, back to back (one connection)`,
            rate,
            quantile(lat, 0.5),
            quantile(lat, 0.95),
            0,
            await loadavg(),
          ) + ` API = ${((apiRate / rate) * 100).toFixed(0)} % of it`,
        );
      }
    }
  }
  console.log(`\n${engine}, ${fmt(w.values)} values, ${seconds} s per run`);
  console.log("| users | what | requests/s | p50 / p95 (ms) | errors | load average |");
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
  await app.close();
} finally {
  await w.close();
}
