import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, type Database } from "../db/database";
import { migrate } from "../db/migrate";

/**
 * A fresh database for one test file: an in-memory PGlite, or — when DATABASE_URL is set — a new schema
 * on that PostgreSQL server, dropped again by `close()`.
 */
export async function createTestDatabase(): Promise<Database> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const database = await openDatabase({ dataDir: "memory://" });
    await migrate(database.db);
    return database;
  }
  const schema = `test_${randomBytes(6).toString("hex")}`;
  const database = await openDatabase({ databaseUrl: url, schema });
  await migrate(database.db);
  return {
    ...database,
    close: async () => {
      await database.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

export const testEngine = process.env.DATABASE_URL ? "postgres" : "pglite";

/** How many rows `data_values` holds (every version): what a refused write must leave unchanged. */
export async function countDataValueRows(database: Database): Promise<number> {
  const r = await database.db
    .selectFrom("data_values")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
