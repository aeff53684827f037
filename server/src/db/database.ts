import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
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
}

export interface Database {
  engine: Engine;
  db: Kysely<Schema>;
  close(): Promise<void>;
}

// node-postgres returns `date` columns as JS Dates in local time; the domain wants ISO strings.
pg.types.setTypeParser(1082, (value: string) => value);
// numeric → number (areas in km², later data values); precision beyond 15 digits is not needed here.
pg.types.setTypeParser(1700, (value: string) => Number(value));
// bigint (count(*)) → number: counts here stay far below 2^53.
pg.types.setTypeParser(20, (value: string) => Number(value));

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, config.schema);
  return openPglite(config.dataDir ?? "memory://");
}

async function openPostgres(url: string, schema: string | undefined): Promise<Database> {
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`Invalid schema name: ${schema}`);
  if (schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return { engine: "postgres", db, close: () => db.destroy() };
}

async function openPglite(dataDir: string): Promise<Database> {
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const pool = new pg.Pool(createPgConfig(pglite) as unknown as pg.PoolConfig);
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return {
    engine: "pglite",
    db,
    close: async () => {
      await db.destroy();
      await pglite.close();
    },
  };
}
