import { Readable } from "node:stream";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { sql } from "kysely";
import { z } from "zod";
import { requestContext } from "../auth/access";
import { UnauthorizedError } from "../errors";
import type { RouteDeps } from "../http/deps";
import { ErrorBody, listOf, MAX_PAGE_SIZE, pagination } from "../http/schemas";
import { auditService } from "./service";

const Entry = z.object({
  id: z.string(),
  at: z.string(),
  actorUserId: z.string().nullable(),
  actorUsername: z.string().nullable(),
  actorTokenId: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  action: z.string(),
  outcome: z.enum(["success", "denied", "failure"]),
  entityType: z.string(),
  entityId: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
  reason: z.string().nullable(),
});

/** Rows read per page of the CSV export (tests lower it to prove every page reaches the file). */
export const auditExportSettings = { pageRows: MAX_PAGE_SIZE };

const filters = {
  entityType: z.string().max(60).optional(),
  entityId: z.string().max(200).optional(),
  userId: z.uuid().optional(),
  action: z.string().max(100).optional(),
  from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional().describe("Từ thời điểm (ISO 8601)"),
  to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional().describe("Đến trước thời điểm (ISO 8601)"),
};

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
  // Neutralise spreadsheet formulas and quote every cell.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
};

/** Who reads the trail: it is scoped to them. */
function reader(request: Parameters<typeof requestContext>[0]) {
  const principal = requestContext(request).principal;
  if (!principal) throw new UnauthorizedError();
  return principal;
}

export const auditRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database }) => {
  const service = auditService(database.db);
  const access = { access: { permission: "audit.read" as const } };
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody } as const;

  app.get(
    "/api/audit",
    {
      config: access,
      schema: {
        tags: ["audit"],
        summary: "Nhật ký hệ thống: ai, khi nào, từ đâu, thay đổi gì, vì sao",
        querystring: z.object({ ...filters, ...pagination }),
        response: { 200: listOf(Entry), ...errors },
      },
    },
    async (request) => service.query(reader(request), request.query),
  );

  app.get(
    "/api/audit/export",
    {
      config: access,
      schema: { tags: ["audit"], summary: "Xuất nhật ký ra CSV (UTF-8)", querystring: z.object(filters) },
    },
    async (request, reply) => {
      const principal = reader(request);
      // Complete, never cut: page after page, streamed. The trail only grows, and only at its newest end;
      // bounding it at the moment of the request (the database's clock, which stamps entries) keeps every
      // page's offset where it was.
      const now = (await sql<{ now: Date }>`SELECT clock_timestamp() AS now`.execute(database.db)).rows[0]!.now;
      const to = request.query.to && new Date(request.query.to) < now ? request.query.to : now.toISOString();
      const header = [
        "id",
        "at",
        "actorUsername",
        "actorTokenId",
        "ip",
        "userAgent",
        "action",
        "outcome",
        "entityType",
        "entityId",
        "before",
        "after",
        "reason",
      ] as const;
      const pageRows = auditExportSettings.pageRows;
      const first = await service.query(principal, { ...request.query, to, limit: pageRows, offset: 0 });
      async function* lines() {
        yield "\uFEFF" + header.join(",") + "\r\n";
        let page = first.items;
        for (let offset = 0; page.length > 0;) {
          yield page.map((e) => header.map((h) => csvCell(e[h])).join(",") + "\r\n").join("");
          if (page.length < pageRows) return;
          offset += pageRows;
          page = (await service.query(principal, { ...request.query, to, limit: pageRows, offset })).items;
        }
      }
      return reply
        .header("content-type", "text/csv; charset=utf-8")
        .header("content-disposition", 'attachment; filename="nhat-ky.csv"')
        .send(Readable.from(lines()));
    },
  );
};
