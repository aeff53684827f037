import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { requestContext } from "../auth/access";
import type { RouteDeps } from "../http/deps";
import { ErrorBody, listOf } from "../http/schemas";
import { tokenService } from "./service";

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody } as const;

const Token = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe("Vài ký tự đầu của khóa, để nhận biết"),
  agencyCode: z.string().nullable(),
  areaId: z.string().nullable(),
  canWrite: z.boolean(),
  system: z.boolean().describe("Tài khoản hệ thống của một hệ thống tin cậy: nạp số liệu kỳ đã khóa (có ghi nhật ký)"),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const tokenRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database }) => {
  const service = tokenService(database.db);
  const access = { access: { permission: "tokens.manage" as const } };

  app.get(
    "/api/tokens",
    { config: access, schema: { tags: ["tokens"], summary: "Các khóa API", response: { 200: listOf(Token), ...errors } } },
    async () => service.list(),
  );

  app.post(
    "/api/tokens",
    {
      config: access,
      schema: {
        tags: ["tokens"],
        summary: "Tạo khóa API cho một hệ thống; khóa chỉ hiện một lần. Dùng: Authorization: Bearer <khóa>",
        body: z.object({
          name: z.string().min(1).max(200),
          agencyCode: z.string().max(40).nullable().default(null),
          areaId: z.string().max(20).nullable().default(null),
          canWrite: z.boolean().default(false),
          system: z
            .boolean()
            .default(false)
            .describe(
              "Tài khoản hệ thống (liên thông, nạp số liệu lịch sử): khóa kỳ và hạn gửi không áp dụng; mọi lần ghi vẫn được kiểm tra và ghi nhật ký",
            ),
          expiresAt: z.iso.datetime({ offset: true }).nullable().default(null),
        }),
        response: { 201: z.object({ token: Token, secret: z.string() }), ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await service.create(requestContext(request), request.body)),
  );

  app.delete(
    "/api/tokens/:id",
    {
      config: access,
      schema: {
        tags: ["tokens"],
        summary: "Thu hồi khóa API",
        params: z.object({ id: z.uuid("mã khóa không hợp lệ") }),
        querystring: z.object({ reason: z.string().max(500).optional() }),
        response: { 200: Token, ...errors },
      },
    },
    async (request) => service.revoke(requestContext(request), request.params.id, request.query.reason),
  );
};
