/**
 * A task's status (tình trạng nhiệm vụ), computed from its dates and reports for a given day — never
 * stored, so that it is the same for everyone on that day and tests can fix the day.
 *
 * - cancelled / adjusted: closed by a document (or the office) — final;
 * - done_on_time / done_late: completion accepted; on time when the lead reported it done on or before
 *   the due date (the original one, or one extended by an accepted request);
 * - overdue: not done and the due date has passed; for a recurring task with a reporting cadence, the
 *   report for the last finished cadence period is missing past its grace days;
 * - due_soon: not done and due within `dueSoonDays` (7) days, today included;
 * - not_yet_due: a task whose range has not started yet;
 * - in_progress: everything else that is open (including tasks due "when asked" or with no deadline).
 */
export const taskStatuses = [
  "not_yet_due",
  "in_progress",
  "due_soon",
  "overdue",
  "done_on_time",
  "done_late",
  "cancelled",
  "adjusted",
] as const;
export type TaskStatus = (typeof taskStatuses)[number];

export const taskStatusLabels: Record<TaskStatus, string> = {
  not_yet_due: "Chưa đến kỳ thực hiện",
  in_progress: "Đang thực hiện",
  due_soon: "Sắp đến hạn",
  overdue: "Quá hạn",
  done_on_time: "Hoàn thành đúng hạn",
  done_late: "Hoàn thành quá hạn",
  cancelled: "Đã hủy",
  adjusted: "Đã điều chỉnh",
};

export type ReportCadence = "month" | "quarter" | "half_year" | "year";

export interface TaskFacts {
  deadlineKind: "date" | "range" | "recurring" | "on_request" | "unknown";
  dueDate: string | null;
  rangeFrom: string | null;
  rangeTo: string | null;
  /** A later due date granted by an accepted extension request. */
  extendedTo: string | null;
  /** The day the lead reported the task done, once the office accepted it. */
  completedOn: string | null;
  closedAs: "cancelled" | "adjusted" | null;
  /** Recurring tasks: how often progress is due, and the day of the latest report. */
  cadence: ReportCadence | null;
  lastReportOn: string | null;
  createdOn: string;
}

export interface TaskStatusResult {
  status: TaskStatus;
  /** The due date in force (extension included); null when there is none. */
  dueDate: string | null;
  /** Days from today to the due date (negative when late); null without a due date. */
  daysLeft: number | null;
}

export const DUE_SOON_DAYS = 7;
/** Days after a cadence period ends by which its progress report is due. */
export const CADENCE_GRACE_DAYS = 10;

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
const iso = (d: number) => new Date(d * 86_400_000).toISOString().slice(0, 10);

/** The due date the facts imply, before extensions. */
export function originalDueDate(f: Pick<TaskFacts, "deadlineKind" | "dueDate" | "rangeTo">): string | null {
  if (f.deadlineKind === "date") return f.dueDate;
  if (f.deadlineKind === "range") return f.rangeTo;
  return null;
}

const monthsPer: Record<ReportCadence, number> = { month: 1, quarter: 3, half_year: 6, year: 12 };

/** The cadence period (month, quarter, half-year, year) that contains `date`. */
export function cadencePeriod(cadence: ReportCadence, date: string): { start: string; end: string } {
  const [y, m] = date.split("-").map(Number) as [number, number];
  const per = monthsPer[cadence];
  const startMonth = Math.floor((m - 1) / per) * per + 1;
  const start = `${y}-${String(startMonth).padStart(2, "0")}-01`;
  const next = startMonth + per > 12 ? `${y + 1}-01-01` : `${y}-${String(startMonth + per).padStart(2, "0")}-01`;
  return { start, end: iso(day(next) - 1) };
}

/** The last cadence period that finished before `today`. */
export function lastFinishedCadencePeriod(cadence: ReportCadence, today: string): { start: string; end: string } {
  return cadencePeriod(cadence, iso(day(cadencePeriod(cadence, today).start) - 1));
}

export function taskStatus(f: TaskFacts, today: string, dueSoonDays = DUE_SOON_DAYS): TaskStatusResult {
  const due = f.extendedTo ?? originalDueDate(f);
  const daysLeft = due === null ? null : day(due) - day(today);
  const result = (status: TaskStatus): TaskStatusResult => ({ status, dueDate: due, daysLeft });
  if (f.closedAs) return result(f.closedAs);
  if (f.completedOn) return result(due === null || f.completedOn <= due ? "done_on_time" : "done_late");
  if (f.deadlineKind === "recurring") {
    if (!f.cadence) return result("in_progress");
    const last = lastFinishedCadencePeriod(f.cadence, today);
    if (last.end < f.createdOn) return result("in_progress");
    const reported = f.lastReportOn !== null && f.lastReportOn >= last.start;
    const graceOver = day(today) > day(last.end) + CADENCE_GRACE_DAYS;
    return result(!reported && graceOver ? "overdue" : "in_progress");
  }
  if (f.deadlineKind === "range" && f.rangeFrom && today < f.rangeFrom) return result("not_yet_due");
  if (daysLeft === null) return result("in_progress");
  if (daysLeft < 0) return result("overdue");
  if (daysLeft <= dueSoonDays) return result("due_soon");
  return result("in_progress");
}
