import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { roles } from "@dieuhanh/core";
import { z } from "zod";
import { requestContext } from "../auth/access";
import { UserSchema } from "../auth/routes";
import type { RouteDeps } from "../http/deps";
import { ErrorBody, listOf } from "../http/schemas";
import { userService } from "./service";

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody } as const;
const Id = z.object({ id: z.uuid("mã người dùng không hợp lệ") });
const reason = z.string().max(500).optional().describe("Lý do thay đổi (ghi vào nhật ký)");

export const userRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database }) => {
  const service = userService(database.db);
  const access = { access: { permission: "users.manage" as const } };

  app.get(
    "/api/users",
    {
      config: access,
      schema: { tags: ["users"], summary: "Danh sách người dùng", response: { 200: listOf(UserSchema), ...errors } },
    },
    async () => service.list(),
  );

  app.post(
    "/api/users",
    {
      config: access,
      schema: {
        tags: ["users"],
        summary: "Tạo người dùng; nếu không đặt mật khẩu, trả về mật khẩu dùng một lần (chỉ hiện một lần)",
        body: z.object({
          username: z.string().regex(/^[A-Za-z0-9._-]{3,64}$/, "3–64 ký tự: chữ không dấu, số, dấu chấm, gạch"),
          displayName: z.string().min(1).max(200),
          role: z.enum(roles),
          scopeAgencies: z.array(z.string().max(40)).max(200).nullable().default(null),
          scopeAreaId: z.string().max(20).nullable().default(null),
          email: z.email("Thư điện tử không hợp lệ").max(254).nullable().default(null),
          password: z.string().max(200).optional(),
        }),
        response: { 201: z.object({ user: UserSchema, oneTimePassword: z.string().nullable() }), ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await service.create(requestContext(request), request.body)),
  );

  app.patch(
    "/api/users/:id",
    {
      config: access,
      schema: {
        tags: ["users"],
        summary: "Sửa vai trò, phạm vi, tên; khóa hoặc mở khóa tài khoản",
        params: Id,
        body: z.object({
          displayName: z.string().min(1).max(200).optional(),
          role: z.enum(roles).optional(),
          scopeAgencies: z.array(z.string().max(40)).max(200).nullable().optional(),
          scopeAreaId: z.string().max(20).nullable().optional(),
          email: z.email("Thư điện tử không hợp lệ").max(254).nullable().optional(),
          disabled: z.boolean().optional(),
          reason,
        }),
        response: { 200: UserSchema, ...errors },
      },
    },
    async (request) => service.update(requestContext(request), request.params.id, request.body),
  );

  app.post(
    "/api/users/:id/reset-password",
    {
      config: access,
      schema: {
        tags: ["users"],
        summary: "Đặt lại mật khẩu: trả về mật khẩu dùng một lần và đăng xuất mọi phiên",
        params: Id,
        body: z.object({ reason }).default({}),
        response: { 200: z.object({ oneTimePassword: z.string() }), ...errors },
      },
    },
    async (request) => service.resetPassword(requestContext(request), request.params.id, request.body.reason),
  );
};
