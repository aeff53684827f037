import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { countDataValueRows, createTestDatabase, testEngine } from "../testing/database";
import { storeFigures } from "../testing/figures";

/** A clock that starts at a chosen instant and runs on, so that versions get distinct times. */
function clockFrom(iso: string) {
  const start = Date.now();
  let offset = Date.parse(iso) - start;
  return {
    now: () => new Date(Date.now() + offset),
    jumpTo(t: string) {
      offset = Date.parse(t) - Date.now();
    },
  };
}

const clock = clockFrom("2025-11-05T03:00:00Z"); // October's reports are due on 10/11/2025
let database: Database;
let app: App;
let reporter: TestSession; // Sở Tài chính Cần Thơ
let approver: TestSession;
let office: TestSession;
let otherApprover: TestSession;

const KEY = { agency: "CT.STC", area: "92", period: "2025M10" };
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock: clock.now });
  reporter = await login(
    app,
    (await createUser(database, "reporter", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" })).username,
  );
  approver = await login(
    app,
    (await createUser(database, "approver", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" })).username,
  );
  otherApprover = await login(
    app,
    (await createUser(database, "approver", { scopeAgencies: ["CT.SYT"], scopeAreaId: "92" })).username,
  );
  office = await login(app, (await createUser(database, "office_specialist", { scopeAreaId: "92" })).username);
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

const get = (session: TestSession, url: string, query: Record<string, string> = {}) =>
  app.inject({ url: `${url}?${new URLSearchParams(query)}`, headers: session.headers() });
const send = (session: TestSession, url: string, payload: object) =>
  app.inject({ method: "POST", url, headers: session.headers(true), payload });
const form = async (key = KEY) => (await get(reporter, "/api/reports/form", key)).json();
const countRows = () => countDataValueRows(database);
/** The current figures of a report as comparable rows. */
const currentRows = async (period: string) =>
  (
    await database.db
      .selectFrom("data_values")
      .select(["indicator_code", "area_id", "period", "disaggregation", "value", "value_text", "comment", "status"])
      .where("area_id", "=", "92")
      .where("period", "=", period)
      .where("agency_code", "=", "CT.STC")
      .where("superseded_at", "is", null)
      .orderBy("indicator_code")
      .orderBy("disaggregation")
      .execute()
  ).map((r) => ({ ...r, value: r.value === null ? null : Number(r.value) }));

const figures = [
  { indicator: "CT.A.I.3", value: 1234.5, comment: null },
  { indicator: "CT.A.I.4", value: 980, comment: "Tạm tính" },
  { indicator: "CT.A.I.5", value: 310.25, comment: null },
];

async function upload(session: TestSession, file: Buffer, query = "") {
  return app.inject({
    method: "POST",
    url: `/api/reports/upload?${query}`,
    headers: { ...session.headers(true), "content-type": XLSX },
    payload: file,
  });
}

async function templateFor(key: Record<string, string>) {
  const res = await get(reporter, "/api/reports/template", key);
  expect(res.statusCode).toBe(200);
  expect(res.headers["content-type"]).toContain("spreadsheetml");
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
  return wb;
}

/** Fills the template's value (I) and comment (J) columns for the given indicators. */
async function filled(
  key: Record<string, string>,
  values: Record<string, { value?: ExcelJS.CellValue; comment?: ExcelJS.CellValue }>,
) {
  const wb = await templateFor(key);
  const ws = wb.getWorksheet("Số liệu")!;
  ws.eachRow((row, n) => {
    if (n <= 4) return;
    const v = values[String(row.getCell(1).value)];
    if (!v) return;
    if (v.value !== undefined) row.getCell(9).value = v.value;
    if (v.comment !== undefined) row.getCell(10).value = v.comment;
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe(`reports: the monthly journey on ${testEngine}`, () => {
  it("lists the agency's indicators with the comparisons, takes a draft, then the submission", async () => {
    const f = await form();
    expect(f).toMatchObject({
      agency: { code: "CT.STC" },
      area: { id: "92" },
      period: { label: "Tháng 10/2025", previous: "2025M09", lastYear: "2024M10" },
      deadline: "2025-11-10",
      locked: false,
    });
    expect(f.rows.map((r: { indicator: string }) => r.indicator)).toEqual(
      expect.arrayContaining(["CT.A.I.3", "CT.A.I.4", "CT.A.I.5", "CT.A.I.6"]),
    );

    // Last year's figure, to see the comparison: the city's series carried back before it was formed on
    // 1/7/2025, as sample data holds it (no channel takes a period before its unit was formed).
    await storeFigures(database, [{ indicator: "CT.A.I.3", area: "92", period: "2024M10", value: 1000 }], { now: clock.now() });

    const draft = await send(reporter, "/api/reports/form", { ...KEY, status: "draft", values: figures });
    expect(draft.json()).toMatchObject({ created: 3 });
    const completenessDraft = (await get(office, "/api/reports/completeness", { period: "2025M10", agency: "CT.STC" })).json();
    expect(completenessDraft.items[0]).toMatchObject({ agency: "CT.STC", area: "92", draft: 3, submitted: 0, state: "open" });

    const submitted = await send(reporter, "/api/reports/form", { ...KEY, status: "submitted", values: figures });
    expect(submitted.json()).toMatchObject({ updated: 3, created: 0 });
    const row = (await form()).rows.find((r: { indicator: string }) => r.indicator === "CT.A.I.3");
    expect(row).toMatchObject({
      lastYearValue: 1000,
      changeFromLastYear: 23.5,
      current: { value: 1234.5, status: "submitted", source: "form" },
    });

    const c = (await get(office, "/api/reports/completeness", { period: "2025M10", agency: "CT.STC" })).json();
    expect(c.items[0]).toMatchObject({ submitted: 3, onTime: 3, late: 0, missing: c.items[0].expected - 3 });
  });

  it("approves: an approver of another agency cannot, a return needs a reason, approval locks the figures", async () => {
    expect((await send(otherApprover, "/api/reports/review", { ...KEY, action: "approve" })).statusCode).toBe(403);
    const noReason = await send(approver, "/api/reports/review", { ...KEY, action: "return", comment: "" });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().message).toContain("lý do");

    const returned = await send(approver, "/api/reports/review", {
      ...KEY,
      action: "return",
      comment: "Kiểm tra lại chi NS",
      indicators: ["CT.A.I.4"],
    });
    expect(returned.json()).toMatchObject({ action: "return", values: 1 });
    const fixed = await send(reporter, "/api/reports/form", {
      ...KEY,
      status: "submitted",
      values: [{ indicator: "CT.A.I.4", value: 990, comment: "Đã đối chiếu KBNN" }],
    });
    expect(fixed.json()).toMatchObject({ updated: 1 });

    const approved = await send(approver, "/api/reports/review", { ...KEY, action: "approve" });
    expect(approved.json()).toMatchObject({ action: "approve", values: 3 });
    const refused = await send(reporter, "/api/reports/form", {
      ...KEY,
      status: "submitted",
      values: [{ indicator: "CT.A.I.3", value: 1 }],
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors[0].message).toContain("đã được duyệt");

    const history = (
      await get(office, "/api/data-values/history", { indicator: "CT.A.I.4", area: "92", period: "2025M10" })
    ).json().items;
    expect(history.map((v: { status: string; source: string }) => `${v.status}/${v.source}`)).toEqual([
      "draft/form",
      "submitted/form",
      "returned/review",
      "submitted/form",
      "approved/review",
    ]);
    expect(history[2].reviewComment).toBe("Kiểm tra lại chi NS");
    const audit = await database.db
      .selectFrom("audit_log")
      .select(["action"])
      .where("action", "like", "data_value.%")
      .where("entity_type", "=", "data_batch")
      .execute();
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["data_value.returned", "data_value.approved"]));
  });

  it("reopens approved figures only with a reason, and the reporter corrects them", async () => {
    expect((await send(reporter, "/api/reports/reopen", { ...KEY, reason: "sai" })).statusCode).toBe(403); // a reporter may not
    expect((await send(office, "/api/reports/reopen", { ...KEY, reason: "sai" })).statusCode).toBe(400); // too short
    const reopened = await send(office, "/api/reports/reopen", { ...KEY, reason: "Điều chỉnh theo số quyết toán" });
    expect(reopened.json()).toMatchObject({ reopenedValues: 3 });
    const corrected = await send(reporter, "/api/reports/form", {
      ...KEY,
      status: "submitted",
      values: [{ indicator: "CT.A.I.3", value: 1240, comment: null }],
    });
    expect(corrected.json()).toMatchObject({ updated: 1 });
    const audit = await database.db.selectFrom("audit_log").selectAll().where("action", "=", "report.reopen").execute();
    expect(audit).toEqual([expect.objectContaining({ reason: "Điều chỉnh theo số quyết toán", entity_id: "CT.STC|92|2025M10" })]);
  });

  it("locks entry after the grace period, until the office reopens it; completeness shows who is late", async () => {
    clock.jumpTo("2025-12-15T03:00:00Z"); // lock date of October: 11/12/2025
    try {
      const late = (await get(office, "/api/reports/completeness", { period: "2025M10" })).json();
      const health = late.items.find((i: { agency: string }) => i.agency === "CT.SYT");
      expect(health).toMatchObject({ submitted: 0, state: "late", stateLabel: "Quá hạn, còn thiếu" });
      expect(late.summary.lateReports).toBeGreaterThan(0);

      const body = { ...KEY, status: "submitted", values: [{ indicator: "CT.A.I.6", value: 50 }] };
      const locked = await send(reporter, "/api/reports/form", body);
      expect(locked.statusCode).toBe(400);
      expect(locked.json().errors[0].message).toContain("đã khóa nhập từ ngày 11/12/2025");
      expect((await form()).locked).toBe(true);
      await send(office, "/api/reports/reopen", { ...KEY, reason: "Bổ sung số thuế tháng 10", days: 3 });
      expect((await send(reporter, "/api/reports/form", body)).json()).toMatchObject({ created: 1 });
      const c = (await get(office, "/api/reports/completeness", { period: "2025M10", agency: "CT.STC" })).json().items[0];
      expect(c.late).toBe(1); // the figure sent after the deadline counts as late
    } finally {
      clock.jumpTo("2025-11-05T04:00:00Z");
    }
  });
});

describe(`reports: the same figures by every channel give identical rows on ${testEngine}`, () => {
  const period = "2025M11";
  const key = { ...KEY, period };
  let reference: Awaited<ReturnType<typeof currentRows>>;
  // November and December are over (only a period that has ended can be submitted) and neither is locked yet.
  beforeAll(() => clock.jumpTo("2026-01-02T03:00:00Z"));
  afterAll(() => clock.jumpTo("2025-11-05T04:00:00Z"));

  it("takes the figures from the form first", async () => {
    const r = await send(reporter, "/api/reports/form", { ...key, status: "submitted", values: figures });
    expect(r.json()).toMatchObject({ created: 3 });
    reference = await currentRows(period);
    expect(reference).toHaveLength(3);
  });

  it("Excel: the pre-filled template uploaded back changes nothing; filled anew on another period it gives the same rows", async () => {
    const wb = await templateFor(key);
    const ws = wb.getWorksheet("Số liệu")!;
    expect(ws.getRow(4).values).toEqual(expect.arrayContaining(["Mã chỉ số", "Tên chỉ số", "Đơn vị tính", "Giá trị", "Ghi chú"]));
    expect(ws.getCell("A5").protection?.locked).not.toBe(false);
    expect(ws.getCell("I5").protection?.locked).toBe(false);
    expect(ws.getCell("I5").dataValidation).toMatchObject({ type: "decimal" });
    const same = await upload(reporter, Buffer.from(await wb.xlsx.writeBuffer()));
    expect(same.json()).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    expect(await currentRows(period)).toEqual(reference);
  });

  it("SDMX-CSV and DHIS2 JSON of the same figures change nothing; their export reads back unchanged", async () => {
    const sdmx = [
      "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,DISAGGREGATION,OBS_VALUE,OBS_STATUS,COMMENT",
      "dataflow,VN_DH:DF_DIEUHANH(1.0),M,CT.A.I.3,92,2025-11,_T,1234.5,A,",
      "dataflow,VN_DH:DF_DIEUHANH(1.0),M,CT.A.I.4,92,2025-11,_T,980,A,Tạm tính",
      "dataflow,VN_DH:DF_DIEUHANH(1.0),M,CT.A.I.5,92,2025-11,_T,310.25,A,",
    ].join("\r\n");
    const post = (format: string, body: string | object, type: string) =>
      app.inject({
        method: "POST",
        url: `/api/data-values/import?format=${format}`,
        headers: { ...reporter.headers(true), "content-type": type },
        payload: body,
      });
    expect((await post("sdmx-csv", sdmx, "text/csv")).json()).toMatchObject({ unchanged: 3, created: 0, updated: 0 });
    const dhis2 = {
      dataValues: figures.map((f) => ({
        dataElement: f.indicator,
        period: "202511",
        orgUnit: "92",
        value: String(f.value),
        comment: f.comment ?? undefined,
      })),
    };
    expect((await post("dhis2", dhis2, "application/json")).json()).toMatchObject({ unchanged: 3 });
    const csv =
      "Mã chỉ số;Mã địa bàn;Kỳ;Giá trị;Ghi chú\nCT.A.I.3;92;2025M11;1.234,5;\nCT.A.I.4;92;2025M11;980;Tạm tính\nCT.A.I.5;92;2025M11;310,25;\n";
    expect((await post("csv", csv, "text/csv")).json()).toMatchObject({ unchanged: 3 });

    const exported = await get(reporter, "/api/data-values/export", { format: "sdmx-csv", period, agency: "CT.STC" });
    expect(exported.body.split("\r\n")[0]).toMatch(
      /^STRUCTURE,STRUCTURE_ID,ACTION,FREQ,INDICATOR,REF_AREA,(\w+,)+TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS,SAMPLE,COMMENT$/,
    );
    expect((await post("sdmx-csv", exported.body, "text/csv")).json()).toMatchObject({ unchanged: 3 });
    const asDhis2 = (await get(reporter, "/api/data-values/export", { format: "dhis2", period, agency: "CT.STC" })).json();
    expect(asDhis2.dataValues[0]).toMatchObject({ dataElement: "CT.A.I.3", period: "202511", orgUnit: "92", value: "1234.5" });
    expect((await post("dhis2", asDhis2, "application/json")).json()).toMatchObject({ unchanged: 3 });
    expect(await currentRows(period)).toEqual(reference);
  });

  it("a fresh template filled by hand for another period gives the same rows as the form did", async () => {
    const other = { ...KEY, period: "2025M12" };
    const file = await filled(other, {
      "CT.A.I.3": { value: "1.234,5" }, // typed as text in a Vietnamese-locale sheet
      "CT.A.I.4": { value: 980, comment: "Tạm tính" },
      "CT.A.I.5": { value: 310.25 },
    });
    expect((await upload(reporter, file, "fileName=bao-cao-thang-12.xlsx")).json()).toMatchObject({ created: 3 });
    const rows = (await currentRows("2025M12")).map((r) => ({ ...r, period: period }));
    expect(rows).toEqual(reference);
    const batch = await database.db
      .selectFrom("data_batches")
      .selectAll()
      .where("file_name", "=", "bao-cao-thang-12.xlsx")
      .executeTakeFirstOrThrow();
    expect(batch).toMatchObject({ channel: "spreadsheet", created: 3, file_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it("SDMX-CSV action D deletes, keeping the history", async () => {
    const del =
      "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,DISAGGREGATION,OBS_VALUE\ndataflow,VN_DH:DF_DIEUHANH(1.0),D,CT.A.I.5,92,2025-12,_T,\n";
    const r = await app.inject({
      method: "POST",
      url: "/api/data-values/import?format=sdmx-csv",
      headers: { ...reporter.headers(true), "content-type": "text/csv" },
      payload: del,
    });
    expect(r.json()).toMatchObject({ deleted: 1 });
    expect((await currentRows("2025M12")).map((x) => x.indicator_code)).toEqual(["CT.A.I.3", "CT.A.I.4"]);
  });
});

describe(`reports: bad files change nothing on ${testEngine}`, () => {
  const key = { ...KEY, period: "2025M11" };
  const expectRefused = async (res: Awaited<ReturnType<typeof upload>>, before: number) => {
    expect(res.statusCode).toBe(400);
    expect(await countRows()).toBe(before);
    return res.json().errors as { row: number; field: string; message: string; sheet?: string; column?: string }[];
  };

  it("refuses a spreadsheet that is not the template, or one cut off mid-way", async () => {
    const before = await countRows();
    const other = new ExcelJS.Workbook();
    other.addWorksheet("Sheet1").addRow(["CT.A.I.3", "92", "2025M11", 5]);
    const notTemplate = await expectRefused(await upload(reporter, Buffer.from(await other.xlsx.writeBuffer())), before);
    expect(notTemplate[0]!.message).toContain("không phải mẫu biểu của hệ thống");
    const good = await filled(key, { "CT.A.I.6": { value: 77 } });
    const cut = await expectRefused(await upload(reporter, good.subarray(0, Math.floor(good.length / 2))), before);
    expect(cut[0]!.message).toContain("tải lên chưa hết");
  });

  it("names the sheet, row and column of formulas, formula injection, text in numbers, ambiguous numbers and wrong codes", async () => {
    const before = await countRows();
    const wb = await templateFor(key);
    const ws = wb.getWorksheet("Số liệu")!;
    const rowOf = (code: string) => {
      let found = 0;
      ws.eachRow((row, n) => {
        if (row.getCell(1).value === code) found = n;
      });
      return ws.getRow(found);
    };
    rowOf("CT.A.I.3").getCell(9).value = { formula: "SUM(G5:H5)", result: 3 };
    rowOf("CT.A.I.4").getCell(10).value = '=HYPERLINK("http://x")';
    rowOf("CT.A.I.5").getCell(9).value = "mười hai";
    rowOf("CT.A.I.6").getCell(9).value = "1.234";
    const tampered = rowOf("CT.A.I.7");
    tampered.getCell(1).value = "CT.A.I.99";
    tampered.getCell(9).value = 5;
    const errors = await expectRefused(await upload(reporter, Buffer.from(await wb.xlsx.writeBuffer())), before);
    const at = (e: { sheet?: string; column?: string; row: number }) => `${e.sheet}!${e.column}${e.row}`;
    const messages = Object.fromEntries(errors.map((e) => [at(e), e.message]));
    expect(messages[`Số liệu!I${rowOf("CT.A.I.3").number}`]).toContain("công thức");
    expect(messages[`Số liệu!J${rowOf("CT.A.I.4").number}`]).toContain("ký tự công thức");
    expect(messages[`Số liệu!I${rowOf("CT.A.I.5").number}`]).toContain("'mười hai' không phải là số");
    expect(messages[`Số liệu!I${rowOf("CT.A.I.6").number}`]).toContain("có thể hiểu là 1234 hoặc 1.234");
    expect(messages[`Số liệu!A${tampered.number}`]).toContain("Không có chỉ số mã 'CT.A.I.99'");
  });

  it("refuses CSV with missing columns, SDMX-CSV with a wrong action or period, DHIS2 with comma decimals", async () => {
    const before = await countRows();
    const post = (format: string, body: string | object, type = "text/csv") =>
      app.inject({
        method: "POST",
        url: `/api/data-values/import?format=${format}`,
        headers: { ...reporter.headers(true), "content-type": type },
        payload: body,
      });
    const noValue = await post("csv", "indicator,area,period\nCT.A.I.3,92,2025M11\n");
    expect(noValue.json().errors[0].message).toContain("Thiếu cột: value");
    const sdmx = await post(
      "sdmx-csv",
      "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,OBS_VALUE\ndataflow,VN_DH:DF_DIEUHANH(1.0),X,CT.A.I.3,92,2025-11,1\ndataflow,VN_DH:DF_DIEUHANH(1.0),M,CT.A.I.3,92,2025-13,1\ndataflow,OTHER:DF(1.0),M,CT.A.I.3,92,2025-11,1,5\n",
    );
    expect(sdmx.statusCode).toBe(400);
    const dhis2 = await post(
      "dhis2",
      { dataValues: [{ dataElement: "CT.A.I.3", period: "202511", orgUnit: "92", value: "1234,5" }] },
      "application/json",
    );
    expect(dhis2.json().errors[0]).toMatchObject({
      row: 1,
      field: "value",
      message: expect.stringContaining("dấu chấm thập phân"),
    });
    const injection = await post("csv", "indicator,area,period,value,comment\nCT.A.I.3,92,2025M11,5,@SUM(1+1)\n");
    expect(injection.json().errors[0]).toMatchObject({ row: 2, field: "comment", column: "comment" });
    expect(await countRows()).toBe(before);
  });
});

describe(`reports: the schedule is editable, with a reason, on ${testEngine}`, () => {
  it("lets the office change a deadline and the lock, audited; a reporter may not", async () => {
    const list = (await get(office, "/api/reporting-obligations", { agency: "CT.STC", indicator: "CT.A.I.3" })).json();
    expect(list.items).toEqual([
      expect.objectContaining({
        agency: "CT.STC",
        indicator: "CT.A.I.3",
        rootArea: "92",
        areaLevel: "province",
        periodType: "month",
        deadlineDays: 10,
        lockAfterDays: 30,
      }),
    ]);
    const id = list.items[0].id;
    const patch = (session: TestSession, body: object) =>
      app.inject({ method: "PATCH", url: `/api/reporting-obligations/${id}`, headers: session.headers(true), payload: body });
    expect((await patch(reporter, { deadlineDays: 20, reason: "Kéo dài hạn" })).statusCode).toBe(403);
    expect((await patch(office, { deadlineDays: 20 })).statusCode).toBe(400);
    const changed = await patch(office, {
      deadlineDays: 20,
      lockAfterDays: null,
      reason: "Theo Quyết định điều chỉnh chế độ báo cáo",
    });
    expect(changed.json()).toMatchObject({ deadlineDays: 20, lockAfterDays: null });
    const audit = await database.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "reporting_obligation.update")
      .execute();
    expect(audit).toEqual([
      expect.objectContaining({ entity_id: String(id), reason: "Theo Quyết định điều chỉnh chế độ báo cáo" }),
    ]);
    expect(audit[0]!.before).toMatchObject({ deadlineDays: 10 });
  });
});
