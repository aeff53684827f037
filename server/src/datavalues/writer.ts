import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { recordAudit } from "../audit/service";
import type { RequestContext } from "../auth/principal";
import { insertJsonRows, type Executor } from "../db/bulk";
import type { DataChannel, DataValueStatus } from "../db/schema";
import { presentDataValue, type DataValueRow } from "./repository";
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
}

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
 * superseded, one inserts the new versions, all tagged with the batch. A row equal to its current
 * version changes nothing. The batch is one audit entry naming its counts and the first changes.
 * Must run inside a transaction.
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
