import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import {
  api,
  eventually,
  freePort,
  runCli,
  signIn,
  startReadyServer,
  startServer,
  type ServerProcess,
} from "../testing/processes";
import { readMigrations } from "./migrate";

/**
 * Process-level tests on PostgreSQL (the PostgreSQL pass of the suite, DATABASE_URL set): the real server
 * losing its connections, two instances starting together, a first start killed while loading the samples,
 * and backup and restore with pg_dump / pg_restore. Each test works in a schema (or database) of its own
 * and only ever terminates its own server's connections.
 */
const url = process.env.DATABASE_URL ?? "";
const ADMIN_PASSWORD = "quan-tri-thu-2026";
const run = promisify(execFile);

const servers: ServerProcess[] = [];
const schemas: string[] = [];
const databases: string[] = [];
const tmp = mkdtempSync(path.join(tmpdir(), "dieuhanh-pg-processes-"));

function freshSchema(): string {
  const schema = `proc_${randomBytes(5).toString("hex")}`;
  schemas.push(schema);
  return schema;
}

async function query<T extends pg.QueryResultRow>(text: string, params: unknown[] = [], connectionString = url): Promise<T[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

async function server(env: Record<string, string>): Promise<ServerProcess> {
  const s = await startReadyServer({ DATABASE_URL: url, DEMO_DATA: "false", INITIAL_ADMIN_PASSWORD: ADMIN_PASSWORD, ...env });
  servers.push(s);
  return s;
}

/** A TCP relay to PostgreSQL that the test can take down and bring back: a database restart as the server sees it. */
class Relay {
  private listener: Server | null = null;
  private sockets = new Set<Socket>();
  constructor(readonly port: number) {}
  async up(): Promise<void> {
    const target = new URL(url);
    this.listener = createServer((client) => {
      const upstream = createConnection(Number(target.port || 5432), target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.listener!.listen(this.port, "127.0.0.1", resolve));
  }
  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.listener ? this.listener.close(() => resolve()) : resolve()));
    this.listener = null;
  }
  url(): string {
    const u = new URL(url);
    u.hostname = "127.0.0.1";
    u.port = String(this.port);
    return u.toString();
  }
}

describe.skipIf(!url)("the server on PostgreSQL, as processes", { timeout: 240_000 }, () => {
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    for (const schema of schemas) await query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    for (const database of databases) await query(`DROP DATABASE IF EXISTS ${database}`);
    rmSync(tmp, { recursive: true, force: true });
  });

  it("survives its connections being terminated and serves again at once", async () => {
    const schema = freshSchema();
    const appName = `dieuhanh_${schema}`;
    const s = await server({ DATABASE_SCHEMA: schema, PGAPPNAME: appName });
    const admin = await signIn(s.url, "admin", ADMIN_PASSWORD);
    expect((await api(s.url, admin, "GET", "/api/users")).status).toBe(200);

    for (let round = 0; round < 2; round++) {
      const killed = await query<{ ok: boolean }>(
        "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1",
        [appName],
      );
      expect(killed.length).toBeGreaterThan(0);
      // The pool notices the dead connections (their 'error' events), drops them and opens new ones.
      await eventually(async () => (await api(s.url, null, "GET", "/api/health")).status === 200);
      expect(s.alive()).toBe(true);
      expect((await api(s.url, admin, "GET", "/api/users")).status).toBe(200);
    }
    expect(s.alive()).toBe(true);
  });

  it("reports the database unreachable while it is down (503) and recovers by itself", async () => {
    const schema = freshSchema();
    const relay = new Relay(await freePort());
    await relay.up();
    try {
      const s = await server({ DATABASE_URL: relay.url(), DATABASE_SCHEMA: schema });
      const admin = await signIn(s.url, "admin", ADMIN_PASSWORD);

      await relay.down(); // a database restart or failover: connections cut, new ones refused
      await eventually(async () => {
        const health = await api(s.url, null, "GET", "/api/health");
        return health.status === 503 && (health.json as { status: string }).status === "unavailable";
      });
      const refused = await api(s.url, admin, "GET", "/api/users");
      expect(refused.status).toBe(503);
      expect((refused.json as { message: string }).message).toContain("Tạm thời không kết nối được cơ sở dữ liệu");
      expect(s.alive()).toBe(true);

      await relay.up();
      await eventually(async () => (await api(s.url, null, "GET", "/api/health")).status === 200);
      expect((await api(s.url, admin, "GET", "/api/users")).status).toBe(200);
      expect(s.alive()).toBe(true);
    } finally {
      await relay.down();
    }
  });

  it("waits for a database that is not up yet at start instead of ending", async () => {
    const schema = freshSchema();
    const relay = new Relay(await freePort());
    try {
      const s = startServer(
        { DATABASE_URL: relay.url(), DATABASE_SCHEMA: schema, DEMO_DATA: "false", INITIAL_ADMIN_PASSWORD: ADMIN_PASSWORD },
        await freePort(),
      );
      servers.push(s);
      await s.waitForOutput(/Chưa kết nối được cơ sở dữ liệu/);
      await relay.up();
      await s.waitForOutput(/Điều hành đang chạy/);
      await signIn(s.url, "admin", ADMIN_PASSWORD);
    } finally {
      await relay.down();
    }
  });

  it("two instances starting together on an empty schema both come up and load the data once", async () => {
    const schema = freshSchema();
    const env = { DATABASE_URL: url, DEMO_DATA: "false", INITIAL_ADMIN_PASSWORD: ADMIN_PASSWORD, DATABASE_SCHEMA: schema };
    const [a, b] = [startServer(env, await freePort()), startServer(env, await freePort())];
    servers.push(a, b);
    await Promise.all([a.waitForOutput(/Điều hành đang chạy/), b.waitForOutput(/Điều hành đang chạy/)]);
    const firstStarts = [a, b].filter((s) => s.output().includes("Lần chạy đầu")).length;
    expect(firstStarts).toBe(1);
    for (const s of [a, b]) await signIn(s.url, "admin", ADMIN_PASSWORD);
    const counts = await query<{ migrations: number; admins: number; catalogues: number }>(
      `SELECT (SELECT count(*)::int FROM ${schema}.schema_migrations) AS migrations,
              (SELECT count(*)::int FROM ${schema}.users) AS admins,
              (SELECT count(*)::int FROM ${schema}.catalogues) AS catalogues`,
    );
    expect(counts[0]).toEqual({ migrations: readMigrations().length, admins: 1, catalogues: expect.any(Number) });
    expect(counts[0]!.catalogues).toBeGreaterThan(0);
  });

  it("a first start killed while loading the samples loads them completely at the next start", async () => {
    const schema = freshSchema();
    const env = { DATABASE_URL: url, DEMO_DATA: "true", INITIAL_ADMIN_PASSWORD: ADMIN_PASSWORD, DATABASE_SCHEMA: schema };
    const first = startServer(env, await freePort());
    servers.push(first);
    await first.waitForOutput(/Số liệu mẫu: đã ghi \d+/);
    first.child.kill("SIGKILL");
    await first.exited;

    const second = await server(env);
    const loaded = Number(/Đã sinh (\d+) số liệu mẫu/.exec(second.output())?.[1]);
    expect(loaded).toBeGreaterThan(0);
    const [current] = await query<{ rows: number; keys: number }>(
      `SELECT count(*)::int AS rows,
              count(DISTINCT (indicator_code, area_id, period, disaggregation))::int AS keys
       FROM ${schema}.data_values WHERE source = 'sample' AND superseded_at IS NULL`,
    );
    expect(current).toEqual({ rows: loaded, keys: loaded });
    const [pending] = await query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.pending_startup_steps`);
    expect(pending!.n).toBe(0);
    // A further restart does not load them again.
    await second.stop();
    const third = await server(env);
    expect(third.output()).not.toContain("Đang sinh SỐ LIỆU MẪU");
  });

  it("backs up with pg_dump and restores with pg_restore: figures, audit and accounts identical", async () => {
    const schema = freshSchema();
    const s = await server({ DATABASE_SCHEMA: schema });
    const admin = await signIn(s.url, "admin", ADMIN_PASSWORD);
    const figure = await api(s.url, admin, "POST", "/api/data-values", {
      values: [{ indicator: "CT.A.I.3", area: "92", period: "2025M10", value: 1234.5 }],
      status: "submitted",
    });
    expect(figure.status).toBe(200);
    // On PostgreSQL the command line runs beside the server on its own connections.
    const created = await runCli(["users", "create", "tran.thi.cli", "--role", "viewer"], {
      DATABASE_URL: url,
      DATABASE_SCHEMA: schema,
    });
    expect(created.code).toBe(0);
    await signIn(s.url, "tran.thi.cli", /Mật khẩu dùng một lần: (\S+)/.exec(created.stdout)![1]!);
    await s.stop();

    // The commands of the README, section "Sao lưu và khôi phục".
    const dump = path.join(tmp, "dieu-hanh.dump");
    await run("pg_dump", ["--format=custom", `--schema=${schema}`, `--file=${dump}`, url]);
    const database = `restore_${randomBytes(5).toString("hex")}`;
    databases.push(database);
    await query(`CREATE DATABASE ${database}`);
    const restoredUrl = Object.assign(new URL(url), { pathname: `/${database}` }).toString();
    await run("pg_restore", ["--no-owner", `--dbname=${restoredUrl}`, dump]);

    const contents = async (connectionString: string) => ({
      dataValues: await query(`SELECT * FROM ${schema}.data_values ORDER BY id`, [], connectionString),
      audit: await query(`SELECT * FROM ${schema}.audit_log ORDER BY id`, [], connectionString),
      users: await query(`SELECT * FROM ${schema}.users ORDER BY id`, [], connectionString),
    });
    const original = await contents(url);
    expect(original.dataValues.some((v) => v.indicator_code === "CT.A.I.3")).toBe(true);
    expect(await contents(restoredUrl)).toEqual(original);

    const restored = await server({ DATABASE_URL: restoredUrl, DATABASE_SCHEMA: schema });
    const again = await signIn(restored.url, "admin", ADMIN_PASSWORD);
    const figures = (await api(restored.url, again, "GET", "/api/data-values?indicator=CT.A.I.3&area=92")).json as {
      items: { value: number }[];
    };
    expect(figures.items.map((f) => f.value)).toEqual([1234.5]);
    await restored.stop();
  });
});
