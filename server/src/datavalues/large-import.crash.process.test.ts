import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../paths";

/**
 * The real server process (`server/src/bin/serve.ts`) killed with SIGKILL while a large CSV import is being
 * written in parts, then started again on the same data: the half-written batch is undone at start, so no
 * figure of it remains and the service answers. On a fresh PGlite data directory, or — when DATABASE_URL is
 * set — on a fresh schema of that PostgreSQL server.
 */
const PASSWORD = "Mật-khẩu-thử-nghiệm-2026!";
const url = process.env.DATABASE_URL ?? "";
const engine = url ? "PostgreSQL" : "PGlite";
const schema = `test_crash_${randomBytes(4).toString("hex")}`;
const dataDir = url ? undefined : mkdtempSync(path.join(tmpdir(), "dieuhanh-crash-import-"));

let server: ChildProcess | undefined;
let base = "";

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

const alive = (p: ChildProcess) => p.exitCode === null && p.signalCode === null;

/** Starts the server on this test's data; resolves once it listens, with what it printed. */
async function start(): Promise<{ output: () => string }> {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    DEMO_DATA: "false",
    INITIAL_ADMIN_PASSWORD: PASSWORD,
    LOG_LEVEL: "silent",
    // This test's server is its schema's only user: an unfinished batch is abandoned at once.
    UNFINISHED_BATCH_IDLE_MINUTES: "0",
  };
  if (url) Object.assign(env, { DATABASE_URL: url, DATABASE_SCHEMA: schema });
  else Object.assign(env, { DATA_DIR: dataDir, DATABASE_URL: "", DATABASE_SCHEMA: "" });
  delete env.VITEST;
  delete env.VITEST_WORKER_ID;
  delete env.NODE_OPTIONS;
  let output = "";
  const p = spawn(process.execPath, ["--import", "tsx", "server/src/bin/serve.ts"], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  server = p;
  p.stdout!.on("data", (c: Buffer) => (output += c.toString("utf8")));
  p.stderr!.on("data", (c: Buffer) => (output += c.toString("utf8")));
  const until = Date.now() + 150_000;
  while (!/Điều hành đang chạy/.test(output)) {
    if (!alive(p)) throw new Error(`the server ended:\n${output}`);
    if (Date.now() > until) throw new Error(`the server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { output: () => output };
}

async function signIn(): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  return {
    cookie: res.headers
      .getSetCookie()
      .find((c) => c.startsWith("dh_session="))!
      .split(";")[0]!,
    csrf: ((await res.json()) as { csrfToken: string }).csrfToken,
  };
}

afterAll(async () => {
  if (server && alive(server)) {
    const exited = new Promise((r) => server!.once("exit", r));
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

describe(`a server killed during a large import (real process, ${engine})`, () => {
  it("undoes the half-written batch at the next start: none of its figures remain and the service answers", async () => {
    await start();
    let session = await signIn();
    const get = async <T>(pathAndQuery: string): Promise<T> => {
      const res = await fetch(`${base}${pathAndQuery}`, { headers: { cookie: session.cookie } });
      expect(res.status, pathAndQuery).toBe(200);
      return (await res.json()) as T;
    };
    const communes = (await get<{ items: { id: string }[] }>("/api/areas?parent=92&level=commune&limit=5000")).items.map(
      (a) => a.id,
    );
    const indicators = ["CT.A.I.1", "CT.A.I.2", "CT.A.I.3", "CT.A.I.4", "CT.A.I.5"];
    const months = ["2025M07", "2025M08", "2025M09", "2025M10", "2025M11", "2025M12"].concat(
      ["01", "02", "03", "04", "05", "06"].map((m) => `2026M${m}`),
    );
    const lines = ["indicator,area,period,value"];
    for (const indicator of indicators)
      communes.forEach((area, a) => months.forEach((period, m) => lines.push(`${indicator},${area},${period},${100 + a + m}`)));
    expect(lines.length - 1).toBeGreaterThan(10 * 500);
    const firstCommune = `/api/data-values?area=${communes[0]}&limit=1`;
    expect((await get<{ total: number }>(firstCommune)).total).toBe(0);

    // The import runs; once its first part is readable (the parts are being written), the process is killed.
    const importing = fetch(`${base}/api/data-values/import?format=csv`, {
      method: "POST",
      headers: { cookie: session.cookie, "x-csrf-token": session.csrf, "content-type": "text/csv" },
      body: lines.join("\n"),
    }).catch((e: unknown) => e);
    const until = Date.now() + 120_000;
    while ((await get<{ total: number }>(firstCommune)).total === 0) {
      expect(Date.now(), "the import's first part never became readable").toBeLessThan(until);
      await new Promise((r) => setTimeout(r, 20));
    }
    const killed = server!;
    const exited = new Promise((r) => killed.once("exit", r));
    killed.kill("SIGKILL");
    await exited;
    const answer = await importing;
    // The import had not finished: its request died with the process.
    expect(answer).toBeInstanceOf(Error);

    // The next start undoes the batch: no figure of it remains, and the service answers.
    const restarted = await start();
    expect(restarted.output()).toMatch(/Đã hoàn lại 1 lô số liệu bị gián đoạn/);
    session = await signIn();
    const health = await fetch(`${base}/api/health`);
    expect(health.status).toBe(200);
    for (const area of [communes[0]!, communes.at(-1)!])
      expect((await get<{ total: number }>(`/api/data-values?area=${area}&limit=1`)).total).toBe(0);
  }, 300_000);
});
