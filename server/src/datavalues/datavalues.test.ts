import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { countDataValueRows, createTestDatabase, testEngine } from "../testing/database";
import { tokenService } from "../tokens/service";

/** From 5 November 2025, 10:00 in Hà Nội (October's reports are due by the 10th), running on. */
const START = Date.now();
const clock = () => new Date(Date.parse("2025-11-05T03:00:00Z") + (Date.now() - START));

let database: Database;
let app: App;
let financeReporter: TestSession; // Sở Tài chính Cần Thơ, area 92
let financeReporterId: string;
let admin: TestSession;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock });
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
const countRows = () => countDataValueRows(database);
const current = async (indicator: string, area: string, period: string, disaggregation = "") =>
  (
    await app.inject({
      url: `/api/data-values?${new URLSearchParams({ indicator, area, period, disaggregation })}`,
      headers: admin.headers(),
    })
  ).json().items;

describe(`figures (data values) on ${testEngine}`, () => {
  it("takes a reporter's figure for her agency and area, idempotently, keeping every revision", async () => {
    expect((await post(financeReporter, { values: [revenue(1234.5)] })).json()).toMatchObject({
      created: 1,
      updated: 0,
      unchanged: 0,
    });
    expect((await post(financeReporter, { values: [revenue(1234.5)] })).json()).toMatchObject({
      created: 0,
      unchanged: 1,
      batchId: null,
    });
    const beforeCorrection = clock().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    expect((await post(financeReporter, { values: [revenue(1300, { comment: "số liệu điều chỉnh" })] })).json()).toMatchObject({
      updated: 1,
    });

    expect(await current("CT.A.I.3", "92", "2025M10")).toEqual([
      expect.objectContaining({
        value: 1300,
        version: 2,
        comment: "số liệu điều chỉnh",
        status: "submitted",
        source: "api",
        agency: "CT.STC",
      }),
    ]);
    const then = await app.inject({
      url: `/api/data-values?indicator=CT.A.I.3&period=2025M10&asOf=${encodeURIComponent(beforeCorrection)}`,
      headers: admin.headers(),
    });
    expect(then.json().items).toEqual([expect.objectContaining({ value: 1234.5, version: 1 })]);

    const history = await app.inject({
      url: "/api/data-values/history?indicator=CT.A.I.3&area=92&period=2025M10",
      headers: admin.headers(),
    });
    expect(history.json().items.map((v: { version: number; value: number }) => [v.version, v.value])).toEqual([
      [1, 1234.5],
      [2, 1300],
    ]);
    expect(history.json().items[0]).toMatchObject({ recordedBy: expect.any(String), supersededAt: expect.any(String) });

    const audit = await database.db
      .selectFrom("audit_log")
      .selectAll()
      .where("entity_type", "=", "data_batch")
      .where("outcome", "=", "success")
      .orderBy("id")
      .execute();
    expect(audit.map((a) => a.action)).toEqual(["data_value.write", "data_value.write"]);
    expect(audit[1]!.before).toEqual([expect.objectContaining({ value: 1234.5 })]);
    expect(audit[1]!.after).toMatchObject({ counts: { updated: 1 }, changes: [{ key: "CT.A.I.3|92|2025M10|", value: 1300 }] });
    expect(audit[1]!.actor_user_id).toBe(financeReporterId);
  });

  it("deletes a figure by adding no new version: history kept, and a new entry continues the numbering", async () => {
    await post(financeReporter, { values: [revenue(10, { period: "2025M09" })] });
    expect(
      (await post(financeReporter, { values: [{ ...revenue(0, { period: "2025M09" }), delete: true }] })).json(),
    ).toMatchObject({ deleted: 1 });
    expect(await current("CT.A.I.3", "92", "2025M09")).toEqual([]);
    expect((await post(financeReporter, { values: [revenue(11, { period: "2025M09" })] })).json()).toMatchObject({ created: 1 });
    expect(await current("CT.A.I.3", "92", "2025M09")).toEqual([expect.objectContaining({ value: 11, version: 2 })]);
  });

  it("refuses a reporter of agency X writing agency Y's figure: 403, nothing written, the attempt audited", async () => {
    const before = await countRows();
    // CT.A.II.14 (ngộ độc thực phẩm) is Sở Y tế's, not Sở Tài chính's.
    const res = await post(financeReporter, {
      values: [revenue(1, { period: "2025M09" }), { indicator: "CT.A.II.14", area: "92", period: "2025M10", value: 3 }],
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().errors).toEqual([
      { row: 2, field: "indicator", message: "Chỉ số CT.A.II.14 không thuộc cơ quan trong phạm vi của bạn" },
    ]);
    expect(await countRows()).toBe(before); // the in-scope row 1 was not written either
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

  it("refuses a figure for a commune of another province (caller's scope) and a province outside the catalogue", async () => {
    const national = await post(admin, { values: [revenue(5, { area: "01" })] });
    expect(national.statusCode).toBe(400);
    expect(national.json().errors[0]).toMatchObject({
      row: 1,
      field: "area",
      message: expect.stringContaining("ngoài phạm vi của bộ chỉ số"),
    });
    // QG.A.II.1 is reported for the nation and provinces, not communes.
    const commune = await post(admin, { values: [{ indicator: "QG.A.II.1", area: "00004", period: "2025M10", value: 1 }] });
    expect(commune.json().errors[0]).toMatchObject({
      field: "area",
      message: expect.stringContaining("không báo cáo cho cấp xã"),
    });
  });

  it("validates every row and names the row and field in Vietnamese; nothing is written", async () => {
    const before = await countRows();
    const res = await post(financeReporter, {
      values: [
        revenue(1, { period: "2025M13" }),
        revenue(1, { period: "2025M12" }),
        revenue(1, { indicator: "CT.KHONG.CO" }),
        revenue(1, { area: "99999" }),
        revenue(1, { period: "2025M09", disaggregation: "sex=F" }),
        revenue(1, { period: "2025M09", disaggregation: "vsic_section=ZZ" }),
        revenue(1, { period: "2025M09", disaggregation: "vsic_section" }),
        revenue(-5, { period: "2025M08" }),
        revenue(1, { period: "2025Q3" }),
        revenue(2, { period: "2025M07" }),
        revenue(3, { period: "2025M07" }),
        { indicator: "CT.A.I.3", area: "92", period: "2025M09", valueText: "một nghìn" },
        { indicator: "CT.A.I.3", area: "old-92", period: "2025M10", value: 1 },
        revenue(1234.5, { period: "2025M10", unit: "triệu đồng" }),
      ],
    });
    expect(res.statusCode).toBe(400);
    const errors = res.json().errors as { row: number; field: string; message: string }[];
    const byRow = (row: number) => errors.filter((e) => e.row === row).map((e) => `${e.field}: ${e.message}`);
    expect(byRow(1)).toEqual([expect.stringMatching(/^period: Kỳ '2025M13' không hợp lệ/)]);
    expect(byRow(2)).toEqual(["period: Kỳ 2025M12 chưa bắt đầu, chưa nhận số liệu"]);
    expect(byRow(3)).toEqual(["indicator: Không có chỉ số mã 'CT.KHONG.CO'"]);
    expect(byRow(4)).toEqual(["area: Không có đơn vị hành chính mã '99999'"]);
    expect(byRow(5)).toEqual([expect.stringMatching(/^disaggregation: Chỉ số CT.A.I.3 không phân tổ theo 'sex'/)]);
    expect(byRow(6)).toEqual(["disaggregation: Chiều 'vsic_section' không có mã 'ZZ'"]);
    expect(byRow(7)).toEqual([expect.stringMatching(/^disaggregation: Phân tổ 'vsic_section' không đúng dạng/)]);
    expect(byRow(8)).toEqual([expect.stringMatching(/^value: Giá trị âm/)]);
    expect(byRow(9)).toEqual([expect.stringMatching(/^period: Chỉ số CT.A.I.3 báo cáo theo kỳ .*không theo quý/)]);
    expect(byRow(11)).toEqual(["indicator: Trùng khóa với dòng 10: cùng chỉ số, địa bàn, kỳ và phân tổ"]);
    expect(byRow(12)).toEqual([expect.stringMatching(/^value: Chỉ số CT.A.I.3 nhận giá trị số/)]);
    expect(byRow(13)).toEqual([expect.stringMatching(/^area: Cần Thơ \(old-92\) đã thôi tồn tại/)]);
    expect(byRow(14)).toEqual(["unit: Đơn vị 'triệu đồng' khác đơn vị của chỉ số CT.A.I.3 ('tỷ đồng'): quy đổi trước khi gửi"]);
    expect(await countRows()).toBe(before);
  });

  it("holds parts to their total: a partition adds up, no part exceeds it, a sub-indicator stays under its parent", async () => {
    const schools = (value: number, disaggregation = "") => ({
      indicator: "CT.A.II.6",
      area: "92",
      period: "2025M10",
      value,
      disaggregation,
    });
    const reporter = await login(
      app,
      (await createUser(database, "reporter", { scopeAgencies: ["CT.SGDDT"], scopeAreaId: "92" })).username,
    );
    const wrongSum = await post(reporter, {
      values: [schools(100), schools(70, "ownership=CONG_LAP"), schools(20, "ownership=NGOAI_CL")],
    });
    expect(wrongSum.statusCode).toBe(400);
    expect(wrongSum.json().errors).toEqual([
      expect.objectContaining({
        field: "value",
        message: expect.stringContaining("Tổng các phân tổ theo 'ownership' (90) khác tổng số (100)"),
      }),
    ]);
    // Children of a top-level option (dân lập, tư thục under ngoài công lập) do not count twice.
    const ok = await post(reporter, {
      values: [
        schools(100),
        schools(70, "ownership=CONG_LAP"),
        schools(30, "ownership=NGOAI_CL"),
        schools(25, "ownership=TU_THUC"),
      ],
    });
    expect(ok.json()).toMatchObject({ created: 4 });
    const bigPart = await post(reporter, { values: [schools(120, "ownership=TU_THUC")] });
    expect(bigPart.json().errors[0].message).toContain("Phân tổ ownership=TU_THUC (120) lớn hơn tổng số (100)");

    const energy = await login(
      app,
      (await createUser(database, "reporter", { scopeAgencies: ["LD.SCT"], scopeAreaId: "68" })).username,
    );
    const kwh = (indicator: string, value: number) => ({ indicator, area: "68", period: "2025M10", value });
    const child = await post(energy, { values: [kwh("DN.A.V.3", 1000), kwh("DN.A.V.3.1", 1500)] });
    expect(child.statusCode).toBe(400);
    expect(child.json().errors[0].message).toContain("Chỉ số DN.A.V.3.1 (1.500) lớn hơn chỉ số cha DN.A.V.3 (1.000)");
    expect((await post(energy, { values: [kwh("DN.A.V.3", 1000), kwh("DN.A.V.3.1", 600)] })).json()).toMatchObject({
      created: 2,
    });
  });

  it("asks for a comment before submitting a figure far from its own history; a draft only warns", async () => {
    // The nation's series (Cần Thơ's began with the city on 1/7/2025: too short to judge yet).
    const months = ["2025M01", "2025M02", "2025M03", "2025M04", "2025M05", "2025M06", "2025M07", "2025M08"];
    await post(admin, {
      values: months.map((period, i) => ({ indicator: "QG.A.III.4", area: "VN", period, value: 100_000 + (i % 3) * 2_000 })),
    });
    const spend = (value: number, comment?: string) => ({
      indicator: "QG.A.III.4",
      area: "VN",
      period: "2025M09",
      value,
      comment,
    });
    const refused = await post(admin, { values: [spend(500_000)] });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors[0].message).toMatch(/bất thường so với lịch sử.*cần ghi chú giải thích để gửi/);
    const draft = await post(admin, { values: [spend(500_000)], status: "draft" });
    expect(draft.json()).toMatchObject({ created: 1, warnings: [expect.objectContaining({ row: 1, field: "value" })] });
    const explained = await post(admin, { values: [spend(500_000, "Bơm thanh khoản một lần cuối kỳ")] });
    expect(explained.json()).toMatchObject({ updated: 1 });
    expect(await current("QG.A.III.4", "VN", "2025M09")).toEqual([
      expect.objectContaining({ flags: ["outlier"], status: "submitted" }),
    ]);
  });

  it("checks without writing on dryRun", async () => {
    const before = await countRows();
    expect((await post(financeReporter, { values: [revenue(1, { indicator: "CT.A.I.5" })], dryRun: true })).json()).toMatchObject(
      {
        created: 1,
        dryRun: true,
        batchId: null,
      },
    );
    expect(await countRows()).toBe(before);
  });

  it("lets a write token of the agency push figures without a CSRF token", async () => {
    const { secret } = await tokenService(database.db).create(
      { principal: null, ip: null, userAgent: null },
      { name: "Hệ thống Sở Tài chính", agencyCode: "CT.STC", areaId: "92", canWrite: true, expiresAt: null },
    );
    const res = await app.inject({
      method: "POST",
      url: "/api/data-values",
      headers: { authorization: `Bearer ${secret}` },
      payload: { values: [revenue(9, { indicator: "CT.A.I.6" })] },
    });
    expect(res.statusCode).toBe(200);
  });

  it("shows a province's leader only the figures of the province", async () => {
    await post(admin, {
      values: [
        { indicator: "QG.A.II.1", area: "01", period: "2025M10", value: 50_000 },
        { indicator: "QG.A.II.1", area: "92", period: "2025M10", value: 2_000 },
      ],
    });
    const leader = await login(app, (await createUser(database, "leader", { scopeAreaId: "92" })).username);
    const seen = (await app.inject({ url: "/api/data-values?indicator=QG.A.II.1", headers: leader.headers() })).json();
    expect(seen.items.map((v: { area: string }) => v.area)).toEqual(["92"]);
    const all = (await app.inject({ url: "/api/data-values?indicator=QG.A.II.1", headers: admin.headers() })).json();
    expect(all.items.map((v: { area: string }) => v.area)).toEqual(["01", "92"]);
  });
});
