import type { Role } from "@dieuhanh/core";
import type { App } from "../http/app";
import type { Database } from "../db/database";
import { userService } from "../users/service";

export const TEST_PASSWORD = "mật-khẩu-thử-123";

/** Creates a user directly through the service (as the system). */
export async function createUser(
  database: Database,
  role: Role,
  options: { username?: string; scopeAgencies?: string[] | null; scopeAreaId?: string | null; password?: string } = {},
) {
  const { user } = await userService(database.db).create(
    { principal: null, ip: null, userAgent: "test" },
    {
      username: options.username ?? `${role.replace(/_/g, "-")}-${Math.random().toString(36).slice(2, 8)}`,
      displayName: `Người dùng ${role}`,
      role,
      scopeAgencies: options.scopeAgencies ?? null,
      scopeAreaId: options.scopeAreaId ?? null,
      password: options.password ?? TEST_PASSWORD,
    },
  );
  return user;
}

export interface TestSession {
  cookie: string;
  csrfToken: string;
  /** Headers for a request in this session; `write` adds the CSRF token. */
  headers(write?: boolean): Record<string, string>;
}

/** Signs in through the real endpoint and returns the session cookie and CSRF token. */
export async function login(app: App, username: string, password = TEST_PASSWORD): Promise<TestSession> {
  const res = await app.inject({ method: "POST", url: "/api/auth/login", payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
  const setCookie = [res.headers["set-cookie"]].flat().find((c) => c?.startsWith("dh_session="));
  const cookie = setCookie!.split(";")[0]!;
  const csrfToken = (res.json() as { csrfToken: string }).csrfToken;
  return {
    cookie,
    csrfToken,
    headers: (write = false) => ({ cookie, ...(write ? { "x-csrf-token": csrfToken } : {}) }),
  };
}
