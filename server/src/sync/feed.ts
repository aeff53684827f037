import { sql, type Selectable } from "kysely";
import type { Executor } from "../db/bulk";
import type { ChangeLogTable } from "../db/schema";
import { GoneError, InvalidInputError } from "../errors";
import { referenceData } from "../datavalues/reference-cache";
import type { FigureKey } from "../readmodel/maintain";

/**
 * The change feed (`GET /api/changes`): every change of a key's PUBLISHED figure — a figure published or
 * revised, or a tombstone when it is withdrawn (deleted, returned) — in commit order, with the install it
 * was first made at and its id there. docs/decisions/0013.
 *
 * The writer logs changes in the write's own transaction (`logPublishedChanges`), so a change is in the
 * feed exactly when its figure is. Its rows take their ids under a transaction-level advisory lock held
 * until the write commits: one writer at a time between its log insert and its commit, so ids become
 * visible in commit order — a reader that has seen id n will never later find a smaller id appear, and a
 * cursor (the last id served) is stable. Only that last moment of a write is serialised, and no other
 * transaction on the database (another schema's, a report's) holds the feed back.
 *
 * A reader with no cursor starts with a snapshot of the published figures in key order, then continues
 * with the log from the snapshot's start: changes made meanwhile come again, and applying them again
 * changes nothing (a figure equal to the stored one is unchanged).
 */

/** The advisory lock that orders the change log's ids by commit (any constant unique to this use). */
const CHANGE_LOG_LOCK = 1_012_013;

export interface InstallIdentity {
  installId: string;
  feedEpoch: string;
  /** The last change id pruned from the log: a cursor before it has expired. */
  prunedThrough: string;
}

export async function installIdentity(db: Executor): Promise<InstallIdentity> {
  const r = await sql<{ install_id: string; feed_epoch: string; pruned_through: string }>`
    SELECT install_id, feed_epoch, pruned_through::text AS pruned_through FROM install_identity`.execute(db);
  const row = r.rows[0];
  if (!row) throw new Error("install_identity is empty: the migrations have not run");
  return { installId: row.install_id, feedEpoch: row.feed_epoch, prunedThrough: row.pruned_through };
}

/**
 * Removes the log's changes older than `keepDays` (the figures themselves stay: a reader that starts again
 * gets them in the snapshot). A cursor from before the last removed change then answers 410 with how to
 * resync, rather than silently missing what was removed. Returns how many changes were removed.
 */
export async function pruneFeed(db: Executor, keepDays: number, now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - keepDays * 86_400_000);
  const last = await sql<{ id: string | null }>`SELECT max(id)::text AS id FROM change_log WHERE changed_at < ${before}`.execute(
    db,
  );
  const through = last.rows[0]?.id;
  if (!through) return 0;
  const removed = await sql`DELETE FROM change_log WHERE id <= ${through}::bigint`.execute(db);
  await sql`UPDATE install_identity SET pruned_through = greatest(pruned_through, ${through}::bigint)`.execute(db);
  return Number(removed.numAffectedRows ?? 0);
}

/** Where a mirrored change came from: kept in the log here, so a third install sees the true origin. */
export interface ChangeOrigin {
  install: string;
  changeId: string | null;
}

const keyText = (k: { indicator: string; area: string; period: string; disaggregation: string }) =>
  `${k.indicator}|${k.area}|${k.period}|${k.disaggregation}`;

/**
 * Logs the current published state of each key (one row per key): its published figure, or a tombstone
 * when it has none. Sample figures are never exchanged. Must run in the write's transaction, after it.
 */
export async function logPublishedChanges(
  trx: Executor,
  keys: readonly FigureKey[],
  origin?: { install: string; changeIds?: ReadonlyMap<string, string> },
): Promise<void> {
  if (keys.length === 0) return;
  const unique = new Map<string, FigureKey>();
  for (const k of keys) unique.set(keyText(k), k);
  const own = origin ? null : (await installIdentity(trx)).installId;
  const list = [...unique.values()];
  const distinct = (xs: string[]) => [...new Set(xs)];
  // The published figure of each key, read by the keys and bounded by their codes, areas and periods
  // (`= ANY` on the indexes' leading columns): index probes whatever the planner's statistics say (a
  // join left to the planner was a scan of data_values on PGlite during a large import).
  const found = await sql<{
    i: string;
    a: string;
    p: string;
    g: string;
    value: string | null;
    value_text: string | null;
    comment: string | null;
    status: string;
    version: number;
    recorded_at: Date | string;
    source: string;
  }>`SELECT v.indicator_code AS i, v.area_id AS a, v.period AS p, v.disaggregation AS g, v.value::text AS value,
      v.value_text, v.comment, v.status, v.version, v.recorded_at, v.source
    FROM unnest(${list.map((k) => k.indicator)}::text[], ${list.map((k) => k.area)}::text[], ${list.map((k) => k.period)}::text[],
      ${list.map((k) => k.disaggregation)}::text[]) AS k(i, a, p, g)
    JOIN data_values v ON v.indicator_code = k.i AND v.area_id = k.a AND v.period = k.p AND v.disaggregation = k.g
    WHERE v.published_at IS NOT NULL AND v.unpublished_at IS NULL
      AND v.indicator_code = ANY(${distinct(list.map((k) => k.indicator))}::text[])
      AND v.area_id = ANY(${distinct(list.map((k) => k.area))}::text[])
      AND v.period = ANY(${distinct(list.map((k) => k.period))}::text[])`.execute(trx);
  const current = new Map(found.rows.map((r) => [keyText({ indicator: r.i, area: r.a, period: r.p, disaggregation: r.g }), r]));
  const rows = [];
  for (const k of list.sort((x, y) => keyText(x).localeCompare(keyText(y)))) {
    const v = current.get(keyText(k));
    // Sample figures are never exchanged.
    if (v?.source === "sample") continue;
    rows.push({
      o: origin?.install ?? own,
      c: origin?.changeIds?.get(keyText(k)) ?? null,
      i: k.indicator,
      a: k.area,
      p: k.period,
      g: k.disaggregation,
      d: v === undefined,
      v: v?.value ?? null,
      t: v?.value_text ?? null,
      m: v?.comment ?? null,
      s: v?.status ?? null,
      n: v?.version ?? null,
      r: v ? new Date(v.recorded_at).toISOString() : null,
    });
  }
  if (rows.length === 0) return;
  // Ids in commit order: the lock is held until this transaction ends (see the comment at the top).
  await sql`SELECT pg_advisory_xact_lock(${CHANGE_LOG_LOCK})`.execute(trx);
  for (let i = 0; i < rows.length; i += 5000) {
    await sql`INSERT INTO change_log (origin, origin_change_id, indicator_code, area_id, period, disaggregation, deleted,
        value, value_text, comment, status, version, recorded_at)
      SELECT o, c, i, a, p, g, d, v, t, m, s, n, r
      FROM jsonb_to_recordset(${JSON.stringify(rows.slice(i, i + 5000))}::jsonb)
        AS x(o text, c text, i text, a text, p text, g text, d boolean, v text, t text, m text, s text, n integer, r timestamptz)`.execute(
      trx,
    );
  }
}

/** One change as the feed serves it. */
export interface FeedChange {
  /** The change's id at its origin. */
  id: string;
  origin: string;
  indicator: string;
  /** The national indicator this (provincial) row implements in the area, if any: a peer may file it so. */
  nationalIndicator: string | null;
  area: string;
  period: string;
  disaggregation: string;
  deleted: boolean;
  /** The stored number as exact decimal text. */
  value: string | null;
  valueText: string | null;
  comment: string | null;
  status: string | null;
  version: number | null;
  recordedAt: string | null;
  changedAt: string;
}

/** Where a reader stands: in the snapshot (after a key; the log's last id when it began), or in the log (after an id). */
type Position =
  { phase: "snapshot"; epoch: string; start: string; after: string[] | null } | { phase: "log"; epoch: string; id: string };

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64url");
const unb64 = (s: string) => Buffer.from(s, "base64url").toString("utf8");

export function encodeCursor(p: Position): string {
  return p.phase === "log" ? `l2.${p.epoch}.${p.id}` : `s1.${p.epoch}.${p.start}.${p.after ? b64(JSON.stringify(p.after)) : ""}`;
}

const EXPIRED =
  "Con trỏ đã hết hạn (các thay đổi cũ đã được dọn khỏi dòng thay đổi): bắt đầu lại từ đầu (bỏ tham số after) để nhận toàn bộ số liệu đang công bố rồi các thay đổi sau đó";
const RESYNC =
  "Con trỏ không còn dùng được: bắt đầu lại từ đầu (bỏ tham số after) để nhận toàn bộ số liệu đang công bố rồi các thay đổi sau đó";

export function decodeCursor(cursor: string, epoch: string): Position {
  const parts = cursor.split(".");
  const digits = /^\d{1,18}$/;
  if (parts[1] !== epoch) throw new GoneError(RESYNC);
  if (parts.length === 3 && parts[0] === "l2" && digits.test(parts[2]!)) return { phase: "log", epoch, id: parts[2]! };
  if (parts.length !== 4) throw new GoneError(RESYNC);
  if (parts[0] === "s1" && digits.test(parts[2]!)) {
    if (parts[3] === "") return { phase: "snapshot", epoch, start: parts[2]!, after: null };
    try {
      const after: unknown = JSON.parse(unb64(parts[3]!));
      if (Array.isArray(after) && after.length === 4 && after.every((x) => typeof x === "string"))
        return { phase: "snapshot", epoch, start: parts[2]!, after: after as string[] };
    } catch {
      // falls through to the refusal
    }
  }
  throw new GoneError(RESYNC);
}

export interface FeedQuery {
  after?: string;
  limit: number;
  /** The caller's area subtree (null: the whole country). */
  scopeAreaIds: string[] | null;
  /** Indicator codes asked for (a national code also brings the provincial rows that implement it). */
  indicators?: string[];
  /** Area ids asked for (each with its subtree, already expanded). */
  areaIds?: string[] | null;
}

export interface FeedPage {
  changes: FeedChange[];
  next: string;
  /** More changes are ready now: ask again at once. */
  more: boolean;
  /** When the latest change the feed can serve was made (null: none yet): how far behind a reader is. */
  headAt: string | null;
}

/** A row of the log as read: its id as text (bigint). */
type LogRow = Omit<Selectable<ChangeLogTable>, "id"> & { id: string };

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/**
 * The national code of each provincial row that implements one, and the area subtree where it does
 * (series_links: a few hundred rows; a row implements its national indicator within its catalogue's area).
 */
async function nationalCodes(db: Executor): Promise<Map<string, { code: string; areas: Set<string> }>> {
  const r = await sql<{ code: string; national_code: string; root_area: string }>`
    SELECT code, national_code, root_area FROM series_links`.execute(db);
  const ref = r.rows.length ? await referenceData(db) : null;
  return new Map(r.rows.map((x) => [x.code, { code: x.national_code, areas: ref!.subtree(x.root_area) }]));
}

/** The local codes a list of asked indicators covers: each code, and the rows implementing it. */
function expandIndicators(asked: string[] | undefined, national: Map<string, { code: string }>): string[] | null {
  if (!asked?.length) return null;
  const want = new Set(asked);
  const codes = new Set(asked);
  for (const [code, link] of national) if (want.has(link.code)) codes.add(code);
  return [...codes];
}

/** The areas a reader may have: the intersection of its scope and what it asked for. */
function areaFilter(q: FeedQuery): string[] | null {
  if (q.scopeAreaIds && q.areaIds) {
    const scope = new Set(q.scopeAreaIds);
    return q.areaIds.filter((a) => scope.has(a));
  }
  return q.areaIds ?? q.scopeAreaIds;
}

export async function readFeed(db: Executor, q: FeedQuery): Promise<FeedPage> {
  const { feedEpoch, prunedThrough } = await installIdentity(db);
  const national = await nationalCodes(db);
  const indicators = expandIndicators(q.indicators, national);
  const areas = areaFilter(q);
  const head = await sql<{ id: string; changed_at: Date | string }>`
    SELECT id::text AS id, changed_at FROM change_log ORDER BY id DESC LIMIT 1`.execute(db);
  const position: Position = q.after
    ? decodeCursor(q.after, feedEpoch)
    : { phase: "snapshot", epoch: feedEpoch, start: head.rows[0]?.id ?? prunedThrough, after: null };
  // A log position (or a snapshot's start) before what was pruned: the changes after it are gone.
  const from = position.phase === "log" ? position.id : position.start;
  if (BigInt(from) < BigInt(prunedThrough)) throw new GoneError(EXPIRED);
  const headRow = head.rows[0];
  const headAt = headRow ? iso(headRow.changed_at) : null;
  const nationalOf = (indicator: string, area: string) => {
    const link = national.get(indicator);
    return link && link.areas.has(area) ? link.code : null;
  };
  const withNational = (c: Omit<FeedChange, "nationalIndicator">): FeedChange => ({
    ...c,
    nationalIndicator: nationalOf(c.indicator, c.area),
  });

  if (position.phase === "snapshot") {
    const after = position.after;
    const page = await sql<{
      id: string;
      batch_id: string | null;
      indicator_code: string;
      area_id: string;
      period: string;
      disaggregation: string;
      value: string | null;
      value_text: string | null;
      comment: string | null;
      status: string;
      version: number;
      recorded_at: Date | string;
      published_at: Date | string;
    }>`SELECT id::text AS id, batch_id, indicator_code, area_id, period, disaggregation, value::text AS value, value_text,
        comment, status, version, recorded_at, published_at
      FROM data_values
      WHERE published_at IS NOT NULL AND unpublished_at IS NULL AND source <> 'sample'
        ${after ? sql`AND (indicator_code, area_id, period, disaggregation) > (${after[0]}, ${after[1]}, ${after[2]}, ${after[3]})` : sql``}
        ${indicators ? sql`AND indicator_code = ANY(${indicators}::text[])` : sql``}
        ${areas ? sql`AND area_id = ANY(${areas}::text[])` : sql``}
      ORDER BY indicator_code, area_id, period, disaggregation
      LIMIT ${q.limit}`.execute(db);
    const origins = await batchOrigins(
      db,
      page.rows.map((r) => r.batch_id),
    );
    const own = (await installIdentity(db)).installId;
    const changes = page.rows.map((r) =>
      withNational({
        id: `v${r.id}`,
        origin: (r.batch_id && origins.get(r.batch_id)) || own,
        indicator: r.indicator_code,
        area: r.area_id,
        period: r.period,
        disaggregation: r.disaggregation,
        deleted: false,
        value: r.value,
        valueText: r.value_text,
        comment: r.comment,
        status: r.status,
        version: r.version,
        recordedAt: iso(r.recorded_at),
        changedAt: iso(r.published_at)!,
      }),
    );
    const last = page.rows[page.rows.length - 1];
    if (page.rows.length === q.limit && last)
      return {
        changes,
        more: true,
        headAt,
        next: encodeCursor({
          ...position,
          after: [last.indicator_code, last.area_id, last.period, last.disaggregation],
        }),
      };
    // The snapshot is done: the log follows from the snapshot's start (changes made meanwhile come again).
    return {
      changes,
      more: true,
      headAt,
      next: encodeCursor({ phase: "log", epoch: feedEpoch, id: position.start }),
    };
  }

  const page = await sql<LogRow>`
    SELECT id::text AS id, origin, origin_change_id, indicator_code, area_id, period, disaggregation,
      deleted, value, value_text, comment, status, version, recorded_at, changed_at
    FROM change_log
    WHERE id > ${position.id}::bigint
      ${indicators ? sql`AND indicator_code = ANY(${indicators}::text[])` : sql``}
      ${areas ? sql`AND area_id = ANY(${areas}::text[])` : sql``}
    ORDER BY id
    LIMIT ${q.limit}`.execute(db);
  const changes = page.rows.map((r) =>
    withNational({
      id: r.origin_change_id ?? r.id,
      origin: r.origin,
      indicator: r.indicator_code,
      area: r.area_id,
      period: r.period,
      disaggregation: r.disaggregation,
      deleted: r.deleted,
      value: r.deleted ? null : r.value,
      valueText: r.deleted ? null : r.value_text,
      comment: r.deleted ? null : r.comment,
      status: r.status,
      version: r.version,
      recordedAt: iso(r.recorded_at),
      changedAt: iso(r.changed_at)!,
    }),
  );
  const last = page.rows[page.rows.length - 1];
  if (page.rows.length === q.limit && last)
    return { changes, more: true, headAt, next: encodeCursor({ phase: "log", epoch: feedEpoch, id: last.id }) };
  // Fewer than asked: everything up to the head has been looked at, whatever the filters left out.
  const through = [position.id, headRow?.id, last?.id]
    .filter((x): x is string => x !== undefined)
    .reduce((a, b) => (BigInt(b) > BigInt(a) ? b : a));
  return { changes, more: false, headAt, next: encodeCursor({ phase: "log", epoch: feedEpoch, id: through }) };
}

async function batchOrigins(db: Executor, batchIds: (string | null)[]): Promise<Map<string, string>> {
  const ids = [...new Set(batchIds.filter((x): x is string => x !== null))];
  if (ids.length === 0) return new Map();
  const r = await sql<{ id: string; origin: string }>`SELECT id, origin FROM data_batches
    WHERE id = ANY(${ids}::uuid[]) AND origin IS NOT NULL`.execute(db);
  return new Map(r.rows.map((x) => [x.id, x.origin]));
}

/** A limit on one page of the feed. */
export function feedLimit(limit: number | undefined): number {
  if (limit === undefined) return 1000;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new InvalidInputError("limit phải từ 1 đến 10.000");
  return limit;
}
