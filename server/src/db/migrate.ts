import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sql, type Kysely } from "kysely";
import type { Schema } from "./schema";

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

/** Applies every migration not yet applied, each in its own transaction. Returns the names applied. */
export async function migrate(db: Kysely<Schema>): Promise<string[]> {
  await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`.execute(db);
  const applied = new Set((await sql<{ name: string }>`SELECT name FROM schema_migrations`.execute(db)).rows.map((r) => r.name));
  const done: string[] = [];
  for (const migration of readMigrations()) {
    if (applied.has(migration.name)) continue;
    await db.transaction().execute(async (trx) => {
      await sql.raw(migration.up).execute(trx);
      await sql`INSERT INTO schema_migrations (name) VALUES (${migration.name})`.execute(trx);
    });
    done.push(migration.name);
  }
  return done;
}

/** Rolls every applied migration back, newest first (used by `cli reset`). */
export async function rollbackAll(db: Kysely<Schema>): Promise<string[]> {
  const exists = await sql<{ t: string | null }>`SELECT to_regclass('schema_migrations')::text AS t`.execute(db);
  if (!exists.rows[0]?.t) return [];
  const applied = new Set((await sql<{ name: string }>`SELECT name FROM schema_migrations`.execute(db)).rows.map((r) => r.name));
  const undone: string[] = [];
  for (const migration of readMigrations().reverse()) {
    if (!applied.has(migration.name)) continue;
    await db.transaction().execute(async (trx) => {
      await sql.raw(migration.down).execute(trx);
      await sql`DELETE FROM schema_migrations WHERE name = ${migration.name}`.execute(trx);
    });
    undone.push(migration.name);
  }
  return undone;
}
