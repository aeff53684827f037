import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../paths";

/**
 * A large VALID import against the real server process (`server/src/bin/serve.ts`): on a fresh PGlite
 * data directory, or — when DATABASE_URL is set — on a fresh schema of that PostgreSQL server. While
 * more than 50,000 commune figures of Cần Thơ are validated and written, /api/health and a leader's
 * dashboard read (analytics) are polled: every poll must answer within 1 s (issue 11, item 10). The
 * import must succeed, say how many figures it created, and the figures must then be readable.
 */
const PASSWORD = "Mật-khẩu-thử-nghiệm-2026!";
const url = process.env.DATABASE_URL ?? "";
const engine = url ? "PostgreSQL" : "PGlite";
const schema = `test_import_${randomBytes(4).toString("hex")}`;

let dataDir: string | undefined;
let server: ChildProcess;
let output = "";
let base: string;
let session: { cookie: string; csrf: string };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

const alive = () => server.exitCode === null && server.signalCode === null;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    DEMO_DATA: "false",
    INITIAL_ADMIN_PASSWORD: PASSWORD,
    LOG_LEVEL: "silent",
  };
  if (url) Object.assign(env, { DATABASE_URL: url, DATABASE_SCHEMA: schema });
  else {
    dataDir = mkdtempSync(path.join(tmpdir(), "dieuhanh-large-import-"));
    Object.assign(env, { DATA_DIR: dataDir, DATABASE_URL: "", DATABASE_SCHEMA: "" });
  }
  env.SLOW_QUERY_MS = "250";
  delete env.VITEST;
  delete env.VITEST_WORKER_ID;
  delete env.NODE_OPTIONS;
  server = spawn(process.execPath, ["--import", "tsx", "server/src/bin/serve.ts"], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout!.on("data", (c: Buffer) => (output += c.toString("utf8")));
  server.stderr!.on("data", (c: Buffer) => (output += c.toString("utf8")));
  const until = Date.now() + 150_000;
  while (!/Điều hành đang chạy/.test(output)) {
    if (!alive()) throw new Error(`the server ended:\n${output}`);
    if (Date.now() > until) throw new Error(`the server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const res = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  session = {
    cookie: res.headers
      .getSetCookie()
      .find((c) => c.startsWith("dh_session="))!
      .split(";")[0]!,
    csrf: ((await res.json()) as { csrfToken: string }).csrfToken,
  };
}, 180_000);

afterAll(async () => {
  if (server && alive()) {
    const exited = new Promise((r) => server.once("exit", r));
    server.kill("SIGTERM");
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
});

async function get<T>(pathAndQuery: string): Promise<T> {
  const res = await fetch(`${base}${pathAndQuery}`, { headers: { cookie: session.cookie } });
  expect(res.status, `${pathAndQuery}: ${res.status}`).toBe(200);
  return (await res.json()) as T;
}

/** One timed request; its status and how long it took to answer. */
async function timed(pathAndQuery: string): Promise<{ status: number; ms: number }> {
  const t = Date.now();
  const res = await fetch(`${base}${pathAndQuery}`, { headers: { cookie: session.cookie }, signal: AbortSignal.timeout(10_000) });
  await res.text();
  return { status: res.status, ms: Date.now() - t };
}

/** Every month from July 2025 (the communes' first) through the last month that is over. */
function monthsSinceReform(): string[] {
  const months: string[] = [];
  const now = new Date();
  for (let y = 2025, m = 7; y * 12 + m < now.getUTCFullYear() * 12 + now.getUTCMonth() + 1; m === 12 ? (y++, (m = 1)) : m++)
    months.push(`${y}M${String(m).padStart(2, "0")}`);
  return months;
}

describe(`a large valid import keeps the service answering (real process, ${engine})`, () => {
  it("imports over 50,000 commune figures while health and a dashboard read answer within 1 s, all of them then readable", async () => {
    const communes = (await get<{ items: { id: string }[] }>("/api/areas?parent=92&level=commune&limit=5000")).items.map(
      (a) => a.id,
    );
    expect(communes.length).toBeGreaterThan(100);
    // Cần Thơ's own catalogue (its indicators' codes start with CT.), its monthly indicators with a unit.
    type Row = { code: string; kind: string; unit: string | null; periodTypes: string[] };
    let indicators: Row[] = [];
    for (const c of (await get<{ items: { id: string; issuingAreaId: string | null }[] }>("/api/catalogues")).items) {
      if (c.issuingAreaId === "VN") continue;
      const rows = (await get<{ items: Row[] }>(`/api/catalogues/${c.id}/indicators?frequency=month&limit=5000`)).items;
      if (rows[0]?.code.startsWith("CT.")) indicators = rows.filter((i) => i.kind !== "heading" && i.unit !== null);
    }
    const months = monthsSinceReform();
    const needed = Math.ceil(50_000 / (communes.length * months.length));
    expect(indicators.length).toBeGreaterThanOrEqual(needed);

    // The same whole number for every indicator of an area and month: a sub-indicator never exceeds its parent.
    const lines = ["indicator,area,period,value"];
    for (const indicator of indicators.slice(0, needed))
      communes.forEach((area, a) =>
        months.forEach((period, m) => lines.push(`${indicator.code},${area},${period},${100 + a + m}`)),
      );
    const figures = lines.length - 1;
    expect(figures).toBeGreaterThanOrEqual(50_000);
    const csv = Buffer.from(lines.join("\n"));
    const dashboard = `/api/analytics?indicators=${indicators[0]!.code}&parent=92&from=${months[0]}&to=${months.at(-1)}`;

    // An approver for the first commune: each agency's month of its figures is announced to her, after the
    // write and in parts; the reports nobody approves cost nothing.
    const approver = await fetch(`${base}/api/users`, {
      method: "POST",
      headers: { cookie: session.cookie, "x-csrf-token": session.csrf, "content-type": "application/json" },
      body: JSON.stringify({
        username: "duyet-xa",
        displayName: "Người duyệt cấp xã",
        role: "approver",
        scopeAreaId: communes[0],
        password: PASSWORD,
      }),
    });
    expect(approver.status, await approver.clone().text()).toBe(201);

    // Read once before: the first read of a fresh process pays for loading code and caches, import or not.
    await get(dashboard);

    const delays: { what: string; ms: number; at: number }[] = [];
    let importing = true;
    const poll = async (what: string, target: string) => {
      while (importing) {
        const at = Date.now() - started;
        const r = await timed(target);
        expect(r.status, what).toBe(200);
        delays.push({ what, ms: r.ms, at });
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const started = Date.now();
    const polls = [poll("health", "/api/health"), poll("dashboard", dashboard)];
    const res = await fetch(`${base}/api/data-values/import?format=csv&fileName=xa-phuong.csv`, {
      method: "POST",
      headers: { cookie: session.cookie, "x-csrf-token": session.csrf, "content-type": "text/csv" },
      body: new Uint8Array(csv),
    });
    const answer = await res.text();
    const took = Date.now() - started;
    importing = false;
    await Promise.all(polls);

    expect(res.status, answer.slice(0, 2000)).toBe(200);
    expect(JSON.parse(answer)).toMatchObject({ created: figures, updated: 0, deleted: 0, unchanged: 0, dryRun: false });
    console.log(
      `${engine}: ${figures.toLocaleString("en")} figures imported in ${(took / 1000).toFixed(1)} s ` +
        `(${Math.round(figures / (took / 1000))} values/s); ${delays.length} polls, slowest ${Math.max(...delays.map((d) => d.ms))} ms`,
    );
    const slow = delays.filter((d) => d.ms >= 1000);
    // The server logs its statements of 250 ms or more (SLOW_QUERY_MS): named in the failure, they say what held a poll up.
    const slowStatements = output
      .split("\n")
      .filter((l) => l.includes("Truy vấn chậm"))
      .map((l) => l.slice(0, 300));
    if (slowStatements.length)
      console.log(`statements of 250 ms or more in the server's log (its start included):\n${slowStatements.join("\n")}`);
    expect(slow, `polls slower than 1 s during an import of ${took} ms; slow statements:\n${slowStatements.join("\n")}`).toEqual(
      [],
    );
    expect(delays.filter((d) => d.what === "dashboard").length).toBeGreaterThan(0);

    // The approver was told: one message per agency and month of her commune.
    const login = await fetch(`${base}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "duyet-xa", password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const approverCookie = login.headers
      .getSetCookie()
      .find((c) => c.startsWith("dh_session="))!
      .split(";")[0]!;
    const inbox = await fetch(`${base}/api/notifications?limit=1`, { headers: { cookie: approverCookie } });
    expect(inbox.status, await inbox.clone().text()).toBe(200);
    expect(((await inbox.json()) as { total: number }).total).toBeGreaterThanOrEqual(months.length);

    // The figures are there: every one of them published, and the dashboard reads them.
    const published = await get<{ total: number }>(`/api/data-values?area=${communes[0]}&limit=1`);
    expect(published.total).toBe(needed * months.length);
    const read = await get<{ series: { area: string; points: { period: string; value: number | null }[] }[] }>(dashboard);
    const first = read.series.find((s) => s.area === communes[0])!;
    expect(first.points.find((p) => p.period === months[0])?.value).toBe(100);
    expect(alive()).toBe(true);
  }, 240_000);
});
