import { formatDate, formatPeriod, parsePeriod } from "@dieuhanh/core";
import type { Kysely } from "kysely";
import { recordAudit } from "../audit/service";
import type { RequestContext } from "../auth/principal";
import { scopeChecker } from "../auth/scope";
import { vietnamDate } from "../clock";
import type { Executor } from "../db/bulk";
import type { DataChannel, Schema } from "../db/schema";
import { BatchError, ConflictError, InvalidInputError, UnauthorizedError, type RowError } from "../errors";
import { recipientFinder } from "../notifications/recipients";
import { figuresAwaitingApproval } from "../notifications/service";
import { originsOfBatches } from "../sync/provenance";
import { dataValueRepository, presentDataValue, type DataValueStatusFilter } from "./repository";
import { locate, validateRows, type IncomingRow, type PreparedRow, type ValidationOutcome, type Warning } from "./validation";
import { writeRows, writeRowsInParts, type WriteSummary } from "./writer";

export interface IngestRequest {
  rows: IncomingRow[];
  /** Problems the channel's reader already found (unreadable cells, wrong columns). */
  readErrors?: RowError[];
  status: "draft" | "submitted";
  channel: DataChannel;
  dryRun: boolean;
  fileName?: string | null;
  fileSha256?: string | null;
}

export type IngestResult = WriteSummary & { warnings: Warning[] };

const dayAfter = (iso: string) => new Date(Date.parse(`${iso}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/**
 * A figure is final only once its period is over (Vietnam time): until then it can be saved as a draft,
 * which leaders never see, but not submitted. Periods not yet begun are refused by the validation.
 */
export function unfinishedPeriodErrors(rows: IncomingRow[], now: Date): RowError[] {
  const today = vietnamDate(now);
  const errors: RowError[] = [];
  for (const r of rows) {
    if (r.action !== "upsert") continue;
    const period = parsePeriod(r.period);
    if (!period || period.start > today || period.end < today) continue;
    errors.push(
      locate(
        r.at,
        "period",
        `Kỳ ${formatPeriod(period)} (${r.period}) chưa kết thúc (hết ngày ${formatDate(period.end)}): ` +
          `chỉ lưu nháp được, gửi chính thức từ ngày ${formatDate(dayAfter(period.end))}`,
      ),
    );
  }
  return errors;
}

/** From this many rows a batch is validated outside any transaction and written in parts (writeRowsInParts). */
const LARGE_BATCH_ROWS = 1000;

/** Reports (agency, area, period) whose approvers are told per transaction after a large import. */
const NOTIFIED_REPORTS_PER_PART = 25;

const isUniqueViolation = (e: unknown) => typeof e === "object" && e !== null && (e as { code?: string }).code === "23505";

export interface ServiceOptions {
  /** The clock; tests fix it. */
  now?: () => Date;
  /** Told what changed once a write is committed (the push channel to open dashboards). */
  onChange?: (rows: { indicator: string; area: string; period: string }[]) => void;
}

/**
 * Figures in, all or nothing, whatever the channel: every row is read, validated and scope-checked
 * before anything is written; one error anywhere and nothing changes. A change adds a version and keeps
 * the old one; the same figures sent twice change nothing and say so.
 */
export function dataValueService(db: Kysely<Schema>, options: ServiceOptions = {}) {
  const now = options.now ?? (() => new Date());
  const scope = scopeChecker(db);

  return {
    async ingest(ctx: RequestContext, req: IngestRequest): Promise<IngestResult> {
      const principal = ctx.principal;
      if (!principal) throw new UnauthorizedError();
      if (req.rows.length === 0 && !req.readErrors?.length) throw new InvalidInputError("Không có số liệu nào để ghi");
      const at = now();
      const info = { channel: req.channel, status: req.status, fileName: req.fileName, fileSha256: req.fileSha256 };
      // Everything wrong with the batch, in row order: nothing is written when there is anything.
      const refuse = (outcome: ValidationOutcome) => {
        const errors = [...(req.readErrors ?? []), ...outcome.errors];
        // A period the validation already refused needs no second error (one pass: uploads are large).
        if (req.status === "submitted" && !principal.system) {
          const refused = new Set(errors.filter((x) => x.field === "period").map((x) => `${x.sheet ?? ""}|${x.row}`));
          for (const e of unfinishedPeriodErrors(req.rows, at)) if (!refused.has(`${e.sheet ?? ""}|${e.row}`)) errors.push(e);
        }
        errors.sort((a, b) => a.row - b.row);
        if (errors.length) throw new BatchError(`Có ${errors.length} lỗi, không ghi dòng nào`, errors);
        if (outcome.scopeErrors.length)
          throw new BatchError("Ngoài phạm vi được giao, không ghi dòng nào", outcome.scopeErrors, 403);
      };
      // Submitted figures wait for an approver: tell those in scope, with the write.
      const tellApprovers = (trx: Executor, rows: PreparedRow[], batchId: string) =>
        req.status === "submitted" && !req.dryRun ? figuresAwaitingApproval(trx, rows, batchId, principal.userId) : null;
      try {
        const result =
          req.rows.length > LARGE_BATCH_ROWS
            ? // A large import: validated with short reads outside any transaction, written in short parts
              // (writeRowsInParts), so that the rest of the service keeps answering meanwhile.
              await (async () => {
                const outcome = await validateRows(db, principal, req.rows, {
                  status: req.status,
                  now: at,
                  channel: req.channel,
                });
                refuse(outcome);
                const summary = await writeRowsInParts(db, ctx, outcome.rows, info, {
                  dryRun: req.dryRun,
                  now: at,
                  latest: outcome.latest ?? new Map(),
                  afterWrite: async (batchId) => {
                    // One message per agency, area and period; told in parts too, each its own transaction.
                    const reports = new Map<string, PreparedRow[]>();
                    for (const r of outcome.rows) {
                      const k = `${r.agency}|${r.area}|${r.period}`;
                      const report = reports.get(k);
                      if (report) report.push(r);
                      else reports.set(k, [r]);
                    }
                    // Only reports someone approves are told (read once, outside any transaction).
                    const finder = recipientFinder(db);
                    const approvers = new Map<string, boolean>();
                    const parts: PreparedRow[][] = [];
                    for (const rows of reports.values()) {
                      const { agency, area, action } = rows[0]!;
                      if (!agency || (action === "delete" && rows.every((r) => r.action === "delete"))) continue;
                      const k = `${agency}|${area}`;
                      if (!approvers.has(k))
                        approvers.set(
                          k,
                          (await finder.find({ roles: ["approver"], agency, area, exclude: principal.userId })).length > 0,
                        );
                      if (approvers.get(k)) parts.push(rows);
                    }
                    for (let i = 0; i < parts.length; i += NOTIFIED_REPORTS_PER_PART) {
                      await db.transaction().execute(async (trx) => {
                        await tellApprovers(trx, parts.slice(i, i + NOTIFIED_REPORTS_PER_PART).flat(), batchId);
                      });
                      await new Promise((resolve) => setImmediate(resolve));
                    }
                  },
                });
                return { ...summary, warnings: outcome.warnings, changed: outcome.rows };
              })()
            : await db.transaction().execute(async (trx) => {
                const outcome = await validateRows(trx, principal, req.rows, {
                  status: req.status,
                  now: at,
                  channel: req.channel,
                });
                refuse(outcome);
                const summary = await writeRows(trx, ctx, outcome.rows, info, {
                  dryRun: req.dryRun,
                  now: at,
                  latest: outcome.latest,
                });
                if (summary.batchId) await tellApprovers(trx, outcome.rows, summary.batchId);
                return { ...summary, warnings: outcome.warnings, changed: outcome.rows };
              });
        if (result.batchId) options.onChange?.(result.changed);
        const { changed: _changed, ...answer } = result;
        return answer;
      } catch (e) {
        if (e instanceof BatchError && e.statusCode === 403) {
          await recordAudit(db, ctx, {
            action: "data_value.write",
            outcome: "denied",
            entityType: "data_batch",
            entityId: null,
            after: { channel: req.channel, fileName: req.fileName ?? null, rows: req.rows.length },
            reason: e.errors
              .map((x) => `dòng ${x.row}: ${x.message}`)
              .join("; ")
              .slice(0, 4000),
          });
        }
        if (isUniqueViolation(e)) throw new ConflictError("Số liệu vừa được người khác ghi cùng lúc; hãy gửi lại");
        throw e;
      }
    },

    async list(
      ctx: RequestContext,
      q: {
        indicator?: string;
        area?: string;
        period?: string;
        disaggregation?: string;
        /** Published figures unless asked otherwise (docs/decisions/0008). */
        status?: DataValueStatusFilter;
        agency?: string;
        flagged?: boolean;
        asOf?: string;
        limit: number;
        offset: number;
      },
    ) {
      const principal = ctx.principal;
      if (!principal) throw new UnauthorizedError();
      // A province's officials see the figures of their province (and its communes and history) only.
      const scopeAreaIds = principal.scope.areaId ? await scope.subtree(principal.scope.areaId) : undefined;
      const { items, total } = await dataValueRepository(db).list({
        indicatorCode: q.indicator,
        areaIds: q.area ? [q.area] : undefined,
        period: q.period,
        disaggregation: q.disaggregation,
        status: q.status,
        agencyCode: q.agency,
        flagged: q.flagged,
        scopeAreaIds,
        asOf: q.asOf ? new Date(q.asOf) : undefined,
        limit: q.limit,
        offset: q.offset,
      });
      // A mirrored figure says which install it came from (sync/provenance.ts).
      const origins = await originsOfBatches(
        db,
        items.map((v) => v.batch_id),
      );
      return {
        items: items.map((v) => ({ ...presentDataValue(v), origin: (v.batch_id && origins.get(v.batch_id)) || null })),
        total,
      };
    },

    /** Every version of one figure, with who recorded it and through which channel. */
    async history(ctx: RequestContext, key: { indicator: string; area: string; period: string; disaggregation: string }) {
      const principal = ctx.principal;
      if (!principal) throw new UnauthorizedError();
      if (!(await scope.coversArea(principal, key.area))) return { items: [], total: 0 };
      const rows = await dataValueRepository(db).history(key);
      const userIds = [...new Set(rows.map((r) => r.recorded_by_user).filter((x): x is string => x !== null))];
      const users = userIds.length
        ? await db.selectFrom("users").select(["id", "display_name"]).where("id", "in", userIds).execute()
        : [];
      const origins = await originsOfBatches(
        db,
        rows.map((r) => r.batch_id),
      );
      const items = rows.map((r) => ({
        ...presentDataValue(r),
        origin: (r.batch_id && origins.get(r.batch_id)) || null,
        recordedBy: users.find((u) => u.id === r.recorded_by_user)?.display_name ?? (r.recorded_by_token ? "Khóa API" : null),
      }));
      return { items, total: items.length };
    },
  };
}
