import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { amcheck } from "@electric-sql/pglite/contrib/amcheck";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  eventually,
  runCli,
  signIn,
  startReadyServer,
  startServer,
  freePort,
  type ServerProcess,
} from "../testing/processes";
import { LOCK_FILE } from "./data-dir-lock";

/**
 * Process-level tests of the embedded database (PGlite): the real server and the real command line side
 * by side on one data directory, as an operator runs them. Run on the PGlite pass only (the PostgreSQL
 * pass covers the other engine in postgres-processes.test.ts).
 */
const ADMIN_PASSWORD = "quan-tri-thu-2026";

/**
 * Every B-tree index checked against its table (amcheck's bt_index_check with heapallindexed). A partitioned
 * table's index is only a template (relkind 'I'): its partitions' own indexes are the ones checked.
 */
async function checkIndexes(dataDir: string): Promise<{ indexes: number; users: number; usersByKey: number }> {
  const pg = await PGlite.create({ dataDir, extensions: { amcheck } });
  try {
    await pg.exec("CREATE EXTENSION IF NOT EXISTS amcheck");
    const indexes = await pg.query<{ oid: number; name: string }>(
      `SELECT c.oid::int AS oid, c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE a.amname = 'btree' AND n.nspname = 'public' AND c.relkind = 'i'`,
    );
    for (const index of indexes.rows) await pg.query("SELECT bt_index_check($1::regclass, true)", [index.oid]);
    const users = await pg.query<{ n: number }>("SELECT count(*)::int AS n FROM users");
    // Every row found again through its primary key and its unique user name (the corruption showed as misses).
    const byKey = await pg.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM users u
       WHERE (SELECT v.username FROM users v WHERE v.id = u.id) = u.username
         AND (SELECT w.id FROM users w WHERE w.username = u.username) = u.id`,
    );
    return { indexes: indexes.rows.length, users: users.rows[0]!.n, usersByKey: byKey.rows[0]!.n };
  } finally {
    await pg.close();
  }
}

/** Figures, audit and accounts as rows, to compare a database with its restored copy. */
async function contents(dataDir: string) {
  const pg = await PGlite.create({ dataDir });
  try {
    const rows = async (q: string) => (await pg.query<Record<string, unknown>>(q)).rows;
    return {
      dataValues: await rows("SELECT * FROM data_values ORDER BY id"),
      batches: await rows("SELECT * FROM data_batches ORDER BY id"),
      audit: await rows("SELECT * FROM audit_log ORDER BY id"),
      users: await rows("SELECT id, username, password_hash FROM users ORDER BY id"),
    };
  } finally {
    await pg.close();
  }
}

describe.skipIf(Boolean(process.env.DATABASE_URL))("the embedded database beside a running server", { timeout: 180_000 }, () => {
  const root = mkdtempSync(path.join(tmpdir(), "dieuhanh-processes-"));
  const dataDir = path.join(root, "pglite");
  const env = { DATA_DIR: dataDir, DEMO_DATA: "false", INITIAL_ADMIN_PASSWORD: ADMIN_PASSWORD };
  let server: ServerProcess;
  const backup = path.join(root, "sao-luu.tar.gz");
  const fromServerDir = path.join(root, "restored-from-server");
  const passwords = new Map<string, string>();

  beforeAll(async () => {
    server = await startReadyServer(env);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("a second server on the same data directory refuses clearly and the first keeps working", async () => {
    const second = startServer(env, await freePort());
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`đang được dùng bởi tiến trình ${server.child.pid} (máy chủ`);
    expect(second.output()).toContain("Một máy chủ khác đang chạy trên thư mục dữ liệu này");
    expect(server.alive()).toBe(true);
    expect((await api(server.url, null, "GET", "/api/health")).status).toBe(200);
    await signIn(server.url, "admin", ADMIN_PASSWORD);
  });

  it("the command line works through the running server and loses no write", async () => {
    const admin = await signIn(server.url, "admin", ADMIN_PASSWORD);
    const createdByApi = async (username: string) => {
      const r = await api(server.url, admin, "POST", "/api/users", {
        username,
        displayName: `Người dùng ${username}`,
        role: "viewer",
        password: `${username}-Matkhau-1`,
      });
      expect(r.status).toBe(201);
      passwords.set(username, `${username}-Matkhau-1`);
    };
    // Writes through the server and through the command line, interleaved.
    await createdByApi("api.mot");
    const created = await runCli(
      ["users", "create", "nguyen.van.cli", "--role", "reporter", "--name", "Nguyễn Văn Dòng Lệnh"],
      env,
    );
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const otp = /Mật khẩu dùng một lần: (\S+)/.exec(created.stdout)?.[1];
    expect(otp).toBeDefined();
    await createdByApi("api.hai");
    await signIn(server.url, "nguyen.van.cli", otp!); // the running server sees the CLI's user at once

    const reset = await runCli(["users", "reset-password", "nguyen.van.cli"], env);
    expect(reset.code).toBe(0);
    const newOtp = /Mật khẩu dùng một lần của nguyen.van.cli: (\S+)/.exec(reset.stdout)?.[1];
    expect(newOtp).toBeDefined();
    await expect(signIn(server.url, "nguyen.van.cli", otp!)).rejects.toThrow(/401/);
    await signIn(server.url, "nguyen.van.cli", newOtp!);
    passwords.set("nguyen.van.cli", newOtp!);
    await createdByApi("api.ba");

    const token = await runCli(["tokens", "create", "LGSP thử nghiệm", "--agency", "CT.STC", "--area", "92", "--write"], env);
    expect(token.code).toBe(0);
    const secret = /\(đọc, ghi\): (\S+)/.exec(token.stdout)?.[1];
    expect(secret).toBeDefined();
    const withToken = await fetch(`${server.url}/api/areas?level=province&limit=1`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(withToken.status).toBe(200);

    // A figure written through the API and the sample removal through the command line (audited).
    const figure = await api(server.url, admin, "POST", "/api/data-values", {
      values: [{ indicator: "CT.A.I.3", area: "92", period: "2025M10", value: 1234.5 }],
      status: "submitted",
    });
    expect(figure.status).toBe(200);
    const removed = await runCli(["demo", "remove"], env);
    expect(removed.stdout).toContain("Đã xóa 0 số liệu mẫu.");
    const audit = (await api(server.url, admin, "GET", "/api/audit?action=data.sample.remove")).json as {
      items: { action: string; userAgent: string | null }[];
    };
    expect(audit.items.some((e) => e.action === "data.sample.remove")).toBe(true);

    const listed = await runCli(["users", "list"], env);
    for (const u of ["admin", "api.mot", "api.hai", "api.ba", "nguyen.van.cli"]) expect(listed.stdout).toContain(u);

    // A command that would replace the database under the server is refused with the way out.
    const reset2 = await runCli(["reset", "--yes"], env);
    expect(reset2.code).toBe(1);
    expect(reset2.stderr).toContain("Dừng máy chủ");

    // A consistent backup taken through the running server.
    const backedUp = await runCli(["backup", backup], env);
    expect(backedUp.stderr).toBe("");
    expect(backedUp.code).toBe(0);
    expect(existsSync(backup)).toBe(true);
  });

  it("after a restart every write is there and every index agrees with its table", async () => {
    expect(await server.stop()).toBe(0);
    expect(existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
    const check = await checkIndexes(dataDir);
    expect(check.indexes).toBeGreaterThan(20);
    expect(check.users).toBe(5);
    expect(check.usersByKey).toBe(5);

    server = await startReadyServer(env);
    for (const [username, password] of passwords) await signIn(server.url, username, password);
    const admin = await signIn(server.url, "admin", ADMIN_PASSWORD);
    const users = (await api(server.url, admin, "GET", "/api/users")).json as { total: number };
    expect(users.total).toBe(5);
  });

  it("restores a backup with the same figures, audit and accounts", async () => {
    // While a server runs on a directory, restoring into it is refused.
    const busy = await runCli(["restore", "--replace", backup], env);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain("Dừng máy chủ");

    // The backup taken through the running server holds everything written before it.
    const restored = await runCli(["restore", backup], { ...env, DATA_DIR: fromServerDir });
    expect(restored.stderr).toBe("");
    expect(restored.code).toBe(0);
    // Restoring over a database is refused unless asked to move it aside.
    const again = await runCli(["restore", backup], { ...env, DATA_DIR: fromServerDir });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("--replace");

    await server.stop();
    const original = await contents(dataDir);
    const fromServer = await contents(fromServerDir);
    expect(fromServer.users).toEqual(original.users);
    expect(fromServer.audit.length).toBeGreaterThan(10);
    expect(original.audit).toEqual(expect.arrayContaining(fromServer.audit));
    expect(fromServer.dataValues.filter((v) => v.indicator_code === "CT.A.I.3").map((v) => Number(v.value))).toEqual([1234.5]);

    // A backup of the stopped database, restored over another with --replace, is identical to it.
    const second = path.join(root, "sao-luu-2.tar.gz");
    expect((await runCli(["backup", second], env)).code).toBe(0);
    const replaced = await runCli(["restore", "--replace", second], { ...env, DATA_DIR: fromServerDir });
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toContain("Dữ liệu cũ đã được chuyển sang");
    const copy = await contents(fromServerDir);
    expect(copy.dataValues.some((v) => v.indicator_code === "CT.A.I.3")).toBe(true);
    expect(copy).toEqual(original);

    // The restored database serves: the accounts sign in and the figure is there.
    server = await startReadyServer({ ...env, DATA_DIR: fromServerDir });
    const admin = await signIn(server.url, "admin", ADMIN_PASSWORD);
    const figures = (await api(server.url, admin, "GET", "/api/data-values?indicator=CT.A.I.3&area=92")).json as {
      items: { value: number }[];
    };
    expect(figures.items.map((f) => f.value)).toEqual([1234.5]);
    await eventually(async () => (await api(server.url, null, "GET", "/api/health")).status === 200);
  });

  it("a server killed with SIGKILL leaves a stale lock that the next process takes over, with nothing lost", async () => {
    server.child.kill("SIGKILL");
    await server.exited;
    // (the server runs on the restored copy since the previous test)
    expect(existsSync(path.join(fromServerDir, LOCK_FILE))).toBe(true);
    const listed = await runCli(["users", "list"], { ...env, DATA_DIR: fromServerDir });
    expect(listed.stderr).toBe("");
    for (const username of ["admin", ...passwords.keys()]) expect(listed.stdout).toContain(username);
    expect(existsSync(path.join(fromServerDir, LOCK_FILE))).toBe(false);
  });
});
