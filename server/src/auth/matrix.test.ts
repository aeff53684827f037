import { randomUUID } from "node:crypto";
import { hasPermission, roles, type Role } from "@dieuhanh/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, TEST_PASSWORD } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";
import { tokenService } from "../tokens/service";
import { attachmentRepository } from "../documents/attachments";
import { taskTracking } from "../tasks/tracking";
import { defaultAuthSettings } from "./service";
import { principalCan, type Principal } from "./principal";

/**
 * Every role × every API route × in-scope and out-of-scope users (and read/write API tokens, and no
 * login at all), asserting the status code. The routes come from the app's own route table: a new
 * endpoint without a sample request here fails the first test, and one without an access rule cannot
 * even be registered.
 */

let database: Database;
let app: App;
let targetUserId: string;
let targetTokenId: string;
let obligationId: number;
let taskCode = "";
let reportId = "";
let attachmentId = "";
let targetId = "";
let dashboardId = "";
let officeId = "";
let counter = 0;

interface Sample {
  url: string;
  payload?: unknown;
  contentType?: string;
  /** Beyond the permission: which roles the resource lets in (e.g. another user's dashboard: administrators). */
  onlyRoles?: Role[];
  /** The agency and area whose data the request writes: callers whose scope misses them get 403. */
  touches?: { agency?: string; area: string };
}

/** One request per route; ids come from fixtures made in beforeAll. */
function samples(): Record<string, () => Sample | Promise<Sample>> {
  return {
    "GET /api/health": () => ({ url: "/api/health" }),
    "POST /api/auth/login": () => ({ url: "/api/auth/login", payload: { username: "matrix-login", password: TEST_PASSWORD } }),
    "POST /api/auth/logout": () => ({ url: "/api/auth/logout" }),
    "GET /api/me": () => ({ url: "/api/me" }),
    "POST /api/me/password": () => ({
      url: "/api/me/password",
      payload: { currentPassword: "wrong-password-1", newPassword: "x" },
    }),
    "GET /api/users": () => ({ url: "/api/users" }),
    "POST /api/users": () => ({
      url: "/api/users",
      payload: { username: `matrix-${++counter}`, displayName: "Thử", role: "viewer", scopeAgencies: null, scopeAreaId: null },
    }),
    "PATCH /api/users/:id": () => ({ url: `/api/users/${targetUserId}`, payload: { displayName: `Đã sửa ${++counter}` } }),
    "POST /api/users/:id/reset-password": () => ({ url: `/api/users/${targetUserId}/reset-password`, payload: {} }),
    "GET /api/tokens": () => ({ url: "/api/tokens" }),
    "POST /api/tokens": () => ({ url: "/api/tokens", payload: { name: `matrix ${++counter}` } }),
    "DELETE /api/tokens/:id": () => ({ url: `/api/tokens/${targetTokenId}` }),
    "GET /api/changes": () => ({ url: "/api/changes?limit=5" }),
    "GET /api/sync/reconciliation": () => ({ url: "/api/sync/reconciliation?indicators=QG.A.II.1" }),
    "GET /api/sync/metadata": () => ({ url: "/api/sync/metadata" }),
    "GET /api/sync/links": () => ({ url: "/api/sync/links" }),
    "POST /api/sync/links": () => ({
      url: "/api/sync/links",
      payload: {
        id: `matrix-${++counter}`,
        name: "Ma trận",
        peerUrl: "http://127.0.0.1:9/",
        token: "dh_khong-dung-duoc",
        indicators: ["QG.A.I.4"],
        areaId: "01",
      },
    }),
    "DELETE /api/sync/links/:id": () => ({ url: "/api/sync/links/khong-co" }),
    "PATCH /api/sync/links/:id": () => ({ url: "/api/sync/links/khong-co", payload: { enabled: false } }),
    "POST /api/sync/links/:id/pull": () => ({ url: "/api/sync/links/khong-co/pull" }),
    "POST /api/sync/links/:id/webhook": () => ({ url: "/api/sync/links/khong-co/webhook", payload: {} }),
    "GET /api/sync/webhooks": () => ({ url: "/api/sync/webhooks" }),
    "POST /api/sync/webhooks": () => ({ url: "/api/sync/webhooks", payload: { url: "http://127.0.0.1:9/hook" } }),
    "DELETE /api/sync/webhooks/:id": () => ({ url: "/api/sync/webhooks/00000000-0000-4000-8000-000000000000" }),
    "GET /api/audit": () => ({ url: "/api/audit?limit=5" }),
    "GET /api/audit/export": () => ({ url: "/api/audit/export?entityType=user" }),
    "GET /api/areas": () => ({ url: "/api/areas?level=province" }),
    "GET /api/areas/:code": () => ({ url: "/api/areas/92" }),
    "GET /api/boundaries/provinces": () => ({ url: "/api/boundaries/provinces" }),
    "GET /api/boundaries/communes/:province": () => ({ url: "/api/boundaries/communes/92" }),
    "GET /api/agencies": () => ({ url: "/api/agencies?limit=5" }),
    "GET /api/catalogues": () => ({ url: "/api/catalogues" }),
    "GET /api/catalogues/:id": () => ({ url: "/api/catalogues/cantho-256" }),
    "GET /api/catalogues/:id/indicators": () => ({ url: "/api/catalogues/cantho-256/indicators?limit=5" }),
    "GET /api/indicators/:code": () => ({ url: "/api/indicators/CT.A.I.1" }),
    "GET /api/task-lists": () => ({ url: "/api/task-lists" }),
    "GET /api/tasks": () => ({ url: "/api/tasks?source=cantho-256&limit=5" }),
    "POST /api/data-values": () => ({
      url: "/api/data-values",
      payload: { values: [{ indicator: "CT.A.I.3", area: "92", period: "2025M10", value: ++counter }] },
      touches: { agency: "CT.STC", area: "92" },
    }),
    "GET /api/data-values": () => ({ url: "/api/data-values?indicator=CT.A.I.3" }),
    "POST /api/data-values/import": () => ({
      url: "/api/data-values/import?format=csv",
      payload: `indicator,area,period,value\nCT.A.I.4,92,2025M10,${++counter}\n`,
      contentType: "text/csv",
      touches: { agency: "CT.STC", area: "92" },
    }),
    "GET /api/data-values/history": () => ({ url: "/api/data-values/history?indicator=CT.A.I.3&area=92&period=2025M10" }),
    "GET /api/data-values/export": () => ({ url: "/api/data-values/export?format=sdmx-csv&indicator=CT.A.I.3" }),
    "GET /api/reports/form": () => ({
      url: "/api/reports/form?agency=CT.STC&area=92&period=2025M10",
      touches: { agency: "CT.STC", area: "92" },
    }),
    "POST /api/reports/form": () => ({
      url: "/api/reports/form",
      payload: {
        agency: "CT.STC",
        area: "92",
        period: "2025M10",
        status: "draft",
        values: [{ indicator: "CT.A.I.5", value: ++counter }],
      },
      touches: { agency: "CT.STC", area: "92" },
    }),
    "GET /api/reports/template": () => ({
      url: "/api/reports/template?agency=CT.STC&area=92&period=2025M10",
      touches: { agency: "CT.STC", area: "92" },
    }),
    // Not a spreadsheet: permitted callers get 400, the others 401/403 before the body is read.
    "POST /api/reports/upload": () => ({ url: "/api/reports/upload", payload: { not: "a file" } }),
    "GET /api/reports/completeness": () => ({ url: "/api/reports/completeness?period=2025M10" }),
    "POST /api/reports/review": async () => {
      // Figures submitted by someone else: nobody approves their own (four eyes), and the callers also submit.
      const reporter = await login(app, "matrix-reporter");
      await app.inject({
        method: "POST",
        url: "/api/reports/form",
        headers: reporter.headers(true),
        payload: {
          agency: "CT.STC",
          area: "92",
          period: "2025M10",
          status: "submitted",
          values: [{ indicator: "CT.A.I.6", value: ++counter }],
        },
      });
      return {
        url: "/api/reports/review",
        payload: { agency: "CT.STC", area: "92", period: "2025M10", action: "approve", indicators: ["CT.A.I.6"] },
        touches: { agency: "CT.STC", area: "92" },
      };
    },
    "POST /api/reports/reopen": () => ({
      url: "/api/reports/reopen",
      payload: { agency: "CT.STC", area: "92", period: "2025M10", reason: "Kiểm thử ma trận quyền" },
      touches: { agency: "CT.STC", area: "92" },
    }),
    "GET /api/dimensions": () => ({ url: "/api/dimensions?code=sex" }),
    "GET /api/sdmx/structure/*": () => ({ url: "/api/sdmx/structure/codelist/VN_DH/CL_FREQ/1.0" }),
    "GET /api/sdmx/data/*": () => ({
      url: "/api/sdmx/data/dataflow/VN_DH/DF_DIEUHANH/1.0/M.CT_A_I_3?updatedAfter=2025-01-01T00:00:00Z",
    }),
    "GET /api/tasks/export": () => ({ url: "/api/tasks/export?source=qd1012" }),
    "GET /api/tasks/scorecard": () => ({ url: "/api/tasks/scorecard?by=agency" }),
    "GET /api/tasks/scorecard/export": () => ({ url: "/api/tasks/scorecard/export?by=authority" }),
    "GET /api/tasks/:code": () => ({ url: "/api/tasks/QG.NV.I.1" }),
    "POST /api/tasks": () => ({
      url: "/api/tasks",
      payload: { name: `Nhiệm vụ thử ${++counter}`, deadline: { kind: "date", dueDate: "2026-12-31" }, leadAgencies: ["CT.STC"] },
      touches: { agency: "CT.STC", area: "92" },
    }),
    "PATCH /api/tasks/:code": () => ({
      url: `/api/tasks/${taskCode}`,
      payload: { name: `Nhiệm vụ đã sửa ${++counter}`, version: 1 },
      touches: { agency: "CT.STC", area: "92" },
    }),
    "POST /api/tasks/:code/reports": () => ({
      url: `/api/tasks/${taskCode}/reports`,
      payload: { agency: "CT.STC", body: "Đang triển khai theo kế hoạch", percent: 40 },
      touches: { agency: "CT.STC", area: "92" },
    }),
    "POST /api/tasks/:code/reports/:id/review": () => ({
      url: `/api/tasks/${taskCode}/reports/${reportId}/review`,
      payload: { action: "accept" },
      touches: { agency: "CT.STC", area: "92" },
    }),
    "POST /api/tasks/:code/close": () => ({
      url: `/api/tasks/${taskCode}/close`,
      payload: { as: "cancelled", reason: "Kiểm thử ma trận quyền" },
      touches: { agency: "CT.STC", area: "92" },
    }),
    "POST /api/tasks/reminders": () => ({ url: "/api/tasks/reminders" }),
    "GET /api/notifications": () => ({ url: "/api/notifications" }),
    "POST /api/notifications/:id/read": () => ({ url: "/api/notifications/999999/read" }),
    "POST /api/notifications/read-all": () => ({ url: "/api/notifications/read-all" }),
    "PUT /api/me/email": () => ({ url: "/api/me/email", payload: { email: null } }),
    "GET /api/documents": () => ({ url: "/api/documents" }),
    "GET /api/documents/:id": () => ({ url: "/api/documents/qd1012" }),
    "POST /api/documents": () => ({
      url: "/api/documents",
      payload: {
        kind: "official_letter",
        number: `${++counter}/VPCP-KTTH`,
        issuer: "Văn phòng Chính phủ",
        title: "Về việc kiểm thử ma trận quyền",
      },
    }),
    "POST /api/attachments": () => ({
      url: "/api/attachments?fileName=bao-cao.pdf",
      payload: Buffer.from("%PDF-1.4\n%kiểm thử\n"),
      contentType: "application/octet-stream",
    }),
    // A file on a report of Sở Tài chính Cần Thơ's task: only callers whose scope reaches that task.
    "GET /api/attachments/:id": () => ({ url: `/api/attachments/${attachmentId}`, touches: { agency: "CT.STC", area: "92" } }),
    "GET /api/targets": () => ({ url: "/api/targets?catalogue=qd1012" }),
    "GET /api/targets/export": () => ({ url: "/api/targets/export?catalogue=cantho-256" }),
    "POST /api/targets": () => ({
      url: "/api/targets",
      payload: {
        indicator: "QG.B.1",
        area: "VN",
        year: 2030 + (++counter % 60),
        source: "Nghị quyết thử",
        operator: ">=",
        targetValue: 7,
      },
      touches: { area: "VN" },
    }),
    "PATCH /api/targets/:id": () => ({
      url: `/api/targets/${targetId}`,
      payload: { targetValue: 6.5, reason: "Kiểm thử ma trận quyền" },
      touches: { area: "VN" },
    }),
    "GET /api/analytics": () => ({
      url: "/api/analytics?indicators=QG.A.II.1&areas=92&from=2025M01&to=2025M03&comparisons=true",
    }),
    "GET /api/analytics/export": () => ({ url: "/api/analytics/export?indicators=QG.A.II.1&areas=92&from=2025M01&to=2025M03" }),
    "GET /api/analytics/latest": () => ({ url: "/api/analytics/latest?indicators=QG.A.II.1&area=92" }),
    "GET /api/events": () => ({ url: "/api/events?once=true" }),
    "PUT /api/areas/split-weights": () => ({
      url: "/api/areas/split-weights",
      payload: {
        oldArea: "old-00007", // split between two communes of Hà Nội
        basis: "population",
        weights: [
          { newArea: "00008", weight: 0.5 },
          { newArea: "00025", weight: 0.5 },
        ],
        reason: "Kiểm thử ma trận quyền",
      },
      touches: { area: "01" },
    }),
    "GET /api/dashboards": () => ({ url: "/api/dashboards" }),
    "GET /api/dashboards/:id": () => ({ url: `/api/dashboards/${dashboardId}` }),
    "POST /api/dashboards": () => ({
      url: "/api/dashboards",
      payload: { name: `Bảng ${++counter}`, tiles: [{ indicator: "QG.A.II.1" }] },
    }),
    "PUT /api/dashboards/:id": () => ({
      url: `/api/dashboards/${dashboardId}`,
      payload: { name: "Bảng của văn phòng", shared: true, tiles: [{ indicator: "QG.A.II.1" }], version: 1 },
      onlyRoles: ["admin"],
    }),
    "DELETE /api/dashboards/:id": async () => {
      // A fresh dashboard of the office for each request: only administrators may delete another's.
      const id = randomUUID();
      await database.db
        .insertInto("dashboards")
        .values({ id, name: "Bảng sẽ bị xóa", owner_user_id: officeId, for_role: null, shared: true, area_id: "VN", tiles: "[]" })
        .execute();
      return { url: `/api/dashboards/${id}`, onlyRoles: ["admin"] };
    },
    "GET /api/profile": () => ({ url: "/api/profile" }),
    "GET /api/catalogues/:id/indicators-with-data": () => ({
      url: "/api/catalogues/qd1012/indicators-with-data?parent=92&period=2025M10",
    }),
    "PUT /api/profile": () => ({ url: "/api/profile", payload: { kind: "government_office", version: 0 } }),
    "GET /api/programmes": () => ({ url: "/api/programmes?year=2025" }),
    "GET /api/targets/years": () => ({ url: "/api/targets/years" }),
    "POST /api/projects": () => ({
      url: "/api/projects",
      payload: { code: `DA-${++counter}`, programme: "CT-MTQG-1", name: "Dự án thử", area: "92", capitalPlan: 100 },
    }),
    "GET /api/reporting-obligations": () => ({ url: "/api/reporting-obligations?agency=CT.STC" }),
    "PATCH /api/reporting-obligations/:id": () => ({
      url: `/api/reporting-obligations/${obligationId}`,
      payload: { deadlineDays: 10 + (++counter % 5), reason: "Kiểm thử ma trận quyền" },
      touches: { agency: "CT.STC", area: "92" },
    }),
    "POST /api/dataValueSets": () => ({
      url: "/api/dataValueSets?idScheme=CODE",
      payload: { dataValues: [{ dataElement: "CT.A.I.4", period: "202510", orgUnit: "92", value: String(++counter) }] },
      touches: { agency: "CT.STC", area: "92" },
    }),
    ...Object.fromEntries(
      ["", ".json", ".csv", ".xml"].map((ext) => [
        `GET /api/dataValueSets${ext}`,
        () => ({ url: `/api/dataValueSets${ext}?dataElement=CT.A.I.3&period=202510&orgUnit=92` }),
      ]),
    ),
    ...Object.fromEntries(
      [
        "dataElements",
        "organisationUnits",
        "categories",
        "categoryOptions",
        "categoryCombos",
        "categoryOptionCombos",
        "dataSets",
      ].map((kind) => [`GET /api/${kind}`, () => ({ url: `/api/${kind}?pageSize=5&fields=id,code` })]),
    ),
    "GET /api/openapi.json": () => ({ url: "/api/openapi.json" }),
    "GET /api/docs": () => ({ url: "/api/docs" }),
    "GET /api/docs/*": () => ({ url: "/api/docs/static/index.html" }),
    "GET /api/docs/json": () => ({ url: "/api/docs/json" }),
    "GET /api/docs/yaml": () => ({ url: "/api/docs/yaml" }),
    "GET /api/docs/static/*": () => ({ url: "/api/docs/static/swagger-ui.css" }),
    "GET /api/docs/initOAuth": () => ({ url: "/api/docs/initOAuth" }),
    "GET /api/docs/uiConfig": () => ({ url: "/api/docs/uiConfig" }),
    "GET /api/docs/static/index.html": () => ({ url: "/api/docs/static/index.html" }),
    "GET /api/docs/static/swagger-initializer.js": () => ({ url: "/api/docs/static/swagger-initializer.js" }),
  };
}

/** The callers of the matrix: each role with a national scope and with a narrow one, two API tokens, nobody. */
interface Caller {
  label: string;
  role: Role | null;
  scope: { agencies: string[] | null; areaId: string | null };
  /** Signed-in users get a fresh session per request, so that one request's logout does not affect the next. */
  username?: string;
  token?: "read" | "write";
  headers: (write: boolean) => Record<string, string>;
}
const callers: Caller[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  // October 2025's reports are open on 5 November 2025.
  const start = Date.now();
  app = await buildApp({
    database,
    authSettings: { ...defaultAuthSettings, loginRatePerMinute: 100_000, writeRatePerMinute: 100_000 },
    clock: () => new Date(Date.parse("2025-11-05T03:00:00Z") + Date.now() - start),
  });
  targetUserId = (await createUser(database, "viewer", { username: "matrix-target" })).id;
  obligationId = (
    await database.db
      .selectFrom("reporting_obligations")
      .select("id")
      .where("indicator_code", "=", "CT.A.I.3")
      .executeTakeFirstOrThrow()
  ).id;
  await createUser(database, "viewer", { username: "matrix-login" });
  await createUser(database, "reporter", { username: "matrix-reporter", scopeAgencies: ["CT.STC"], scopeAreaId: "92" });
  // A task led by Sở Tài chính Cần Thơ with a report asking for an extension, a file, a target.
  const officer = await createUser(database, "office_specialist", { username: "matrix-office" });
  const officeCtx = {
    principal: {
      via: "session" as const,
      userId: officer.id,
      username: officer.username,
      displayName: "Văn phòng",
      tokenId: null,
      role: "office_specialist" as const,
      scope: { agencies: null, areaId: null },
      csrfToken: null,
      canWrite: false,
    },
    ip: null,
    userAgent: "test",
  };
  const tracking = taskTracking(database.db, { today: () => "2025-11-05" });
  const task = {
    documentId: null,
    name: "Nhiệm vụ của ma trận quyền",
    expectedResult: null,
    deadline: { kind: "date" as const, dueDate: "2026-06-30" },
    leadAgencies: ["CT.STC"],
    coordinatingAgencies: [],
    assignedBy: null,
    priority: "normal" as const,
    parentCode: null,
    indicators: [],
  };
  taskCode = (await tracking.create(officeCtx, task)).code;
  attachmentId = (await attachmentRepository(database.db).save("mau.pdf", Buffer.from("%PDF-1.4\n"), null)).id;
  reportId = (
    await tracking.report(officeCtx, taskCode, {
      agency: "CT.STC",
      body: "Đề nghị gia hạn vì chờ hướng dẫn",
      percent: 50,
      claimsCompletion: false,
      proposedDeadline: "2026-09-30",
      attachmentIds: [attachmentId],
    })
  ).id;
  officeId = officer.id;
  dashboardId = randomUUID();
  await database.db
    .insertInto("dashboards")
    .values({
      id: dashboardId,
      name: "Bảng chia sẻ",
      owner_user_id: officer.id,
      for_role: null,
      shared: true,
      area_id: "VN",
      tiles: JSON.stringify([{ indicator: "QG.A.II.1", area: null, chart: "tile", periods: 12 }]),
    })
    .execute();
  targetId = String(
    (await database.db.selectFrom("targets").select("id").where("indicator_code", "=", "QG.B.1").executeTakeFirstOrThrow()).id,
  );
  const system = { principal: null, ip: null, userAgent: "test" };
  targetTokenId = (
    await tokenService(database.db).create(system, {
      name: "target",
      agencyCode: null,
      areaId: null,
      canWrite: false,
      expiresAt: null,
    })
  ).token.id;
  for (const role of roles) {
    // In scope of the sample writes (national; Sở Tài chính Cần Thơ) and out of it (Sở Y tế Cần Thơ).
    const scopes: [string, { agencies: string[] | null; areaId: string | null }][] = [
      ["cả nước", { agencies: null, areaId: null }],
      ["Sở Tài chính Cần Thơ", { agencies: ["CT.STC"], areaId: "92" }],
      ["Sở Y tế Cần Thơ", { agencies: ["CT.SYT"], areaId: "92" }],
    ];
    for (const [scopeLabel, scope] of scopes) {
      const user = await createUser(database, role, { scopeAgencies: scope.agencies, scopeAreaId: scope.areaId });
      callers.push({ label: `${role} (${scopeLabel})`, role, scope, username: user.username, headers: () => ({}) });
    }
  }
  for (const kind of ["read", "write"] as const) {
    const { secret } = await tokenService(database.db).create(system, {
      name: `matrix ${kind}`,
      agencyCode: "CT.STC",
      areaId: "92",
      canWrite: kind === "write",
      expiresAt: null,
    });
    callers.push({
      label: `khóa API ${kind}`,
      role: null,
      scope: { agencies: ["CT.STC"], areaId: "92" },
      token: kind,
      headers: () => ({ authorization: `Bearer ${secret}` }),
    });
  }
  callers.push({ label: "chưa đăng nhập", role: null, scope: { agencies: null, areaId: null }, headers: () => ({}) });
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

function inScope(caller: Caller, sample: Sample): boolean {
  if (!sample.touches) return true;
  const { agencies, areaId } = caller.scope;
  const agency = sample.touches.agency;
  return (
    (agencies === null || agency === undefined || agencies.includes(agency)) &&
    (areaId === null || areaId === sample.touches.area)
  );
}

function allowed(caller: Caller, rule: (typeof app.routeRules)[number]["access"], sample: Sample): boolean {
  if ("public" in rule) return true;
  if (!inScope(caller, sample)) return false;
  if (sample.onlyRoles && (caller.role === null || !sample.onlyRoles.includes(caller.role))) return false;
  if (caller.token) {
    const principal = { via: "token", canWrite: caller.token === "write" } as Principal;
    return principalCan(principal, rule.permission);
  }
  return caller.role !== null && hasPermission(caller.role, rule.permission);
}

describe(`role × endpoint matrix on ${testEngine}`, () => {
  it("has a sample request for every API route", () => {
    const known = samples();
    const missing = app.routeRules.map((r) => `${r.method} ${r.url}`).filter((k) => !known[k]);
    expect(missing).toEqual([]);
  });

  it("answers every caller on every route as the rules say", async () => {
    const known = samples();
    const failures: string[] = [];
    let checked = 0;
    for (const caller of callers) {
      for (const rule of app.routeRules) {
        const sample = await known[`${rule.method} ${rule.url}`]!();
        const write = rule.method !== "GET";
        const username = caller.username;
        const headers = username ? (await login(app, username)).headers(write) : caller.headers(write);
        const res = await app.inject({
          method: rule.method as "GET" | "POST" | "PATCH" | "PUT" | "DELETE",
          url: sample.url,
          headers: sample.contentType ? { ...headers, "content-type": sample.contentType } : headers,
          ...(sample.payload !== undefined ? { payload: sample.payload as object } : {}),
        });
        checked++;
        const ok = allowed(caller, rule.access, sample);
        const anonymous = !username && !caller.token;
        const expected = ok ? "not 401/403" : anonymous ? "401" : "403";
        const pass = ok
          ? res.statusCode !== 401 && res.statusCode !== 403 && res.statusCode < 500
          : res.statusCode === (anonymous ? 401 : 403);
        if (!pass) failures.push(`${caller.label} ${rule.method} ${sample.url}: ${res.statusCode}, expected ${expected}`);
        if (!ok) expect(res.body).not.toMatch(/"items"|password|token_hash/); // no data in a refusal
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBe(callers.length * app.routeRules.length);
    console.log(`role × endpoint matrix: ${callers.length} callers × ${app.routeRules.length} routes = ${checked} requests`);
    // Each request signs in afresh (argon2id): some 1,600 sign-ins on two cores.
  }, 900_000);
});
