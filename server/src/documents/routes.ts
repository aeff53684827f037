import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { requestContext } from "../auth/access";
import { recordAudit } from "../audit/service";
import type { RouteDeps } from "../http/deps";
import { ErrorBody, errorResponses, isoDate, listOf, pagination } from "../http/schemas";
import { ForbiddenError, InvalidInputError, NotFoundError, UnauthorizedError } from "../errors";
import type { Principal } from "../auth/principal";
import { scopeChecker } from "../auth/scope";
import type { Executor } from "../db/bulk";
import { attachmentRepository, MAX_ATTACHMENT_BYTES } from "./attachments";
import { documentService } from "./service";

const Kind = z.enum(["decision", "plan", "resolution", "conclusion_notice", "official_letter", "directive", "other"]);
const Document = z.object({
  id: z.string(),
  kind: Kind,
  kindLabel: z.string(),
  number: z.string().nullable().describe("Số, ký hiệu: 1012/QĐ-TTg"),
  issuedOn: z.string().nullable(),
  issuer: z.string(),
  title: z.string(),
  areaId: z.string().nullable(),
  attachmentId: z.string().nullable(),
  origin: z.enum(["seed", "manual"]),
  taskCount: z.number().int(),
});

/**
 * May this caller download the file? Its uploader and national readers may; otherwise the file must be
 * attached to a document of an area in the caller's scope (or of no area), or to a report on a task whose
 * agencies are in the caller's scope. A file attached to nothing stays with its uploader.
 */
async function mayDownload(db: Executor, principal: Principal, file: { id: string; uploaded_by: string | null }) {
  if (principal.scope.agencies === null && principal.scope.areaId === null) return true;
  if (principal.userId !== null && file.uploaded_by === principal.userId) return true;
  const usage = await attachmentRepository(db).usage(file.id);
  const scope = scopeChecker(db);
  for (const area of usage.documentAreas) if (area === null || (await scope.coversArea(principal, area))) return true;
  return usage.taskAgencies.length > 0 && (await scope.coversAgencyInArea(principal, usage.taskAgencies));
}

export const documentRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database }) => {
  const service = documentService(database.db);
  const files = attachmentRepository(database.db);
  app.addContentTypeParser(
    "application/octet-stream",
    { parseAs: "buffer", bodyLimit: MAX_ATTACHMENT_BYTES },
    (_req, body, done) => done(null, body),
  );

  app.get(
    "/api/documents",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["documents"],
        summary: "Văn bản chỉ đạo (quyết định, kế hoạch, nghị quyết, thông báo kết luận, công văn)",
        querystring: z.object({ kind: Kind.optional(), q: z.string().max(200).optional(), ...pagination }),
        response: { 200: listOf(Document), ...errorResponses },
      },
    },
    async (request) => service.list(request.query),
  );

  app.get(
    "/api/documents/:id",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["documents"],
        summary: "Một văn bản chỉ đạo",
        params: z.object({ id: z.string().max(60) }),
        response: { 200: Document, ...errorResponses },
      },
    },
    async (request) => service.get(request.params.id),
  );

  app.post(
    "/api/documents",
    {
      config: { access: { permission: "tasks.manage" } },
      schema: {
        tags: ["documents"],
        summary: "Thêm văn bản chỉ đạo (để giao nhiệm vụ từ văn bản)",
        body: z.object({
          kind: Kind,
          number: z.string().max(100).nullable().default(null),
          issuedOn: isoDate.nullable().default(null),
          issuer: z.string().min(2).max(300),
          title: z.string().min(5).max(2000),
          areaId: z.string().max(20).nullable().default(null),
          attachmentId: z.uuid().nullable().default(null),
        }),
        response: { 200: Document.omit({ taskCount: true }), ...errorResponses },
      },
    },
    async (request) => service.create(requestContext(request), request.body),
  );

  app.post(
    "/api/attachments",
    {
      config: { access: { permission: "tasks.report" } },
      bodyLimit: MAX_ATTACHMENT_BYTES,
      schema: {
        tags: ["documents"],
        summary: "Tải lên tệp đính kèm (PDF, .docx, .xlsx, PNG, JPEG ≤ 20 MB); loại tệp được kiểm tra theo nội dung",
        description: "Gửi nội dung tệp làm thân yêu cầu (Content-Type: application/octet-stream), tên tệp ở ?fileName=",
        querystring: z.object({ fileName: z.string().min(1).max(200) }),
        body: z.unknown(),
        response: {
          200: z.object({
            id: z.string(),
            fileName: z.string(),
            contentType: z.string(),
            sizeBytes: z.number().int(),
            sha256: z.string(),
          }),
          ...errorResponses,
          401: ErrorBody,
          403: ErrorBody,
        },
      },
    },
    async (request) => {
      if (!Buffer.isBuffer(request.body))
        throw new InvalidInputError("Gửi nội dung tệp với Content-Type: application/octet-stream", "file");
      const ctx = requestContext(request);
      const saved = await files.save(request.query.fileName, request.body, ctx.principal?.userId ?? null);
      await recordAudit(database.db, ctx, {
        action: "attachment.upload",
        entityType: "attachment",
        entityId: saved.id,
        after: { ...saved },
      });
      return saved;
    },
  );

  app.get(
    "/api/attachments/:id",
    {
      config: { access: { permission: "reference.read" } },
      schema: { tags: ["documents"], summary: "Tải tệp đính kèm", params: z.object({ id: z.uuid() }) },
    },
    async (request, reply) => {
      const file = await files.get(request.params.id);
      if (!file) throw new NotFoundError("Không có tệp này");
      const principal = requestContext(request).principal;
      if (!principal) throw new UnauthorizedError();
      if (!(await mayDownload(database.db, principal, file)))
        throw new ForbiddenError("Tệp này thuộc nhiệm vụ hoặc văn bản ngoài phạm vi của bạn");
      return reply
        .type(file.content_type)
        .header("content-disposition", `attachment; filename*=UTF-8''${encodeURIComponent(file.file_name)}`)
        .header("x-content-type-options", "nosniff")
        .send(file.content);
    },
  );
};
