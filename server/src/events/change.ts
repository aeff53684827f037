import { EventEmitter } from "node:events";
import { sql } from "kysely";
import type { Executor } from "../db/bulk";

/**
 * What changed in the PUBLISHED figures (docs/decisions/0008): the indicators, areas and periods a
 * committed write touched. `null` means "any" — a change too large to name in one notification is
 * coarsened (areas first, then periods), never dropped; `indicators: null` means everything may have
 * changed (sample figures removed, the connection to the database lost for a while).
 */
export interface DataChanged {
  indicators: string[] | null;
  areas: string[] | null;
  periods: string[] | null;
  at: string;
}

/** A key whose published figure changed. */
export interface ChangedKey {
  indicator: string;
  area: string;
  period: string;
}

/** PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more; this leaves room. */
export const MAX_PAYLOAD_BYTES = 7_900;

const uniq = (xs: Iterable<string>) => [...new Set(xs)].sort();
const bytes = (e: DataChanged) => Buffer.byteLength(JSON.stringify(e));

/**
 * The notifications announcing a change, each within MAX_PAYLOAD_BYTES: the change as it is when it
 * fits; else without its areas (any area), then without its periods too (any period); and when even its
 * indicators do not fit in one, split into several notifications of indicators only. Never dropped.
 */
export function changeMessages(change: DataChanged, limit = MAX_PAYLOAD_BYTES): DataChanged[] {
  if (bytes(change) <= limit) return [change];
  const noAreas = { ...change, areas: null };
  if (bytes(noAreas) <= limit) return [noAreas];
  const indicatorsOnly = { ...noAreas, periods: null };
  if (bytes(indicatorsOnly) <= limit || change.indicators === null) return [indicatorsOnly];
  const out: DataChanged[] = [];
  let part: string[] = [];
  for (const code of change.indicators) {
    const next = { ...indicatorsOnly, indicators: [...part, code] };
    if (part.length > 0 && bytes(next) > limit) {
      out.push({ ...indicatorsOnly, indicators: part });
      part = [code];
    } else part.push(code);
  }
  if (part.length) out.push({ ...indicatorsOnly, indicators: part });
  return out;
}

/** The change made of some keys (indicators, areas and periods each listed once, sorted). */
export function changeOf(keys: readonly ChangedKey[], at = new Date()): DataChanged | null {
  if (keys.length === 0) return null;
  return {
    indicators: uniq(keys.map((k) => k.indicator)),
    areas: uniq(keys.map((k) => k.area)),
    periods: uniq(keys.map((k) => k.period)),
    at: at.toISOString(),
  };
}

/**
 * The notification channel of the schema the connection works in: instances sharing one PostgreSQL
 * database in different schemas (tests, several installs) never hear each other. Computed by the
 * database on both sides (announcing and listening) so that they always agree.
 */
export const CHANNEL_SQL = sql<string>`left('dieu_hanh_data_' || current_schema(), 63)`;

/**
 * Announces a change through the database (pg_notify): every server process listening on the schema's
 * channel hears it — PostgreSQL's LISTEN on a dedicated connection, PGlite's own listen. Called inside
 * the write's transaction, the notification is delivered only when (and if) it commits.
 */
export async function announce(db: Executor, change: DataChanged | null): Promise<void> {
  if (!change) return;
  const messages = changeMessages(change);
  const payloads = messages.map((m) => JSON.stringify(m));
  await sql`SELECT pg_notify(${CHANNEL_SQL}, p) FROM unnest(${payloads}::text[]) AS p`.execute(db);
  const until = Date.now() + PENDING_MS;
  for (const [i, payload] of payloads.entries()) pending.set(payload, { change: messages[i]!, until });
  local.emit("announce", change);
}

/**
 * Changes this process announced whose notification has not come back yet (their transaction may not have
 * committed): the dashboard cache keeps no answer they touch meanwhile, so that this process never serves a
 * figure older than its own write, even before the database's notification reaches it.
 */
const pending = new Map<string, { change: DataChanged; until: number }>();
/** How long an announced change waits for its notification (a rolled-back transaction sends none). */
const PENDING_MS = 10_000;
const local = new EventEmitter();
local.setMaxListeners(10_000);

/** A notification came back: the change it announced is committed and heard. */
export function settleAnnounced(payload: string): void {
  pending.delete(payload);
}

/** The changes announced here and not heard back yet. */
export function pendingChanges(): DataChanged[] {
  const now = Date.now();
  const out: DataChanged[] = [];
  for (const [payload, p] of pending)
    if (p.until < now) pending.delete(payload);
    else out.push(p.change);
  return out;
}

/** Told of each change this process announces, at once (before its transaction commits). */
export function onAnnounced(listener: (change: DataChanged) => void): () => void {
  local.on("announce", listener);
  return () => local.off("announce", listener);
}

/** Announces that some keys' published figures changed (see `announce`). */
export const announceKeys = (db: Executor, keys: readonly ChangedKey[], at?: Date) => announce(db, changeOf(keys, at));
