import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { countDataValueRows, createTestDatabase, testEngine } from "../testing/database";

/**
 * Partners send the official area codes valid during the period — `94` for Sóc Trăng for 2012 — not the
 * product's `old-` ids (item 5 of issue #13). Every channel goes through datavalues/validation.ts, which reads
 * them with `readAreaCode` (datavalues/reference-cache.ts).
 */

/** 5 March 2026 in Hà Nội: the year 2025 is over, so its figures can be submitted. */
const START = Date.now();
const clock = () => new Date(Date.parse("2026-03-05T03:00:00Z") + (Date.now() - START));

let database: Database;
let app: App;
let admin: TestSession;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock });
  admin = await login(app, (await createUser(database, "admin")).username);
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

type Answer = { statusCode: number; body: string; json(): unknown };
type Note = { row: number; field: string; message: string };

/** Budget spending of Cần Thơ's catalogue (tỷ đồng; months and years). */
const SPENDING = "CT.A.II.3";

const post = (session: TestSession, values: object[]) =>
  app.inject({ method: "POST", url: "/api/data-values", headers: session.headers(true), payload: { values } });
const importAs = (format: string, body: string | object) =>
  app.inject({
    method: "POST",
    url: `/api/data-values/import?format=${format}`,
    headers: { ...admin.headers(true), "content-type": format === "dhis2" ? "application/json" : "text/csv" },
    payload: body,
  });
const warningsOf = (res: Answer) =>
  ((res.json() as { warnings?: Note[] }).warnings ?? []).map((w) => `${w.row} ${w.field}: ${w.message}`);
const errorsOf = (res: Answer) =>
  ((res.json() as { errors?: Note[] }).errors ?? []).map((e) => `${e.row} ${e.field}: ${e.message}`);
/** The published figures of an indicator, area and period as GET /api/data-values gives them. */
async function figures(query: Record<string, string>) {
  const res = await app.inject({ url: `/api/data-values?${new URLSearchParams(query)}`, headers: admin.headers() });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { items: { area: string; period: string; value: number | null }[] }).items.map((i) => ({
    area: i.area,
    period: i.period,
    value: i.value,
  }));
}

describe(`official codes of the units before 1/7/2025 on ${testEngine}`, () => {
  it("files '94' for 2012 under Sóc Trăng (old-94) and says so; '92' for 2012 is old Cần Thơ (old-92); old- ids stay", async () => {
    const res = await post(admin, [
      { indicator: SPENDING, area: "94", period: "2012", value: 400 },
      { indicator: SPENDING, area: "92", period: "2012", value: 700 },
      { indicator: SPENDING, area: "old-93", period: "2012", value: 300 },
    ]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ created: 3 });
    expect(warningsOf(res)).toEqual([
      "1 area: Mã '94' kỳ 2012 được hiểu là Sóc Trăng (old-94), đơn vị hành chính trước sắp xếp (đến 30/06/2025); số liệu lưu theo old-94",
      "2 area: Mã '92' kỳ 2012 được hiểu là Cần Thơ (old-92), đơn vị hành chính trước sắp xếp (đến 30/06/2025); số liệu lưu theo old-92; từ 01/07/2025 mã 92 là Cần Thơ (92) sau sắp xếp",
    ]);

    expect(await figures({ indicator: SPENDING, area: "old-94" })).toEqual([{ area: "old-94", period: "2012", value: 400 }]);
    expect(await figures({ indicator: SPENDING, area: "old-92" })).toEqual([{ area: "old-92", period: "2012", value: 700 }]);
    // Nothing under the new Cần Thơ's id for 2012: the figure is old Cần Thơ's.
    expect(await figures({ indicator: SPENDING, area: "92", period: "2012" })).toEqual([]);

    // The new Cần Thơ's series across the reform: its three predecessors, merged in full, added up.
    const analytics = await app.inject({
      url: `/api/analytics?${new URLSearchParams({ indicators: SPENDING, areas: "92", from: "2012", to: "2012" })}`,
      headers: admin.headers(),
    });
    expect(analytics.statusCode, analytics.body).toBe(200);
    const point = (analytics.json() as { series: { area: string; points: { period: string }[] }[] }).series
      .find((s) => s.area === "92")!
      .points.find((p) => p.period === "2012");
    expect(point).toMatchObject({ value: 1_400, source: "aggregated", coverage: { reported: 3, expected: 3 } });

    // The same figures sent again by the codes, or by the ids, change nothing; the ids need no note.
    const again = await post(admin, [
      { indicator: SPENDING, area: "94", period: "2012", value: 400 },
      { indicator: SPENDING, area: "old-92", period: "2012", value: 700 },
    ]);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
    expect(warningsOf(again)).toEqual([expect.stringMatching(/^1 area: Mã '94' kỳ 2012 được hiểu là Sóc Trăng \(old-94\)/)]);

    // One figure named both ways in one batch is one key, sent twice.
    const twice = await post(admin, [
      { indicator: SPENDING, area: "old-94", period: "2013", value: 410 },
      { indicator: SPENDING, area: "94", period: "2013", value: 420 },
    ]);
    expect(twice.statusCode).toBe(400);
    expect(errorsOf(twice)).toEqual(["2 indicator: Trùng khóa với dòng 1: cùng chỉ số, địa bàn, kỳ và phân tổ"]);
  });

  it("reads a shared code as the unit in force from 1/7/2025, and for a period straddling it (the year 2025)", async () => {
    const res = await post(admin, [
      { indicator: SPENDING, area: "92", period: "2025M08", value: 1_500 },
      { indicator: SPENDING, area: "92", period: "2025", value: 15_000 },
      { indicator: SPENDING, area: "92", period: "2025M06", value: 650 },
      { indicator: SPENDING, area: "94", period: "2025", value: 2_000 },
    ]);
    expect(res.statusCode, res.body).toBe(200);
    // 2025M08 and the year 2025 (which the new Cần Thơ existed in) stay with the new unit, silently; June 2025
    // is old Cần Thơ's. '94' names no unit in force: for the year 2025 it is Sóc Trăng, which existed in part of it.
    expect(warningsOf(res)).toEqual([
      expect.stringMatching(/^3 area: Mã '92' kỳ 2025M06 được hiểu là Cần Thơ \(old-92\)/),
      expect.stringMatching(/^4 area: Mã '94' kỳ 2025 được hiểu là Sóc Trăng \(old-94\)/),
    ]);
    expect(await figures({ indicator: SPENDING, area: "92", period: "2025M08" })).toEqual([
      { area: "92", period: "2025M08", value: 1_500 },
    ]);
    expect(await figures({ indicator: SPENDING, area: "92", period: "2025" })).toEqual([
      { area: "92", period: "2025", value: 15_000 },
    ]);
    expect(await figures({ indicator: SPENDING, area: "old-92", period: "2025M06" })).toEqual([
      { area: "old-92", period: "2025M06", value: 650 },
    ]);
    expect(await figures({ indicator: SPENDING, area: "old-94", period: "2025" })).toEqual([
      { area: "old-94", period: "2025", value: 2_000 },
    ]);

    // An old code after the reform is the old unit, which no longer exists then.
    const before = await countDataValueRows(database);
    const late = await post(admin, [{ indicator: SPENDING, area: "94", period: "2025M08", value: 1 }]);
    expect(late.statusCode).toBe(400);
    expect(errorsOf(late)).toEqual([expect.stringMatching(/^1 area: Sóc Trăng \(old-94\) đã thôi tồn tại từ sau 30\/06\/2025/)]);
    expect(await countDataValueRows(database)).toBe(before);
  });

  it("leaves the form's area as picked: the new Cần Thơ's form for June 2025 is refused, naming its predecessors", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/api/reports/form",
      headers: admin.headers(true),
      payload: {
        agency: "CT.STC",
        area: "92",
        period: "2025M06",
        status: "draft",
        values: [{ indicator: "CT.A.I.3", value: 10 }],
      },
    });
    expect(res.statusCode).toBe(400);
    expect(errorsOf(res)).toEqual([
      expect.stringMatching(
        /^1 area: Cần Thơ \(92\) được thành lập từ 01\/07\/2025; kỳ 2025M06 trước đó nên không nhận số liệu — báo cáo cho đơn vị trước sắp xếp: Cần Thơ \(old-92\)/,
      ),
    ]);
  });

  it("refuses the code of a unit formed in 2025, which no unit bore before, naming the predecessors", async () => {
    // Đặc khu Lý Sơn (21548, Quảng Ngãi) took the place of the island district Lý Sơn (536): Kon Tum's
    // catalogue serves Quảng Ngãi today.
    const before = await countDataValueRows(database);
    const res = await post(admin, [
      { indicator: "KT.A.X.3", area: "21548", period: "2019", value: 5 },
      { indicator: "KT.A.X.3", area: "21548", period: "2025M09", value: 5 },
    ]);
    expect(res.statusCode).toBe(400);
    expect(errorsOf(res)).toEqual([
      "1 area: Lý Sơn (21548) được thành lập từ 01/07/2025; kỳ 2019 trước đó nên không nhận số liệu (không đơn vị nào trước đó mang mã 21548) — báo cáo cho đơn vị trước sắp xếp: Lý Sơn (old-536)",
    ]);
    expect(await countDataValueRows(database)).toBe(before);

    // The predecessor, by its official code of the time.
    const ok = await post(admin, [{ indicator: "KT.A.X.3", area: "536", period: "2019", value: 5 }]);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(warningsOf(ok)).toEqual([expect.stringMatching(/^1 area: Mã '536' kỳ 2019 được hiểu là Lý Sơn \(old-536\)/)]);
    expect(await figures({ indicator: "KT.A.X.3", area: "old-536" })).toEqual([{ area: "old-536", period: "2019", value: 5 }]);
  });

  it("reads communes' 5-digit codes of 2019 as the old communes, and names at most a hundred rows one by one", async () => {
    const communes = await database.db
      .selectFrom("areas")
      .select(["id", "code"])
      .where("parent_id", "=", "old-94")
      .where("level", "=", "commune")
      .orderBy("code")
      .limit(105)
      .execute();
    expect(communes).toHaveLength(105);
    const res = await post(
      admin,
      communes.map((c, i) => ({ indicator: SPENDING, area: c.code, period: "2019", value: 10 + i })),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ created: 105 });
    const warnings = warningsOf(res);
    expect(warnings).toHaveLength(101);
    expect(warnings[0]).toMatch(
      new RegExp(`^1 area: Mã '${communes[0]!.code}' kỳ 2019 được hiểu là .* \\(${communes[0]!.id}\\)`),
    );
    expect(warnings[100]).toBe(
      "101 area: Từ dòng này, 5 dòng nữa có mã địa bàn được hiểu là đơn vị hành chính trước sắp xếp (đến 30/06/2025), như các dòng trên",
    );
    expect(await figures({ indicator: SPENDING, area: communes[104]!.id })).toEqual([
      { area: communes[104]!.id, period: "2019", value: 114 },
    ]);
  });

  it("does the same on the CSV, SDMX-CSV and DHIS2 channels, and an export comes back identical", async () => {
    const csv = await importAs("csv", `indicator,area,period,value\r\n${SPENDING},94,2014,440\r\n${SPENDING},92,2014,740\r\n`);
    expect(csv.statusCode, csv.body).toBe(200);
    expect(warningsOf(csv)).toEqual([
      expect.stringMatching(/^\d+ area: Mã '94' kỳ 2014 được hiểu là Sóc Trăng \(old-94\)/),
      expect.stringMatching(/^\d+ area: Mã '92' kỳ 2014 được hiểu là Cần Thơ \(old-92\)/),
    ]);

    const sdmx = await importAs(
      "sdmx-csv",
      "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,DISAGGREGATION,OBS_VALUE,OBS_STATUS,COMMENT\r\n" +
        `dataflow,VN_DH:DF_DIEUHANH(1.0),M,${SPENDING},93,2015,_T,350,A,\r\n` +
        `dataflow,VN_DH:DF_DIEUHANH(1.0),M,${SPENDING},92,2025-08,_T,1500,A,\r\n`,
    );
    expect(sdmx.statusCode, sdmx.body).toBe(200);
    expect(warningsOf(sdmx)).toEqual([expect.stringMatching(/^\d+ area: Mã '93' kỳ 2015 được hiểu là Hậu Giang \(old-93\)/)]);
    expect(sdmx.json()).toMatchObject({ created: 1, unchanged: 1 });

    const dhis2 = await importAs("dhis2", {
      dataValues: [{ dataElement: SPENDING, period: "2016", orgUnit: "94", value: "460" }],
    });
    expect(dhis2.statusCode, dhis2.body).toBe(200);
    expect(warningsOf(dhis2)).toEqual([expect.stringMatching(/^\d+ area: Mã '94' kỳ 2016 được hiểu là Sóc Trăng \(old-94\)/)]);

    expect(await figures({ indicator: SPENDING, area: "old-94" })).toEqual(
      expect.arrayContaining([
        { area: "old-94", period: "2014", value: 440 },
        { area: "old-94", period: "2016", value: 460 },
      ]),
    );
    expect(await figures({ indicator: SPENDING, area: "old-93", period: "2015" })).toEqual([
      { area: "old-93", period: "2015", value: 350 },
    ]);

    // Exports write the product's ids; re-imported, they are the same figures, with no note.
    for (const format of ["csv", "sdmx-csv", "dhis2"]) {
      const exported = await app.inject({
        url: `/api/data-values/export?${new URLSearchParams({ format, indicator: SPENDING, area: "old-94" })}`,
        headers: admin.headers(),
      });
      expect(exported.statusCode).toBe(200);
      expect(exported.body).toContain("old-94");
      const back = await importAs(format, format === "dhis2" ? exported.json() : exported.body.replace(/^\uFEFF/, ""));
      expect(back.statusCode, back.body).toBe(200);
      expect(back.json()).toMatchObject({ created: 0, updated: 0, unchanged: 4 });
      expect(warningsOf(back)).toEqual([]);
    }
  });

  it("gives peers the official code beside the id in the area catalogue", async () => {
    const one = await app.inject({ url: "/api/areas/94?at=2012-01-01", headers: admin.headers() });
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json()).toMatchObject({ id: "old-94", code: "94", validTo: "2025-06-30" });
    expect(one.json().mergedInto).toEqual([expect.objectContaining({ id: "92", code: "92" })]);
    const list = await app.inject({ url: "/api/areas?level=province&at=2025-06-30&limit=100", headers: admin.headers() });
    const provinces = list.json().items as { id: string; code: string }[];
    expect(provinces).toHaveLength(63);
    expect(provinces.find((p) => p.code === "92")).toMatchObject({ id: "old-92" });
    const now = await app.inject({ url: "/api/areas/92", headers: admin.headers() });
    expect(now.json()).toMatchObject({ id: "92", code: "92" });
  });
});
