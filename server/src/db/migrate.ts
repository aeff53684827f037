import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sql, type Kysely } from "kysely";
import type { Schema } from "./schema";
import { splitSql } from "./sql-split";

const migrationsDir = fileURLToPath(new URL("./migrations/", import.meta.url));

export interface Migration {
  name: string;
  up: string;
  down: string;
}

/** Reads the ordered SQL migrations; each file holds a `-- migrate:up` and a `-- migrate:down` part. */
export function readMigrations(dir = migrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((file) => {
      const text = readFileSync(dir + file, "utf8");
      const m = /--\s*migrate:up\s*\n([\s\S]*?)--\s*migrate:down\s*\n([\s\S]*)$/.exec(text);
      if (!m) throw new Error(`Migration ${file} lacks '-- migrate:up' / '-- migrate:down' sections`);
      return { name: file.replace(/\.sql$/, ""), up: m[1]!, down: m[2]! };
    });
}

/**
 * Runs `work` holding this schema's session-level advisory lock, on one connection (the Kysely handed to
 * `work`): two instances starting together on an empty database otherwise both create the same tables
 * ("relation already exists") and both load the reference data. Re-entrant: nested calls on the handed
 * connection take the same session's lock again. On PGlite (one session) it costs nothing.
 */
export async function withSchemaLock<T>(db: Kysely<Schema>, work: (db: Kysely<Schema>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(${SCHEMA_LOCK_CLASS}, hashtext(current_schema()))`.execute(conn);
    try {
      return await work(conn);
    } finally {
      await sql`SELECT pg_advisory_unlock(${SCHEMA_LOCK_CLASS}, hashtext(current_schema()))`.execute(conn);
    }
  });
}

/** The first key of the advisory lock (any constant of our own; the second key is the schema). */
const SCHEMA_LOCK_CLASS = 1012;

/**
 * Applies every migration not yet applied, each in its own transaction, under the schema lock. Returns the
 * names applied. A file is sent one statement per query (split by PostgreSQL's own parser, `sql-split.ts`):
 * Citus refuses a multi-statement string that changes a distributed table (docs/decisions/0010).
 */
export function migrate(db: Kysely<Schema>): Promise<string[]> {
  return withSchemaLock(db, applyPending);
}

async function applyPending(db: Kysely<Schema>): Promise<string[]> {
  await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`.execute(db);
  const applied = new Set((await sql<{ name: string }>`SELECT name FROM schema_migrations`.execute(db)).rows.map((r) => r.name));
  const done: string[] = [];
  for (const migration of readMigrations()) {
    if (applied.has(migration.name)) continue;
    const statements = await splitSql(migration.up);
    await db.transaction().execute(async (trx) => {
      for (const statement of statements) await sql.raw(statement).execute(trx);
      await sql`INSERT INTO schema_migrations (name) VALUES (${migration.name})`.execute(trx);
    });
    done.push(migration.name);
  }
  return done;
}

/** Rolls every applied migration back, newest first (used by `cli reset`), under the schema lock. */
export function rollbackAll(db: Kysely<Schema>): Promise<string[]> {
  return withSchemaLock(db, rollBack);
}

async function rollBack(db: Kysely<Schema>): Promise<string[]> {
  const exists = await sql<{ t: string | null }>`SELECT to_regclass('schema_migrations')::text AS t`.execute(db);
  if (!exists.rows[0]?.t) return [];
  const applied = new Set((await sql<{ name: string }>`SELECT name FROM schema_migrations`.execute(db)).rows.map((r) => r.name));
  const undone: string[] = [];
  for (const migration of readMigrations().reverse()) {
    if (!applied.has(migration.name)) continue;
    const statements = await splitSql(migration.down);
    await db.transaction().execute(async (trx) => {
      for (const statement of statements) await sql.raw(statement).execute(trx);
      await sql`DELETE FROM schema_migrations WHERE name = ${migration.name}`.execute(trx);
    });
    undone.push(migration.name);
  }
  return undone;
}
