import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { RouteDeps } from "../http/app";
import { AgencyLinkSchema } from "../agencies/schemas";
import { errorResponses, listOf, pagination } from "../http/schemas";
import { taskService } from "./service";

const DeadlineKind = z.enum(["date", "range", "recurring", "on_request", "unknown"]);

const Task = z.object({
  code: z.string(),
  taskListId: z.string(),
  seq: z.number().int(),
  section: z.string(),
  sectionName: z.string(),
  stt: z.string().nullable(),
  name: z.string(),
  nameAsWritten: z.string(),
  expectedResult: z.string().nullable(),
  deadline: z.object({
    asWritten: z.string().nullable().describe("Thời hạn như văn bản ghi"),
    kind: DeadlineKind.describe(
      "date: một ngày (tháng → ngày cuối tháng); range: khoảng; recurring: thường xuyên; on_request: khi có yêu cầu",
    ),
    precision: z.string().nullable(),
    dueDate: z.string().nullable(),
    from: z.string().nullable(),
    to: z.string().nullable(),
    note: z.string().nullable(),
  }),
  leadAgenciesAsWritten: z.string().nullable(),
  leadAgencies: z.array(AgencyLinkSchema),
  coordinatingAgenciesAsWritten: z.string().nullable(),
  coordinatingAgencies: z.array(AgencyLinkSchema),
  sourceLine: z.number().int(),
  note: z.string().nullable(),
});

const TaskList = z.object({
  id: z.string(),
  catalogueId: z.string(),
  appendix: z.string(),
  title: z.string(),
  taskCount: z.number().int(),
  sections: z.array(z.object({ code: z.string(), name: z.string() })),
});

export const taskRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database }) => {
  const service = taskService(database.db);

  app.get(
    "/api/task-lists",
    {
      config: { access: { permission: "reference.read" } },
      schema: { tags: ["tasks"], summary: "Các danh mục nhiệm vụ (Phụ lục I)", response: { 200: listOf(TaskList) } },
    },
    async () => service.taskLists(),
  );

  app.get(
    "/api/tasks",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["tasks"],
        summary: "Nhiệm vụ, lọc theo văn bản nguồn, cơ quan, mục, loại thời hạn",
        querystring: z.object({
          source: z
            .string()
            .regex(/^[a-z0-9-]{1,40}$/, "mã nguồn không hợp lệ")
            .optional()
            .describe("Mã danh mục nhiệm vụ hoặc bộ chỉ số: qd1012, kontum, cantho-256"),
          agency: z.string().max(40).optional().describe("Mã cơ quan (chủ trì hoặc phối hợp; kể cả cơ quan tiền thân)"),
          role: z.enum(["lead", "coordinating"]).optional(),
          section: z
            .string()
            .regex(/^[IVXL]+$/, "mục là số La Mã")
            .optional(),
          deadlineKind: DeadlineKind.optional(),
          q: z.string().max(200).optional(),
          ...pagination,
        }),
        response: { 200: listOf(Task), ...errorResponses },
      },
    },
    async (request) => service.list(request.query),
  );
};
