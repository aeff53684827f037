import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, TEST_PASSWORD } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";
import { authRepository } from "./repository";
import { authService, defaultAuthSettings } from "./service";

let database: Database;
let app: App;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, authSettings: { ...defaultAuthSettings, loginRatePerMinute: 1000 } });
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

const auditOf = (action: string, entityId?: string) =>
  database.db
    .selectFrom("audit_log")
    .selectAll()
    .where("action", "=", action)
    .$if(!!entityId, (q) => q.where("entity_id", "=", entityId!))
    .orderBy("id")
    .execute();

describe(`accounts and sessions on ${testEngine}`, () => {
  it("requires a login everywhere but /api/health", async () => {
    expect((await app.inject({ url: "/api/health" })).statusCode).toBe(200);
    const res = await app.inject({ url: "/api/catalogues" });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ statusCode: 401, message: "Cần đăng nhập" });
  });

  it("signs in with an HttpOnly, SameSite session cookie and answers /api/me", async () => {
    const user = await createUser(database, "leader", { scopeAreaId: "92" });
    const res = await app.inject({
      method: "POST",
      url: "/api/auth/login",
      payload: { username: user.username.toUpperCase(), password: TEST_PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    const cookie = String([res.headers["set-cookie"]].flat()[0]);
    expect(cookie).toMatch(/^dh_session=[\w-]{40,};/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    const me = await app.inject({ url: "/api/me", headers: { cookie: cookie.split(";")[0]! } });
    expect(me.json()).toMatchObject({
      role: "leader",
      scope: { agencies: null, areaId: "92" },
      user: { username: user.username },
    });
    const stored = await database.db.selectFrom("sessions").select("token_hash").execute();
    expect(stored.every((s) => !cookie.includes(s.token_hash))).toBe(true); // only a hash is stored
  });

  it("throttles repeated wrong passwords, even when the right one follows, and audits each attempt", async () => {
    const user = await createUser(database, "viewer");
    for (let i = 0; i < defaultAuthSettings.maxFailures; i++) {
      const res = await app.inject({
        method: "POST",
        url: "/api/auth/login",
        payload: { username: user.username, password: "wrong-password-9" },
      });
      expect(res.statusCode).toBe(401);
    }
    const locked = await app.inject({
      method: "POST",
      url: "/api/auth/login",
      payload: { username: user.username, password: TEST_PASSWORD },
    });
    expect(locked.statusCode).toBe(429);
    expect(locked.json().message).toContain("Đăng nhập sai quá");
    const attempts = await auditOf("auth.login");
    const mine = attempts.filter((a) => a.entity_id === user.id || a.entity_id === user.username);
    expect(mine.filter((a) => a.outcome === "failure")).toHaveLength(defaultAuthSettings.maxFailures);
    expect(mine.filter((a) => a.outcome === "denied")).toHaveLength(1);
  });

  it("refuses a disabled user, and disabling ends the sessions they had", async () => {
    const admin = await login(app, (await createUser(database, "admin")).username);
    const user = await createUser(database, "viewer");
    const session = await login(app, user.username);
    const res = await app.inject({
      method: "PATCH",
      url: `/api/users/${user.id}`,
      headers: admin.headers(true),
      payload: { disabled: true, reason: "nghỉ việc" },
    });
    expect(res.statusCode).toBe(200);
    expect((await app.inject({ url: "/api/catalogues", headers: session.headers() })).statusCode).toBe(401);
    const again = await app.inject({
      method: "POST",
      url: "/api/auth/login",
      payload: { username: user.username, password: TEST_PASSWORD },
    });
    expect(again.statusCode).toBe(401);
    expect(again.json().message).toContain("bị khóa");
    const [entry] = await auditOf("user.disable", user.id);
    expect(entry).toMatchObject({ reason: "nghỉ việc", outcome: "success" });
    expect(entry!.before).toMatchObject({ disabled: false });
    expect(entry!.after).toMatchObject({ disabled: true });
  });

  it("ends an expired session", async () => {
    const user = await createUser(database, "viewer");
    const session = await login(app, user.username);
    expect((await app.inject({ url: "/api/me", headers: session.headers() })).statusCode).toBe(200);
    await authRepository(database.db).expireSessionsNow(user.id);
    const res = await app.inject({ url: "/api/me", headers: session.headers() });
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toBe("Phiên đăng nhập đã hết hạn");
  });

  it("ends the session at logout", async () => {
    const session = await login(app, (await createUser(database, "viewer")).username);
    expect((await app.inject({ method: "POST", url: "/api/auth/logout", headers: session.headers(true) })).statusCode).toBe(200);
    expect((await app.inject({ url: "/api/me", headers: session.headers() })).statusCode).toBe(401);
  });

  it("rejects a write without the CSRF token and accepts it with the token", async () => {
    const user = await createUser(database, "viewer");
    const session = await login(app, user.username);
    const payload = { currentPassword: TEST_PASSWORD, newPassword: "mật-khẩu-mới-456" };
    const forged = await app.inject({ method: "POST", url: "/api/me/password", headers: session.headers(false), payload });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().message).toContain("CSRF");
    const wrongToken = await app.inject({
      method: "POST",
      url: "/api/me/password",
      headers: { ...session.headers(false), "x-csrf-token": "sai" },
      payload,
    });
    expect(wrongToken.statusCode).toBe(403);
    const ok = await app.inject({ method: "POST", url: "/api/me/password", headers: session.headers(true), payload });
    expect(ok.statusCode).toBe(200);
    await login(app, user.username, "mật-khẩu-mới-456");
  });

  it("checks the new password and the current one", async () => {
    const session = await login(app, (await createUser(database, "viewer")).username);
    const weak = await app.inject({
      method: "POST",
      url: "/api/me/password",
      headers: session.headers(true),
      payload: { currentPassword: TEST_PASSWORD, newPassword: "ngan" },
    });
    expect(weak.statusCode).toBe(400);
    expect(weak.json()).toMatchObject({ field: "newPassword" });
    const wrong = await app.inject({
      method: "POST",
      url: "/api/me/password",
      headers: session.headers(true),
      payload: { currentPassword: "khong-dung-123", newPassword: "mot-mat-khau-dai-1" },
    });
    expect(wrong.json()).toMatchObject({ statusCode: 400, field: "currentPassword" });
  });

  it("creates the first administrator once, with a one-time password that must be changed", async () => {
    const fresh = await createTestDatabase();
    try {
      const service = authService(fresh.db);
      const first = await service.ensureInitialAdmin(undefined);
      expect(first.created).toBe(true);
      expect(first.oneTimePassword).toMatch(/^[\w]{4}-[\w]{4}-[\w]{4}-[\w]{4}$/);
      expect(await service.ensureInitialAdmin(undefined)).toEqual({ created: false });
      const admin = await authRepository(fresh.db).findUserByUsername("admin");
      expect(admin).toMatchObject({ role: "admin", must_change_password: true });
      expect(admin!.password_hash).toMatch(/^\$argon2id\$/);
    } finally {
      await fresh.close();
    }
  });
});

describe(`API tokens on ${testEngine}`, () => {
  it("are shown once, stored hashed, record their last use, and stop working when revoked", async () => {
    const admin = await login(app, (await createUser(database, "admin")).username);
    const created = await app.inject({
      method: "POST",
      url: "/api/tokens",
      headers: admin.headers(true),
      payload: { name: "LGSP Cần Thơ", agencyCode: "CT.STC", areaId: "92", canWrite: false },
    });
    expect(created.statusCode).toBe(201);
    const { token, secret } = created.json() as { token: { id: string }; secret: string };
    expect(secret).toMatch(/^dh_/);
    const stored = await database.db.selectFrom("api_tokens").selectAll().where("id", "=", token.id).executeTakeFirstOrThrow();
    expect(stored.token_hash).not.toContain(secret);
    const bearer = { authorization: `Bearer ${secret}` };
    expect((await app.inject({ url: "/api/catalogues", headers: bearer })).statusCode).toBe(200);
    const listed = await app.inject({ url: "/api/tokens", headers: admin.headers() });
    const row = (listed.json() as { items: { id: string; lastUsedAt: string | null }[] }).items.find((t) => t.id === token.id);
    expect(row?.lastUsedAt).not.toBeNull();
    expect(listed.body).not.toContain(secret);
    // A read-only token may not manage anything; no CSRF token is needed for bearer calls.
    expect((await app.inject({ method: "POST", url: "/api/users", headers: bearer, payload: {} })).statusCode).toBe(403);
    expect(
      (await app.inject({ method: "DELETE", url: `/api/tokens/${token.id}?reason=lộ%20khóa`, headers: admin.headers(true) }))
        .statusCode,
    ).toBe(200);
    const revoked = await app.inject({ url: "/api/catalogues", headers: bearer });
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().message).toContain("thu hồi");
    const [entry] = await auditOf("token.revoke", token.id);
    expect(entry).toMatchObject({ reason: "lộ khóa" });
  });
});

describe(`audit trail on ${testEngine}`, () => {
  it("records a refused write by a role without the right, with who and from where, and changes nothing", async () => {
    const reporter = await createUser(database, "reporter", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" });
    const session = await login(app, reporter.username);
    const before = await database.db
      .selectFrom("users")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    const res = await app.inject({
      method: "POST",
      url: "/api/users",
      headers: { ...session.headers(true), "user-agent": "trình duyệt thử" },
      payload: { username: "ke-gian", displayName: "x", role: "admin", scopeAgencies: null, scopeAreaId: null },
    });
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain("ke-gian");
    const after = await database.db
      .selectFrom("users")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    const denied = await database.db
      .selectFrom("audit_log")
      .selectAll()
      .where("outcome", "=", "denied")
      .where("actor_user_id", "=", reporter.id)
      .execute();
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({
      action: "POST /api/users",
      actor_username: reporter.username,
      user_agent: "trình duyệt thử",
      reason: "thiếu quyền users.manage",
    });
    expect(denied[0]!.ip).toBeTruthy();
  });

  it("is queryable by entity, user and time range, and exportable as CSV", async () => {
    const admin = await login(app, (await createUser(database, "admin")).username);
    const created = await app.inject({
      method: "POST",
      url: "/api/users",
      headers: admin.headers(true),
      payload: {
        username: "tran.thi.b",
        displayName: "Trần Thị B",
        role: "reporter",
        scopeAgencies: ["CT.STC"],
        scopeAreaId: "92",
      },
    });
    const { user, oneTimePassword } = created.json() as { user: { id: string }; oneTimePassword: string };
    expect(oneTimePassword).toBeTruthy();
    const byEntity = await app.inject({ url: `/api/audit?entityType=user&entityId=${user.id}`, headers: admin.headers() });
    const entries = byEntity.json().items as { action: string; after: { username: string } }[];
    expect(entries.map((e) => e.action)).toEqual(["user.create"]);
    expect(entries[0]!.after.username).toBe("tran.thi.b");
    expect(JSON.stringify(entries)).not.toContain(oneTimePassword);
    const future = await app.inject({ url: "/api/audit?from=2100-01-01", headers: admin.headers() });
    expect(future.json().total).toBe(0);
    const csv = await app.inject({ url: `/api/audit/export?entityId=${user.id}`, headers: admin.headers() });
    expect(csv.headers["content-type"]).toContain("text/csv");
    expect(csv.body).toContain("user.create");
    expect(csv.body).toContain("Trần Thị B");
  });

  it("cannot be changed or deleted, even with SQL", async () => {
    await expect(sql`UPDATE audit_log SET action = 'x'`.execute(database.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_log`.execute(database.db)).rejects.toThrow(/append-only/);
  });
});

describe("hardening", () => {
  it("sends security headers with a CSP that forbids framing", async () => {
    const res = await app.inject({ url: "/api/health" });
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(String(res.headers["content-security-policy"])).toContain("frame-ancestors 'none'");
    expect(String(res.headers["content-security-policy"])).toContain("script-src 'self'");
  });

  it("refuses oversized bodies before reading them", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/api/auth/login",
      payload: { username: "a", password: "x".repeat(2_000_000) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().message).toContain("quá lớn");
  });

  it("rate-limits sign-in per address", async () => {
    const strict = await buildApp({ database, authSettings: { ...defaultAuthSettings, loginRatePerMinute: 3 } });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) {
        codes.push(
          (await strict.inject({ method: "POST", url: "/api/auth/login", payload: { username: `khong-co-${i}`, password: "x" } }))
            .statusCode,
        );
      }
      expect(codes.slice(0, 3)).toEqual([401, 401, 401]);
      expect(codes.slice(3)).toEqual([429, 429]);
    } finally {
      await strict.close();
    }
  });
});
