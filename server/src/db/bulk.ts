import { sql, type Kysely, type Transaction } from "kysely";
import type { Schema } from "./schema";

export type Executor = Kysely<Schema> | Transaction<Schema>;

/**
 * Inserts many rows with one statement per chunk: the rows travel as one JSON parameter and
 * `jsonb_populate_recordset` turns them into typed records of the target table. Works the same on
 * PGlite and PostgreSQL and keeps every value parameterised.
 */
export async function insertJsonRows(
  db: Executor,
  table: keyof Schema & string,
  rows: readonly Record<string, unknown>[],
  chunkSize = 2000,
): Promise<void> {
  if (!/^[a-z_]+$/.test(table)) throw new Error(`Invalid table name ${table}`);
  for (let i = 0; i < rows.length; i += chunkSize) {
    const chunk = rows.slice(i, i + chunkSize);
    const columns = Object.keys(chunk[0] ?? {});
    if (columns.length === 0) continue;
    const columnList = sql.raw(columns.map((c) => `"${c}"`).join(", "));
    await sql`INSERT INTO ${sql.table(table)} (${columnList})
      SELECT ${columnList} FROM jsonb_populate_recordset(NULL::${sql.table(table)}, ${JSON.stringify(chunk)}::jsonb)`.execute(db);
  }
}
