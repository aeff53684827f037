import { formatDate, taskStatuses, taskStatusLabels } from "@dieuhanh/core";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { requestContext } from "../auth/access";
import { AgencyLinkSchema } from "../agencies/schemas";
import { vietnamDate } from "../clock";
import type { RouteDeps } from "../http/deps";
import { ErrorBody, errorResponses, isoDate, listOf, pagination, bigserialId } from "../http/schemas";
import { tableWorkbook, XLSX_TYPE } from "../http/xlsx";
import { runReminders } from "./reminders";
import { scorecard } from "./scorecard";
import { taskService, type TaskListQuery } from "./service";
import { taskTracking } from "./tracking";

const DeadlineKind = z.enum(["date", "range", "recurring", "on_request", "unknown"]);
const Status = z.enum(taskStatuses);
const Cadence = z.enum(["month", "quarter", "half_year", "year"]);
const Priority = z.enum(["normal", "high", "urgent"]);

const Task = z.object({
  code: z.string(),
  taskListId: z.string().nullable(),
  documentId: z.string().nullable(),
  seq: z.number().int().nullable(),
  section: z.string().nullable(),
  sectionName: z.string().nullable(),
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
  sourceLine: z.number().int().nullable(),
  note: z.string().nullable(),
  origin: z.enum(["seed", "manual"]),
  assignedBy: z.string().nullable().describe("Cơ quan, người giao nhiệm vụ"),
  priority: Priority,
  parentCode: z.string().nullable(),
  reportCadence: Cadence.nullable(),
  extendedTo: z.string().nullable(),
  completedOn: z.string().nullable(),
  closedAs: z.enum(["cancelled", "adjusted"]).nullable(),
  closedReason: z.string().nullable(),
  status: Status.describe(
    "Tính theo ngày asOf: not_yet_due, in_progress, due_soon (≤ 7 ngày), overdue, done_on_time, done_late, cancelled, adjusted",
  ),
  statusLabel: z.string(),
  dueDate: z.string().nullable().describe("Hạn đang áp dụng (kể cả gia hạn)"),
  daysLeft: z.number().int().nullable(),
  lastReportOn: z.string().nullable(),
  lastPercent: z.number().int().nullable(),
  pendingReports: z.number().int(),
  version: z.number().int(),
});

const TaskDetail = Task.extend({
  subTasks: z.array(Task),
  reports: z.array(
    z.object({
      id: z.string(),
      agency: z.string(),
      agencyName: z.string(),
      body: z.string(),
      percent: z.number().int().nullable(),
      claimsCompletion: z.boolean(),
      proposedDeadline: z.string().nullable(),
      attachmentIds: z.array(z.string()),
      reportedOn: z.string(),
      reportedAt: z.string(),
      reportedBy: z.string().nullable().describe("Họ tên người báo cáo"),
      reportedByYou: z.boolean().describe("Báo cáo do chính người gọi gửi: họ không tự công nhận được (nguyên tắc bốn mắt)"),
      review: z.enum(["pending", "accepted", "returned", "noted"]),
      reviewedBy: z.string().nullable(),
      reviewedAt: z.string().nullable(),
      reviewComment: z.string().nullable(),
    }),
  ),
  events: z.array(z.object({ at: z.string(), kind: z.string(), actor: z.string().nullable(), detail: z.string().nullable() })),
  indicators: z.array(z.object({ code: z.string(), name: z.string(), unit: z.string().nullable() })),
  document: z
    .object({
      id: z.string(),
      kind: z.string(),
      number: z.string().nullable(),
      issuedOn: z.string().nullable(),
      issuer: z.string(),
      title: z.string(),
    })
    .nullable(),
  asOf: z.string(),
});

const TaskList = z.object({
  id: z.string(),
  catalogueId: z.string(),
  documentId: z.string().nullable(),
  appendix: z.string(),
  title: z.string(),
  taskCount: z.number().int(),
  sections: z.array(z.object({ code: z.string(), name: z.string() })),
});

const Filters = z.object({
  source: z
    .string()
    .regex(/^[a-z0-9-]{1,40}$/, "mã nguồn không hợp lệ")
    .optional()
    .describe("Mã danh mục nhiệm vụ, bộ chỉ số hoặc văn bản: qd1012, kontum, cantho-256"),
  document: z.string().max(60).optional().describe("Mã văn bản giao nhiệm vụ"),
  agency: z.string().max(40).optional().describe("Mã cơ quan (chủ trì hoặc phối hợp; kể cả cơ quan tiền thân)"),
  role: z.enum(["lead", "coordinating"]).optional(),
  section: z
    .string()
    .regex(/^[IVXL]+$/, "mục là số La Mã")
    .optional(),
  deadlineKind: DeadlineKind.optional(),
  status: z
    .string()
    .max(200)
    .optional()
    .transform((s) => (s ? s.split(",").filter(Boolean) : undefined))
    .pipe(z.array(Status).optional())
    .describe("Một hoặc nhiều tình trạng, cách nhau bởi dấu phẩy"),
  authority: z.string().max(200).optional().describe("Cơ quan, người giao"),
  dueFrom: isoDate.optional(),
  dueTo: isoDate.optional(),
  topLevel: z.stringbool().optional(),
  q: z.string().max(200).optional(),
  area: z
    .string()
    .max(40)
    .optional()
    .describe(
      "Mã địa bàn: nhiệm vụ của văn bản ban hành cho địa bàn (và các đơn vị trực thuộc) hoặc do cơ quan đóng trên địa bàn chủ trì",
    ),
  sort: z.enum(["document", "due"]).default("document"),
});

const Deadline = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("date"), dueDate: isoDate }),
  z.object({ kind: z.literal("range"), from: isoDate, to: isoDate }),
  z.object({ kind: z.literal("recurring"), cadence: Cadence.nullable().default(null) }),
  z.object({ kind: z.literal("on_request") }),
]);

const ScorecardRow = z.object({
  key: z.string(),
  name: z.string(),
  assigned: z.number().int(),
  doneOnTime: z.number().int(),
  doneLate: z.number().int(),
  overdue: z.number().int(),
  inProgress: z.number().int(),
  closed: z.number().int(),
  onTimeRate: z.number().nullable(),
});
const ScorecardQuery = z.object({
  by: z.enum(["agency", "authority"]).default("agency"),
  from: isoDate.optional().describe("Nhiệm vụ có hạn từ ngày"),
  to: isoDate.optional().describe("đến ngày"),
  source: z.string().max(40).optional(),
});

export const taskRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database, clock }) => {
  const today = () => vietnamDate(clock());
  const service = taskService(database.db, { today });
  const tracking = taskTracking(database.db, { today });

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
        summary: "Nhiệm vụ với tình trạng tính theo hôm nay; lọc theo văn bản, cơ quan, người giao, tình trạng, khoảng thời hạn",
        querystring: Filters.extend(pagination),
        response: { 200: listOf(Task).extend({ asOf: z.string() }), ...errorResponses },
      },
    },
    async (request) => service.list(request.query as TaskListQuery),
  );

  app.get(
    "/api/tasks/export",
    {
      config: { access: { permission: "reference.read" } },
      schema: { tags: ["tasks"], summary: "Xuất danh sách nhiệm vụ (cùng bộ lọc) ra Excel", querystring: Filters },
    },
    async (request, reply) => {
      const tasks = await service.all(request.query as TaskListQuery);
      const file = await tableWorkbook(
        `DANH SÁCH NHIỆM VỤ (tình trạng ngày ${formatDate(today())})`,
        [
          { header: "Mã", width: 16, value: (t) => t.code },
          { header: "Nhiệm vụ", width: 60, value: (t) => t.name },
          { header: "Cơ quan chủ trì", width: 30, value: (t) => t.leadAgencies.map((a) => a.current?.name ?? a.name).join("; ") },
          {
            header: "Cơ quan phối hợp",
            width: 30,
            value: (t) => t.coordinatingAgencies.map((a) => a.current?.name ?? a.name).join("; "),
          },
          { header: "Người giao", width: 24, value: (t) => t.assignedBy },
          { header: "Thời hạn (văn bản)", width: 18, value: (t) => t.deadline.asWritten },
          { header: "Hạn", width: 12, value: (t) => (t.dueDate ? formatDate(t.dueDate) : "") },
          { header: "Tình trạng", width: 20, value: (t) => t.statusLabel },
          { header: "Tiến độ (%)", width: 10, value: (t) => t.lastPercent },
          { header: "Hoàn thành ngày", width: 14, value: (t) => (t.completedOn ? formatDate(t.completedOn) : "") },
        ],
        tasks,
        "Nhiệm vụ",
      );
      return reply.type(XLSX_TYPE).header("content-disposition", 'attachment; filename="nhiem-vu.xlsx"').send(file);
    },
  );

  app.get(
    "/api/tasks/scorecard",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["tasks"],
        summary:
          "Bảng kết quả thực hiện nhiệm vụ theo cơ quan chủ trì hoặc người giao: được giao, đúng hạn, trễ hạn, quá hạn, đang làm, tỷ lệ đúng hạn",
        description:
          "Nhiệm vụ tính vào kỳ khi hạn (kể cả gia hạn) nằm trong [from, to]; nhiệm vụ không có hạn tính khi được giao trước khi kỳ kết thúc. Tình trạng tính theo hôm nay. Danh sách sau mỗi con số: GET /api/tasks với agency (role=lead), status, dueFrom, dueTo.",
        querystring: ScorecardQuery,
        response: {
          200: z.object({
            items: z.array(ScorecardRow.extend({ tasks: z.array(z.string()) })),
            totals: ScorecardRow.omit({ key: true, name: true }),
            asOf: z.string(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const lists = q.source
        ? new Set(
            (
              await database.db
                .selectFrom("task_lists")
                .select("id")
                .where((eb) => eb.or([eb("id", "=", q.source!), eb("catalogue_id", "=", q.source!)]))
                .execute()
            ).map((l) => l.id),
          )
        : null;
      return scorecard(
        database.db,
        q,
        today(),
        lists ? (t) => (t.task_list_id !== null && lists.has(t.task_list_id)) || t.document_id === q.source : undefined,
      );
    },
  );

  app.get(
    "/api/tasks/scorecard/export",
    {
      config: { access: { permission: "reference.read" } },
      schema: { tags: ["tasks"], summary: "Xuất bảng kết quả thực hiện nhiệm vụ ra Excel", querystring: ScorecardQuery },
    },
    async (request, reply) => {
      const result = await scorecard(database.db, request.query, today());
      const rows = [...result.items, { key: "", name: "Tổng cộng", ...result.totals, tasks: [] }];
      const file = await tableWorkbook(
        `KẾT QUẢ THỰC HIỆN NHIỆM VỤ (tình trạng ngày ${formatDate(result.asOf)})`,
        [
          { header: request.query.by === "authority" ? "Người giao" : "Cơ quan chủ trì", width: 40, value: (r) => r.name },
          { header: "Được giao", value: (r) => r.assigned },
          { header: "Hoàn thành đúng hạn", value: (r) => r.doneOnTime },
          { header: "Hoàn thành quá hạn", value: (r) => r.doneLate },
          { header: "Quá hạn chưa hoàn thành", value: (r) => r.overdue },
          { header: "Đang thực hiện", value: (r) => r.inProgress },
          { header: "Đã hủy/điều chỉnh", value: (r) => r.closed },
          { header: "Tỷ lệ đúng hạn (%)", value: (r) => r.onTimeRate, format: "0.0" },
        ],
        rows,
        "Kết quả",
      );
      return reply.type(XLSX_TYPE).header("content-disposition", 'attachment; filename="ket-qua-nhiem-vu.xlsx"').send(file);
    },
  );

  app.get(
    "/api/tasks/:code",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["tasks"],
        summary: "Một nhiệm vụ: cơ quan, nhiệm vụ con, báo cáo tiến độ, chỉ số đo lường, diễn biến",
        params: z.object({ code: z.string().max(60) }),
        response: { 200: TaskDetail, ...errorResponses },
      },
    },
    async (request) => service.get(request.params.code, request.principal?.userId ?? null),
  );

  app.post(
    "/api/tasks",
    {
      config: { access: { permission: "tasks.manage" } },
      schema: {
        tags: ["tasks"],
        summary: "Giao nhiệm vụ (từ văn bản hoặc trực tiếp); nhiệm vụ con cho cơ quan phối hợp",
        body: z.object({
          documentId: z.string().max(60).nullable().default(null),
          name: z.string().min(1).max(2000),
          expectedResult: z.string().max(2000).nullable().default(null),
          deadline: Deadline,
          leadAgencies: z.array(z.string().max(40)).max(20),
          coordinatingAgencies: z.array(z.string().max(40)).max(50).default([]),
          assignedBy: z.string().max(200).nullable().default(null),
          priority: Priority.default("normal"),
          parentCode: z.string().max(60).nullable().default(null),
          indicators: z.array(z.string().max(60)).max(50).default([]),
        }),
        response: { 200: z.object({ code: z.string() }), ...errorResponses, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request) => tracking.create(requestContext(request), request.body),
  );

  app.patch(
    "/api/tasks/:code",
    {
      config: { access: { permission: "tasks.manage" } },
      schema: {
        tags: ["tasks"],
        summary: "Sửa nhiệm vụ (đổi thời hạn, sửa nhiệm vụ đã kết thúc cần lý do)",
        params: z.object({ code: z.string().max(60) }),
        body: z.object({
          name: z.string().min(5).max(2000).optional(),
          expectedResult: z.string().max(2000).nullable().optional(),
          deadline: Deadline.optional(),
          priority: Priority.optional(),
          reportCadence: Cadence.nullable().optional(),
          version: z.number().int().describe("Phiên bản đang sửa (chống ghi đè)"),
          reason: z.string().max(2000).nullable().optional(),
        }),
        response: { 200: z.object({ code: z.string(), version: z.number().int() }), ...errorResponses, 409: ErrorBody },
      },
    },
    async (request) => tracking.update(requestContext(request), request.params.code, request.body),
  );

  app.post(
    "/api/tasks/:code/reports",
    {
      config: { access: { permission: "tasks.report" } },
      schema: {
        tags: ["tasks"],
        summary: "Báo cáo tiến độ của cơ quan chủ trì/phối hợp (kèm % , tệp, đề nghị gia hạn, báo cáo hoàn thành)",
        params: z.object({ code: z.string().max(60) }),
        body: z.object({
          agency: z.string().max(40),
          body: z.string().min(1).max(10_000),
          percent: z.number().int().min(0).max(100).nullable().default(null),
          claimsCompletion: z.boolean().default(false),
          proposedDeadline: isoDate.nullable().default(null),
          attachmentIds: z.array(z.uuid()).max(10).default([]),
        }),
        response: { 200: z.object({ id: z.string(), status: Status }), ...errorResponses, 403: ErrorBody },
      },
    },
    async (request) => tracking.report(requestContext(request), request.params.code, request.body),
  );

  app.post(
    "/api/tasks/:code/reports/:id/review",
    {
      config: { access: { permission: "tasks.manage" } },
      schema: {
        tags: ["tasks"],
        summary: "Văn phòng công nhận (hoàn thành, gia hạn) hoặc trả lại báo cáo (cần lý do)",
        params: z.object({ code: z.string().max(60), id: bigserialId }),
        body: z.object({ action: z.enum(["accept", "return"]), comment: z.string().max(2000).nullable().default(null) }),
        response: { 200: z.object({ status: Status }), ...errorResponses },
      },
    },
    async (request) =>
      tracking.review(requestContext(request), request.params.code, request.params.id, request.body.action, request.body.comment),
  );

  app.post(
    "/api/tasks/:code/close",
    {
      config: { access: { permission: "tasks.manage" } },
      schema: {
        tags: ["tasks"],
        summary: "Hủy hoặc điều chỉnh nhiệm vụ (điều chỉnh cần văn bản), có lý do",
        params: z.object({ code: z.string().max(60) }),
        body: z.object({
          as: z.enum(["cancelled", "adjusted"]),
          documentId: z.string().max(60).nullable().default(null),
          reason: z.string().min(1).max(2000),
        }),
        response: { 200: z.object({ status: z.string() }), ...errorResponses },
      },
    },
    async (request) => tracking.close(requestContext(request), request.params.code, request.body),
  );

  app.post(
    "/api/tasks/reminders",
    {
      config: { access: { permission: "tasks.manage" } },
      schema: {
        tags: ["tasks"],
        summary:
          "Chạy đôn đốc ngay (cũng chạy tự động mỗi giờ): thông báo sắp đến hạn, quá hạn cho người phải làm, thư tổng hợp hằng ngày",
        response: { 200: z.object({ notifications: z.number().int(), digests: z.number().int() }), ...errorResponses },
      },
    },
    async () => runReminders(database.db, today()),
  );
};

export { taskStatusLabels };
