import type { Insertable } from "kysely";
import type { Executor } from "../db/bulk";
import { insertJsonRows } from "../db/bulk";
import type { TaskAgenciesTable, TaskListsTable, TaskSectionsTable, TasksTable } from "../db/schema";
import { escapeLike } from "../areas/repository";

export function taskRepository(db: Executor) {
  return {
    /** Section names by "taskListId|section". */
    async sectionNames(): Promise<Map<string, string>> {
      const rows = await db.selectFrom("task_sections").select(["task_list_id", "code", "name_as_written"]).execute();
      return new Map(rows.map((r) => [`${r.task_list_id}|${r.code}`, r.name_as_written]));
    },

    /** Task lists matching a task list id or the id of its catalogue. */
    async taskListsOf(source: string): Promise<Set<string>> {
      const rows = await db
        .selectFrom("task_lists")
        .select("id")
        .where((eb) => eb.or([eb("id", "=", source), eb("catalogue_id", "=", source), eb("document_id", "=", source)]))
        .execute();
      return new Set(rows.map((r) => r.id));
    },

    async tasksOfAgencies(codes: string[], role?: "lead" | "coordinating"): Promise<string[]> {
      let q = db
        .selectFrom("task_agencies")
        .select("task_code")
        .distinct()
        .where("agency_code", "in", codes.length ? codes : [""]);
      if (role) q = q.where("role", "=", role);
      return (await q.execute()).map((r) => r.task_code);
    },

    /** Each task's document area and its lead agencies (for filtering by area). */
    async areaFacts() {
      const docs = await db
        .selectFrom("tasks as t")
        .leftJoin("documents as d", "d.id", "t.document_id")
        .select(["t.code", "d.area_id"])
        .execute();
      const leads = await db
        .selectFrom("task_agencies")
        .select(["task_code", "agency_code"])
        .where("role", "=", "lead")
        .execute();
      return { docs, leads };
    },

    async searchCodes(folded: string): Promise<Set<string>> {
      const rows = await db
        .selectFrom("tasks")
        .select("code")
        .where("search_text", "like", `%${escapeLike(folded)}%`)
        .execute();
      return new Set(rows.map((r) => r.code));
    },

    async reports(code: string) {
      const rows = await db
        .selectFrom("task_reports as r")
        .innerJoin("agencies as a", "a.code", "r.agency_code")
        .leftJoin("users as u", "u.id", "r.reported_by")
        .leftJoin("users as v", "v.id", "r.reviewed_by")
        .select([
          "r.id",
          "r.agency_code",
          "a.name as agency_name",
          "r.body",
          "r.percent",
          "r.claims_completion",
          "r.proposed_deadline",
          "r.attachment_ids",
          "r.reported_on",
          "r.reported_at",
          "u.display_name as reported_by",
          "r.reported_by as reporter_id",
          "r.review",
          "v.display_name as reviewed_by",
          "r.reviewed_at",
          "r.review_comment",
        ])
        .where("r.task_code", "=", code)
        .orderBy("r.reported_at")
        .execute();
      return rows.map((r) => ({
        id: String(r.id),
        agency: r.agency_code,
        agencyName: r.agency_name,
        body: r.body,
        percent: r.percent,
        claimsCompletion: r.claims_completion,
        proposedDeadline: r.proposed_deadline ? String(r.proposed_deadline).slice(0, 10) : null,
        attachmentIds: r.attachment_ids ?? [],
        reportedOn: String(r.reported_on).slice(0, 10),
        reportedAt: new Date(r.reported_at).toISOString(),
        reportedBy: r.reported_by,
        reporterId: r.reporter_id,
        review: r.review,
        reviewedBy: r.reviewed_by,
        reviewedAt: r.reviewed_at ? new Date(r.reviewed_at).toISOString() : null,
        reviewComment: r.review_comment,
      }));
    },

    async events(code: string) {
      const rows = await db
        .selectFrom("task_events")
        .selectAll()
        .where("task_code", "=", code)
        .orderBy("at")
        .orderBy("id")
        .execute();
      return rows.map((e) => ({ at: new Date(e.at).toISOString(), kind: e.kind, actor: e.actor, detail: e.detail }));
    },

    async indicators(code: string) {
      return db
        .selectFrom("task_indicators as ti")
        .innerJoin("indicators as i", "i.code", "ti.indicator_code")
        .select(["i.code", "i.name", "i.unit"])
        .where("ti.task_code", "=", code)
        .orderBy("i.code")
        .execute();
    },

    async agenciesOf(taskCodes: readonly string[]) {
      if (taskCodes.length === 0) return [];
      return db
        .selectFrom("task_agencies as ta")
        .innerJoin("agencies as a", "a.code", "ta.agency_code")
        .select([
          "ta.task_code",
          "ta.role",
          "ta.position",
          "ta.as_written",
          "a.code",
          "a.name",
          "a.dissolved_on",
          "a.successor_code",
        ])
        .where("ta.task_code", "in", taskCodes)
        .orderBy("ta.task_code")
        .orderBy("ta.role")
        .orderBy("ta.position")
        .execute();
    },

    async taskLists() {
      const lists = await db.selectFrom("task_lists").selectAll().orderBy("id").execute();
      const counts = await db
        .selectFrom("tasks")
        .select(["task_list_id", (eb) => eb.fn.countAll<number>().as("n")])
        .groupBy("task_list_id")
        .execute();
      const sections = await db.selectFrom("task_sections").selectAll().orderBy("seq").execute();
      return lists.map((l) => ({
        ...l,
        taskCount: Number(counts.find((c) => c.task_list_id === l.id)?.n ?? 0),
        sections: sections.filter((s) => s.task_list_id === l.id),
      }));
    },

    async insertTaskList(
      list: TaskListsTable,
      sections: TaskSectionsTable[],
      tasks: Insertable<TasksTable>[],
      agencies: TaskAgenciesTable[],
    ): Promise<void> {
      await db.insertInto("task_lists").values(list).execute();
      await insertJsonRows(db, "task_sections", sections as unknown as Record<string, unknown>[]);
      await insertJsonRows(db, "tasks", tasks as unknown as Record<string, unknown>[]);
      await insertJsonRows(db, "task_agencies", agencies as unknown as Record<string, unknown>[]);
    },
  };
}
