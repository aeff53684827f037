import {
  entryLockDate,
  formatDate,
  formatPeriod,
  parsePeriod,
  previousPeriod,
  reportDeadline,
  samePeriodLastYear,
  type Period,
} from "@dieuhanh/core";
import type { Kysely } from "kysely";
import { analyticsService } from "../analytics/service";
import { recordAudit } from "../audit/service";
import type { Principal, RequestContext } from "../auth/principal";
import { requireSecondPerson } from "../auth/four-eyes";
import { scopeChecker } from "../auth/scope";
import { vietnamDate } from "../clock";
import type { Executor } from "../db/bulk";
import type { Schema } from "../db/schema";
import { ForbiddenError, InvalidInputError, NotFoundError, UnauthorizedError } from "../errors";
import { presentDataValue } from "../datavalues/repository";
import { referenceData } from "../datavalues/reference-cache";
import { ownerOf, peerOwners, type Owner } from "../sync/ownership";
import { originsOfBatches } from "../sync/provenance";
import { reportReviewed } from "../notifications/service";
import { restated, writeRows } from "../datavalues/writer";
import { reportingRepository } from "./repository";

export interface ReportKey {
  agency: string;
  area: string;
  period: string;
}

const changePercent = (current: number | null, base: number | null) =>
  current === null || base === null || base === 0 ? null : Math.round(((current - base) / Math.abs(base)) * 1000) / 10;

const dayAfter = (iso: string) => new Date(Date.parse(`${iso}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

export type ReportState = "not_due" | "open" | "late" | "complete" | "complete_late";

export const reportStateLabels: Record<ReportState, string> = {
  not_due: "Chưa đến hạn",
  open: "Đang trong hạn",
  late: "Quá hạn, còn thiếu",
  complete: "Đủ, đúng hạn",
  complete_late: "Đủ, chậm hạn",
};

/**
 * The decisions of one review: either one action for the whole report (or the listed indicators), or one per
 * row. A return always needs its reason (at least 5 characters), named by its row.
 */
function reviewDecisions(key: {
  action?: "approve" | "return";
  comment?: string | null;
  indicators?: string[];
  decisions?: { indicator: string; action: "approve" | "return"; comment?: string | null }[];
}): { indicator: string | null; action: "approve" | "return"; comment: string | null }[] {
  const reasonProblem = (comment: string | null) => !comment || comment.length < 5;
  if (key.decisions?.length) {
    const seen = new Set<string>();
    return key.decisions.map((d, i) => {
      if (seen.has(d.indicator))
        throw new InvalidInputError(`Dòng ${i + 1} (${d.indicator}): chỉ số được quyết định hai lần`, "decisions");
      seen.add(d.indicator);
      const comment = d.comment?.trim() || null;
      if (d.action === "return" && reasonProblem(comment))
        throw new InvalidInputError(`Dòng ${i + 1} (${d.indicator}): trả lại cần ghi rõ lý do (ít nhất 5 ký tự)`, "comment");
      return { indicator: d.indicator, action: d.action, comment };
    });
  }
  if (!key.action) throw new InvalidInputError("Cần chọn duyệt hoặc trả lại", "action");
  const comment = key.comment?.trim() || null;
  if (key.action === "return" && reasonProblem(comment))
    throw new InvalidInputError("Trả lại cần ghi rõ lý do (ít nhất 5 ký tự)", "comment");
  return key.indicators?.length
    ? key.indicators.map((indicator) => ({ indicator, action: key.action!, comment }))
    : [{ indicator: null, action: key.action, comment }];
}

/**
 * Reports (báo cáo): one agency's figures for one area and period, as its obligations define them —
 * the form to fill, completeness and timeliness, approval and reopening.
 */
export function reportingService(
  db: Kysely<Schema>,
  options: { now?: () => Date; onChange?: (rows: { indicator: string; area: string; period: string }[]) => void } = {},
) {
  const now = options.now ?? (() => new Date());
  const scope = scopeChecker(db);
  const repo = reportingRepository(db);

  function periodOf(code: string): Period {
    const p = parsePeriod(code);
    if (!p) throw new InvalidInputError(`Kỳ '${code}' không hợp lệ`, "period");
    return p;
  }

  async function areaOf(id: string) {
    const area = await db
      .selectFrom("areas")
      .select(["id", "name", "level", "parent_id"])
      .where("id", "=", id)
      .executeTakeFirst();
    if (!area) throw new NotFoundError(`Không có địa bàn mã '${id}'`, "area");
    return area;
  }

  async function requireReportScope(principal: Principal, key: ReportKey) {
    if (!(await scope.coversAnyAgency(principal, [key.agency])) || !(await scope.coversArea(principal, key.area)))
      throw new ForbiddenError("Báo cáo này ngoài phạm vi được giao");
  }

  /**
   * The peers that own figures of this report's area (sync/ownership.ts): their rows are mirrored here
   * read-only, so the form marks them and reviews and reopenings leave them alone.
   */
  async function ownersOf(ex: Executor = db) {
    const owners = await peerOwners(ex, await referenceData(ex));
    return (indicator: string, area: string): Owner | undefined => (owners.length ? ownerOf(owners, indicator, area) : undefined);
  }

  function stateOf(
    row: { expected: number; submitted: number; late: number },
    period: Period,
    deadline: string,
    today: string,
  ): ReportState {
    if (row.submitted >= row.expected) return row.late > 0 ? "complete_late" : "complete";
    if (today > deadline) return "late";
    return today > period.end ? "open" : "not_due";
  }

  /**
   * Comparison figures a unit formed in the 2025 reform does not hold itself (the area validity rule keeps
   * pre-reform periods off it): analytics' reform fold of the old units merged into it, summed in full or
   * apportioned and flagged estimated. Only for units that have predecessors; keyed `indicator|period`.
   */
  async function foldedComparisons(principal: Principal, areaId: string, codes: string[], previous: string, lastYear: string) {
    const result = new Map<string, { value: number; source: "aggregated" | "estimated" }>();
    if (codes.length === 0) return result;
    const merged = await db.selectFrom("area_merges").select("old_area_id").where("new_area_id", "=", areaId).executeTakeFirst();
    if (!merged) return result;
    const analytics = analyticsService(db);
    for (let i = 0; i < codes.length; i += 50) {
      // One period each: the two comparisons may be a year apart.
      for (const p of [...new Set([previous, lastYear])]) {
        const answer = await analytics.query(principal, { indicators: codes.slice(i, i + 50), areas: [areaId], from: p, to: p });
        for (const s of answer.series)
          for (const point of s.points)
            if (point.value !== null && point.source !== null)
              result.set(`${s.indicator}|${point.period}`, {
                value: point.value,
                source: point.source === "estimated" ? "estimated" : "aggregated",
              });
      }
    }
    return result;
  }

  return {
    /** The form: each indicator the agency reports for the area and period, with the comparisons. */
    async form(ctx: RequestContext, key: ReportKey) {
      const principal = ctx.principal;
      if (!principal) throw new UnauthorizedError();
      await requireReportScope(principal, key);
      const period = periodOf(key.period);
      const area = await areaOf(key.area);
      const agency = await db.selectFrom("agencies").select(["code", "name"]).where("code", "=", key.agency).executeTakeFirst();
      if (!agency) throw new NotFoundError(`Không có cơ quan mã '${key.agency}'`, "agency");
      const indicators = await repo.formIndicators({
        agency: key.agency,
        areaId: area.id,
        areaLevel: area.level,
        parentId: area.parent_id,
        periodType: period.type,
      });
      const previous = previousPeriod(period);
      const lastYear = samePeriodLastYear(period);
      const values = await repo.values(
        indicators.map((i) => i.code),
        area.id,
        [period.code, previous.code, lastYear.code],
      );
      const total = (code: string, p: string) =>
        values.find((v) => v.indicator_code === code && v.period === p && v.disaggregation === "");
      const deadlineDays = indicators[0]?.deadline_days ?? 0;
      const lockAfter = indicators[0]?.lock_after_days ?? null;
      const deadline = reportDeadline(period, deadlineDays);
      const lockDate = entryLockDate(period, deadlineDays, lockAfter);
      const today = now().toISOString().slice(0, 10);
      const reopening = await db
        .selectFrom("entry_reopenings")
        .select(["reason", "open_until"])
        .where("agency_code", "=", key.agency)
        .where("area_id", "=", key.area)
        .where("period", "=", key.period)
        .where("open_until", ">", now())
        .orderBy("reopened_at", "desc")
        .executeTakeFirst();
      const num = (v: ReturnType<typeof total>) => (v?.value === null || v?.value === undefined ? null : Number(v.value));
      const folded = await foldedComparisons(
        principal,
        area.id,
        indicators
          .map((i) => i.code)
          .filter((c) => num(total(c, previous.code)) === null || num(total(c, lastYear.code)) === null),
        previous.code,
        lastYear.code,
      );
      // A comparison the unit holds itself, else the figure analytics folds from the units merged into it.
      const compare = (code: string, p: string) => {
        const own = num(total(code, p));
        if (own !== null) return { value: own, from: null };
        const f = folded.get(`${code}|${p}`);
        return f ? { value: f.value, from: f.source } : { value: null, from: null };
      };
      const owned = await ownersOf();
      const origins = await originsOfBatches(
        db,
        values.filter((v) => v.period === period.code && v.disaggregation === "").map((v) => v.batch_id),
      );
      const rows = indicators.map((i) => {
        const cur = total(i.code, period.code);
        const owner = owned(i.code, area.id);
        const prev = compare(i.code, previous.code);
        const ly = compare(i.code, lastYear.code);
        return {
          indicator: i.code,
          name: i.name,
          unit: i.unit,
          valueType: i.value_type,
          kind: i.kind,
          parent: i.parent_code,
          group: i.group_code,
          subgroup: i.subgroup_code,
          current: cur ? { ...presentDataValue(cur), origin: (cur.batch_id && origins.get(cur.batch_id)) || null } : null,
          // Another install owns this figure: mirrored here read-only, never sent with the form.
          ownedBy: owner ? { linkId: owner.linkId, name: owner.name } : null,
          // Four eyes: the caller recorded this figure, so someone else must approve it (the form says so).
          submittedByYou: !!cur && cur.recorded_by_user !== null && cur.recorded_by_user === principal.userId,
          previousValue: prev.value,
          lastYearValue: ly.value,
          previousFrom: prev.from,
          lastYearFrom: ly.from,
          changeFromPrevious: changePercent(num(cur), prev.value),
          changeFromLastYear: changePercent(num(cur), ly.value),
          breakdowns: values.filter((v) => v.indicator_code === i.code && v.period === period.code && v.disaggregation !== "")
            .length,
        };
      });
      return {
        agency: { code: agency.code, name: agency.name },
        area: { id: area.id, name: area.name, level: area.level },
        period: { code: period.code, label: formatPeriod(period), previous: previous.code, lastYear: lastYear.code },
        deadline,
        lockDate,
        locked: lockDate !== null && today >= lockDate && !reopening,
        reopenedUntil: reopening ? new Date(reopening.open_until).toISOString() : null,
        // Until the period is over its figures are drafts only (docs/decisions/0008): from when they can be sent.
        submittableFrom: vietnamDate(now()) > period.end ? null : dayAfter(period.end),
        rows,
      };
    },

    /** Completeness and timeliness per agency and area for one period, within the caller's scope. */
    async completeness(ctx: RequestContext, q: { period: string; agency?: string; area?: string }) {
      const principal = ctx.principal;
      if (!principal) throw new UnauthorizedError();
      const period = periodOf(q.period);
      const agencies = q.agency ? [q.agency] : undefined;
      const scopeAreas = principal.scope.areaId ? [...(await scope.subtree(principal.scope.areaId))] : undefined;
      const reachable = await scope.reachable(principal);
      const scopedTo = reachable ? [...reachable] : null;
      const rows = await repo.completeness({
        period: period.code,
        periodType: period.type,
        periodEnd: period.end,
        agencies: agencies ?? scopedTo ?? undefined,
        areaIds: q.area ? [q.area] : undefined,
        scopeAreaIds: scopeAreas,
      });
      const today = now().toISOString().slice(0, 10);
      const items = rows.map((r) => {
        const deadline = reportDeadline(period, r.deadline_days);
        const state = stateOf(r, period, deadline, today);
        return {
          agency: r.agency_code,
          agencyName: r.agency_name,
          area: r.area_id,
          areaName: r.area_name,
          period: period.code,
          deadline,
          lockDate: entryLockDate(period, r.deadline_days, r.lock_after_days),
          expected: r.expected,
          submitted: r.submitted,
          approved: r.approved,
          draft: r.draft,
          returned: r.returned,
          missing: r.expected - r.submitted,
          onTime: r.on_time,
          late: r.late,
          completeness: r.expected ? Math.round((r.submitted / r.expected) * 1000) / 10 : null,
          timeliness: r.submitted ? Math.round((r.on_time / r.submitted) * 1000) / 10 : null,
          lastSubmittedAt: r.last_submitted_at ? new Date(r.last_submitted_at).toISOString() : null,
          state,
          stateLabel: reportStateLabels[state],
        };
      });
      const sum = (f: (x: (typeof items)[number]) => number) => items.reduce((s, x) => s + f(x), 0);
      return {
        period: { code: period.code, label: formatPeriod(period) },
        summary: {
          reports: items.length,
          expected: sum((x) => x.expected),
          submitted: sum((x) => x.submitted),
          approved: sum((x) => x.approved),
          onTime: sum((x) => x.onTime),
          lateReports: items.filter((x) => x.state === "late" || x.state === "complete_late").length,
        },
        items,
      };
    },

    /**
     * Approve or return a report's submitted figures. Approval locks them; a return needs a comment and
     * takes the figures off the dashboards (no longer published).
     * Each figure gets a new version with the decision, so the history shows who decided what, when.
     */
    async review(
      ctx: RequestContext,
      key: ReportKey & {
        action?: "approve" | "return";
        comment?: string | null;
        indicators?: string[];
        /** Row by row: each indicator approved or returned, each return with its own reason. */
        decisions?: { indicator: string; action: "approve" | "return"; comment?: string | null }[];
      },
    ) {
      const principal = ctx.principal;
      if (!principal) throw new UnauthorizedError();
      await requireReportScope(principal, key);
      const decisions = reviewDecisions(key);
      const period = periodOf(key.period);
      const at = now();
      // Figures submitted before a period was over (possible before docs/decisions/0008) are never approved as final.
      if (decisions.some((d) => d.action === "approve") && vietnamDate(at) <= period.end)
        throw new InvalidInputError(
          `Kỳ ${formatPeriod(period)} chưa kết thúc (hết ngày ${formatDate(period.end)}): chưa duyệt được số liệu chính thức; có thể trả lại`,
          "period",
        );
      const result = await db.transaction().execute(async (trx) => {
        let q = trx
          .selectFrom("data_values")
          .selectAll()
          .where("agency_code", "=", key.agency)
          .where("area_id", "=", key.area)
          .where("period", "=", period.code)
          .where("status", "=", "submitted")
          .where("superseded_at", "is", null);
        const named = decisions.filter((d) => d.indicator !== null).map((d) => d.indicator!);
        if (named.length) q = q.where("indicator_code", "in", named);
        // Figures another install owns were judged there: mirrored read-only, never reviewed here.
        const owned = await ownersOf(trx);
        const mirrored = named.map((code) => ({ code, owner: owned(code, key.area) })).find((x) => x.owner);
        if (mirrored)
          throw new ForbiddenError(
            `Chỉ số ${mirrored.code}: số liệu do hệ thống "${mirrored.owner!.name}" quản lý và được đồng bộ về đây (bản sao chỉ đọc), không duyệt hoặc trả lại ở đây`,
          );
        const submitted = (await q.execute()).filter((v) => !owned(v.indicator_code, v.area_id));
        if (submitted.length === 0) throw new InvalidInputError("Không có số liệu đã gửi nào chờ duyệt trong báo cáo này");
        const missing = named.filter((code) => !submitted.some((v) => v.indicator_code === code));
        if (missing.length && key.decisions)
          throw new InvalidInputError(
            `Chỉ số ${missing.join(", ")}: không có số liệu đã gửi chờ duyệt trong báo cáo này`,
            "decisions",
          );
        // One write per distinct decision (approve, or return with one reason): every figure of a row takes its row's decision.
        const decisionOf = (code: string) =>
          decisions.find((d) => d.indicator === code) ?? decisions.find((d) => d.indicator === null)!;
        const approving = submitted.filter((v) => decisionOf(v.indicator_code).action === "approve");
        requireSecondPerson(
          principal,
          approving.map((v) => v.recorded_by_user),
          "phê duyệt số liệu",
        );
        const groups = new Map<string, { decision: (typeof decisions)[number]; values: typeof submitted }>();
        for (const v of submitted) {
          const d = decisionOf(v.indicator_code);
          const k = `${d.action}|${d.comment ?? ""}`;
          if (!groups.has(k)) groups.set(k, { decision: d, values: [] });
          groups.get(k)!.values.push(v);
        }
        let batchId: string | null = null;
        for (const { decision, values } of groups.values()) {
          const summary = await writeRows(
            trx,
            ctx,
            values.map((v) => restated(v, period.type)),
            {
              channel: "review",
              status: decision.action === "approve" ? "approved" : "returned",
              reviewComment: decision.comment,
            },
            { dryRun: false, now: at },
          );
          batchId ??= summary.batchId;
        }
        await reportReviewed(
          trx,
          { ...key, period: period.code, batchId },
          submitted.map((v) => ({
            ...decisionOf(v.indicator_code),
            indicator: v.indicator_code,
            submittedBy: v.recorded_by_user,
          })),
        );
        const approved = submitted.filter((v) => decisionOf(v.indicator_code).action === "approve").length;
        const rows = submitted.map((v) => restated(v, period.type));
        const action = approved === submitted.length ? "approve" : approved === 0 ? "return" : "mixed";
        return { action, values: rows.length, approved, returned: rows.length - approved, batchId, rows } as const;
      });
      options.onChange?.(result.rows);
      return {
        action: result.action,
        values: result.values,
        approved: result.approved,
        returned: result.returned,
        batchId: result.batchId,
      };
    },

    /**
     * Reopen a locked period or approved figures, with a reason: entry opens for `days` days and
     * approved figures go back to the reporter as returned, the reason attached.
     */
    async reopen(ctx: RequestContext, key: ReportKey & { reason: string; days: number }) {
      const principal = ctx.principal;
      if (!principal?.userId) throw new UnauthorizedError();
      await requireReportScope(principal, key);
      const reason = key.reason.trim();
      if (reason.length < 5) throw new InvalidInputError("Mở lại cần ghi rõ lý do (ít nhất 5 ký tự)", "reason");
      const period = periodOf(key.period);
      await areaOf(key.area);
      const at = now();
      const openUntil = new Date(at.getTime() + key.days * 86_400_000);
      return db.transaction().execute(async (trx) => {
        await trx
          .insertInto("entry_reopenings")
          .values({
            agency_code: key.agency,
            area_id: key.area,
            period: period.code,
            reason,
            reopened_by: principal.userId!,
            reopened_at: at,
            open_until: openUntil,
          })
          .execute();
        const approved = await trx
          .selectFrom("data_values")
          .selectAll()
          .where("agency_code", "=", key.agency)
          .where("area_id", "=", key.area)
          .where("period", "=", period.code)
          .where("status", "=", "approved")
          .where("superseded_at", "is", null)
          .execute()
          // Mirrored figures stay as their owner approved them.
          .then(async (rows) => {
            const owned = await ownersOf(trx);
            return rows.filter((v) => !owned(v.indicator_code, v.area_id));
          });
        const summary = await writeRows(
          trx,
          ctx,
          approved.map((v) => restated(v, period.type)),
          // The approved figures stay published until their correction is submitted (docs/decisions/0008).
          { channel: "review", status: "returned", reviewComment: `Mở lại: ${reason}`, keepPublished: true },
          { dryRun: false, now: at },
        );
        await recordAudit(trx, ctx, {
          action: "report.reopen",
          entityType: "report",
          entityId: `${key.agency}|${key.area}|${period.code}`,
          after: { openUntil: openUntil.toISOString(), reopenedValues: approved.length, batchId: summary.batchId },
          reason,
        });
        return { openUntil: openUntil.toISOString(), reopenedValues: approved.length };
      });
    },
  };
}
