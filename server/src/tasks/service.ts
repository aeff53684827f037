import { foldVietnamese } from "@dieuhanh/core";
import type { Executor } from "../db/bulk";
import { agencyRepository } from "../agencies/repository";
import { presentAgencyLink, withPredecessors } from "../agencies/succession";
import { NotFoundError } from "../errors";
import { taskRepository } from "./repository";

export interface TaskListQuery {
  source?: string;
  section?: string;
  agency?: string;
  role?: "lead" | "coordinating";
  deadlineKind?: string;
  q?: string;
  limit: number;
  offset: number;
}

export function taskService(db: Executor) {
  const repo = taskRepository(db);
  const agencies = agencyRepository(db);

  return {
    async taskLists() {
      const lists = await repo.taskLists();
      return {
        total: lists.length,
        items: lists.map((l) => ({
          id: l.id,
          catalogueId: l.catalogue_id,
          appendix: l.appendix,
          title: l.title,
          taskCount: l.taskCount,
          sections: l.sections.map((s) => ({ code: s.code, name: s.name_as_written })),
        })),
      };
    },

    async list(query: TaskListQuery) {
      const all = await agencies.all();
      let agencyCodes: string[] | undefined;
      if (query.agency) {
        if (!all.some((a) => a.code === query.agency))
          throw new NotFoundError(`Không tìm thấy cơ quan có mã '${query.agency}'`, "agency");
        agencyCodes = withPredecessors(query.agency, all);
      }
      const { items, total } = await repo.list({
        source: query.source,
        section: query.section,
        agencyCodes,
        role: query.role,
        deadlineKind: query.deadlineKind,
        q: query.q ? foldVietnamese(query.q) : undefined,
        limit: query.limit,
        offset: query.offset,
      });
      const byCode = new Map(all.map((a) => [a.code, a]));
      const links = await repo.agenciesOf(items.map((t) => t.code));
      return {
        total,
        items: items.map((t) => ({
          code: t.code,
          taskListId: t.task_list_id,
          seq: t.seq,
          section: t.section_code,
          sectionName: t.section_name,
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
        })),
      };
    },
  };
}
