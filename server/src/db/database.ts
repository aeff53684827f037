import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { acquireDataDirLock, type DataDirLock } from "./data-dir-lock";
import { createPgConfig } from "@electric-sql/pglite/node-postgres";
import { Kysely, PostgresDialect, type KyselyConfig } from "kysely";
import pg from "pg";
import { enableCopy } from "./bulk";
import { noticeCommits, ReadReplica } from "./replica";
import type { Schema } from "./schema";

/**
 * One code path for both engines: the embedded PGlite is wrapped in node-postgres' Pool through
 * PGlite's own wire adapter, so Kysely and every repository talk to `pg.Pool` whichever engine runs.
 */
export type Engine = "pglite" | "postgres";

export interface DatabaseConfig {
  /** PostgreSQL connection string; when absent the embedded PGlite is used. */
  databaseUrl?: string;
  /** PostgreSQL schema to use (created if missing); lets tests and instances share one database. */
  schema?: string;
  /** PGlite data directory, or "memory://" for an in-memory database. */
  dataDir?: string;
  /** Who opens a PGlite data directory, written in its lock ("máy chủ", "dòng lệnh …"). */
  role?: string;
  /** PostgreSQL `application_name` of the connections (default PGAPPNAME or "dieu-hanh"). */
  applicationName?: string;
  /**
   * PostgreSQL only: a hot standby of `databaseUrl` (DATABASE_READ_URL) that dashboard reads (`readDb`) go to;
   * ignored, with a line in the log, on PGlite. See db/replica.ts.
   */
  readUrl?: string;
  /** Longest a dashboard read waits for the standby to replay a change before reading the primary (ms, default 1000). */
  readMaxWaitMs?: number;
}

export interface Database {
  engine: Engine;
  db: Kysely<Schema>;
  /**
   * Where dashboard reads go (the analytics routes): the hot standby of DATABASE_READ_URL when configured
   * (falling back to the primary when it is behind or down), else `db` itself. Never written to.
   */
  readDb: Kysely<Schema>;
  /** The hot standby behind `readDb`, when DATABASE_READ_URL is set (state and lag for /api/health). */
  replica?: ReadReplica;
  close(): Promise<void>;
  /** The lock of an on-disk PGlite data directory (see data-dir-lock.ts). */
  lock?: DataDirLock;
  /** A consistent copy of an on-disk or in-memory PGlite database as a tar archive (PGlite's dumpDataDir). */
  dumpDataDir?(): Promise<Blob>;
  /** PostgreSQL: a new connection outside the pool, same settings (the LISTEN connection of events/listen.ts). */
  newClient?(): pg.Client;
  /** PGlite: the engine itself (its own listen/notify: events/listen.ts). */
  pglite?: PGlite;
}

// node-postgres returns `date` columns as JS Dates in local time; the domain wants ISO strings.
pg.types.setTypeParser(1082, (value: string) => value);
// numeric → number (areas in km², later data values); precision beyond 15 digits is not needed here.
pg.types.setTypeParser(1700, (value: string) => Number(value));
// bigint (count(*)) → number: counts here stay far below 2^53.
pg.types.setTypeParser(20, (value: string) => Number(value));

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, config.schema, config.applicationName, config);
  if (config.readUrl)
    logConnectionError(
      "DATABASE_READ_URL bị bỏ qua: bản sao chỉ đọc chỉ dùng với PostgreSQL (DATABASE_URL); PGlite nhúng đọc và ghi cùng một nơi",
    );
  return openPglite(config.dataDir ?? "memory://", config.role ?? "tiến trình");
}

/** Errors that mean "the database cannot be reached now" (down, restarting, failing over), not a wrong query. */
export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  // pg-pool's "timeout exceeded when trying to connect": no connection within connectionTimeoutMillis —
  // the database unreachable, or every connection busy for that long; either way, not a wrong query.
  if (typeof code !== "string")
    return /Connection terminated|connection timeout|timeout exceeded when trying to connect/i.test(
      String((e as Error)?.message),
    );
  return (
    ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE"].includes(code) ||
    code.startsWith("08") || // connection exception
    code === "57P01" || // admin shutdown
    code === "57P02" || // crash shutdown
    code === "57P03" // cannot connect now (starting up, recovering)
  );
}

/** Logs connection errors instead of crashing (the default for an unhandled 'error' event). */
type ErrorLog = (message: string) => void;
let logConnectionError: ErrorLog = (message) => console.error(message);
export function setConnectionErrorLog(log: ErrorLog): void {
  logConnectionError = log;
}

async function openPostgres(
  url: string,
  schema: string | undefined,
  applicationName: string | undefined,
  config: Pick<DatabaseConfig, "readUrl" | "readMaxWaitMs"> = {},
): Promise<Database> {
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`Invalid schema name: ${schema}`);
  const application_name = applicationName ?? (process.env.PGAPPNAME || "dieu-hanh");
  if (schema) {
    const admin = new pg.Client({ connectionString: url, application_name });
    admin.on("error", () => {}); // a failure surfaces through the query below
    await admin.connect();
    try {
      // Two instances starting together would both try to create the schema (a unique violation in
      // pg_namespace): the transaction-scoped advisory lock lets one create it and the other find it.
      await admin.query("BEGIN");
      await admin.query("SELECT pg_advisory_xact_lock(hashtext('dieu-hanh schema ' || $1::text))", [schema]);
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await admin.query("COMMIT");
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    application_name,
    // A restart, failover or idle disconnect breaks connections; these make a broken one fail fast and
    // be replaced instead of hanging a request (the TCP keepalive also finds half-open connections).
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 30_000,
    idleTimeoutMillis: 30_000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // Without these listeners a terminated connection emits an unhandled 'error' and ends the process.
  // The broken client is dropped by the pool (it is no longer queryable); the next query opens a new one.
  pool.on("error", (e) => logConnectionError(`Mất kết nối tới PostgreSQL (kết nối rảnh): ${e.message}`));
  pool.on("connect", (client) => {
    enableCopy(client); // bulk writes by COPY (db/bulk.ts)
    client.on("error", (e) => logConnectionError(`Mất kết nối tới PostgreSQL: ${e.message}`));
  });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }), log: slowQueryLog() });
  const replica = config.readUrl ? openReplica(pool, config.readUrl, schema, application_name, config.readMaxWaitMs) : undefined;
  const readDb = replica ? new Kysely<Schema>({ dialect: new PostgresDialect({ pool: replica.pool }), log: slowQueryLog() }) : db;
  const newClient = () =>
    new pg.Client({
      connectionString: url,
      application_name,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 30_000,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
  return {
    engine: "postgres",
    db,
    readDb,
    replica,
    newClient,
    close: async () => {
      if (readDb !== db) await readDb.destroy();
      await db.destroy();
    },
  };
}

/**
 * SLOW_QUERY_MS=<ms>: every statement that took at least that long is logged with its time and SQL, to
 * find what holds up a dashboard (on PGlite one slow statement holds up the whole process).
 */
function slowQueryLog(): KyselyConfig["log"] {
  const threshold = Number(process.env.SLOW_QUERY_MS);
  if (!(threshold > 0)) return undefined;
  return (event) => {
    if (event.queryDurationMillis >= threshold)
      console.warn(
        `Truy vấn chậm (${Math.round(event.queryDurationMillis)} ms): ${event.query.sql.replace(/\s+/g, " ").slice(0, 4000)}`,
      );
  };
}

async function openPglite(dataDir: string, role: string): Promise<Database> {
  const inMemory = dataDir.startsWith("memory://");
  let lock: DataDirLock | undefined;
  if (!inMemory) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    lock = acquireDataDirLock(dataDir, role);
  }
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(dataDir);
  } catch (e) {
    lock?.release();
    throw e;
  }
  const pool = new pg.Pool(createPgConfig(pglite) as unknown as pg.PoolConfig);
  pool.on("connect", (client) => enableCopy(client, pglite)); // bulk writes by COPY (db/bulk.ts)
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }), log: slowQueryLog() });
  return {
    engine: "pglite",
    db,
    readDb: db,
    lock,
    pglite,
    dumpDataDir: async () => {
      // Everything written is on disk before the copy, so the archive needs no recovery to open.
      await pglite.query("CHECKPOINT");
      return pglite.dumpDataDir("gzip");
    },
    close: async () => {
      try {
        await db.destroy();
        await pglite.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/**
 * The read pool on the hot standby (DATABASE_READ_URL), same schema and settings as the primary's; the
 * primary's connections tell it of each commit (read-your-writes, db/replica.ts).
 */
function openReplica(
  primary: pg.Pool,
  url: string,
  schema: string | undefined,
  application_name: string,
  maxWaitMs: number | undefined,
): ReadReplica {
  const standby = new pg.Pool({
    connectionString: url,
    max: 10,
    application_name: `${application_name} (read)`, // ASCII: PostgreSQL shows other characters as '?'
    // A standby that does not answer must not hold a dashboard long: reads go to the primary instead.
    connectionTimeoutMillis: 2_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 30_000,
    idleTimeoutMillis: 30_000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  standby.on("error", (e) => logConnectionError(`Mất kết nối tới bản sao chỉ đọc (kết nối rảnh): ${e.message}`));
  standby.on("connect", (client) => {
    client.on("error", (e) => logConnectionError(`Mất kết nối tới bản sao chỉ đọc: ${e.message}`));
  });
  const replica = new ReadReplica(primary, standby, {
    maxWaitMs,
    isConnectionError,
    log: (level, message) => (level === "warn" ? logConnectionError(message) : console.log(message)),
  });
  primary.on("connect", (client) =>
    noticeCommits(client as unknown as { query: (...args: unknown[]) => unknown }, () => replica.changed()),
  );
  return replica;
}
