import { foldVietnamese, taskStatusLabels, type TaskStatus } from "@dieuhanh/core";
import type { Executor } from "../db/bulk";
import { agencyRepository } from "../agencies/repository";
import { presentAgencyLink, withPredecessors } from "../agencies/succession";
import { scopeChecker } from "../auth/scope";
import { NotFoundError } from "../errors";
import { loadTaskRows, statusOf, type TaskRow } from "./facts";
import { taskRepository } from "./repository";

export interface TaskListQuery {
  source?: string;
  document?: string;
  section?: string;
  agency?: string;
  role?: "lead" | "coordinating";
  deadlineKind?: string;
  status?: TaskStatus[];
  authority?: string;
  dueFrom?: string;
  dueTo?: string;
  /** Top-level tasks only (sub-tasks are listed under their task). */
  topLevel?: boolean;
  q?: string;
  /** Tasks of this area: their document's area within its subtree, or a lead agency seated there. */
  area?: string;
  sort?: "document" | "due";
  limit: number;
  offset: number;
}

/**
 * Reading tasks: the list with computed statuses and every filter of the task screen, and one task with
 * its agencies, sub-tasks, reports, indicators and timeline. Statuses are computed for `today`.
 */
export function taskService(db: Executor, options: { today: () => string }) {
  const repo = taskRepository(db);
  const agencies = agencyRepository(db);

  async function present(rows: TaskRow[], today: string) {
    const all = await agencies.all();
    const byCode = new Map(all.map((a) => [a.code, a]));
    const links = await repo.agenciesOf(rows.map((t) => t.code));
    const sections = await repo.sectionNames();
    return rows.map((t) => {
      const s = statusOf(t, today);
      return {
        code: t.code,
        taskListId: t.task_list_id,
        documentId: t.document_id,
        seq: t.seq,
        section: t.section_code,
        sectionName: sections.get(`${t.task_list_id}|${t.section_code}`) ?? null,
        stt: t.stt,
        name: t.name,
        nameAsWritten: t.name_as_written,
        expectedResult: t.expected_result_as_written,
        deadline: {
          asWritten: t.deadline_as_written,
          kind: t.deadline_kind,
          precision: t.deadline_precision,
          dueDate: t.deadline_date,
          from: t.deadline_from,
          to: t.deadline_to,
          note: t.deadline_note,
        },
        leadAgenciesAsWritten: t.lead_agencies_as_written,
        leadAgencies: links.filter((l) => l.task_code === t.code && l.role === "lead").map((l) => presentAgencyLink(l, byCode)),
        coordinatingAgenciesAsWritten: t.coordinating_agencies_as_written,
        coordinatingAgencies: links
          .filter((l) => l.task_code === t.code && l.role === "coordinating")
          .map((l) => presentAgencyLink(l, byCode)),
        sourceLine: t.source_line,
        note: t.note,
        origin: t.origin,
        assignedBy: t.assigned_by,
        priority: t.priority,
        parentCode: t.parent_code,
        reportCadence: t.report_cadence,
        extendedTo: t.extended_to,
        completedOn: t.completed_on,
        closedAs: t.closed_as,
        closedReason: t.closed_reason,
        status: s.status,
        statusLabel: taskStatusLabels[s.status],
        dueDate: s.dueDate,
        daysLeft: s.daysLeft,
        lastReportOn: t.last_report_on,
        lastPercent: t.last_percent,
        pendingReports: t.pending_reports,
        version: t.version,
      };
    });
  }

  /** Codes of the tasks an agency leads or coordinates (its predecessors' included). */
  async function tasksOfAgency(agency: string, role?: "lead" | "coordinating"): Promise<Set<string>> {
    const all = await agencies.all();
    if (!all.some((a) => a.code === agency)) throw new NotFoundError(`Không tìm thấy cơ quan có mã '${agency}'`, "agency");
    return new Set(await repo.tasksOfAgencies(withPredecessors(agency, all), role));
  }

  /**
   * Codes of the tasks of an area: the document that assigned the task was issued for an area within the
   * subtree (old units merged into it included), or one of its lead agencies — or the agency that
   * succeeded it — is seated there. Tasks of neither kind (national documents, national agencies) belong
   * to the whole country only.
   */
  async function tasksOfArea(area: string): Promise<Set<string> | null> {
    const known = await db.selectFrom("areas").select(["id", "parent_id"]).where("id", "=", area).executeTakeFirst();
    if (!known) throw new NotFoundError(`Không tìm thấy địa bàn có mã '${area}'`, "area");
    if (known.parent_id === null) return null; // the whole country: every task
    const within = await scopeChecker(db).subtree(area);
    const all = await agencies.all();
    const byCode = new Map(all.map((a) => [a.code, a]));
    const seated = (code: string): boolean => {
      // Follow succession: a dissolved agency's tasks belong where its successor sits, and where it sat.
      for (
        let a = byCode.get(code), hops = 0;
        a && hops < 10;
        a = a.successor_code ? byCode.get(a.successor_code) : undefined, hops++
      )
        if (a.province_code !== null && within.has(a.province_code)) return true;
      return false;
    };
    const { docs, leads } = await repo.areaFacts();
    const codes = new Set(docs.filter((d) => d.area_id !== null && within.has(d.area_id)).map((d) => d.code));
    for (const l of leads) if (seated(l.agency_code)) codes.add(l.task_code);
    return codes;
  }

  async function filtered(query: TaskListQuery, today: string): Promise<TaskRow[]> {
    let rows = await loadTaskRows(db);
    if (query.source) {
      const lists = await repo.taskListsOf(query.source);
      rows = rows.filter((t) => t.task_list_id !== null && lists.has(t.task_list_id));
    }
    if (query.document) rows = rows.filter((t) => t.document_id === query.document);
    if (query.section) rows = rows.filter((t) => t.section_code === query.section);
    if (query.deadlineKind) rows = rows.filter((t) => t.deadline_kind === query.deadlineKind);
    if (query.authority) rows = rows.filter((t) => t.assigned_by === query.authority);
    if (query.topLevel) rows = rows.filter((t) => t.parent_code === null);
    if (query.agency) {
      const codes = await tasksOfAgency(query.agency, query.role);
      rows = rows.filter((t) => codes.has(t.code));
    }
    if (query.area) {
      const codes = await tasksOfArea(query.area);
      if (codes) rows = rows.filter((t) => codes.has(t.code));
    }
    if (query.q) {
      const matches = await repo.searchCodes(foldVietnamese(query.q));
      rows = rows.filter((t) => matches.has(t.code));
    }
    if (query.status?.length || query.dueFrom || query.dueTo) {
      rows = rows.filter((t) => {
        const s = statusOf(t, today);
        if (query.status?.length && !query.status.includes(s.status)) return false;
        if ((query.dueFrom || query.dueTo) && s.dueDate === null) return false;
        if (query.dueFrom && s.dueDate! < query.dueFrom) return false;
        if (query.dueTo && s.dueDate! > query.dueTo) return false;
        return true;
      });
    }
    if (query.sort === "due")
      rows = [...rows].sort((a, b) => (statusOf(a, today).dueDate ?? "9999").localeCompare(statusOf(b, today).dueDate ?? "9999"));
    return rows;
  }

  return {
    async taskLists() {
      const lists = await repo.taskLists();
      return {
        total: lists.length,
        items: lists.map((l) => ({
          id: l.id,
          catalogueId: l.catalogue_id,
          documentId: l.document_id,
          appendix: l.appendix,
          title: l.title,
          taskCount: l.taskCount,
          sections: l.sections.map((s) => ({ code: s.code, name: s.name_as_written })),
        })),
      };
    },

    async list(query: TaskListQuery) {
      const today = options.today();
      const rows = await filtered(query, today);
      return {
        total: rows.length,
        items: await present(rows.slice(query.offset, query.offset + query.limit), today),
        asOf: today,
      };
    },

    /** All the tasks a query selects, presented (for exports and scorecards). */
    async all(query: Omit<TaskListQuery, "limit" | "offset">) {
      const today = options.today();
      return present(await filtered({ ...query, limit: 0, offset: 0 }, today), today);
    },

    /** One task; `viewerId` (the caller) learns which reports are their own (four eyes: not theirs to accept). */
    async get(code: string, viewerId: string | null = null) {
      const today = options.today();
      const [row] = await loadTaskRows(db, [code]);
      if (!row) throw new NotFoundError(`Không có nhiệm vụ mã '${code}'`);
      const [task] = await present([row], today);
      const subRows = (await loadTaskRows(db)).filter((t) => t.parent_code === code);
      const [reports, events, indicators, document] = await Promise.all([
        repo.reports(code),
        repo.events(code),
        repo.indicators(code),
        row.document_id ? db.selectFrom("documents").selectAll().where("id", "=", row.document_id).executeTakeFirst() : undefined,
      ]);
      return {
        ...task!,
        subTasks: await present(subRows, today),
        reports: reports.map(({ reporterId, ...r }) => ({ ...r, reportedByYou: viewerId !== null && reporterId === viewerId })),
        events,
        indicators,
        document: document
          ? {
              id: document.id,
              kind: document.kind,
              number: document.number,
              issuedOn: document.issued_on ? String(document.issued_on).slice(0, 10) : null,
              issuer: document.issuer,
              title: document.title,
            }
          : null,
        asOf: today,
      };
    },
  };
}
