import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { storeFigures } from "../testing/figures";
import { api, eventually, signIn, startReadyServer } from "../testing/processes";
import { openDatabase, setConnectionErrorLog, type Database } from "./database";
import { migrate } from "./migrate";
import { parseLsn } from "./replica";

const primaryUrl = process.env.DATABASE_URL;
const readUrl = process.env.DATABASE_READ_URL;

describe("read replica settings", () => {
  it("reads WAL positions as numbers that compare", () => {
    expect(parseLsn("0/16B3748")).toBe(0x16b3748n);
    expect(parseLsn("16/B374D848")! > parseLsn("15/FFFFFFFF")!).toBe(true);
    expect(parseLsn(null)).toBeNull();
    expect(parseLsn("nonsense")).toBeNull();
  });

  it("ignores DATABASE_READ_URL on PGlite, saying so, and reads where it writes", { timeout: 300_000 }, async () => {
    const lines: string[] = [];
    setConnectionErrorLog((line) => lines.push(line));
    try {
      const database = await openDatabase({ dataDir: "memory://", readUrl: "postgres://postgres@127.0.0.1:1/none" });
      try {
        expect(database.readDb).toBe(database.db);
        expect(database.replica).toBeUndefined();
        expect(lines.join("\n")).toMatch(/DATABASE_READ_URL bị bỏ qua/);
      } finally {
        await database.close();
      }
    } finally {
      setConnectionErrorLog((line) => console.error(line));
    }
  });
});

/**
 * Against a real hot standby of DATABASE_URL (made by .ci/standby with pg_basebackup, port 5433): dashboard
 * reads go there, see a change as soon as it is announced (waiting for the standby to replay it), and the
 * dashboard keeps answering from the primary when the standby is behind or stopped.
 */
describe.skipIf(!readUrl || !primaryUrl)(
  `read replica on a hot standby${readUrl ? "" : " (skipped: DATABASE_READ_URL is not set — .ci/standby makes a standby and CI sets it)"}`,
  () => {
    const schema = `test_${randomBytes(6).toString("hex")}`;
    const applicationName = `replica-test-${schema}`; // ASCII: PostgreSQL shows other characters as '?'

    let database: Database;
    let other: Database;
    let app: App;
    let viewer: TestSession;
    let standby: pg.Client;
    /** The standby's server: how the test stops and starts it again. */
    let server: { pgCtl: string; dataDir: string; configFile: string };

    const ask = async <T extends pg.QueryResultRow>(client: pg.Client, text: string, values: unknown[] = []) =>
      (await client.query<T>(text, values)).rows;
    const connectStandby = async () => {
      const c = new pg.Client({ connectionString: readUrl });
      c.on("error", () => undefined); // the test stops this server: a dropped connection is expected
      await c.connect();
      return c;
    };
    const asPostgres = (args: string[]) =>
      process.getuid?.() === 0
        ? execFileSync("runuser", ["-u", "postgres", "--", ...args], { stdio: "pipe" })
        : execFileSync(args[0]!, args.slice(1), { stdio: "pipe" });
    const until = async (check: () => Promise<boolean>, what: string) => {
      for (let i = 0; i < 600; i++) {
        if (await check().catch(() => false)) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`still waiting: ${what}`);
    };
    /** Resolves when the app hears the next announced change (as every server process does). */
    const nextChange = () =>
      new Promise<void>((resolve) => {
        const off = app.events.onChange(() => {
          off();
          resolve();
        });
      });
    /**
     * The dashboard's figure of budget revenue for Cần Thơ in a month, asked each time from a different first
     * month (a question never asked before: the server's answer cache cannot answer it, the database must).
     */
    let asked = 0;
    const figure = async (period: string) => {
      const month = Number(period.slice(0, 4)) * 12 + Number(period.slice(5)) - 1;
      const code = (m: number) => `${Math.floor(m / 12)}M${String((m % 12) + 1).padStart(2, "0")}`;
      const [before, after] = [asked % 60, Math.floor(asked / 60) % 60];
      asked++;
      const res = await app.inject({
        url: `/api/analytics?${new URLSearchParams({ indicators: "QG.A.II.1", areas: "92", from: code(month - before), to: code(month + after) })}`,
        headers: viewer.headers(),
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers["x-cache"]).not.toBe("hit");
      const body = res.json<{ series: { points: { period: string; value: number | null }[] }[] }>();
      return body.series[0]!.points.find((p) => p.period === period)!.value;
    };
    const health = async () => {
      const res = await app.inject({ url: "/api/health" });
      expect(res.statusCode).toBe(200);
      return res.json<{ status: string; replica?: { state: string; inRecovery: boolean | null; lagBytes: number | null } }>();
    };
    const reads = () => ({ ...database.replica!.reads });
    const pauseReplay = () => ask(standby, "SELECT pg_wal_replay_pause()");
    const resumeReplay = () => ask(standby, "SELECT pg_wal_replay_resume()");

    beforeAll(async () => {
      database = await openDatabase({ databaseUrl: primaryUrl, schema, applicationName, readUrl, readMaxWaitMs: 60_000 });
      await migrate(database.db);
      await loadReferenceData(database.db);
      // Another server process on the same database (no replica of its own): its changes reach us as events.
      other = await openDatabase({ databaseUrl: primaryUrl, schema });
      app = await buildApp({ database });
      viewer = await login(app, (await createUser(database, "viewer")).username);
      standby = await connectStandby();
      const [s] = await ask<{ dir: string; conf: string; v: string }>(
        standby,
        "SELECT current_setting('data_directory') AS dir, current_setting('config_file') AS conf, current_setting('server_version_num') AS v",
      );
      server = {
        pgCtl: process.env.PG_CTL ?? `/usr/lib/postgresql/${Math.floor(Number(s!.v) / 10000)}/bin/pg_ctl`,
        dataDir: s!.dir,
        configFile: s!.conf,
      };
      // The schema made on the primary has reached the standby.
      await until(
        async () => (await ask(standby, "SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema])).length === 1,
        "the test schema on the standby",
      );
    }, 600_000);

    afterAll(async () => {
      // Never leave the standby paused or stopped for whoever comes next.
      await resumeReplay().catch(() => undefined);
      await standby?.end().catch(() => undefined);
      await app?.close();
      await other?.close();
      await database?.close();
      const admin = new pg.Client({ connectionString: primaryUrl });
      await admin.connect();
      try {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await admin.end();
      }
    }, 600_000);

    it("sends dashboard reads to the standby, and writes to the primary", { timeout: 300_000 }, async () => {
      const inRecovery = async (db: typeof database.db) =>
        (await sql<{ r: boolean }>`SELECT pg_is_in_recovery() AS r`.execute(db)).rows[0]!.r;
      expect(await inRecovery(database.readDb)).toBe(true);
      expect(await inRecovery(database.db)).toBe(false);

      await storeFigures(database, [{ indicator: "QG.A.II.1", area: "92", period: "2025M01", value: 1_200 }], {
        status: "approved",
      });
      const before = reads();
      expect(await figure("2025M01")).toBe(1_200);
      expect(reads().standby).toBeGreaterThan(before.standby);
      expect(reads().primary).toBe(before.primary);
      // The analytics queries ran on the standby's connections of this app.
      const seen = await ask<{ query: string }>(standby, "SELECT query FROM pg_stat_activity WHERE application_name = $1", [
        `${applicationName} (read)`,
      ]);
      expect(seen.length).toBeGreaterThan(0);
      expect(await health()).toMatchObject({ status: "ok", replica: { state: "ok", inRecovery: true } });
    });

    it(
      "shows a change announced by another server process once the standby has replayed it, not before",
      { timeout: 300_000 },
      async () => {
        expect(await figure("2025M02")).toBeNull();
        await pauseReplay();
        try {
          const heard = nextChange();
          await storeFigures(other, [{ indicator: "QG.A.II.1", area: "92", period: "2025M02", value: 1_000 }], {
            status: "approved",
          });
          await heard;
          const before = reads();
          const answer = figure("2025M02");
          // The read waits for the standby (replay is paused, so it cannot have the change yet)...
          await until(async () => database.replica!.waiting > 0, "a read waiting for the standby");
          await resumeReplay();
          // ...and answers the new figure from the standby once replayed: never the stale one.
          expect(await answer).toBe(1_000);
          expect(reads().standby).toBeGreaterThan(before.standby);
          expect(reads().primary).toBe(before.primary);
        } finally {
          await resumeReplay();
        }
      },
    );

    it("reads its own writes: a figure approved through this server is seen at once", { timeout: 300_000 }, async () => {
      await pauseReplay();
      try {
        const before = reads();
        await storeFigures(database, [{ indicator: "QG.A.II.1", area: "92", period: "2025M01", value: 1_250 }], {
          status: "approved",
        });
        const answer = figure("2025M01");
        await until(async () => database.replica!.waiting > 0, "a read waiting for the standby");
        await resumeReplay();
        expect(await answer).toBe(1_250);
        expect(reads().primary).toBe(before.primary);
      } finally {
        await resumeReplay();
      }
    });

    it("reads from the primary when the standby stays behind longer than the wait allows", { timeout: 300_000 }, async () => {
      const replica = database.replica!;
      replica.maxWaitMs = 200;
      await pauseReplay();
      try {
        const before = reads();
        const heard = nextChange();
        await storeFigures(other, [{ indicator: "QG.A.II.1", area: "92", period: "2025M03", value: 1_100 }], {
          status: "approved",
        });
        await heard;
        expect(await figure("2025M03")).toBe(1_100);
        expect(reads().primary).toBeGreaterThan(before.primary);
        // Still behind: the next read does not wait again, it goes to the primary at once.
        expect(await figure("2025M03")).toBe(1_100);
        const h = await health();
        expect(h.replica).toMatchObject({ state: "ok", inRecovery: true });
        expect(h.replica!.lagBytes).toBeGreaterThan(0);
      } finally {
        await resumeReplay();
        replica.maxWaitMs = 60_000;
      }
      // Caught up: reads go back to the standby.
      await until(async () => {
        const b = reads();
        await figure("2025M03");
        return reads().standby > b.standby;
      }, "reads back on the standby once it has caught up");
    });

    it(
      "keeps the dashboard answering from the primary while the standby is stopped, and health says so",
      { timeout: 300_000 },
      async () => {
        const replica = database.replica!;
        replica.retryMs = 100;
        await standby.end();
        const log = `${server.dataDir}.log`;
        asPostgres([server.pgCtl, "-D", server.dataDir, "-m", "fast", "-w", "-t", "120", "stop"]);
        try {
          const before = reads();
          await storeFigures(database, [{ indicator: "QG.A.II.1", area: "92", period: "2025M04", value: 1_300 }], {
            status: "approved",
          });
          expect(await figure("2025M04")).toBe(1_300);
          expect(await figure("2025M01")).toBe(1_250);
          expect(reads().primary).toBeGreaterThanOrEqual(before.primary + 2);
          expect(reads().standby).toBe(before.standby);
          expect(await health()).toMatchObject({ status: "ok", replica: { state: "down", inRecovery: null } });
        } finally {
          asPostgres([
            server.pgCtl,
            "-D",
            server.dataDir,
            "-o",
            `-c config_file=${server.configFile}`,
            "-l",
            log,
            "-w",
            "-t",
            "120",
            "start",
          ]);
          standby = await connectStandby();
        }
        await until(
          async () => (await ask<{ s: string }>(standby, "SELECT status AS s FROM pg_stat_wal_receiver"))[0]?.s === "streaming",
          "the standby streaming again",
        );
        expect(await health()).toMatchObject({ status: "ok", replica: { state: "ok", inRecovery: true } });
        // Back: reads return to the standby, and it has the figure written while it was stopped.
        await until(async () => {
          const b = reads();
          const value = await figure("2025M04");
          return value === 1_300 && reads().standby > b.standby;
        }, "reads back on the restarted standby");
      },
    );

    it("a server started with DATABASE_READ_URL reads its dashboards from the standby", { timeout: 600_000 }, async () => {
      const serverSchema = `test_${randomBytes(6).toString("hex")}`;
      const password = "replica-test-pass-1";
      const s = await startReadyServer({
        DATABASE_URL: primaryUrl,
        DATABASE_SCHEMA: serverSchema,
        DATABASE_READ_URL: readUrl,
        DEMO_DATA: "false",
        INITIAL_ADMIN_PASSWORD: password,
      });
      try {
        expect(s.output()).toMatch(/bảng điều khiển đọc từ bản sao postgres:\/\/postgres@127\.0\.0\.1/);
        const session = await signIn(s.url, "admin", password);
        // Just started: the standby may still be replaying the migrations and reference data (reads meanwhile go
        // to the primary); once it has caught up, the dashboard's reads are its.
        let asked = 0; // each question a new one (the answer cache cannot answer it): 10 first years × 12 last months × 2
        await eventually(async () => {
          const [first, last, comparisons] = [2016 + (asked % 10), 1 + (Math.floor(asked / 10) % 12), asked >= 120];
          asked++;
          const q = `indicators=QG.A.II.1&areas=92&from=${first}M01&to=2025M${String(last).padStart(2, "0")}&comparisons=${comparisons}`;
          const r = await api(s.url, session, "GET", `/api/analytics?${q}`);
          expect(r.status).toBe(200);
          const h = await api(s.url, null, "GET", "/api/health");
          expect(h).toMatchObject({
            status: 200,
            json: { status: "ok", engine: "postgres", replica: { state: "ok", inRecovery: true } },
          });
          return (h.json as { replica: { reads: { standby: number } } }).replica.reads.standby > 0;
        }, 300_000);
      } finally {
        await s.stop();
        const admin = new pg.Client({ connectionString: primaryUrl });
        await admin.connect();
        try {
          await admin.query(`DROP SCHEMA IF EXISTS ${serverSchema} CASCADE`);
        } finally {
          await admin.end();
        }
      }
    });
  },
);
