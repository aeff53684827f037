import { sql, type Kysely } from "kysely";
import type { Schema } from "./schema";

/**
 * The planner's statistics. PGlite runs no autovacuum: a table filled after its indexes were made keeps
 * the statistics of an empty table, and the planner then takes it for one row and joins it by nested
 * loops — the wall's completeness query ran for minutes on the sample figures. PostgreSQL's autovacuum
 * analyzes changed tables after a while, but never a partitioned table's parent (data_values), whose
 * statistics the planner uses for queries over several years.
 */

/** Analyzes every table. After a load (reference data, sample figures) on either engine. */
export async function analyzeAll(db: Kysely<Schema>): Promise<void> {
  await sql`ANALYZE`.execute(db);
}

/**
 * Autovacuum's rule for PGlite: analyzes each table changed by more than 50 rows + 10 % since it was last
 * analyzed (a partition by analyzing its partitioned table, which takes all its partitions). Returns the
 * tables analyzed.
 */
export async function analyzeChangedTables(db: Kysely<Schema>, pauseMs = 0): Promise<string[]> {
  const changed = await sql<{ name: string }>`
    SELECT DISTINCT coalesce(pg_partition_root(s.relid), s.relid)::regclass::text AS name
    FROM pg_stat_user_tables s
    WHERE s.schemaname = current_schema() AND s.n_mod_since_analyze > 50 + 0.1 * greatest(s.n_live_tup, 0)
      AND s.relname <> ALL(${READ_BY_KEY_ONLY}::text[])
    ORDER BY 1`.execute(db);
  for (const [i, { name }] of changed.rows.entries()) {
    // PGlite has one connection: a pause between two ANALYZEs lets the requests waiting meanwhile through.
    if (i > 0 && pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    await sql`ANALYZE ${sql.raw(name)}`.execute(db);
  }
  return changed.rows.map((r) => r.name);
}

/**
 * Tables only ever read by their primary key or in its order (the change feed and the webhook outbox): the
 * planner needs no statistics for them, and analyzing them as they grow would only hold PGlite's connection.
 */
const READ_BY_KEY_ONLY = ["change_log", "webhook_deliveries", "webhook_receipts"];

/**
 * On PGlite, analyzes the changed tables every `intervalMs` (never two runs at once). Returns the stop
 * function. Unref'd: it never keeps the process alive.
 */
export function keepStatisticsFresh(db: Kysely<Schema>, intervalMs: number, onError: (e: unknown) => void): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    analyzeChangedTables(db, 250)
      .catch(onError)
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
