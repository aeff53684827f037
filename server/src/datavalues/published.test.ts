import ExcelJS from "exceljs";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { readMigrations } from "../db/migrate";
import { loadSampleData } from "../demo/load";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";
import { writeRows } from "./writer";

/**
 * Leaders see only figures that were submitted or approved (docs/decisions/0008): a reporter's draft, a
 * returned figure or a figure withdrawn never reaches a dashboard, a map, an export or a target's progress,
 * and a period that is not over cannot be submitted as final.
 */

/** From 5 November 2025, 10:00 in Hà Nội, running on: October is over, November is not. */
const START = Date.now();
let offset = Date.parse("2025-11-05T03:00:00Z") - START;
const clock = () => new Date(Date.now() + offset);

let database: Database;
let app: App;
let reporter: TestSession; // Sở Tài chính Cần Thơ
let approver: TestSession;
let office: TestSession;
let leader: TestSession; // Cần Thơ's leader
let nationalLeader: TestSession;

const KEY = { agency: "CT.STC", area: "92", period: "2025M10" };
const REVENUE = "CT.A.I.3"; // Thu ngân sách (tỷ đồng), Sở Tài chính

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock });
  const user = (role: Parameters<typeof createUser>[1], o: Parameters<typeof createUser>[2] = {}) =>
    createUser(database, role, o).then((u) => login(app, u.username));
  reporter = await user("reporter", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" });
  approver = await user("approver", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" });
  office = await user("office_specialist", { scopeAreaId: "92" });
  leader = await user("leader", { scopeAreaId: "92" });
  nationalLeader = await user("leader");
  const target = await send(office, "/api/targets", {
    indicator: REVENUE,
    area: "92",
    year: 2025,
    source: "Nghị quyết HĐND thành phố về dự toán 2025",
    operator: ">=",
    targetValue: 20_000,
  });
  expect(target.statusCode, target.body).toBe(200);
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

const get = (session: TestSession, url: string, query: Record<string, string> = {}) =>
  app.inject({ url: `${url}?${new URLSearchParams(query)}`, headers: session.headers() });
const send = (session: TestSession, url: string, payload: object) =>
  app.inject({ method: "POST", url, headers: session.headers(true), payload });
const saveForm = (status: "draft" | "submitted", value: number, period = KEY.period) =>
  send(reporter, "/api/reports/form", { ...KEY, period, status, values: [{ indicator: REVENUE, value }] });

/** October's revenue of Cần Thơ wherever a leader reads it; null where it is not shown. */
async function whatLeadersSee(asOf?: string) {
  const at: Record<string, string> = asOf ? { asOf } : {};
  const ok = <T>(res: Awaited<ReturnType<typeof get>>, read: (body: T) => unknown) => {
    expect(res.statusCode, res.body).toBe(200);
    return read(res.json() as T);
  };
  type Series = { series: { area: string; points: { period: string; value: number | null }[] }[] };
  const pointOf = (body: Series, area: string) =>
    body.series.find((s) => s.area === area)?.points.find((p) => p.period === KEY.period)?.value ?? null;

  const tile = ok(
    await get(leader, "/api/analytics/latest", { indicators: REVENUE, area: "92", ...at }),
    (b: { items: { latest: { period: string; value: number } | null }[] }) => b.items[0]!.latest,
  );
  const analytics = ok(
    await get(leader, "/api/analytics", { indicators: REVENUE, areas: "92", from: "2025M10", to: "2025M10", ...at }),
    (b: Series) => pointOf(b, "92"),
  );
  const map = ok(
    await get(nationalLeader, "/api/analytics", { indicators: REVENUE, parent: "VN", from: "2025M10", to: "2025M10", ...at }),
    (b: Series) => pointOf(b, "92"),
  );
  const list = ok(
    await get(leader, "/api/data-values", { indicator: REVENUE, area: "92", period: KEY.period, ...at }),
    (b: { items: { value: number; status: string; version: number }[] }) => b.items,
  ) as { value: number; status: string; version: number }[];
  const csv = await get(leader, "/api/data-values/export", { format: "csv", indicator: REVENUE, period: KEY.period });
  expect(csv.statusCode, csv.body).toBe(200);
  const csvRow = csv.body.split(/\r?\n/).find((line) => line.startsWith(`${REVENUE},92,`)) ?? null;
  const dhis2 = await get(leader, "/api/data-values/export", { format: "dhis2", indicator: REVENUE, period: KEY.period });
  expect(dhis2.statusCode, dhis2.body).toBe(200);
  const dhis2Values = (dhis2.json() as { dataValues: { value: string }[] }).dataValues.map((v) => Number(v.value));
  const sdmx = await get(leader, "/api/data-values/export", { format: "sdmx-csv", indicator: REVENUE, period: KEY.period });
  const sdmxRows = sdmx.body.split(/\r?\n/).filter((line) => line.includes(`,${REVENUE.replaceAll(".", "_")},92,`));
  const xlsx = await app.inject({
    url: `/api/analytics/export?${new URLSearchParams({ indicators: REVENUE, areas: "92", from: "2025M10", to: "2025M10", ...at })}`,
    headers: leader.headers(),
  });
  expect(xlsx.statusCode).toBe(200);
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
  const sheet = book.worksheets[0]!;
  let header = 0;
  sheet.eachRow((row, n) => {
    if (!header && row.values && (row.values as unknown[]).includes("Giá trị")) header = n;
  });
  const valueColumn = (sheet.getRow(header).values as unknown[]).indexOf("Giá trị");
  const excel = sheet.getRow(header + 1).getCell(valueColumn).value ?? null;
  const approval = sheet.getRow(header + 1).getCell((sheet.getRow(header).values as unknown[]).indexOf("Duyệt")).value || null;
  const targets = ok(
    await get(leader, "/api/targets", { indicator: REVENUE, area: "92", year: "2025" }),
    (b: { items: { measured: number | null; monthsReported: number }[] }) => b.items[0],
  ) as { measured: number | null; monthsReported: number };
  return {
    tile,
    analytics,
    map,
    list: list.map((v) => ({ value: v.value, status: v.status })),
    csv: csvRow === null ? null : Number(csvRow.split(",")[4]),
    dhis2: dhis2Values,
    sdmx: sdmxRows.length,
    excel,
    approval,
    target: targets.measured,
  };
}

const shown = (value: number, status: "submitted" | "approved") => ({
  tile: expect.objectContaining({ period: KEY.period, value }),
  analytics: value,
  map: value,
  list: [{ value, status }],
  csv: value,
  dhis2: [value],
  sdmx: 1,
  excel: value,
  approval: status === "approved" ? "Đã duyệt" : "Chưa duyệt",
  target: value,
});
const nothing = {
  tile: null,
  analytics: null,
  map: null,
  list: [],
  csv: null,
  dhis2: [],
  sdmx: 0,
  excel: null,
  approval: null,
  target: null,
};
const reporterForm = async (period = KEY.period) => {
  const res = await get(reporter, "/api/reports/form", { ...KEY, period });
  expect(res.statusCode, res.body).toBe(200);
  const row = (res.json() as { rows: { indicator: string; current: { value: number; status: string } | null }[] }).rows.find(
    (r) => r.indicator === REVENUE,
  )!;
  return row.current && { value: row.current.value, status: row.current.status };
};
const stamps: Record<string, string> = {};
const mark = (name: string) => {
  stamps[name] = clock().toISOString();
};

describe(`published figures on ${testEngine}`, () => {
  it("keeps a saved draft from every leader's view, while the reporter sees it in her form and history", async () => {
    mark("before");
    const saved = await saveForm("draft", 1234.5);
    expect(saved.statusCode, saved.body).toBe(200);
    expect(await whatLeadersSee()).toEqual(nothing);
    expect(await reporterForm()).toEqual({ value: 1234.5, status: "draft" });
    const history = await get(reporter, "/api/data-values/history", { indicator: REVENUE, area: "92", period: KEY.period });
    expect(history.json().items).toMatchObject([{ value: 1234.5, status: "draft", published: false }]);
    // Asked for explicitly, drafts are listed.
    const all = await get(reporter, "/api/data-values", { indicator: REVENUE, area: "92", status: "all" });
    expect(all.json().items).toMatchObject([{ value: 1234.5, status: "draft" }]);
  });

  it("shows a figure everywhere once it is submitted", async () => {
    const submitted = await saveForm("submitted", 1234.5);
    expect(submitted.json()).toMatchObject({ updated: 1 });
    mark("submitted");
    expect(await whatLeadersSee()).toEqual(shown(1234.5, "submitted"));
    // Labelled as not yet approved on the tile and in the analytics.
    const tile = await get(leader, "/api/analytics/latest", { indicators: REVENUE, area: "92" });
    expect(tile.json().items[0].latest).toMatchObject({ value: 1234.5, unapproved: true });
  });

  it("keeps showing the submitted figure while the reporter drafts a correction over it", async () => {
    expect((await saveForm("draft", 9999)).statusCode).toBe(200);
    mark("drafted");
    expect(await whatLeadersSee()).toEqual(shown(1234.5, "submitted"));
    expect(await reporterForm()).toEqual({ value: 9999, status: "draft" });
    const all = await get(leader, "/api/data-values", { indicator: REVENUE, area: "92", status: "all" });
    expect(all.json().items).toMatchObject([{ value: 9999, status: "draft", published: false }]);
  });

  it("answers 'as at' with what was published then", async () => {
    expect((await whatLeadersSee(stamps.before)).analytics).toBeNull();
    expect((await whatLeadersSee(stamps.submitted)).analytics).toBe(1234.5);
    expect((await whatLeadersSee(stamps.drafted)).list).toEqual([{ value: 1234.5, status: "submitted" }]);
  });

  it("takes a returned figure off the dashboards, and shows it again once approved", async () => {
    expect((await saveForm("submitted", 1300)).statusCode).toBe(200);
    expect(await whatLeadersSee()).toEqual(shown(1300, "submitted"));
    const returned = await send(approver, "/api/reports/review", {
      ...KEY,
      action: "return",
      comment: "Số thu chưa khớp với Kho bạc",
    });
    expect(returned.statusCode, returned.body).toBe(200);
    expect(await whatLeadersSee()).toEqual(nothing);
    expect(await reporterForm()).toEqual({ value: 1300, status: "returned" });

    expect((await saveForm("submitted", 1310)).statusCode).toBe(200);
    const approved = await send(approver, "/api/reports/review", { ...KEY, action: "approve" });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(await whatLeadersSee()).toEqual(shown(1310, "approved"));
    const tile = await get(leader, "/api/analytics/latest", { indicators: REVENUE, area: "92" });
    expect(tile.json().items[0].latest.unapproved).toBeUndefined();
  });

  it("keeps approved figures published while a reopened report is corrected; a deletion withdraws them", async () => {
    const reopened = await send(office, "/api/reports/reopen", { ...KEY, reason: "Điều chỉnh theo số quyết toán" });
    expect(reopened.statusCode, reopened.body).toBe(200);
    expect(await reporterForm()).toEqual({ value: 1310, status: "returned" });
    expect(await whatLeadersSee()).toEqual(shown(1310, "approved"));
    const deleted = await send(reporter, "/api/data-values", {
      status: "submitted",
      values: [{ indicator: REVENUE, area: "92", period: KEY.period, delete: true }],
    });
    expect(deleted.json()).toMatchObject({ deleted: 1 });
    expect(await whatLeadersSee()).toEqual(nothing);
    expect((await saveForm("submitted", 1310)).statusCode).toBe(200);
    expect(await whatLeadersSee()).toEqual(shown(1310, "submitted"));
  });

  it("never lets a draft for the month not yet over become the latest figure", async () => {
    const draft = await saveForm("draft", 5, "2025M11");
    expect(draft.statusCode, draft.body).toBe(200);
    const tile = await get(leader, "/api/analytics/latest", { indicators: REVENUE, area: "92" });
    expect(tile.json().items[0].latest).toMatchObject({ period: "2025M10", value: 1310 });
    const nov = await get(leader, "/api/analytics", { indicators: REVENUE, areas: "92", from: "2025M11", to: "2025M11" });
    expect(nov.json().series[0].points[0]).toMatchObject({ value: null });
  });

  it("refuses to submit a figure for a period that has not ended, naming the row and the field", async () => {
    // The form says from when November can be sent; October can be sent now.
    const formOf = async (period: string) => (await get(reporter, "/api/reports/form", { ...KEY, period })).json();
    expect((await formOf("2025M11")).submittableFrom).toBe("2025-12-01");
    expect((await formOf("2025M10")).submittableFrom).toBeNull();
    const before = await reporterForm("2025M11");
    const form = await saveForm("submitted", 5, "2025M11");
    expect(form.statusCode).toBe(400);
    expect(form.json().errors).toEqual([
      {
        row: 1,
        field: "period",
        message:
          "Kỳ Tháng 11/2025 (2025M11) chưa kết thúc (hết ngày 30/11/2025): chỉ lưu nháp được, gửi chính thức từ ngày 01/12/2025",
      },
    ]);
    expect(await reporterForm("2025M11")).toEqual(before); // nothing changed
    const api = await send(reporter, "/api/data-values", {
      status: "submitted",
      values: [
        { indicator: REVENUE, area: "92", period: "2025M09", value: 1100 },
        { indicator: REVENUE, area: "92", period: "20251105", value: 30 },
      ],
    });
    expect(api.statusCode).toBe(400);
    expect(api.json().errors).toMatchObject([{ row: 2, field: "period", message: expect.stringContaining("chưa kết thúc") }]);
    // Once the month is over it goes through.
    offset += Date.parse("2025-11-30T17:00:00Z") - clock().getTime(); // 1 December, 00:00 in Hà Nội
    const later = await saveForm("submitted", 5, "2025M11");
    expect(later.statusCode, later.body).toBe(200);
    expect(
      (await get(leader, "/api/analytics/latest", { indicators: REVENUE, area: "92" })).json().items[0].latest,
    ).toMatchObject({
      period: "2025M11",
      value: 5,
    });
  });

  it("refuses to approve a figure submitted for a period not over (written before the rule)", async () => {
    offset += Date.parse("2025-12-10T03:00:00Z") - clock().getTime();
    await database.db.transaction().execute((trx) =>
      writeRows(
        trx,
        { principal: null, ip: null, userAgent: "test" },
        [
          {
            indicator: REVENUE,
            area: "92",
            period: "2025M12",
            periodType: "month",
            disaggregation: "",
            value: 1,
            valueText: null,
            comment: null,
            action: "upsert",
            agency: "CT.STC",
            flags: [],
          },
        ],
        { channel: "api", status: "submitted" },
        { dryRun: false, now: clock() },
      ),
    );
    const res = await send(approver, "/api/reports/review", { ...KEY, period: "2025M12", action: "approve" });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ field: "period", message: expect.stringContaining("Tháng 12/2025 chưa kết thúc") });
  });

  it("keeps one published version per key in the database", async () => {
    const rows = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM data_values WHERE published_at IS NOT NULL AND unpublished_at IS NULL
      GROUP BY indicator_code, area_id, period, disaggregation HAVING count(*) > 1`.execute(database.db);
    expect(rows.rows).toEqual([]);
  });
});

describe(`the published figures of an existing database on ${testEngine}`, () => {
  it("are worked out from the versions kept when the migration runs", async () => {
    const db = await createTestDatabase();
    try {
      const migration = readMigrations().find((m) => m.name.endsWith("published-figures"))!;
      await sql.raw(migration.down).execute(db.db);
      await loadReferenceData(db.db);
      // Versions as the product kept them before: recorded_at, superseded_at, status, review comment.
      const t = (h: number) => `2025-11-0${h}T00:00:00Z`;
      const history: [string, number, string, string, string | null, string | null, string?, string?][] = [
        // A: draft, submitted, draft over it, submitted again → the last one published, the first until 4.
        ["QG.A.II.1|01", 1, "draft", t(1), t(2), null],
        ["QG.A.II.1|01", 2, "submitted", t(2), t(3), null],
        ["QG.A.II.1|01", 3, "draft", t(3), t(4), null],
        ["QG.A.II.1|01", 4, "submitted", t(4), null, null],
        // B: submitted then returned → nothing published since 2.
        ["QG.A.II.1|79", 1, "submitted", t(1), t(2), null],
        ["QG.A.II.1|79", 2, "returned", t(2), null, "Sai số"],
        // C: approved then reopened → still published.
        ["QG.A.II.1|92", 1, "approved", t(1), t(2), null],
        ["QG.A.II.1|92", 2, "returned", t(2), null, "Mở lại: quyết toán"],
        // D: submitted then deleted at 3, entered again as a draft at 5.
        ["QG.A.II.1|48", 1, "submitted", t(1), t(3), null],
        ["QG.A.II.1|48", 2, "draft", t(5), null, null],
        // E: submitted for a month not over when the migration runs: not published (the system's own figures are).
        ["QG.A.II.1|31", 1, "submitted", t(1), null, null, "2099M01"],
        ["QG.A.II.1|33", 1, "approved", t(1), null, null, "2099M01", "system"],
        // F: a week that has ended, a day that has not.
        ["QG.A.II.1|04", 1, "submitted", t(1), null, null, "2025W31"],
        ["QG.A.II.1|08", 1, "submitted", t(1), null, null, "20990105"],
      ];
      const typeOf = (p: string) => (p.includes("W") ? "week" : p.includes("M") ? "month" : "day");
      for (const [key, version, status, recorded, superseded, review, period = "2025M10", source = "api"] of history) {
        const [indicator, area] = key.split("|");
        await sql`INSERT INTO data_values (indicator_code, area_id, period, period_type, version, value, status, source,
            recorded_at, superseded_at, review_comment)
          VALUES (${indicator}, ${area}, ${period}, ${typeOf(period)}, ${version}, ${version * 100}, ${status}, ${source},
            ${recorded}, ${superseded}, ${review})`.execute(db.db);
      }
      await sql.raw(migration.up).execute(db.db);
      const rows = await sql<{ area_id: string; version: number; published_at: Date | null; unpublished_at: Date | null }>`
        SELECT area_id, version, published_at, unpublished_at FROM data_values ORDER BY area_id, version`.execute(db.db);
      const iso = (d: Date | null) => (d ? new Date(d).toISOString().slice(0, 19) + "Z" : null);
      expect(rows.rows.map((r) => [r.area_id, r.version, iso(r.published_at), iso(r.unpublished_at)])).toEqual([
        ["01", 1, null, null],
        ["01", 2, t(2), t(4)],
        ["01", 3, null, null],
        ["01", 4, t(4), null],
        ["04", 1, t(1), null],
        ["08", 1, null, null],
        ["31", 1, null, null],
        ["33", 1, t(1), null],
        ["48", 1, t(1), t(3)],
        ["48", 2, null, null],
        ["79", 1, t(1), t(2)],
        ["79", 2, null, null],
        ["92", 1, t(1), null],
        ["92", 2, null, null],
      ]);
    } finally {
      await db.close();
    }
  });
});

describe(`sample figures on ${testEngine}`, () => {
  it("are published for the periods that have ended and drafts for the quarter, half-year and year under way", async () => {
    const db = await createTestDatabase();
    try {
      await loadReferenceData(db.db);
      await loadSampleData(db.db, new Date("2025-11-05T03:00:00Z"));
      const rows = await sql<{ period: string; status: string; published: boolean; n: number }>`
        SELECT period, status, published_at IS NOT NULL AND unpublished_at IS NULL AS published, count(*)::int AS n
        FROM data_values WHERE period IN ('2025', '2025S2', '2025Q4', '2025Q3', '2025M10', '2025M09', '2025M11')
        GROUP BY period, status, 3 ORDER BY period, status`.execute(db.db);
      const by = (period: string) => rows.rows.filter((r) => r.period === period).map((r) => [r.status, r.published]);
      for (const open of ["2025", "2025S2", "2025Q4"]) expect(by(open), open).toEqual([["draft", false]]);
      expect(by("2025Q3")).toEqual([["approved", true]]);
      expect(by("2025M09")).toEqual([["approved", true]]);
      expect(by("2025M10")).toEqual([["submitted", true]]); // last month, still coming in
      expect(by("2025M11")).toEqual([]);
    } finally {
      await db.close();
    }
  }, 300_000);
});
