import type { Executor } from "../db/bulk";
import { pageWithTotal } from "../db/paging";
import { insertJsonRows } from "../db/bulk";
import type { TaskAgenciesTable, TaskListsTable, TaskSectionsTable, TasksTable } from "../db/schema";
import { escapeLike } from "../areas/repository";

export interface TaskFilter {
  /** Task list id or the id of its catalogue. */
  source?: string;
  section?: string;
  agencyCodes?: string[];
  role?: "lead" | "coordinating";
  deadlineKind?: string;
  q?: string;
  limit: number;
  offset: number;
}

export function taskRepository(db: Executor) {
  function filtered(f: TaskFilter) {
    let query = db.selectFrom("tasks as t").innerJoin("task_lists as l", "l.id", "t.task_list_id");
    if (f.source) {
      const source = f.source;
      query = query.where((eb) => eb.or([eb("l.id", "=", source), eb("l.catalogue_id", "=", source)]));
    }
    if (f.section) query = query.where("t.section_code", "=", f.section);
    if (f.deadlineKind) query = query.where("t.deadline_kind", "=", f.deadlineKind as TasksTable["deadline_kind"]);
    if (f.q) query = query.where("t.search_text", "like", `%${escapeLike(f.q)}%`);
    if (f.agencyCodes) {
      const codes = f.agencyCodes.length ? f.agencyCodes : [""];
      const role = f.role;
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom("task_agencies as ta")
            .select("ta.task_code")
            .whereRef("ta.task_code", "=", "t.code")
            .where("ta.agency_code", "in", codes)
            .$if(!!role, (qb) => qb.where("ta.role", "=", role!)),
        ),
      );
    }
    return query;
  }

  return {
    async list(f: TaskFilter) {
      return pageWithTotal(filtered(f), (query) =>
        query
          .innerJoin("task_sections as s", (join) =>
            join.onRef("s.task_list_id", "=", "t.task_list_id").onRef("s.code", "=", "t.section_code"),
          )
          .selectAll("t")
          .select("s.name_as_written as section_name")
          .orderBy("l.id")
          .orderBy("t.seq")
          .limit(f.limit)
          .offset(f.offset),
      );
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
      tasks: TasksTable[],
      agencies: TaskAgenciesTable[],
    ): Promise<void> {
      await db.insertInto("task_lists").values(list).execute();
      await insertJsonRows(db, "task_sections", sections as unknown as Record<string, unknown>[]);
      await insertJsonRows(db, "tasks", tasks as unknown as Record<string, unknown>[]);
      await insertJsonRows(db, "task_agencies", agencies as unknown as Record<string, unknown>[]);
    },
  };
}
