import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { recordAudit } from "../audit/service";
import type { RequestContext } from "../auth/principal";
import { insertJsonRows, type Executor } from "../db/bulk";
import type { DataChannel, DataValueStatus } from "../db/schema";
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

/** At most this many changes are copied into the audit entry; the versions themselves keep the rest. */
const AUDITED_CHANGES = 200;

/**
 * Writes validated rows set-wise: one query reads the current versions, one marks the changed ones
 * superseded, one withdraws the published figures the batch replaces or takes back, one inserts the new
 * versions, all tagged with the batch. A submitted or approved version is published at once; a draft
 * leaves the key's published figure as it stands; a return or a deletion withdraws it. A row equal to
 * its current version changes nothing. The batch is one audit entry naming its counts and the first
 * changes. Must run inside a transaction.
 */
export async function writeRows(
  trx: Executor,
  ctx: RequestContext,
  rows: PreparedRow[],
  info: BatchInfo,
  options: { dryRun: boolean; now: Date; latest?: Map<string, DataValueRow> },
): Promise<WriteSummary> {
  const latest = options.latest ?? (await latestVersions(trx, rows));
  const summary: WriteSummary = { created: 0, updated: 0, deleted: 0, unchanged: 0, dryRun: options.dryRun, batchId: null };
  const supersede: string[] = [];
  // The published figure to withdraw: by id when it is the current version, else by key (a draft or a
  // return stands over it). A key without a current version has nothing published: deletions withdraw.
  const unpublishIds: string[] = [];
  const unpublishKeys: { i: string; a: string; p: string; g: string }[] = [];
  const withdraw = (row: PreparedRow, cur: DataValueRow | undefined) => {
    if (!cur) return;
    if (isPublished(cur)) unpublishIds.push(cur.id);
    else unpublishKeys.push({ i: row.indicator, a: row.area, p: row.period, g: row.disaggregation });
  };
  const withdraws = publishes(info.status) || (info.status === "returned" && !info.keepPublished);
  const inserts: { row: PreparedRow; previous: DataValueRow | undefined; version: number }[] = [];
  for (const row of rows) {
    const last = latest.get(keyOf(row));
    const cur = last && last.superseded_at === null ? last : undefined;
    const version = (last?.version ?? 0) + 1;
    if (row.action === "delete") {
      if (!cur) summary.unchanged++;
      else {
        summary.deleted++;
        supersede.push(cur.id);
        withdraw(row, cur);
        inserts.push({ row, previous: cur, version });
      }
      continue;
    }
    const same =
      cur !== undefined &&
      (cur.value === null ? row.value === null : row.value !== null && Number(cur.value) === row.value) &&
      cur.value_text === row.valueText &&
      cur.comment === row.comment &&
      cur.status === info.status &&
      (info.reviewComment ?? null) === cur.review_comment;
    if (same) {
      summary.unchanged++;
      continue;
    }
    if (cur) {
      summary.updated++;
      supersede.push(cur.id);
      if (withdraws) withdraw(row, cur);
    } else summary.created++;
    inserts.push({ row, previous: cur, version });
  }
  if (options.dryRun || inserts.length === 0) return summary;

  const principal = ctx.principal;
  const batchId = randomUUID();
  summary.batchId = batchId;
  await trx
    .insertInto("data_batches")
    .values({
      id: batchId,
      channel: info.channel,
      file_name: info.fileName ?? null,
      file_sha256: info.fileSha256 ?? null,
      recorded_by_user: principal?.userId ?? null,
      recorded_by_token: principal?.tokenId ?? null,
      recorded_at: options.now,
      created: summary.created,
      updated: summary.updated,
      deleted: summary.deleted,
      unchanged: summary.unchanged,
    })
    .execute();
  for (let i = 0; i < supersede.length; i += 10_000) {
    await sql`UPDATE data_values SET superseded_at = ${options.now}
      WHERE id = ANY(${supersede.slice(i, i + 10_000)}::bigint[]) AND superseded_at IS NULL`.execute(trx);
  }
  // Withdrawn before the new versions are published: one published version per key (a unique index).
  for (let i = 0; i < unpublishIds.length; i += 10_000) {
    await sql`UPDATE data_values SET unpublished_at = ${options.now}
      WHERE id = ANY(${unpublishIds.slice(i, i + 10_000)}::bigint[]) AND unpublished_at IS NULL`.execute(trx);
  }
  for (let i = 0; i < unpublishKeys.length; i += 10_000) {
    await sql`UPDATE data_values d SET unpublished_at = ${options.now}
      FROM jsonb_to_recordset(${JSON.stringify(unpublishKeys.slice(i, i + 10_000))}::jsonb) AS k(i text, a text, p text, g text)
      WHERE d.indicator_code = k.i AND d.area_id = k.a AND d.period = k.p AND d.disaggregation = k.g
        AND d.published_at IS NOT NULL AND d.unpublished_at IS NULL`.execute(trx);
  }
  const publishedAt = publishes(info.status) ? options.now.toISOString() : null;
  const newRows = inserts
    .filter((x) => x.row.action === "upsert")
    .map(({ row, version }) => ({
      indicator_code: row.indicator,
      area_id: row.area,
      period: row.period,
      period_type: row.periodType,
      disaggregation: row.disaggregation,
      version,
      value: row.value,
      value_text: row.valueText,
      comment: row.comment,
      status: info.status,
      source: info.channel,
      agency_code: row.agency,
      recorded_by_user: principal?.userId ?? null,
      recorded_by_token: principal?.tokenId ?? null,
      recorded_at: options.now.toISOString(),
      superseded_at: null,
      published_at: publishedAt,
      unpublished_at: null,
      batch_id: batchId,
      review_comment: info.reviewComment ?? null,
      flags: row.flags,
    }));
  await insertJsonRows(trx, "data_values", newRows, 5000);

  const changes = inserts.slice(0, AUDITED_CHANGES);
  await recordAudit(trx, ctx, {
    action: info.channel === "review" ? `data_value.${info.status}` : "data_value.write",
    entityType: "data_batch",
    entityId: batchId,
    before: changes.map((c) => (c.previous ? presentDataValue(c.previous) : null)),
    after: {
      channel: info.channel,
      fileName: info.fileName ?? null,
      status: info.status,
      counts: { created: summary.created, updated: summary.updated, deleted: summary.deleted, unchanged: summary.unchanged },
      changes: changes.map((c) => ({
        key: keyOf(c.row),
        action: c.row.action,
        value: c.row.value,
        valueText: c.row.valueText,
        comment: c.row.comment,
      })),
      truncated: inserts.length > AUDITED_CHANGES,
    },
    reason: info.reviewComment ?? null,
  });
  return summary;
}
