import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { acquireDataDirLock, type DataDirLock } from "./data-dir-lock";
import { createPgConfig } from "@electric-sql/pglite/node-postgres";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
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
}

export interface Database {
  engine: Engine;
  db: Kysely<Schema>;
  close(): Promise<void>;
  /** The lock of an on-disk PGlite data directory (see data-dir-lock.ts). */
  lock?: DataDirLock;
  /** A consistent copy of an on-disk or in-memory PGlite database as a tar archive (PGlite's dumpDataDir). */
  dumpDataDir?(): Promise<Blob>;
}

// node-postgres returns `date` columns as JS Dates in local time; the domain wants ISO strings.
pg.types.setTypeParser(1082, (value: string) => value);
// numeric → number (areas in km², later data values); precision beyond 15 digits is not needed here.
pg.types.setTypeParser(1700, (value: string) => Number(value));
// bigint (count(*)) → number: counts here stay far below 2^53.
pg.types.setTypeParser(20, (value: string) => Number(value));

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, config.schema, config.applicationName);
  return openPglite(config.dataDir ?? "memory://", config.role ?? "tiến trình");
}

/** Errors that mean "the database cannot be reached now" (down, restarting, failing over), not a wrong query. */
export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return /Connection terminated|connection timeout/i.test(String((e as Error)?.message));
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

async function openPostgres(url: string, schema: string | undefined, applicationName: string | undefined): Promise<Database> {
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
    client.on("error", (e) => logConnectionError(`Mất kết nối tới PostgreSQL: ${e.message}`));
  });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return { engine: "postgres", db, close: () => db.destroy() };
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
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return {
    engine: "pglite",
    db,
    lock,
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
