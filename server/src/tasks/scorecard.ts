import type { TaskStatus } from "@dieuhanh/core";
import type { Executor } from "../db/bulk";
import { agencyRepository } from "../agencies/repository";
import { currentAgency } from "../agencies/succession";
import { loadTaskRows, statusOf, type TaskRow } from "./facts";

export interface ScorecardQuery {
  by: "agency" | "authority";
  from?: string;
  to?: string;
  source?: string;
}

export interface ScorecardRow {
  key: string;
  name: string;
  assigned: number;
  doneOnTime: number;
  doneLate: number;
  overdue: number;
  inProgress: number;
  closed: number;
  /** Done on time ÷ (done on time + done late + overdue), in %; null when none of those. */
  onTimeRate: number | null;
}

/** Which scorecard column a status counts in. */
export const scorecardColumn: Record<TaskStatus, keyof Omit<ScorecardRow, "key" | "name" | "assigned" | "onTimeRate">> = {
  done_on_time: "doneOnTime",
  done_late: "doneLate",
  overdue: "overdue",
  in_progress: "inProgress",
  due_soon: "inProgress",
  not_yet_due: "inProgress",
  cancelled: "closed",
  adjusted: "closed",
};

/**
 * The task scorecard (bảng theo dõi kết quả thực hiện nhiệm vụ) per lead agency — the agency as it exists
 * today — or per assigning authority. A task counts in a period when its due date (extension included) falls
 * in it; tasks with no due date count when they were assigned before the period ends. Statuses as of `today`.
 * Cancelled and adjusted tasks are shown apart and left out of the rate.
 */
export async function scorecard(db: Executor, q: ScorecardQuery, today: string, inSource?: (t: TaskRow) => boolean) {
  const rows = (await loadTaskRows(db)).filter((t) => t.parent_code === null && (!inSource || inSource(t)));
  const leads = await db.selectFrom("task_agencies").select(["task_code", "agency_code"]).where("role", "=", "lead").execute();
  const agencies = new Map((await agencyRepository(db).all()).map((a) => [a.code, a]));
  const groups = new Map<string, ScorecardRow & { tasks: string[] }>();
  const counted: { code: string; status: TaskStatus }[] = [];
  for (const t of rows) {
    const s = statusOf(t, today);
    const inPeriod =
      s.dueDate !== null ? (!q.from || s.dueDate >= q.from) && (!q.to || s.dueDate <= q.to) : !q.to || t.created_on <= q.to;
    if (!inPeriod) continue;
    counted.push({ code: t.code, status: s.status });
    const keys =
      q.by === "authority"
        ? [t.assigned_by ?? "(không rõ)"]
        : [
            ...new Set(
              leads
                .filter((l) => l.task_code === t.code)
                .map((l) => currentAgency(l.agency_code, agencies)?.code ?? l.agency_code),
            ),
          ];
    for (const key of keys) {
      if (!groups.has(key))
        groups.set(key, {
          key,
          name: q.by === "authority" ? key : (agencies.get(key)?.name ?? key),
          assigned: 0,
          doneOnTime: 0,
          doneLate: 0,
          overdue: 0,
          inProgress: 0,
          closed: 0,
          onTimeRate: null,
          tasks: [],
        });
      const g = groups.get(key)!;
      g.assigned++;
      g[scorecardColumn[s.status]]++;
      g.tasks.push(t.code);
    }
  }
  const rate = (r: { doneOnTime: number; doneLate: number; overdue: number }) => {
    const d = r.doneOnTime + r.doneLate + r.overdue;
    return d === 0 ? null : Math.round((r.doneOnTime / d) * 1000) / 10;
  };
  const items = [...groups.values()]
    .map((g) => ({ ...g, onTimeRate: rate(g) }))
    .sort((a, b) => b.assigned - a.assigned || a.name.localeCompare(b.name, "vi"));
  const totals = { assigned: counted.length, doneOnTime: 0, doneLate: 0, overdue: 0, inProgress: 0, closed: 0 };
  for (const c of counted) totals[scorecardColumn[c.status]]++;
  return { items, totals: { ...totals, onTimeRate: rate(totals) }, asOf: today };
}
