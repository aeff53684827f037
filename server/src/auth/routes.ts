import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { roles } from "@dieuhanh/core";
import { z } from "zod";
import type { RouteDeps } from "../http/deps";
import { ErrorBody } from "../http/schemas";
import { requestContext } from "./access";
import { authService, SESSION_COOKIE } from "./service";

export const ScopeSchema = z.object({
  agencies: z.array(z.string()).nullable().describe("Các cơ quan trong phạm vi; null = mọi cơ quan"),
  areaId: z.string().nullable().describe("Đơn vị hành chính gốc của phạm vi; null = cả nước"),
});

export const UserSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: z.enum(roles),
  scope: ScopeSchema,
  email: z.string().nullable().describe("Thư điện tử nhận thông báo; null: chỉ trong ứng dụng"),
  mustChangePassword: z.boolean(),
  disabled: z.boolean(),
  createdAt: z.string(),
});

const Me = z.object({
  via: z.enum(["session", "token"]),
  user: UserSchema.nullable(),
  displayName: z.string(),
  role: z.enum(roles),
  scope: ScopeSchema,
  csrfToken: z.string().nullable().describe("Gửi lại trong tiêu đề X-CSRF-Token với mọi yêu cầu ghi"),
});

const authErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 429: ErrorBody } as const;

export const authRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database, authSettings }) => {
  const auth = authService(database.db, authSettings);

  app.post(
    "/api/auth/login",
    {
      config: { access: { public: true }, rateLimit: { max: authSettings.loginRatePerMinute, timeWindow: "1 minute" } },
      schema: {
        tags: ["auth"],
        summary: "Đăng nhập bằng tài khoản nội bộ; đặt cookie phiên",
        body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) }),
        response: { 200: z.object({ user: UserSchema, csrfToken: z.string() }), ...authErrors },
      },
    },
    async (request, reply) => {
      const result = await auth.login(request.body.username, request.body.password, requestContext(request));
      reply.setCookie(SESSION_COOKIE, result.cookieValue, {
        path: "/",
        httpOnly: true,
        sameSite: "lax",
        secure: request.protocol === "https",
        maxAge: authSettings.maxHours * 3600,
      });
      return { user: result.user, csrfToken: result.csrfToken };
    },
  );

  app.post(
    "/api/auth/logout",
    {
      config: { access: { permission: "account.self" } },
      schema: { tags: ["auth"], summary: "Đăng xuất", response: { 200: z.object({ ok: z.literal(true) }), ...authErrors } },
    },
    async (request, reply) => {
      const cookie = request.cookies[SESSION_COOKIE];
      if (cookie) await auth.logout(cookie, requestContext(request));
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
      return { ok: true as const };
    },
  );

  app.get(
    "/api/me",
    {
      config: { access: { permission: "account.self" } },
      schema: { tags: ["auth"], summary: "Người dùng hiện tại, vai trò và phạm vi", response: { 200: Me, ...authErrors } },
    },
    async (request) => auth.me(requestContext(request)),
  );

  app.post(
    "/api/me/password",
    {
      config: { access: { permission: "account.self" } },
      schema: {
        tags: ["auth"],
        summary: "Đổi mật khẩu của mình",
        body: z.object({ currentPassword: z.string().min(1).max(200), newPassword: z.string().min(1).max(200) }),
        response: { 200: z.object({ ok: z.literal(true) }), ...authErrors },
      },
    },
    async (request) => {
      await auth.changePassword(
        requestContext(request),
        request.body.currentPassword,
        request.body.newPassword,
        request.cookies[SESSION_COOKIE],
      );
      return { ok: true as const };
    },
  );
};
