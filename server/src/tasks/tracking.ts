import { foldVietnamese, formatDate, type ReportCadence } from "@dieuhanh/core";
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { agencyRepository } from "../agencies/repository";
import { withPredecessors } from "../agencies/succession";
import { recordAudit } from "../audit/service";
import type { Principal, RequestContext } from "../auth/principal";
import { requireSecondPerson } from "../auth/four-eyes";
import { scopeChecker } from "../auth/scope";
import type { Executor } from "../db/bulk";
import type { Schema } from "../db/schema";
import { attachmentRepository } from "../documents/attachments";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, UnauthorizedError } from "../errors";
import { progressReported, progressReviewed, taskAssigned } from "../notifications/service";
import { loadTaskRows, statusOf } from "./facts";

export type DeadlineInput =
  | { kind: "date"; dueDate: string }
  | { kind: "range"; from: string; to: string }
  | { kind: "recurring"; cadence: ReportCadence | null }
  | { kind: "on_request" };

export interface TaskInput {
  documentId: string | null;
  name: string;
  expectedResult: string | null;
  deadline: DeadlineInput;
  leadAgencies: string[];
  coordinatingAgencies: string[];
  assignedBy: string | null;
  priority: "normal" | "high" | "urgent";
  parentCode: string | null;
  indicators: string[];
}

export interface ReportInput {
  agency: string;
  body: string;
  percent: number | null;
  claimsCompletion: boolean;
  proposedDeadline: string | null;
  attachmentIds: string[];
}

const actorOf = (p: Principal | null) => p?.displayName ?? "hệ thống";

async function addEvent(trx: Executor, code: string, kind: string, ctx: RequestContext, detail: string | null) {
  await trx
    .insertInto("task_events")
    .values({ task_code: code, kind, actor: actorOf(ctx.principal), detail })
    .execute();
}

function deadlineColumns(d: DeadlineInput) {
  const base = {
    deadline_date: null,
    deadline_from: null,
    deadline_to: null,
    deadline_precision: null,
    report_cadence: null,
  } as {
    deadline_date: string | null;
    deadline_from: string | null;
    deadline_to: string | null;
    deadline_precision: string | null;
    report_cadence: ReportCadence | null;
  };
  switch (d.kind) {
    case "date":
      return {
        ...base,
        deadline_kind: "date" as const,
        deadline_date: d.dueDate,
        deadline_precision: "day",
        deadline_as_written: formatDate(d.dueDate),
      };
    case "range":
      return {
        ...base,
        deadline_kind: "range" as const,
        deadline_from: d.from,
        deadline_to: d.to,
        deadline_as_written: `${formatDate(d.from)} - ${formatDate(d.to)}`,
      };
    case "recurring":
      return { ...base, deadline_kind: "recurring" as const, report_cadence: d.cadence, deadline_as_written: "Thường xuyên" };
    case "on_request":
      return { ...base, deadline_kind: "on_request" as const, deadline_as_written: "Theo yêu cầu" };
  }
}

/**
 * Changing tasks: assigning by hand or from a document, editing (with a reason once the task is closed or
 * accepted), progress reports by the agencies in charge, the office's acceptance or return, extensions and
 * closing by a document. Every step is validated first, written in one transaction, put on the task's
 * timeline and in the audit trail.
 */
export function taskTracking(db: Kysely<Schema>, options: { today: () => string }) {
  async function checkAgencies(trx: Executor, codes: string[], field: string) {
    if (codes.length === 0) return;
    const found = await trx
      .selectFrom("agencies")
      .select(["code", "dissolved_on", "successor_code"])
      .where("code", "in", codes)
      .execute();
    for (const code of codes) {
      const a = found.find((f) => f.code === code);
      if (!a) throw new InvalidInputError(`Không có cơ quan mã '${code}'`, field);
      if (a.dissolved_on)
        throw new InvalidInputError(
          `Cơ quan '${code}' đã giải thể${a.successor_code ? `; giao cho ${a.successor_code}` : ""}`,
          field,
        );
    }
  }

  function checkDeadline(d: DeadlineInput, today: string) {
    if (d.kind === "date" && d.dueDate < today)
      throw new InvalidInputError(`Thời hạn ${formatDate(d.dueDate)} đã qua`, "deadline");
    if (d.kind === "range") {
      if (d.to < d.from) throw new InvalidInputError("Ngày kết thúc trước ngày bắt đầu", "deadline");
      if (d.to < today) throw new InvalidInputError(`Thời hạn ${formatDate(d.to)} đã qua`, "deadline");
    }
  }

  /** The office acts only on tasks its scope reaches: a province's office on its own agencies' tasks. */
  async function requireTaskScope(trx: Executor, principal: Principal, code: string) {
    const agencies = await trx.selectFrom("task_agencies").select("agency_code").where("task_code", "=", code).execute();
    if (principal.scope.agencies === null && principal.scope.areaId === null) return;
    if (
      !(await scopeChecker(trx).coversAgencyInArea(
        principal,
        agencies.map((a) => a.agency_code),
      ))
    )
      throw new ForbiddenError(`Nhiệm vụ ${code} do cơ quan ngoài phạm vi của bạn chủ trì hoặc phối hợp`);
  }

  async function requireTask(trx: Executor, code: string) {
    const [task] = await loadTaskRows(trx, [code]);
    if (!task) throw new NotFoundError(`Không có nhiệm vụ mã '${code}'`);
    return task;
  }

  async function nextCode(trx: Executor, today: string): Promise<string> {
    const year = today.slice(0, 4);
    const r = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM tasks WHERE origin = 'manual' AND code LIKE ${`NV-${year}-%`}`.execute(trx);
    return `NV-${year}-${String((r.rows[0]?.n ?? 0) + 1).padStart(4, "0")}`;
  }

  return {
    async create(ctx: RequestContext, input: TaskInput) {
      if (!ctx.principal) throw new UnauthorizedError();
      const today = options.today();
      const name = input.name.trim();
      if (name.length < 5) throw new InvalidInputError("Tên nhiệm vụ quá ngắn", "name");
      if (input.leadAgencies.length === 0) throw new InvalidInputError("Cần ít nhất một cơ quan chủ trì", "leadAgencies");
      const overlap = input.leadAgencies.filter((c) => input.coordinatingAgencies.includes(c));
      if (overlap.length)
        throw new InvalidInputError(`Cơ quan ${overlap.join(", ")} vừa chủ trì vừa phối hợp`, "coordinatingAgencies");
      checkDeadline(input.deadline, today);
      return db.transaction().execute(async (trx) => {
        await checkAgencies(trx, input.leadAgencies, "leadAgencies");
        await checkAgencies(trx, input.coordinatingAgencies, "coordinatingAgencies");
        for (const agency of input.leadAgencies)
          if (!(await scopeChecker(trx).coversAgencyInArea(ctx.principal!, [agency])))
            throw new ForbiddenError(`Cơ quan ${agency} ngoài phạm vi của bạn: không giao nhiệm vụ được`);
        let document = null;
        if (input.documentId) {
          document = await trx
            .selectFrom("documents")
            .select(["id", "issuer"])
            .where("id", "=", input.documentId)
            .executeTakeFirst();
          if (!document) throw new InvalidInputError(`Không có văn bản '${input.documentId}'`, "documentId");
        }
        if (input.parentCode) {
          const parent = await requireTask(trx, input.parentCode);
          const parentAgencies = await trx
            .selectFrom("task_agencies")
            .select("agency_code")
            .where("task_code", "=", parent.code)
            .execute();
          const allowed = new Set(parentAgencies.map((a) => a.agency_code));
          const outside = input.leadAgencies.filter((c) => !allowed.has(c));
          if (outside.length)
            throw new InvalidInputError(
              `Nhiệm vụ con chỉ giao cho cơ quan chủ trì hoặc phối hợp của ${parent.code}; ${outside.join(", ")} không thuộc`,
              "leadAgencies",
            );
          if (parent.closed_as || parent.completed_on)
            throw new InvalidInputError(`Nhiệm vụ ${parent.code} đã kết thúc`, "parentCode");
        }
        if (input.indicators.length) {
          const found = await trx.selectFrom("indicators").select("code").where("code", "in", input.indicators).execute();
          const missing = input.indicators.filter((c) => !found.some((f) => f.code === c));
          if (missing.length) throw new InvalidInputError(`Không có chỉ số ${missing.join(", ")}`, "indicators");
        }
        const code = await nextCode(trx, today);
        const agencyNames = await trx
          .selectFrom("agencies")
          .select(["code", "name"])
          .where("code", "in", [...input.leadAgencies, ...input.coordinatingAgencies])
          .execute();
        const nameOf = (c: string) => agencyNames.find((a) => a.code === c)!.name;
        await trx
          .insertInto("tasks")
          .values({
            code,
            name,
            name_as_written: name,
            expected_result_as_written: input.expectedResult,
            ...deadlineColumns(input.deadline),
            deadline_note: null,
            lead_agencies_as_written: input.leadAgencies.map(nameOf).join(", "),
            coordinating_agencies_as_written: input.coordinatingAgencies.map(nameOf).join(", ") || null,
            note: null,
            stt: null,
            task_list_id: null,
            seq: null,
            section_code: null,
            source_line: null,
            search_text: foldVietnamese([code, name, input.expectedResult].filter(Boolean).join(" ")),
            origin: "manual",
            document_id: input.documentId,
            assigned_by: input.assignedBy ?? document?.issuer ?? null,
            priority: input.priority,
            parent_code: input.parentCode,
            extended_to: null,
            completed_on: null,
            closed_as: null,
            closed_by_document_id: null,
            closed_reason: null,
            created_by: ctx.principal!.userId,
            created_on: today,
          })
          .execute();
        const links = [
          ...input.leadAgencies.map((c, i) => ({
            task_code: code,
            role: "lead" as const,
            position: i + 1,
            agency_code: c,
            as_written: nameOf(c),
          })),
          ...input.coordinatingAgencies.map((c, i) => ({
            task_code: code,
            role: "coordinating" as const,
            position: i + 1,
            agency_code: c,
            as_written: nameOf(c),
          })),
        ];
        await trx.insertInto("task_agencies").values(links).execute();
        if (input.indicators.length)
          await trx
            .insertInto("task_indicators")
            .values(input.indicators.map((i) => ({ task_code: code, indicator_code: i })))
            .execute();
        await addEvent(trx, code, "created", ctx, input.parentCode ? `Nhiệm vụ con của ${input.parentCode}` : null);
        await recordAudit(trx, ctx, { action: "task.create", entityType: "task", entityId: code, after: input });
        await taskAssigned(trx, code, input.leadAgencies, ctx.principal!.userId);
        return { code };
      });
    },

    /** Edits a task. A closed or accepted task, or a new deadline, needs a reason. */
    async update(
      ctx: RequestContext,
      code: string,
      patch: {
        name?: string;
        expectedResult?: string | null;
        deadline?: DeadlineInput;
        priority?: "normal" | "high" | "urgent";
        reportCadence?: ReportCadence | null;
        version: number;
        reason?: string | null;
      },
    ) {
      if (!ctx.principal) throw new UnauthorizedError();
      const today = options.today();
      return db.transaction().execute(async (trx) => {
        const before = await requireTask(trx, code);
        await requireTaskScope(trx, ctx.principal!, code);
        if (before.version !== patch.version)
          throw new ConflictError(
            `Nhiệm vụ ${code} vừa được người khác sửa (phiên bản ${before.version}); tải lại rồi sửa`,
            "version",
          );
        const reason = patch.reason?.trim() || null;
        const finished = before.completed_on !== null || before.closed_as !== null;
        if (finished && (!reason || reason.length < 5))
          throw new InvalidInputError(
            `Nhiệm vụ ${code} đã ${before.closed_as ? "kết thúc" : "được công nhận hoàn thành"}: sửa cần ghi lý do`,
            "reason",
          );
        if (patch.deadline) {
          if (!reason || reason.length < 5)
            throw new InvalidInputError("Đổi thời hạn cần ghi lý do (ví dụ văn bản cho phép)", "reason");
          checkDeadline(patch.deadline, today);
        }
        const set = {
          ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
          ...(patch.expectedResult !== undefined ? { expected_result_as_written: patch.expectedResult } : {}),
          ...(patch.deadline ? deadlineColumns(patch.deadline) : {}),
          ...(patch.priority ? { priority: patch.priority } : {}),
          ...(patch.reportCadence !== undefined ? { report_cadence: patch.reportCadence } : {}),
          version: before.version + 1,
        };
        await trx.updateTable("tasks").set(set).where("code", "=", code).execute();
        const after = await requireTask(trx, code);
        await addEvent(trx, code, "edited", ctx, reason);
        await recordAudit(trx, ctx, { action: "task.update", entityType: "task", entityId: code, before, after, reason });
        return { code, version: after.version };
      });
    },

    /** A progress report by an agency in charge of the task (lead or coordinating), within the caller's scope. */
    async report(ctx: RequestContext, code: string, input: ReportInput) {
      const principal = ctx.principal;
      if (!principal?.userId) throw new UnauthorizedError();
      const today = options.today();
      if (input.body.trim().length < 5) throw new InvalidInputError("Nội dung báo cáo quá ngắn", "body");
      if (input.proposedDeadline && input.proposedDeadline <= today)
        throw new InvalidInputError("Thời hạn đề xuất phải sau hôm nay", "proposedDeadline");
      return db.transaction().execute(async (trx) => {
        const task = await requireTask(trx, code);
        const all = await agencyRepository(trx).all();
        const inCharge = await trx
          .selectFrom("task_agencies")
          .select(["agency_code", "role"])
          .where("task_code", "=", code)
          .execute();
        // An agency reports for the tasks of the agencies it succeeded, too.
        // Checked on the transaction: PGlite has one connection, held by it.
        if (!(await scopeChecker(trx).coversAnyAgency(principal, [input.agency])))
          throw new ForbiddenError(`Cơ quan ${input.agency} ngoài phạm vi được giao của bạn`);
        const link = inCharge.find((l) => withPredecessors(input.agency, all).includes(l.agency_code));
        if (!link)
          throw new ForbiddenError(`Cơ quan ${input.agency} không chủ trì hay phối hợp nhiệm vụ ${code}: không nhận báo cáo`);
        if (task.closed_as)
          throw new InvalidInputError(
            `Nhiệm vụ ${code} đã ${task.closed_as === "cancelled" ? "hủy" : "điều chỉnh"}, không nhận báo cáo`,
          );
        if (task.completed_on) throw new InvalidInputError(`Nhiệm vụ ${code} đã được công nhận hoàn thành`);
        if (input.claimsCompletion && link.role !== "lead")
          throw new InvalidInputError("Chỉ cơ quan chủ trì báo cáo hoàn thành nhiệm vụ", "claimsCompletion");
        if (!(await attachmentRepository(trx).exist(input.attachmentIds)))
          throw new InvalidInputError("Tệp đính kèm không tồn tại", "attachmentIds");
        const inserted = await trx
          .insertInto("task_reports")
          .values({
            task_code: code,
            agency_code: input.agency,
            body: input.body.trim(),
            percent: input.claimsCompletion ? 100 : input.percent,
            claims_completion: input.claimsCompletion,
            proposed_deadline: input.proposedDeadline,
            attachment_ids: input.attachmentIds,
            reported_by: principal.userId!,
            reported_on: today,
            // A report asking for nothing is noted at once; a claim or a request waits for the office.
            review: input.claimsCompletion || input.proposedDeadline ? "pending" : "noted",
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        const what = input.claimsCompletion
          ? "Báo cáo hoàn thành"
          : input.proposedDeadline
            ? `Đề nghị gia hạn đến ${formatDate(input.proposedDeadline)}`
            : `Báo cáo tiến độ${input.percent !== null ? ` ${input.percent}%` : ""}`;
        await addEvent(trx, code, "report", ctx, `${what} (${input.agency})`);
        if (input.claimsCompletion || input.proposedDeadline)
          await progressReported(trx, {
            id: String(inserted.id),
            taskCode: code,
            agency: input.agency,
            what,
            by: principal.userId,
          });
        await recordAudit(trx, ctx, {
          action: "task.report",
          entityType: "task",
          entityId: code,
          after: { id: String(inserted.id), ...input },
        });
        return { id: String(inserted.id), status: statusOf((await loadTaskRows(trx, [code]))[0]!, today).status };
      });
    },

    /** The office accepts a report (completion or extension) or sends it back with a comment. */
    async review(ctx: RequestContext, code: string, reportId: string, action: "accept" | "return", comment: string | null) {
      if (!ctx.principal?.userId) throw new UnauthorizedError();
      const today = options.today();
      const note = comment?.trim() || null;
      if (action === "return" && (!note || note.length < 5)) throw new InvalidInputError("Trả lại cần ghi rõ lý do", "comment");
      return db.transaction().execute(async (trx) => {
        const task = await requireTask(trx, code);
        const report = await trx
          .selectFrom("task_reports")
          .selectAll()
          .where("id", "=", reportId)
          .where("task_code", "=", code)
          .executeTakeFirst();
        if (!report) throw new NotFoundError(`Không có báo cáo ${reportId} của nhiệm vụ ${code}`);
        await requireTaskScope(trx, ctx.principal!, code);
        if (report.review !== "pending") throw new InvalidInputError("Báo cáo này đã được xem xét");
        if (action === "accept") requireSecondPerson(ctx.principal!, [report.reported_by], "công nhận báo cáo");
        await trx
          .updateTable("task_reports")
          .set({
            review: action === "accept" ? "accepted" : "returned",
            reviewed_by: ctx.principal!.userId,
            reviewed_at: new Date(),
            review_comment: note,
          })
          .where("id", "=", reportId)
          .execute();
        const changes: Record<string, unknown> = {};
        if (action === "accept" && report.claims_completion) changes.completed_on = String(report.reported_on).slice(0, 10);
        if (action === "accept" && report.proposed_deadline) changes.extended_to = String(report.proposed_deadline).slice(0, 10);
        if (Object.keys(changes).length)
          await trx
            .updateTable("tasks")
            .set({ ...changes, version: task.version + 1 })
            .where("code", "=", code)
            .execute();
        const what =
          action === "return"
            ? `Trả lại báo cáo: ${note}`
            : report.claims_completion
              ? "Công nhận hoàn thành"
              : report.proposed_deadline
                ? `Đồng ý gia hạn đến ${formatDate(String(report.proposed_deadline).slice(0, 10))}`
                : "Ghi nhận báo cáo";
        await addEvent(trx, code, action === "accept" ? "accepted" : "returned", ctx, what);
        await progressReviewed(trx, {
          id: reportId,
          taskCode: code,
          agency: report.agency_code,
          reportedBy: report.reported_by,
          what,
          returned: action === "return",
        });
        await recordAudit(trx, ctx, {
          action: `task.report_${action}`,
          entityType: "task",
          entityId: code,
          before: task,
          after: changes,
          reason: note,
        });
        return { status: statusOf((await loadTaskRows(trx, [code]))[0]!, today).status };
      });
    },

    /** Cancels or adjusts a task; adjusting names the document that did it. */
    async close(
      ctx: RequestContext,
      code: string,
      input: { as: "cancelled" | "adjusted"; documentId: string | null; reason: string },
    ) {
      if (!ctx.principal) throw new UnauthorizedError();
      const reason = input.reason.trim();
      if (reason.length < 5) throw new InvalidInputError("Cần ghi rõ lý do", "reason");
      if (input.as === "adjusted" && !input.documentId)
        throw new InvalidInputError("Điều chỉnh nhiệm vụ cần văn bản điều chỉnh", "documentId");
      return db.transaction().execute(async (trx) => {
        const task = await requireTask(trx, code);
        await requireTaskScope(trx, ctx.principal!, code);
        if (task.closed_as) throw new InvalidInputError(`Nhiệm vụ ${code} đã kết thúc`);
        if (
          input.documentId &&
          !(await trx.selectFrom("documents").select("id").where("id", "=", input.documentId).executeTakeFirst())
        )
          throw new InvalidInputError(`Không có văn bản '${input.documentId}'`, "documentId");
        await trx
          .updateTable("tasks")
          .set({ closed_as: input.as, closed_by_document_id: input.documentId, closed_reason: reason, version: task.version + 1 })
          .where("code", "=", code)
          .execute();
        await addEvent(trx, code, input.as, ctx, reason);
        await recordAudit(trx, ctx, {
          action: `task.${input.as === "cancelled" ? "cancel" : "adjust"}`,
          entityType: "task",
          entityId: code,
          before: task,
          after: input,
          reason,
        });
        return { status: input.as };
      });
    },
  };
}
