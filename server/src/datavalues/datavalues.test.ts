import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";
import { tokenService } from "../tokens/service";

let database: Database;
let app: App;
let financeReporter: TestSession; // Sở Tài chính Cần Thơ, area 92
let financeReporterId: string;
let admin: TestSession;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database });
  const reporter = await createUser(database, "reporter", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" });
  financeReporterId = reporter.id;
  financeReporter = await login(app, reporter.username);
  admin = await login(app, (await createUser(database, "admin")).username);
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

const post = (session: TestSession, body: object) =>
  app.inject({ method: "POST", url: "/api/data-values", headers: session.headers(true), payload: body });
const revenue = (value: number, extra: object = {}) => ({
  indicator: "CT.A.I.3",
  area: "92",
  period: "2025M10",
  value,
  ...extra,
});
const countValues = async () =>
  Number(
    (
      await database.db
        .selectFrom("data_values")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe(`figures (data values) on ${testEngine}`, () => {
  it("takes a reporter's figure for her agency and area, idempotently, keeping every revision", async () => {
    expect((await post(financeReporter, { values: [revenue(1234.5)] })).json()).toMatchObject({
      created: 1,
      updated: 0,
      unchanged: 0,
    });
    expect((await post(financeReporter, { values: [revenue(1234.5)] })).json()).toMatchObject({
      created: 0,
      updated: 0,
      unchanged: 1,
    });
    const beforeCorrection = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    expect((await post(financeReporter, { values: [revenue(1300, { comment: "số liệu điều chỉnh" })] })).json()).toMatchObject({
      updated: 1,
    });

    const now = await app.inject({ url: "/api/data-values?indicator=CT.A.I.3&period=2025M10", headers: admin.headers() });
    expect(now.json().items).toEqual([
      expect.objectContaining({ value: 1300, version: 2, comment: "số liệu điều chỉnh", status: "submitted" }),
    ]);
    const then = await app.inject({
      url: `/api/data-values?indicator=CT.A.I.3&period=2025M10&asOf=${encodeURIComponent(beforeCorrection)}`,
      headers: admin.headers(),
    });
    expect(then.json().items).toEqual([expect.objectContaining({ value: 1234.5, version: 1 })]);

    const audit = await database.db
      .selectFrom("audit_log")
      .selectAll()
      .where("entity_type", "=", "data_value")
      .where("outcome", "=", "success")
      .orderBy("id")
      .execute();
    expect(audit.map((a) => a.action)).toEqual(["data_value.create", "data_value.update"]);
    expect(audit[1]!.before).toMatchObject({ value: 1234.5 });
    expect(audit[1]!.after).toMatchObject({ value: 1300 });
    expect(audit[1]!.actor_user_id).toBe(financeReporterId);
  });

  it("refuses a reporter of agency X writing agency Y's figure: 403, nothing written, the attempt audited", async () => {
    const before = await countValues();
    // CT.A.II.14 (ngộ độc thực phẩm) is Sở Y tế's, not Sở Tài chính's.
    const res = await post(financeReporter, {
      values: [revenue(1, { period: "2025M09" }), { indicator: "CT.A.II.14", area: "92", period: "2025M10", value: 3 }],
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().errors).toEqual([
      { row: 2, field: "indicator", message: "Chỉ số CT.A.II.14 không thuộc cơ quan trong phạm vi của bạn" },
    ]);
    expect(await countValues()).toBe(before); // the in-scope row 1 was not written either
    const denied = await database.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "data_value.write")
      .where("outcome", "=", "denied")
      .execute();
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ actor_user_id: financeReporterId });
    expect(denied[0]!.reason).toContain("CT.A.II.14");
  });

  it("refuses a figure for an area outside the reporter's province", async () => {
    const res = await post(financeReporter, { values: [revenue(5, { area: "01" })] });
    expect(res.statusCode).toBe(403);
    expect(res.json().errors[0]).toMatchObject({ row: 1, field: "area" });
  });

  it("validates every row and names the row and field in Vietnamese; nothing is written", async () => {
    const before = await countValues();
    const res = await post(financeReporter, {
      values: [
        revenue(1, { period: "2025M13" }),
        revenue(1, { period: "2099M01" }),
        revenue(1, { indicator: "CT.KHONG.CO" }),
        revenue(1, { area: "99999" }),
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      { row: 1, field: "period", message: expect.stringContaining("không hợp lệ") },
      { row: 2, field: "period", message: "Kỳ 2099M01 chưa bắt đầu" },
      { row: 3, field: "indicator", message: "Không có chỉ số mã 'CT.KHONG.CO'" },
      { row: 4, field: "area", message: "Không có đơn vị hành chính mã '99999'" },
    ]);
    expect(await countValues()).toBe(before);
  });

  it("checks without writing on dryRun", async () => {
    const before = await countValues();
    expect((await post(financeReporter, { values: [revenue(7, { period: "2025M08" })], dryRun: true })).json()).toMatchObject({
      created: 1,
      dryRun: true,
    });
    expect(await countValues()).toBe(before);
  });

  it("lets a write token of the agency push figures without a CSRF token", async () => {
    const { secret } = await tokenService(database.db).create(
      { principal: null, ip: null, userAgent: "test" },
      {
        name: "LGSP",
        agencyCode: "CT.STC",
        areaId: "92",
        canWrite: true,
        expiresAt: null,
      },
    );
    const res = await app.inject({
      method: "POST",
      url: "/api/data-values",
      headers: { authorization: `Bearer ${secret}` },
      payload: { values: [revenue(9, { period: "2025M07" })] },
    });
    expect(res.statusCode).toBe(200);
  });

  it("shows a province's leader only the figures of the province", async () => {
    await post(admin, { values: [revenue(11, { area: "01", period: "2025M06" })] });
    const leader = await login(app, (await createUser(database, "leader", { scopeAreaId: "92" })).username);
    const seen = (await app.inject({ url: "/api/data-values?indicator=CT.A.I.3&limit=100", headers: leader.headers() })).json();
    expect(seen.items.length).toBeGreaterThan(0);
    expect(seen.items.every((v: { area: string }) => v.area === "92")).toBe(true);
    const all = (await app.inject({ url: "/api/data-values?indicator=CT.A.I.3&limit=100", headers: admin.headers() })).json();
    expect(all.items.some((v: { area: string }) => v.area === "01")).toBe(true);
  });
});
