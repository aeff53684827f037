import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { countDataValueRows, createTestDatabase, testEngine } from "../testing/database";
import type { Principal } from "../auth/principal";
import { validateRows, type IncomingRow } from "./validation";

/** 5 November 2025 in Hà Nội: October is over and due by the 10th. */
const START = Date.now();
const clock = () => new Date(Date.parse("2025-11-05T03:00:00Z") + (Date.now() - START));

let database: Database;
let app: App;
let admin: TestSession;
let reporter: TestSession; // Sở Tài chính Cần Thơ, area 92

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock });
  admin = await login(app, (await createUser(database, "admin")).username);
  reporter = await login(
    app,
    (await createUser(database, "reporter", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" })).username,
  );
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

const post = (session: TestSession, values: object[], url = "/api/data-values") =>
  app.inject({ method: "POST", url, headers: session.headers(true), payload: { values } });
const errorsOf = (res: { json(): unknown }) =>
  ((res.json() as { errors?: { row: number; field: string; message: string }[] }).errors ?? []).map(
    (e) => `${e.row} ${e.field}: ${e.message}`,
  );

describe(`validation gaps (issue 11, items 7 and 13) on ${testEngine}`, () => {
  it("refuses a fractional count ('1,5 vụ', '2,5 doanh nghiệp') but takes whole counts and fractional amounts", async () => {
    const before = await countDataValueRows(database);
    const res = await post(admin, [
      { indicator: "QG.A.XI.5", area: "VN", period: "2025M10", value: 1.5 },
      { indicator: "CT.A.I.8", area: "92", period: "2025M10", value: 2.5 },
    ]);
    expect(res.statusCode).toBe(400);
    expect(errorsOf(res)).toEqual([
      "1 value: Giá trị 1,5 không hợp lệ: đơn vị 'vụ' đếm số lượng, phải là số nguyên",
      "2 value: Giá trị 2,5 không hợp lệ: đơn vị 'doanh nghiệp' đếm số lượng, phải là số nguyên",
    ]);
    expect(await countDataValueRows(database)).toBe(before);

    const ok = await post(admin, [
      { indicator: "QG.A.XI.5", area: "VN", period: "2025M10", value: 2 },
      { indicator: "CT.A.I.3", area: "92", period: "2025M10", value: 1234.5 },
    ]);
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it("does not ask a justification for a single event on a mostly-zero series, but does for a real jump", async () => {
    // Food poisoning cases: none for a year but one in February.
    const months = ["2024M09", "2024M10", "2024M11", "2024M12", "2025M01", "2025M02", "2025M03", "2025M04"];
    const more = ["2025M05", "2025M06", "2025M07", "2025M08"];
    const history = [...months, ...more].map((period) => ({
      indicator: "QG.A.XI.4",
      area: "VN",
      period,
      value: period === "2025M02" ? 1 : 0,
    }));
    expect((await post(admin, history)).statusCode).toBe(200);

    const single = await post(admin, [{ indicator: "QG.A.XI.4", area: "VN", period: "2025M09", value: 1 }]);
    expect(single.statusCode, single.body).toBe(200);
    expect(single.json().warnings ?? []).toEqual([]);

    const jump = await post(admin, [{ indicator: "QG.A.XI.4", area: "VN", period: "2025M10", value: 60 }]);
    expect(jump.statusCode).toBe(400);
    expect(errorsOf(jump)).toEqual([expect.stringMatching(/^1 value: Giá trị 60 bất thường .*cần ghi chú giải thích/)]);
    const explained = await post(admin, [
      { indicator: "QG.A.XI.4", area: "VN", period: "2025M10", value: 60, comment: "Vụ tai nạn liên hoàn trên cao tốc" },
    ]);
    expect(explained.statusCode, explained.body).toBe(200);
  });

  it("judges a unit formed in 2025 against the series of the units merged into it, not against none", async () => {
    const merges = await database.db.selectFrom("area_merges").selectAll().where("new_area_id", "in", ["01", "92"]).execute();
    expect(merges.filter((m) => m.new_area_id === "01").map((m) => [m.old_area_id, m.merge_type])).toEqual([["old-01", "full"]]);
    expect(
      merges
        .filter((m) => m.new_area_id === "92")
        .map((m) => m.old_area_id)
        .sort(),
    ).toEqual(["old-92", "old-93", "old-94"]);
    // A year of budget revenue (tỷ đồng) before the reform, by the old provinces.
    const months = ["2024M07", "2024M08", "2024M09", "2024M10", "2024M11", "2024M12"];
    const more = ["2025M01", "2025M02", "2025M03", "2025M04", "2025M05", "2025M06"];
    const old = (area: string, base: number) =>
      [...months, ...more].map((period, i) => ({ indicator: "QG.A.II.4", area, period, value: base + (i % 3) * base * 0.02 }));
    const seeded = await post(admin, [
      ...old("old-01", 30_000),
      ...old("old-92", 700),
      ...old("old-93", 300),
      ...old("old-94", 400),
    ]);
    expect(seeded.statusCode, seeded.body).toBe(200);

    // Hà Nội continues old Hà Nội: ten times its usual month needs a word; its usual month does not.
    const jump = await post(admin, [{ indicator: "QG.A.II.4", area: "01", period: "2025M07", value: 300_000 }]);
    expect(errorsOf(jump)).toEqual([
      expect.stringMatching(/^1 value: Giá trị 300\.000 bất thường .*trung vị 30\.\d+.*cần ghi chú/),
    ]);
    expect((await post(admin, [{ indicator: "QG.A.II.4", area: "01", period: "2025M07", value: 30_500 }])).statusCode).toBe(200);
    // Cần Thơ continues the sum of Cần Thơ, Hậu Giang and Sóc Trăng.
    const merged = await post(admin, [{ indicator: "QG.A.II.4", area: "92", period: "2025M07", value: 14_000 }]);
    expect(errorsOf(merged)).toEqual([expect.stringMatching(/^1 value: Giá trị 14\.000 bất thường .*trung vị 1\.4\d\d/)]);
    expect((await post(admin, [{ indicator: "QG.A.II.4", area: "92", period: "2025M07", value: 1_450 }])).statusCode).toBe(200);
    // Several months of the new unit in one batch (the predecessors' series read once for all of them): each
    // row is judged against the history before its own month, and only the odd one is named.
    const months92 = await post(admin, [
      { indicator: "QG.A.II.4", area: "92", period: "2025M08", value: 1_470 },
      { indicator: "QG.A.II.4", area: "92", period: "2025M09", value: 14_700 },
      { indicator: "QG.A.II.4", area: "92", period: "2025M10", value: 1_440 },
    ]);
    expect(errorsOf(months92)).toEqual([expect.stringMatching(/^2 value: Giá trị 14\.700 bất thường .*trung vị 1\.4\d\d/)]);
  });

  it("refuses figures for a period before a unit was formed, naming where they belong, and after it was dissolved", async () => {
    const commune = await database.db
      .selectFrom("areas")
      .innerJoin("area_merges", "area_merges.new_area_id", "areas.id")
      .select(["areas.id", "areas.name"])
      .where("areas.parent_id", "=", "92")
      .where("areas.level", "=", "commune")
      .orderBy("areas.id")
      .executeTakeFirstOrThrow();
    const before = await countDataValueRows(database);
    // A code of a unit formed in 2025 that no unit bore before (Đặc khu Lý Sơn, Quảng Ngãi, served by Kon Tum's
    // catalogue): refused for an earlier period. A code an old unit bore too ("92", and Cần Thơ's communes) is
    // read as that old unit for a period before 1/7/2025 instead (areas/old-codes.test.ts).
    const res = await post(admin, [
      { indicator: "KT.A.X.3", area: "21548", period: "2018M05", value: 10 },
      { indicator: "CT.A.I.3", area: "92", period: "2025M06", value: 10 },
      { indicator: "CT.A.I.3", area: "old-92", period: "2025M07", value: 10 },
    ]);
    expect(res.statusCode).toBe(400);
    const errors = errorsOf(res);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(
      /^1 area: Lý Sơn \(21548\) được thành lập từ 01\/07\/2025; kỳ 2018M05 trước đó .*báo cáo cho đơn vị trước sắp xếp: Lý Sơn \(old-536\)/,
    );
    expect(errors[1]).toMatch(/^3 area: Cần Thơ \(old-92\) đã thôi tồn tại/);
    expect(await countDataValueRows(database)).toBe(before);

    // Nor does the completeness page expect from it what it could not have reported.
    const office = await login(app, (await createUser(database, "office_specialist")).username);
    const expected = async (period: string) =>
      (await app.inject({ url: `/api/reports/completeness?period=${period}&agency=CT.STC`, headers: office.headers() })).json()
        .items as { area: string }[];
    expect((await expected("2025M10")).map((r) => r.area)).toContain("92");
    expect((await expected("2025M06")).map((r) => r.area)).not.toContain("92");

    // The period the unit was formed in, and the predecessor for the month before, are accepted.
    const ok = await post(admin, [
      { indicator: "CT.A.I.3", area: commune.id, period: "2025M07", value: 10 },
      { indicator: "CT.A.I.3", area: "old-92", period: "2025M06", value: 10 },
    ]);
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it("refuses formula text in comments and text values on the JSON API and the form, as the file channels do", async () => {
    const before = await countDataValueRows(database);
    const json = await post(admin, [
      { indicator: "CT.A.I.3", area: "92", period: "2025M09", value: 5, comment: '=HYPERLINK("http://x","bấm")' },
      { indicator: "CT.A.I.3", area: "92", period: "2025M08", value: 5, comment: "@SUM(A1:A9)" },
    ]);
    expect(json.statusCode).toBe(400);
    expect(errorsOf(json)).toEqual([
      expect.stringMatching(/^1 comment: Nội dung '=HYPERLINK.*công thức/),
      expect.stringMatching(/^2 comment: Nội dung '@SUM.*công thức/),
    ]);

    const form = await app.inject({
      method: "POST",
      url: "/api/reports/form",
      headers: reporter.headers(true),
      payload: {
        agency: "CT.STC",
        area: "92",
        period: "2025M10",
        status: "draft",
        values: [{ indicator: "CT.A.I.3", value: 10, comment: "+cmd|' /C calc'!A0" }],
      },
    });
    expect(form.statusCode, form.body).toBe(400);
    expect(errorsOf(form).join("\n")).toContain("comment: Nội dung '+cmd");
    expect(await countDataValueRows(database)).toBe(before);

    // Text that starts with an apostrophe is text, kept as sent (exports escape it, formats/text.ts).
    const literal = await post(admin, [
      { indicator: "CT.A.I.3", area: "92", period: "2025M08", value: 5, comment: "'- đã rà soát với Kho bạc" },
    ]);
    expect(literal.statusCode, literal.body).toBe(200);

    // The same text through a file: the apostrophe is that channel's mark of literal text (formats/text.ts).
    const csv = await app.inject({
      method: "POST",
      url: "/api/data-values/import?format=csv",
      headers: { ...admin.headers(true), "content-type": "text/csv" },
      payload:
        "indicator,area,period,value,comment\nCT.A.I.3,92,2025M07,5,'- đã rà soát với Kho bạc\nCT.A.I.3,92,2025M09,5,=1+1\n",
    });
    expect(csv.statusCode).toBe(400);
    expect(errorsOf(csv)).toEqual([expect.stringMatching(/^3 comment: Nội dung '=1\+1'.*công thức/)]);

    // A negative number is a number, not a formula; a dash inside a comment is text.
    const ok = await post(admin, [
      { indicator: "CT.A.I.3", area: "92", period: "2025M09", value: 5, comment: "giảm -5 so với kỳ trước" },
    ]);
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it("refuses codes holding NUL or half surrogate pairs from any channel, naming row and field, without asking the database", async () => {
    const system: Principal = {
      via: "token",
      userId: null,
      username: "test",
      displayName: "Kiểm thử",
      tokenId: null,
      role: "admin",
      scope: { agencies: null, areaId: null },
      csrfToken: null,
      canWrite: true,
    };
    const row = (n: number, fields: Partial<IncomingRow>): IncomingRow => ({
      at: { row: n, sheet: "Số liệu", columns: { indicator: "A", area: "C" } },
      indicator: "CT.A.I.3",
      area: "92",
      period: "2025M10",
      disaggregation: "",
      value: 1,
      valueText: null,
      comment: null,
      action: "upsert",
      ...fields,
    });
    const outcome = await validateRows(
      database.db,
      system,
      [row(5, { indicator: "CT.A.I.3\u0000" }), row(6, { area: "9\ud8002" }), row(7, { comment: "a\u0000b" })],
      { status: "submitted", now: clock() },
    );
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        row: 5,
        sheet: "Số liệu",
        column: "A",
        field: "indicator",
        message: expect.stringContaining("ký tự không hợp lệ"),
      }),
      expect.objectContaining({ row: 6, column: "C", field: "area", message: expect.stringContaining("UTF-16") }),
      expect.objectContaining({ row: 7, field: "comment", message: "Có ký tự điều khiển không hợp lệ" }),
    ]);
  });
});

describe(`the same rules for plan targets on ${testEngine}`, () => {
  const create = (body: object) =>
    app.inject({
      method: "POST",
      url: "/api/targets",
      headers: admin.headers(true),
      payload: { source: "Nghị quyết HĐND", operator: "<=", note: null, targetMax: null, ...body },
    });

  it("refuses a fractional target for a count unit, on creation and on change", async () => {
    const half = await create({ indicator: "QG.A.XI.5", area: "VN", year: 2026, targetValue: 12.5 });
    expect(half.statusCode).toBe(400);
    expect(half.json()).toMatchObject({
      field: "targetValue",
      message: "Chỉ tiêu 12,5 không hợp lệ: đơn vị 'vụ' đếm số lượng, phải là số nguyên",
    });
    const whole = await create({ indicator: "QG.A.XI.5", area: "VN", year: 2026, targetValue: 12 });
    expect(whole.statusCode, whole.body).toBe(200);
    const changed = await app.inject({
      method: "PATCH",
      url: `/api/targets/${whole.json().id}`,
      headers: admin.headers(true),
      payload: { targetValue: 10.5, reason: "Điều chỉnh theo nghị quyết" },
    });
    expect(changed.statusCode).toBe(400);
    expect(changed.json().message).toContain("phải là số nguyên");
    // Amounts take decimals.
    expect((await create({ indicator: "QG.A.II.4", area: "VN", year: 2026, targetValue: 1234.5 })).statusCode).toBe(200);
  });

  it("refuses a target for a year before the unit was formed or after it was dissolved", async () => {
    const early = await create({ indicator: "QG.A.II.4", area: "92", year: 2024, targetValue: 100 });
    expect(early.statusCode).toBe(400);
    expect(early.json()).toMatchObject({ field: "year", message: expect.stringContaining("được thành lập từ 01/07/2025") });
    const late = await create({ indicator: "QG.A.II.4", area: "old-92", year: 2026, targetValue: 100 });
    expect(late.statusCode).toBe(400);
    expect(late.json().message).toContain("đã thôi tồn tại");
    expect((await create({ indicator: "QG.A.II.4", area: "92", year: 2025, targetValue: 100 })).statusCode).toBe(200);
  });
});
