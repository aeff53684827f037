import { describe, expect, it } from "vitest";
import { cadencePeriod, lastFinishedCadencePeriod, taskStatus, type TaskFacts } from "./status";

const facts = (f: Partial<TaskFacts>): TaskFacts => ({
  deadlineKind: "date",
  dueDate: "2025-06-30",
  rangeFrom: null,
  rangeTo: null,
  extendedTo: null,
  completedOn: null,
  closedAs: null,
  cadence: null,
  lastReportOn: null,
  createdOn: "2024-09-20",
  ...f,
});

describe("task status for a given day", () => {
  it("follows the due date: in progress, due soon (7 days, the day itself included), overdue", () => {
    expect(taskStatus(facts({}), "2025-06-01")).toEqual({ status: "in_progress", dueDate: "2025-06-30", daysLeft: 29 });
    expect(taskStatus(facts({}), "2025-06-23").status).toBe("due_soon");
    expect(taskStatus(facts({}), "2025-06-30").status).toBe("due_soon");
    expect(taskStatus(facts({}), "2025-07-01")).toEqual({ status: "overdue", dueDate: "2025-06-30", daysLeft: -1 });
  });

  it("judges completion against the due date in force, an accepted extension included", () => {
    expect(taskStatus(facts({ completedOn: "2025-06-30" }), "2025-12-01").status).toBe("done_on_time");
    expect(taskStatus(facts({ completedOn: "2025-07-02" }), "2025-12-01").status).toBe("done_late");
    expect(taskStatus(facts({ completedOn: "2025-07-02", extendedTo: "2025-07-31" }), "2025-12-01").status).toBe("done_on_time");
    expect(taskStatus(facts({ extendedTo: "2025-07-31" }), "2025-07-10").status).toBe("in_progress");
  });

  it("keeps cancelled and adjusted tasks closed whatever the dates", () => {
    expect(taskStatus(facts({ closedAs: "cancelled" }), "2026-01-01").status).toBe("cancelled");
    expect(taskStatus(facts({ closedAs: "adjusted", completedOn: "2025-01-01" }), "2026-01-01").status).toBe("adjusted");
  });

  it("uses the end of a range, and says not yet due before it starts", () => {
    const range = facts({ deadlineKind: "range", dueDate: null, rangeFrom: "2025-01-01", rangeTo: "2025-12-31" });
    expect(taskStatus(range, "2024-12-31").status).toBe("not_yet_due");
    expect(taskStatus(range, "2025-12-28").status).toBe("due_soon");
    expect(taskStatus(range, "2026-01-01").status).toBe("overdue");
  });

  it("keeps recurring tasks in progress unless a cadence report is missing past its grace days", () => {
    const recurring = facts({ deadlineKind: "recurring", dueDate: null });
    expect(taskStatus(recurring, "2026-01-01")).toEqual({ status: "in_progress", dueDate: null, daysLeft: null });
    const quarterly = { ...recurring, cadence: "quarter" as const };
    expect(taskStatus({ ...quarterly, lastReportOn: "2025-08-15" }, "2025-10-05").status).toBe("in_progress"); // grace
    expect(taskStatus({ ...quarterly, lastReportOn: "2025-08-15" }, "2025-10-12").status).toBe("in_progress"); // Q3 reported
    expect(taskStatus({ ...quarterly, lastReportOn: "2025-05-15" }, "2025-10-12").status).toBe("overdue"); // Q3 missing
    expect(taskStatus({ ...quarterly, createdOn: "2025-10-01" }, "2025-10-12").status).toBe("in_progress"); // created after Q3
  });

  it("treats tasks due when asked, or with an unreadable deadline, as in progress", () => {
    expect(taskStatus(facts({ deadlineKind: "on_request", dueDate: null }), "2030-01-01").status).toBe("in_progress");
    expect(taskStatus(facts({ deadlineKind: "unknown", dueDate: null }), "2030-01-01").status).toBe("in_progress");
  });

  it("computes cadence periods", () => {
    expect(cadencePeriod("quarter", "2025-08-15")).toEqual({ start: "2025-07-01", end: "2025-09-30" });
    expect(cadencePeriod("half_year", "2025-12-31")).toEqual({ start: "2025-07-01", end: "2025-12-31" });
    expect(lastFinishedCadencePeriod("month", "2025-01-10")).toEqual({ start: "2024-12-01", end: "2024-12-31" });
    expect(lastFinishedCadencePeriod("year", "2025-03-01")).toEqual({ start: "2024-01-01", end: "2024-12-31" });
  });
});
