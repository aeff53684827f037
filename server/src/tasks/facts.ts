import { taskStatus, type TaskFacts, type TaskStatus, type TaskStatusResult } from "@dieuhanh/core";
import { sql } from "kysely";
import type { Executor } from "../db/bulk";
import type { TasksTable } from "../db/schema";

/** One task with what its status is computed from. */
export interface TaskRow {
  code: string;
  task_list_id: string | null;
  seq: number | null;
  section_code: string | null;
  stt: string | null;
  name: string;
  name_as_written: string;
  expected_result_as_written: string | null;
  deadline_as_written: string | null;
  deadline_kind: TasksTable["deadline_kind"];
  deadline_precision: string | null;
  deadline_date: string | null;
  deadline_from: string | null;
  deadline_to: string | null;
  deadline_note: string | null;
  lead_agencies_as_written: string | null;
  coordinating_agencies_as_written: string | null;
  source_line: number | null;
  note: string | null;
  origin: "seed" | "manual";
  document_id: string | null;
  assigned_by: string | null;
  priority: "normal" | "high" | "urgent";
  parent_code: string | null;
  report_cadence: TaskFacts["cadence"];
  extended_to: string | null;
  completed_on: string | null;
  closed_as: TaskFacts["closedAs"];
  closed_reason: string | null;
  closed_by_document_id: string | null;
  created_on: string;
  version: number;
  last_report_on: string | null;
  last_percent: number | null;
  pending_reports: number;
}

const dateText = (v: unknown) =>
  v === null || v === undefined ? null : v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10);

/** Tasks (optionally only some) with their latest report, dates as ISO strings. */
export async function loadTaskRows(db: Executor, codes?: string[]): Promise<TaskRow[]> {
  if (codes && codes.length === 0) return [];
  const filter = codes ? sql`WHERE t.code = ANY(${codes})` : sql``;
  const rows = await sql<TaskRow>`
    SELECT t.code, t.task_list_id, t.seq, t.section_code, t.stt, t.name, t.name_as_written, t.expected_result_as_written,
           t.deadline_as_written, t.deadline_kind, t.deadline_precision, t.deadline_date, t.deadline_from, t.deadline_to,
           t.deadline_note, t.lead_agencies_as_written, t.coordinating_agencies_as_written, t.source_line, t.note, t.origin,
           t.document_id, t.assigned_by, t.priority, t.parent_code, t.report_cadence, t.extended_to, t.completed_on,
           t.closed_as, t.closed_reason, t.closed_by_document_id, t.created_on, t.version,
           r.last_report_on, r.last_percent, COALESCE(r.pending, 0)::int AS pending_reports
    FROM tasks t
    LEFT JOIN LATERAL (
      SELECT max(reported_on) AS last_report_on,
             (array_agg(percent ORDER BY reported_at DESC) FILTER (WHERE percent IS NOT NULL))[1] AS last_percent,
             count(*) FILTER (WHERE review = 'pending') AS pending
      FROM task_reports WHERE task_code = t.code AND review <> 'returned'
    ) r ON true
    ${filter}
    ORDER BY t.task_list_id NULLS LAST, t.seq NULLS LAST, t.code`.execute(db);
  return rows.rows.map((r) => ({
    ...r,
    deadline_date: dateText(r.deadline_date),
    deadline_from: dateText(r.deadline_from),
    deadline_to: dateText(r.deadline_to),
    extended_to: dateText(r.extended_to),
    completed_on: dateText(r.completed_on),
    created_on: dateText(r.created_on)!,
    last_report_on: dateText(r.last_report_on),
  }));
}

export function factsOf(t: TaskRow): TaskFacts {
  return {
    deadlineKind: t.deadline_kind,
    dueDate: t.deadline_date,
    rangeFrom: t.deadline_from,
    rangeTo: t.deadline_to,
    extendedTo: t.extended_to,
    completedOn: t.completed_on,
    closedAs: t.closed_as,
    cadence: t.report_cadence,
    lastReportOn: t.last_report_on,
    createdOn: t.created_on,
  };
}

export function statusOf(t: TaskRow, today: string): TaskStatusResult {
  return taskStatus(factsOf(t), today);
}

export const openStatuses: TaskStatus[] = ["not_yet_due", "in_progress", "due_soon", "overdue"];
