import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import { recordAudit } from "../audit/service";
import type { RequestContext } from "../auth/principal";
import { copyRows, type CopyValue, type Executor } from "../db/bulk";
import type { DataChannel, DataValueStatus, Schema } from "../db/schema";
import { ConflictError } from "../errors";
import { announceKeys } from "../events/change";
import { refreshReadModel, type FigureKey } from "../readmodel/maintain";
import { logPublishedChanges } from "../sync/feed";
import { isPublished, presentDataValue, type DataValueRow } from "./repository";
import { keyOf, latestVersions, type PreparedRow } from "./validation";

export interface WriteSummary {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  dryRun: boolean;
  /** The batch the write was recorded as; null for a dry run or when nothing changed. */
  batchId: string | null;
}

export interface BatchInfo {
  channel: DataChannel;
  fileName?: string | null;
  fileSha256?: string | null;
  status: DataValueStatus;
  /** The reviewer's comment, for approvals and returns. */
  reviewComment?: string | null;
  /**
   * A return normally withdraws the published figure; a reopening of approved figures keeps the approved
   * version published until a correction is submitted (docs/decisions/0008).
   */
  keepPublished?: boolean;
  /**
   * Figures mirrored from another install (server/src/sync): the install they were first made at and each
   * key's change id there, kept in this install's change feed so that no install echoes a change back.
   */
  origin?: { install: string; changeIds?: ReadonlyMap<string, string> };
}

/** Submitted and approved versions are published: what leaders, dashboards and exports read. */
const publishes = (status: DataValueStatus) => status === "submitted" || status === "approved";

/** A stored figure as a row to write again (a review or a reopening changes only its status). */
export function restated(v: DataValueRow, periodType: PreparedRow["periodType"]): PreparedRow {
  return {
    indicator: v.indicator_code,
    area: v.area_id,
    period: v.period,
    periodType,
    disaggregation: v.disaggregation,
    value: v.value === null ? null : Number(v.value),
    valueText: v.value_text,
    comment: v.comment,
    action: "upsert",
    agency: v.agency_code,
    flags: v.flags ?? [],
  };
}

/**
 * The channel a new version is recorded as. A review or a reopening only restates a figure, so a sample
 * figure stays a sample (marked "Mẫu" everywhere) once approved or returned; a figure a reporter writes is real.
 */
const sourceOf = (channel: DataChannel, previous: DataValueRow | undefined): DataChannel =>
  channel === "review" && previous?.source === "sample" ? "sample" : channel;

/** At most this many changes are copied into the audit entry; the versions themselves keep the rest. */
const AUDITED_CHANGES = 200;

/** What writing one row does, decided from its key's latest stored version before anything is written. */
interface PlannedRow {
  row: PreparedRow;
  /** The key's current version, which this row supersedes (and perhaps withdraws). */
  previous: DataValueRow | undefined;
  version: number;
  kind: "created" | "updated" | "deleted" | "unchanged";
  /** The published figure this row withdraws: by id (the current version) or by key (a draft stands over it). */
  withdrawId: string | null;
  withdrawKey: boolean;
}

/** Decides every row's change against the latest versions, without writing: the counts come from here. */
function planWrite(rows: PreparedRow[], latest: Map<string, DataValueRow>, info: BatchInfo) {
  const summary = { created: 0, updated: 0, deleted: 0, unchanged: 0 };
  const withdraws = publishes(info.status) || (info.status === "returned" && !info.keepPublished);
  const planned: PlannedRow[] = [];
  for (const row of rows) {
    const last = latest.get(keyOf(row));
    const cur = last && last.superseded_at === null ? last : undefined;
    const p: PlannedRow = {
      row,
      previous: cur,
      version: (last?.version ?? 0) + 1,
      kind: "unchanged",
      withdrawId: null,
      withdrawKey: false,
    };
    // The published figure to withdraw: by id when it is the current version, else by key (a draft or a
    // return stands over it). A key without a current version has nothing published: deletions withdraw.
    const withdraw = () => {
      if (!cur) return;
      if (isPublished(cur)) p.withdrawId = String(cur.id);
      else p.withdrawKey = true;
    };
    if (row.action === "delete") {
      if (cur) {
        p.kind = "deleted";
        withdraw();
      }
    } else {
      const same =
        cur !== undefined &&
        (cur.value === null ? row.value === null : row.value !== null && Number(cur.value) === row.value) &&
        cur.value_text === row.valueText &&
        cur.comment === row.comment &&
        cur.status === info.status &&
        (info.reviewComment ?? null) === cur.review_comment;
      if (!same) {
        p.kind = cur ? "updated" : "created";
        if (cur && withdraws) withdraw();
      }
    }
    summary[p.kind]++;
    planned.push(p);
  }
  return { summary, changes: planned.filter((p) => p.kind !== "unchanged") };
}

/** What one applied part of a batch changed in rows it did not insert, so that it can be undone. */
interface Applied {
  superseded: StoredVersion[];
  unpublished: StoredVersion[];
}

/** A stored version by its distribution column and id: every UPDATE of data_values names both (Citus). */
interface StoredVersion {
  id: string;
  indicator_code: string;
}

/**
 * Marks versions (by indicator and id) with `column` = now where it is still NULL; returns those it marked.
 * The indicator codes let a distributed table route the statement to the shards holding them.
 */
async function markVersions(
  trx: Executor,
  column: "superseded_at" | "unpublished_at",
  versions: readonly StoredVersion[],
  now: Date,
): Promise<StoredVersion[]> {
  const marked: StoredVersion[] = [];
  for (let i = 0; i < versions.length; i += 10_000) {
    const part = versions.slice(i, i + 10_000);
    const r = await sql<StoredVersion>`UPDATE data_values SET ${sql.ref(column)} = ${now}
      WHERE indicator_code = ANY(${[...new Set(part.map((v) => v.indicator_code))]}::text[])
        AND id = ANY(${part.map((v) => v.id)}::bigint[]) AND ${sql.ref(column)} IS NULL
      RETURNING id, indicator_code`.execute(trx);
    for (const x of r.rows) marked.push({ id: String(x.id), indicator_code: x.indicator_code });
  }
  return marked;
}

/**
 * Applies planned changes set-wise: one statement marks the changed versions superseded, one or two
 * withdraw the published figures the rows replace or take back, one per 5,000 rows inserts the new
 * versions, all tagged with the batch.
 */
async function applyChanges(
  trx: Executor,
  ctx: RequestContext,
  changes: PlannedRow[],
  info: BatchInfo,
  batchId: string,
  now: Date,
  strict = false,
): Promise<Applied> {
  const principal = ctx.principal;
  const toSupersede = changes
    .filter((c) => c.previous)
    .map((c) => ({ id: String(c.previous!.id), indicator_code: c.row.indicator }));
  const superseded = await markVersions(trx, "superseded_at", toSupersede, now);
  // A version the batch was planned against has been replaced since (a write in between): a conflict.
  // (A key written in between also makes the new version's number collide: a unique violation.)
  if (strict && superseded.length !== toSupersede.length)
    throw new ConflictError("Số liệu vừa được người khác ghi cùng lúc; hãy gửi lại");
  // Withdrawn before the new versions are published: one published version per key (a unique index).
  const unpublishIds = changes.filter((c) => c.withdrawId).map((c) => ({ id: c.withdrawId!, indicator_code: c.row.indicator }));
  const unpublished = await markVersions(trx, "unpublished_at", unpublishIds, now);
  const unpublishKeys = changes
    .filter((c) => c.withdrawKey)
    .map(({ row }) => ({ i: row.indicator, a: row.area, p: row.period, g: row.disaggregation }));
  for (let i = 0; i < unpublishKeys.length; i += 10_000) {
    const r = await sql<StoredVersion>`UPDATE data_values d SET unpublished_at = ${now}
      FROM jsonb_to_recordset(${JSON.stringify(unpublishKeys.slice(i, i + 10_000))}::jsonb) AS k(i text, a text, p text, g text)
      WHERE d.indicator_code = k.i AND d.area_id = k.a AND d.period = k.p AND d.disaggregation = k.g
        AND d.published_at IS NOT NULL AND d.unpublished_at IS NULL RETURNING d.id, d.indicator_code`.execute(trx);
    for (const x of r.rows) unpublished.push({ id: String(x.id), indicator_code: x.indicator_code });
  }
  // The new versions by COPY (db/bulk.ts): one statement for the whole part, on either engine.
  const publishedAt = publishes(info.status) ? now : null;
  const newRows: CopyValue[][] = [];
  for (const { row, version, previous } of changes) {
    if (row.action !== "upsert") continue;
    newRows.push([
      row.indicator,
      row.area,
      row.period,
      row.periodType,
      row.disaggregation,
      version,
      row.value,
      row.valueText,
      row.comment,
      info.status,
      sourceOf(info.channel, previous),
      row.agency,
      principal?.userId ?? null,
      principal?.tokenId ?? null,
      now,
      publishedAt,
      batchId,
      info.reviewComment ?? null,
      row.flags,
    ]);
  }
  await copyRows(trx, "data_values", DATA_VALUE_COLUMNS, newRows);
  // Open dashboards are told what leaders see changed, once the transaction commits (events/change.ts).
  await announceKeys(trx, publishedKeys(changes, info), now);
  // The read model (figure_facts, figure_rollup) follows in the same transaction (readmodel/maintain.ts).
  await refreshReadModel(trx, publishedKeys(changes, info));
  // And the change feed other installs pull (sync/feed.ts), in the same transaction.
  await logPublishedChanges(trx, publishedKeys(changes, info), info.origin);
  return { superseded, unpublished };
}

/**
 * The keys whose PUBLISHED figure the changes alter (docs/decisions/0008): a submitted or approved version
 * published, a published figure withdrawn (a return, a deletion) or replaced. A draft changes none.
 */
export function publishedKeys(changes: readonly PlannedRow[], info: BatchInfo) {
  return changes
    .filter((c) => (publishes(info.status) && c.row.action === "upsert") || c.withdrawId !== null || c.withdrawKey)
    .map(({ row }) => ({ indicator: row.indicator, area: row.area, period: row.period, disaggregation: row.disaggregation }));
}

/** The columns a new version is written with (`superseded_at` and `unpublished_at` start NULL). */
const DATA_VALUE_COLUMNS = [
  "indicator_code",
  "area_id",
  "period",
  "period_type",
  "disaggregation",
  "version",
  "value",
  "value_text",
  "comment",
  "status",
  "source",
  "agency_code",
  "recorded_by_user",
  "recorded_by_token",
  "recorded_at",
  "published_at",
  "batch_id",
  "review_comment",
  "flags",
];

/** The batch's record and its one audit entry, naming its counts and the first changes. */
async function recordBatch(
  trx: Executor,
  ctx: RequestContext,
  batchId: string,
  summary: WriteSummary,
  changes: PlannedRow[],
  info: BatchInfo,
  now: Date,
  completed: boolean,
) {
  const principal = ctx.principal;
  await trx
    .insertInto("data_batches")
    .values({
      id: batchId,
      channel: info.channel,
      file_name: info.fileName ?? null,
      file_sha256: info.fileSha256 ?? null,
      recorded_by_user: principal?.userId ?? null,
      recorded_by_token: principal?.tokenId ?? null,
      recorded_at: now,
      created: summary.created,
      updated: summary.updated,
      deleted: summary.deleted,
      unchanged: summary.unchanged,
      completed_at: completed ? now : null,
      origin: info.origin?.install ?? null,
    })
    .execute();
  const audited = changes.slice(0, AUDITED_CHANGES);
  await recordAudit(trx, ctx, {
    action: info.channel === "review" ? `data_value.${info.status}` : "data_value.write",
    entityType: "data_batch",
    entityId: batchId,
    before: audited.map((c) => (c.previous ? presentDataValue(c.previous) : null)),
    after: {
      channel: info.channel,
      fileName: info.fileName ?? null,
      status: info.status,
      counts: { created: summary.created, updated: summary.updated, deleted: summary.deleted, unchanged: summary.unchanged },
      changes: audited.map((c) => ({
        key: keyOf(c.row),
        action: c.row.action,
        value: c.row.value,
        valueText: c.row.valueText,
        comment: c.row.comment,
      })),
      truncated: changes.length > AUDITED_CHANGES,
    },
    reason: info.reviewComment ?? null,
  });
}

/**
 * Writes validated rows set-wise (see `applyChanges`). A submitted or approved version is published at
 * once; a draft leaves the key's published figure as it stands; a return or a deletion withdraws it. A
 * row equal to its current version changes nothing. The batch is one audit entry naming its counts and
 * the first changes. Must run inside a transaction.
 */
export async function writeRows(
  trx: Executor,
  ctx: RequestContext,
  rows: PreparedRow[],
  info: BatchInfo,
  options: { dryRun: boolean; now: Date; latest?: Map<string, DataValueRow> },
): Promise<WriteSummary> {
  const latest = options.latest ?? (await latestVersions(trx, rows));
  const { summary: counts, changes } = planWrite(rows, latest, info);
  const summary: WriteSummary = { ...counts, dryRun: options.dryRun, batchId: null };
  if (options.dryRun || changes.length === 0) return summary;
  const batchId = randomUUID();
  summary.batchId = batchId;
  await recordBatch(trx, ctx, batchId, summary, changes, info, options.now, true);
  await applyChanges(trx, ctx, changes, info, batchId, options.now);
  return summary;
}

/** Rows written per transaction by `writeRowsInParts`: each part holds the database for a moment only. */
export const WRITE_PART_ROWS = 150;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Writes a large validated batch in parts, each its own short transaction, so that other requests are
 * served between them (PGlite has one connection: one long transaction would stop every other query).
 * The batch stays all or nothing: its record and audit entry come first; a key written by someone else
 * since the validation makes a part fail (its version replaced, or its new version number taken); and a
 * part that fails undoes the parts already written, in one transaction. Readers may see the batch's
 * figures appear part by part for the few seconds the write takes.
 */
export async function writeRowsInParts(
  db: Kysely<Schema>,
  ctx: RequestContext,
  rows: PreparedRow[],
  info: BatchInfo,
  options: {
    dryRun: boolean;
    now: Date;
    latest: Map<string, DataValueRow>;
    afterWrite?: (batchId: string) => Promise<unknown>;
    /** Tests only: runs after each written part; a `SimulatedCrash` thrown here skips the undo, as a crash would. */
    afterPart?: (batchId: string, partIndex: number) => Promise<unknown>;
  },
): Promise<WriteSummary> {
  const { summary: counts, changes } = planWrite(rows, options.latest, info);
  const summary: WriteSummary = { ...counts, dryRun: options.dryRun, batchId: null };
  if (options.dryRun || changes.length === 0) return summary;
  const batchId = randomUUID();
  summary.batchId = batchId;
  // Recorded unfinished (completed_at null): a crash from here on is undone at the next start.
  await db.transaction().execute((trx) => recordBatch(trx, ctx, batchId, summary, changes, info, options.now, false));
  try {
    for (let i = 0; i < changes.length; i += WRITE_PART_ROWS) {
      const part = changes.slice(i, i + WRITE_PART_ROWS);
      // What the part changed in older versions is journalled in the part's own transaction.
      await db.transaction().execute(async (trx) => {
        const applied = await applyChanges(trx, ctx, part, info, batchId, options.now, true);
        await journalUndo(trx, batchId, applied);
        await sql`UPDATE data_batches SET progressed_at = now() WHERE id = ${batchId}`.execute(trx);
      });
      if (options.afterPart) await options.afterPart(batchId, i / WRITE_PART_ROWS);
      await nextTurn();
    }
    // What follows the write (telling approvers) does its own short transactions; its failure undoes too.
    if (options.afterWrite) await options.afterWrite(batchId);
    await db.transaction().execute(async (trx) => {
      await trx.updateTable("data_batches").set({ completed_at: options.now }).where("id", "=", batchId).execute();
      await trx.deleteFrom("data_batch_undo").where("batch_id", "=", batchId).execute();
    });
  } catch (e) {
    if (e instanceof SimulatedCrash) throw e;
    const reason = `Lô bị hủy giữa chừng, mọi thay đổi đã được hoàn lại: ${e instanceof Error ? e.message : String(e)}`;
    await db.transaction().execute((trx) => undoBatch(trx, ctx, batchId, reason));
    throw e;
  }
  return summary;
}

/** Thrown by a test's `afterPart` hook to stop a write as a crash would: nothing undone in-process. */
export class SimulatedCrash extends Error {}

async function journalUndo(trx: Executor, batchId: string, applied: Applied) {
  const rows = [
    ...applied.superseded.map((v) => [batchId, v.id, v.indicator_code, "superseded"]),
    ...applied.unpublished.map((v) => [batchId, v.id, v.indicator_code, "unpublished"]),
  ];
  await copyRows(trx, "data_batch_undo", ["batch_id", "value_id", "indicator_code", "kind"], rows);
}

/**
 * Takes back what the written parts of an unfinished batch changed, from its undo journal, and says so in
 * the audit trail. Used both when a part fails and, at start, for a batch a crash left half-written.
 */
async function undoBatch(trx: Executor, ctx: RequestContext, batchId: string, reason: string) {
  // Every key the batch wrote or withdrew is told again: its published figure is the one before the batch.
  const touched = await sql<{ indicator: string; area: string; period: string }>`
    SELECT indicator_code AS indicator, area_id AS area, period FROM data_values WHERE batch_id = ${batchId}
    UNION SELECT d.indicator_code, d.area_id, d.period FROM data_batch_undo u
    JOIN data_values d ON d.indicator_code = u.indicator_code AND d.id = u.value_id WHERE u.batch_id = ${batchId}`.execute(trx);
  await announceKeys(trx, touched.rows);
  // The read model is brought back for the same keys (with their disaggregations) once the batch is undone.
  const readModelKeys = (
    await sql<FigureKey>`SELECT indicator_code AS indicator, area_id AS area, period, disaggregation FROM data_values
      WHERE batch_id = ${batchId}
      UNION SELECT d.indicator_code, d.area_id, d.period, d.disaggregation FROM data_batch_undo u
      JOIN data_values d ON d.indicator_code = u.indicator_code AND d.id = u.value_id WHERE u.batch_id = ${batchId}`.execute(trx)
  ).rows;
  // The batch's versions go first: the ones they replaced become current and published again.
  await sql`DELETE FROM data_values WHERE batch_id = ${batchId}`.execute(trx);
  await sql`UPDATE data_values d SET superseded_at = NULL FROM data_batch_undo u
    WHERE u.batch_id = ${batchId} AND u.kind = 'superseded' AND d.indicator_code = u.indicator_code AND d.id = u.value_id`.execute(
    trx,
  );
  await sql`UPDATE data_values d SET unpublished_at = NULL FROM data_batch_undo u
    WHERE u.batch_id = ${batchId} AND u.kind = 'unpublished' AND d.indicator_code = u.indicator_code AND d.id = u.value_id`.execute(
    trx,
  );
  // Its undo journal goes with it (no foreign key to the local data_batches: the journal is distributed).
  await sql`DELETE FROM data_batch_undo WHERE batch_id = ${batchId}`.execute(trx);
  await sql`DELETE FROM data_batches WHERE id = ${batchId}`.execute(trx);
  await refreshReadModel(trx, readModelKeys);
  // The feed tells the figures as they stand again (an undone batch's changes may have been pulled already).
  await logPublishedChanges(trx, readModelKeys);
  await recordAudit(trx, ctx, {
    action: "data_value.write",
    outcome: "failure",
    entityType: "data_batch",
    entityId: batchId,
    reason: reason.slice(0, 4000),
  });
}

/**
 * Undoes every batch a crash (kill, power loss) left half-written: run at start, under the schema lock and
 * before the server listens, so no write of this process is under way. With `idleMinutes` (PostgreSQL, where
 * another server may be writing a batch right now) only batches that have not progressed for that long.
 * Returns how many were undone.
 */
export async function recoverUnfinishedBatches(db: Kysely<Schema>, options: { idleMinutes?: number } = {}): Promise<number> {
  const idle = options.idleMinutes ?? 0;
  const unfinished = await db
    .selectFrom("data_batches")
    .select("id")
    .where("completed_at", "is", null)
    .where(sql<boolean>`progressed_at <= now() - make_interval(mins => ${idle})`)
    .execute();
  const ctx: RequestContext = { principal: null, ip: null, userAgent: "khởi động" };
  for (const { id } of unfinished)
    await db
      .transaction()
      .execute((trx) =>
        undoBatch(
          trx,
          ctx,
          id,
          "Lô bị gián đoạn giữa chừng (máy chủ dừng đột ngột); mọi thay đổi đã được hoàn lại khi khởi động",
        ),
      );
  return unfinished.length;
}
