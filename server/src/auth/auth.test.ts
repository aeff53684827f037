import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, TEST_PASSWORD } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";
import { authRepository } from "./repository";
import { trustedProxies } from "./proxy";
import { verifyPassword } from "./secrets";
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

/** Issue 11 item 13: each defect found by a trial of the real roles and an attack from outside. */
describe(`access hardening on ${testEngine}`, () => {
  let clocked: App;
  const start = Date.now();
  const now = () => new Date(Date.parse("2025-11-05T03:00:00Z") + Date.now() - start);
  const post = (a: App, session: { headers(w?: boolean): Record<string, string> }, url: string, payload: object) =>
    a.inject({ method: "POST", url, headers: session.headers(true), payload });

  beforeAll(async () => {
    clocked = await buildApp({ database, clock: now, authSettings: { ...defaultAuthSettings, loginRatePerMinute: 1000 } });
  });
  afterAll(async () => {
    await clocked?.close();
  });

  it("applies the write rate limit: the 601st write in a minute gets 429", async () => {
    const limited = await buildApp({ database, authSettings: { ...defaultAuthSettings, loginRatePerMinute: 1000 } });
    try {
      const session = await login(limited, (await createUser(database, "viewer")).username);
      const codes = new Map<number, number>();
      for (let i = 0; i < 601; i++) {
        const res = await limited.inject({
          method: "POST",
          url: "/api/notifications/999999/read",
          headers: session.headers(true),
          remoteAddress: "192.0.2.61",
        });
        if (i === 600) {
          expect(res.statusCode).toBe(429);
          expect(res.json().message).toContain("Quá nhiều yêu cầu");
        } else codes.set(res.statusCode, (codes.get(res.statusCode) ?? 0) + 1);
      }
      expect(codes.get(429)).toBeUndefined();
      // Another address is not affected.
      const other = await limited.inject({
        method: "POST",
        url: "/api/notifications/999999/read",
        headers: session.headers(true),
        remoteAddress: "192.0.2.62",
      });
      expect(other.statusCode).not.toBe(429);
    } finally {
      await limited.close();
    }
  }, 60_000);

  it("refuses an approver approving their own submission (four eyes), and lets another approve", async () => {
    const scope = { scopeAgencies: ["CT.STC"], scopeAreaId: "92" };
    const self = await login(clocked, (await createUser(database, "approver", scope)).username);
    const other = await login(clocked, (await createUser(database, "approver", scope)).username);
    const key = { agency: "CT.STC", area: "92", period: "2025M09" };
    const saved = await post(clocked, self, "/api/reports/form", {
      ...key,
      status: "submitted",
      values: [{ indicator: "CT.A.I.3", value: 4321 }],
    });
    expect(saved.statusCode).toBe(200);
    const own = await post(clocked, self, "/api/reports/review", { ...key, action: "approve" });
    expect(own.statusCode).toBe(403);
    expect(own.json().message).toContain("không thể tự phê duyệt");
    const statuses = await database.db
      .selectFrom("data_values")
      .select("status")
      .where("indicator_code", "=", "CT.A.I.3")
      .where("period", "=", "2025M09")
      .where("superseded_at", "is", null)
      .execute();
    expect(statuses.map((s) => s.status)).toEqual(["submitted"]);
    expect((await post(clocked, other, "/api/reports/review", { ...key, action: "approve" })).statusCode).toBe(200);
  });

  it("refuses an office specialist accepting their own completion report, and lets a colleague accept it", async () => {
    const officer = await login(clocked, (await createUser(database, "office_specialist", { scopeAreaId: "92" })).username);
    const colleague = await login(clocked, (await createUser(database, "office_specialist", { scopeAreaId: "92" })).username);
    const created = await post(clocked, officer, "/api/tasks", {
      name: "Nhiệm vụ kiểm tra bốn mắt",
      deadline: { kind: "date", dueDate: "2026-06-30" },
      leadAgencies: ["CT.STC"],
    });
    expect(created.statusCode).toBe(200);
    const code = created.json().code as string;
    const report = await post(clocked, officer, `/api/tasks/${code}/reports`, {
      agency: "CT.STC",
      body: "Đã hoàn thành toàn bộ nội dung",
      claimsCompletion: true,
    });
    expect(report.statusCode).toBe(200);
    const url = `/api/tasks/${code}/reports/${report.json().id}/review`;
    const own = await post(clocked, officer, url, { action: "accept" });
    expect(own.statusCode).toBe(403);
    expect(own.json().message).toContain("không thể tự");
    expect((await post(clocked, colleague, url, { action: "accept" })).statusCode).toBe(200);
  });

  it("ends every other session of a user who changes their password", async () => {
    const user = await createUser(database, "viewer");
    const laptop = await login(app, user.username);
    const phone = await login(app, user.username);
    const changed = await post(app, laptop, "/api/me/password", {
      currentPassword: TEST_PASSWORD,
      newPassword: "mật-khẩu-khác-789",
    });
    expect(changed.statusCode).toBe(200);
    expect((await app.inject({ url: "/api/me", headers: phone.headers() })).statusCode).toBe(401);
    expect((await app.inject({ url: "/api/me", headers: laptop.headers() })).statusCode).toBe(200);
  });

  it("ends the sessions of a user whose password the administrator resets", async () => {
    const admin = await login(app, (await createUser(database, "admin")).username);
    const user = await createUser(database, "viewer");
    const session = await login(app, user.username);
    expect((await post(app, admin, `/api/users/${user.id}/reset-password`, {})).statusCode).toBe(200);
    expect((await app.inject({ url: "/api/me", headers: session.headers() })).statusCode).toBe(401);
  });

  it("scopes the audit trail: a provincial leader sees their province's accounts and sign-ins only; admins see all", async () => {
    const admin = await login(app, (await createUser(database, "admin")).username);
    const leader = await login(app, (await createUser(database, "leader", { scopeAreaId: "92" })).username);
    const far = await createUser(database, "reporter", { scopeAgencies: ["LD.SCT"], scopeAreaId: "68" });
    const near = await createUser(database, "reporter", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" });
    await login(app, far.username);
    await login(app, near.username);
    await app.inject({ method: "POST", url: "/api/auth/login", payload: { username: "khong-ai-ca", password: "x" } });
    const read = async (session: typeof admin, query: string) => {
      const res = await app.inject({ url: `/api/audit?limit=500&${query}`, headers: session.headers() });
      expect(res.statusCode).toBe(200);
      return res.json() as { items: { entityId: string | null; actorUserId: string | null; action: string }[]; total: number };
    };
    const mentions = (r: Awaited<ReturnType<typeof read>>, id: string) =>
      r.items.filter((e) => e.entityId === id || e.actorUserId === id).map((e) => e.action);
    const byLeader = await read(leader, "");
    expect(mentions(byLeader, far.id)).toEqual([]);
    expect(mentions(byLeader, near.id)).toEqual(expect.arrayContaining(["auth.login", "user.create"]));
    // Nor sign-ins by unknown names, which belong to nobody's province.
    expect(byLeader.items.filter((e) => e.entityId === "khong-ai-ca")).toEqual([]);
    expect(byLeader.total).toBe(byLeader.items.length);
    const filtered = await read(leader, `userId=${far.id}`);
    expect(filtered.total).toBe(0);
    const csv = await app.inject({ url: `/api/audit/export?entityId=${far.id}`, headers: leader.headers() });
    expect(csv.body).not.toContain(far.username);
    const byAdmin = await read(admin, "");
    expect(mentions(byAdmin, far.id)).toEqual(expect.arrayContaining(["auth.login", "user.create"]));
  });

  it("lets only callers whose scope reaches the task download a task report's attachment", async () => {
    const officer = await login(clocked, (await createUser(database, "office_specialist")).username);
    const reporter = await login(
      clocked,
      (await createUser(database, "reporter", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" })).username,
    );
    const created = await post(clocked, officer, "/api/tasks", {
      name: "Nhiệm vụ có tệp đính kèm",
      deadline: { kind: "date", dueDate: "2026-06-30" },
      leadAgencies: ["CT.STC"],
    });
    const code = created.json().code as string;
    const upload = await clocked.inject({
      method: "POST",
      url: "/api/attachments?fileName=tien-do.pdf",
      headers: { ...reporter.headers(true), "content-type": "application/octet-stream" },
      payload: Buffer.from("%PDF-1.4\n%tiến độ\n"),
    });
    expect(upload.statusCode).toBe(200);
    const fileId = upload.json().id as string;
    const reported = await post(clocked, reporter, `/api/tasks/${code}/reports`, {
      agency: "CT.STC",
      body: "Báo cáo tiến độ kèm tệp",
      percent: 30,
      attachmentIds: [fileId],
    });
    expect(reported.statusCode).toBe(200);
    const download = async (
      role: Parameters<typeof createUser>[1],
      scope: { scopeAgencies?: string[]; scopeAreaId?: string },
    ) => {
      const session = await login(clocked, (await createUser(database, role, scope)).username);
      return (await clocked.inject({ url: `/api/attachments/${fileId}`, headers: session.headers() })).statusCode;
    };
    expect((await clocked.inject({ url: `/api/attachments/${fileId}`, headers: reporter.headers() })).statusCode).toBe(200);
    expect(await download("leader", { scopeAreaId: "92" })).toBe(200);
    expect(await download("leader", {})).toBe(200);
    expect(await download("leader", { scopeAreaId: "68" })).toBe(403);
    expect(await download("reporter", { scopeAgencies: ["CT.SYT"], scopeAreaId: "92" })).toBe(403);
    expect(await download("viewer", { scopeAgencies: ["LD.SCT"], scopeAreaId: "68" })).toBe(403);
  });

  it("keeps targets and split shares within the office's area (siblings of the obligation check)", async () => {
    const far = await login(clocked, (await createUser(database, "office_specialist", { scopeAreaId: "68" })).username);
    const send = (method: "POST" | "PATCH" | "PUT", url: string, payload: object) =>
      clocked.inject({ method, url, headers: far.headers(true), payload });
    const target = { indicator: "CT.A.I.3", area: "92", year: 2031, source: "Nghị quyết thử", operator: ">=", targetValue: 5 };
    const created = await send("POST", "/api/targets", target);
    expect(created.statusCode).toBe(403);
    const existing = await database.db
      .selectFrom("targets")
      .select(["id", "target_value"])
      .where("area_id", "=", "VN")
      .executeTakeFirstOrThrow();
    expect((await send("PATCH", `/api/targets/${existing.id}`, { targetValue: 1, reason: "Kiểm thử phạm vi" })).statusCode).toBe(
      403,
    );
    const split = {
      oldArea: "old-00007", // Phường Cống Vị (Hà Nội), split between Ngọc Hà and Giảng Võ
      basis: "population",
      weights: [
        { newArea: "00008", weight: 0.6 },
        { newArea: "00025", weight: 0.4 },
      ],
      reason: "Kiểm thử phạm vi",
    };
    const refused = await send("PUT", "/api/areas/split-weights", split);
    expect(refused.statusCode, refused.body).toBe(403);
    const hanoi = await login(clocked, (await createUser(database, "office_specialist", { scopeAreaId: "01" })).username);
    const own = await clocked.inject({
      method: "PUT",
      url: "/api/areas/split-weights",
      headers: hanoi.headers(true),
      payload: split,
    });
    expect(own.statusCode).toBe(200);
    const near = await login(clocked, (await createUser(database, "office_specialist", { scopeAreaId: "92" })).username);
    const ok = await clocked.inject({ method: "POST", url: "/api/targets", headers: near.headers(true), payload: target });
    expect(ok.statusCode).toBe(200);
  });

  it("refuses an office specialist of another province editing a province's reporting obligations", async () => {
    const obligation = await database.db
      .selectFrom("reporting_obligations")
      .selectAll()
      .where("indicator_code", "=", "CT.A.I.3")
      .executeTakeFirstOrThrow();
    const patch = { deadlineDays: 12, reason: "Kiểm thử phạm vi" };
    const far = await login(clocked, (await createUser(database, "office_specialist", { scopeAreaId: "68" })).username);
    const res = await clocked.inject({
      method: "PATCH",
      url: `/api/reporting-obligations/${obligation.id}`,
      headers: far.headers(true),
      payload: patch,
    });
    expect(res.statusCode).toBe(403);
    const after = await database.db
      .selectFrom("reporting_obligations")
      .select("deadline_days")
      .where("id", "=", obligation.id)
      .executeTakeFirstOrThrow();
    expect(after.deadline_days).toBe(obligation.deadline_days);
    const near = await login(clocked, (await createUser(database, "office_specialist", { scopeAreaId: "92" })).username);
    const ok = await clocked.inject({
      method: "PATCH",
      url: `/api/reporting-obligations/${obligation.id}`,
      headers: near.headers(true),
      payload: patch,
    });
    expect(ok.statusCode).toBe(200);
  });
});

describe(`sign-in throttling and client addresses on ${testEngine}`, () => {
  const attempt = (a: App, username: string, password: string, remoteAddress: string, headers: Record<string, string> = {}) =>
    a.inject({ method: "POST", url: "/api/auth/login", payload: { username, password }, remoteAddress, headers });

  it("throttles wrong passwords per source address: the owner signing in from elsewhere is not locked out", async () => {
    const user = await createUser(database, "viewer");
    for (let i = 0; i < defaultAuthSettings.maxFailures; i++)
      expect((await attempt(app, user.username, "sai-mat-khau-1", "198.51.100.7")).statusCode).toBe(401);
    expect((await attempt(app, user.username, TEST_PASSWORD, "198.51.100.7")).statusCode).toBe(429);
    expect((await attempt(app, user.username, TEST_PASSWORD, "198.51.100.8")).statusCode).toBe(200);
    // Still refused from the guessing address: a success elsewhere does not clear it.
    expect((await attempt(app, user.username, TEST_PASSWORD, "198.51.100.7")).statusCode).toBe(429);
  });

  it("backs off exponentially: each further failure after the limit doubles the wait", async () => {
    const user = await createUser(database, "viewer");
    const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000);
    const failures = (n: number, minutesAgo: number) =>
      database.db
        .insertInto("login_failures")
        .values(Array.from({ length: n }, () => ({ username: user.username, ip: "198.51.100.9", failed_at: ago(minutesAgo) })))
        .execute();
    // Five failures 20 minutes ago: the 15-minute wait is over.
    await failures(defaultAuthSettings.maxFailures, 20);
    expect((await attempt(app, user.username, "sai-mat-khau-2", "198.51.100.9")).statusCode).toBe(401);
    // A sixth failure: the next wait is 30 minutes.
    await database.db.deleteFrom("login_failures").where("username", "=", user.username).execute();
    await failures(defaultAuthSettings.maxFailures + 1, 20);
    const locked = await attempt(app, user.username, TEST_PASSWORD, "198.51.100.9");
    expect(locked.statusCode).toBe(429);
    expect(locked.json().message).toMatch(/thử lại sau \d+ phút/);
  });

  it("verifies a password hash for unknown user names too, so sign-in time does not tell which names exist", async () => {
    const seen: (string | null)[] = [];
    const service = authService(database.db, defaultAuthSettings, {
      verify: async (hash, password) => {
        seen.push(hash);
        return verifyPassword(hash, password);
      },
    });
    const ctx = { principal: null, ip: "192.0.2.99", userAgent: "test" };
    await expect(service.login("khong-ton-tai-ai", "mot-mat-khau-1", ctx)).rejects.toThrow("không đúng");
    const user = await createUser(database, "viewer");
    await expect(service.login(user.username, "mot-mat-khau-1", ctx)).rejects.toThrow("không đúng");
    expect(seen).toHaveLength(2);
    expect(seen.every((h) => typeof h === "string" && h.startsWith("$argon2id$"))).toBe(true);
  });

  it("enforces a one-time password: until it is changed, only /api/me, the password change and sign-out answer", async () => {
    const admin = await login(app, (await createUser(database, "admin")).username);
    const created = await app.inject({
      method: "POST",
      url: "/api/users",
      headers: admin.headers(true),
      payload: { username: `mot-lan-${Date.now()}`, displayName: "Mật khẩu một lần", role: "viewer" },
    });
    const { user, oneTimePassword } = created.json() as { user: { username: string }; oneTimePassword: string };
    const session = await login(app, user.username, oneTimePassword);
    const blocked = await app.inject({ url: "/api/catalogues", headers: session.headers() });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().message).toContain("đổi mật khẩu");
    expect((await app.inject({ url: "/api/audit", headers: session.headers() })).statusCode).toBe(403);
    expect((await app.inject({ url: "/api/me", headers: session.headers() })).statusCode).toBe(200);
    const changed = await app.inject({
      method: "POST",
      url: "/api/me/password",
      headers: session.headers(true),
      payload: { currentPassword: oneTimePassword, newPassword: "mật-khẩu-riêng-321" },
    });
    expect(changed.statusCode).toBe(200);
    expect((await app.inject({ url: "/api/catalogues", headers: session.headers() })).statusCode).toBe(200);
  });

  it("trusts X-Forwarded-For only from the configured proxies", async () => {
    expect(trustedProxies(undefined)).toBe(false);
    expect(trustedProxies("false")).toBe(false);
    expect(trustedProxies("true")).toEqual(["127.0.0.1", "::1"]);
    expect(trustedProxies("127.0.0.1, 10.0.0.0/8")).toEqual(["127.0.0.1", "10.0.0.0/8"]);
    expect(() => trustedProxies("*")).toThrow(/TRUST_PROXY/);
    expect(() => trustedProxies("10.0.0.0/99")).toThrow(/TRUST_PROXY/);

    const proxied = await buildApp({
      database,
      trustProxy: trustedProxies("true, 10.0.0.0/8"),
      authSettings: { ...defaultAuthSettings, loginRatePerMinute: 1000 },
    });
    try {
      const user = await createUser(database, "viewer");
      // An attacker outside forges a new X-Forwarded-For on each try: still one source, throttled, audited as itself.
      for (let i = 0; i < defaultAuthSettings.maxFailures; i++)
        expect(
          (await attempt(proxied, user.username, "sai-mat-khau-3", "203.0.113.9", { "x-forwarded-for": `10.1.1.${i}` }))
            .statusCode,
        ).toBe(401);
      const forged = await attempt(proxied, user.username, TEST_PASSWORD, "203.0.113.9", { "x-forwarded-for": "10.2.2.2" });
      expect(forged.statusCode).toBe(429);
      const entries = await auditOf("auth.login", user.id);
      expect(new Set(entries.map((e) => e.ip))).toEqual(new Set(["203.0.113.9"]));
      // Through the real proxy, the client's address is the forwarded one.
      const real = await attempt(proxied, user.username, TEST_PASSWORD, "10.0.0.2", { "x-forwarded-for": "198.51.100.30" });
      expect(real.statusCode).toBe(200);
      const [last] = (await auditOf("auth.login", user.id)).slice(-1);
      expect(last).toMatchObject({ outcome: "success", ip: "198.51.100.30" });
    } finally {
      await proxied.close();
    }
  });
});

describe(`pages over plain HTTP on ${testEngine}`, () => {
  it("never asks the browser to upgrade to HTTPS over plain HTTP, on any host name (HOST=0.0.0.0)", async () => {
    for (const host of ["192.168.1.20:3000", "dieuhanh.local:3000", "localhost:3000"]) {
      const res = await app.inject({ url: "/api/health", headers: { host } });
      expect(String(res.headers["content-security-policy"])).not.toContain("upgrade-insecure-requests");
      expect(res.headers["strict-transport-security"]).toBeUndefined();
    }
    const session = await login(app, (await createUser(database, "viewer")).username);
    const docs = await app.inject({
      url: "/api/docs/static/index.html",
      headers: { ...session.headers(), host: "10.0.0.5:3000" },
    });
    expect(docs.statusCode).toBeLessThan(400);
    expect(String(docs.headers["content-security-policy"])).not.toContain("upgrade-insecure-requests");
  });

  it("sends HSTS over TLS (behind a trusted proxy)", async () => {
    const proxied = await buildApp({ database, trustProxy: trustedProxies("true") });
    try {
      const res = await proxied.inject({ url: "/api/health", headers: { "x-forwarded-proto": "https" } });
      expect(res.headers["strict-transport-security"]).toContain("max-age=");
    } finally {
      await proxied.close();
    }
  });
});

describe(`the push channel on ${testEngine}`, () => {
  let live: App;
  let base = "";
  beforeAll(async () => {
    live = await buildApp({ database, authSettings: { ...defaultAuthSettings, loginRatePerMinute: 1000 } });
    await live.listen({ port: 0, host: "127.0.0.1" });
    const address = live.server.address();
    base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await live?.close();
  });

  /** Opens /api/events and reads it; `until` decides when enough has arrived. */
  async function stream(cookie: string, until: (text: string) => boolean) {
    const controller = new AbortController();
    const res = await fetch(`${base}/api/events`, { headers: { cookie }, signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const ready = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return { text, ended: true };
        text += decoder.decode(value);
        if (until(text)) {
          controller.abort();
          return { text, ended: false };
        }
      }
    })();
    const opened = async () => {
      while (!text.includes("event: ready")) await new Promise((r) => setTimeout(r, 10));
    };
    return { result: ready, opened };
  }

  it("tells a subscriber only about figures within their scope", async () => {
    const leader = await login(live, (await createUser(database, "leader", { scopeAreaId: "92" })).username);
    const s = await stream(leader.cookie, (t) => t.includes("event: data"));
    await s.opened();
    live.events.dataChanged([{ indicator: "QG.A.II.1", area: "68", period: "2025M10" }]);
    live.events.dataChanged([
      { indicator: "QG.A.II.1", area: "51", period: "2025M10" },
      { indicator: "QG.A.II.1", area: "92", period: "2025M10" },
    ]);
    const { text } = await s.result;
    const data = JSON.parse(text.split("event: data\ndata: ")[1]!.split("\n")[0]!) as { areas: string[] };
    expect(data.areas).toEqual(["92"]);
  });

  it("closes the stream of an account disabled while it listens, telling it nothing more", async () => {
    const admin = await login(live, (await createUser(database, "admin")).username);
    const user = await createUser(database, "viewer");
    const session = await login(live, user.username);
    const s = await stream(session.cookie, (t) => t.includes("event: data"));
    await s.opened();
    const res = await live.inject({
      method: "PATCH",
      url: `/api/users/${user.id}`,
      headers: admin.headers(true),
      payload: { disabled: true, reason: "kiểm thử kênh đẩy" },
    });
    expect(res.statusCode).toBe(200);
    live.events.dataChanged([{ indicator: "QG.A.II.1", area: "92", period: "2025M10" }]);
    const outcome = await Promise.race([
      s.result,
      new Promise<{ text: string; ended: boolean }>((r) => setTimeout(() => r({ text: "timeout", ended: false }), 5_000)),
    ]);
    expect(outcome.ended).toBe(true);
    expect(outcome.text).not.toContain("event: data");
  });
});
