import { sql, type Kysely } from "kysely";
import type { Schema } from "../db/schema";

/**
 * The year partitions of `data_values` (docs/decisions/0012). The migration makes 2020–2030 and a default
 * partition; a figure of another year is stored in the default one — always correctly, only without its
 * own partition (no pruning, no archiving). At each start (bin/startup.ts, under the schema lock, before
 * serving) the partitions of this year, the next, and every year the default partition holds are made,
 * moving those years' rows out of the default partition (`ensure_data_values_year`). Each year is its own
 * short transaction: making a partition locks the table for a moment.
 */
export async function ensureYearPartitions(db: Kysely<Schema>, today: string): Promise<number[]> {
  const exists = await sql<{ f: string | null }>`SELECT to_regproc('ensure_data_values_year')::text AS f`.execute(db);
  if (!exists.rows[0]?.f) return [];
  const year = Number(today.slice(0, 4));
  const stray = await sql<{ y: number }>`SELECT DISTINCT substr(period, 1, 4)::integer AS y FROM data_values_default
    WHERE period ~ '^[0-9]{4}'`.execute(db);
  const years = [...new Set([year, year + 1, ...stray.rows.map((r) => Number(r.y))])].sort((a, b) => a - b);
  const made: number[] = [];
  for (const y of years) {
    const r = await db
      .transaction()
      .execute((trx) => sql<{ made: boolean }>`SELECT ensure_data_values_year(${y}::integer) AS made`.execute(trx));
    if (r.rows[0]?.made) made.push(y);
  }
  return made;
}
