import "@fastify/cookie";
import type { Permission } from "@dieuhanh/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Database } from "../db/database";
import { recordAudit } from "../audit/service";
import { ForbiddenError, UnauthorizedError } from "../errors";
import { principalCan, type Principal, type RequestContext } from "./principal";
import { authService, SESSION_COOKIE, type AuthSettings } from "./service";

/**
 * Every API route declares who may call it: `{ public: true }` or `{ permission }`. A route without a
 * rule cannot be registered, so no endpoint is ever open by accident. Scope (agency, area) is checked by
 * the services, which know what data a request touches.
 */
export type AccessRule = { public: true } | { permission: Permission };

declare module "fastify" {
  interface FastifyContextConfig {
    access?: AccessRule;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** What a user signed in with a one-time password may call before choosing their own. */
const ONE_TIME_PASSWORD_ROUTES = new Set(["GET /api/me", "POST /api/me/password", "POST /api/auth/logout"]);

/** Rules of every registered route, for the role × endpoint test matrix. */
export interface RouteRule {
  method: string;
  url: string;
  access: AccessRule;
}

export function requestContext(request: FastifyRequest): RequestContext {
  return { principal: request.principal, ip: request.ip ?? null, userAgent: request.headers["user-agent"] ?? null };
}

/** Installs authentication, the access check and CSRF protection on every route of `app`. */
export function installAccessControl(app: FastifyInstance, database: Database, settings: AuthSettings, rules: RouteRule[]): void {
  const auth = authService(database.db, settings);
  app.decorateRequest("principal", null);

  app.addHook("onRoute", (route) => {
    const url = route.url ?? route.path;
    if (!url.startsWith("/api/")) return; // the web UI's files and the login page are public
    // The OpenAPI document and its browsable page are for signed-in users, like the rest of the API.
    if (url === "/api/docs" || url.startsWith("/api/docs/"))
      route.config = { ...route.config, access: { permission: "reference.read" } };
    const access = route.config?.access;
    if (!access) throw new Error(`Route ${String(route.method)} ${url} has no access rule`);
    for (const method of [route.method].flat()) if (method !== "HEAD") rules.push({ method, url, access });
  });

  app.addHook("onRequest", async (request) => {
    const access = request.routeOptions.config?.access;
    if (!access) return; // not an API route (static files, app shell)

    // Who is calling: a bearer API token, or the session cookie.
    const authorization = request.headers.authorization;
    if (authorization?.startsWith("Bearer ")) {
      request.principal = await auth.principalFromToken(authorization.slice(7).trim());
      if (!request.principal) throw new UnauthorizedError("Khóa API không hợp lệ, đã hết hạn hoặc đã bị thu hồi");
    } else {
      const cookie = request.cookies[SESSION_COOKIE];
      if (cookie) request.principal = await auth.principalFromSession(cookie);
    }
    if ("public" in access) return;
    if (!request.principal)
      throw new UnauthorizedError(request.cookies[SESSION_COOKIE] ? "Phiên đăng nhập đã hết hạn" : "Cần đăng nhập");

    if (!principalCan(request.principal, access.permission)) {
      if (UNSAFE_METHODS.has(request.method)) {
        await recordAudit(database.db, requestContext(request), {
          action: `${request.method} ${request.routeOptions.url}`,
          outcome: "denied",
          entityType: "route",
          entityId: request.url.split("?")[0] ?? null,
          reason: `thiếu quyền ${access.permission}`,
        });
      }
      throw new ForbiddenError();
    }
    if (request.principal.mustChangePassword && !ONE_TIME_PASSWORD_ROUTES.has(`${request.method} ${request.routeOptions.url}`))
      throw new ForbiddenError("Cần đổi mật khẩu dùng một lần trước khi tiếp tục: vào trang Đổi mật khẩu.");
    // Cookie sessions must echo their CSRF token on every unsafe request; API tokens are not cookies.
    if (UNSAFE_METHODS.has(request.method) && request.principal.via === "session") {
      if (request.headers["x-csrf-token"] !== request.principal.csrfToken) {
        throw new ForbiddenError("Thiếu hoặc sai mã chống giả mạo yêu cầu (CSRF). Tải lại trang và thử lại.");
      }
    }
  });
}
