import ExcelJS from "exceljs";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { auditExportSettings } from "../audit/routes";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { countDataValueRows, createTestDatabase, testEngine } from "../testing/database";
import { exportSettings } from "./export";
import { importLimits } from "./formats/limits";
import { plainDecimal } from "./formats/numbers";

/** 5 November 2025 in Hà Nội, running on: October is over, so its figures can be submitted. */
const START = Date.now();
const clock = () => new Date(Date.parse("2025-11-05T03:00:00Z") + (Date.now() - START));

let database: Database;
let app: App;
let admin: TestSession;
let reporter: TestSession; // Sở Tài chính Cần Thơ

const defaults = { pageRows: exportSettings.pageRows, auditRows: auditExportSettings.pageRows, limits: { ...importLimits } };
afterEach(() => {
  exportSettings.pageRows = defaults.pageRows;
  auditExportSettings.pageRows = defaults.auditRows;
  Object.assign(importLimits, defaults.limits, { xlsx: { ...defaults.limits.xlsx } });
});

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

const write = (session: TestSession, values: object[]) =>
  app.inject({ method: "POST", url: "/api/data-values", headers: session.headers(true), payload: { values } });
const exportAs = (session: TestSession, format: string, query: Record<string, string>) =>
  app.inject({ url: `/api/data-values/export?${new URLSearchParams({ format, ...query })}`, headers: session.headers() });
const importAs = (session: TestSession, format: string, body: string | object | Buffer, query = "") =>
  app.inject({
    method: "POST",
    url: `/api/data-values/import?format=${format}${query}`,
    headers: { ...session.headers(true), "content-type": format === "dhis2" ? "application/json" : "text/csv" },
    payload: body,
  });

/** The current figures of some indicators exactly as stored: the numeric as PostgreSQL writes it. */
async function stored(indicators: string[]) {
  const rows = await sql<{
    indicator_code: string;
    area_id: string;
    period: string;
    disaggregation: string;
    value: string | null;
    value_text: string | null;
    comment: string | null;
    status: string;
  }>`SELECT indicator_code, area_id, period, disaggregation, value::text AS value, value_text, comment, status
     FROM data_values WHERE superseded_at IS NULL AND indicator_code = ANY(${indicators}::text[])
     ORDER BY indicator_code, area_id, period, disaggregation`.execute(database.db);
  return rows.rows;
}

describe(`exports are complete, whatever their size, on ${testEngine}`, () => {
  it("streams every page of an export in each format (the old export stopped at its cap, with HTTP 200)", async () => {
    const months = ["2025M07", "2025M08", "2025M09", "2025M10"];
    const keys = ["CT.A.I.9", "CT.A.I.10"].flatMap((indicator) => months.map((period) => ({ indicator, period })));
    const res = await write(
      admin,
      keys.map((k, i) => ({ ...k, area: "92", value: 100 + i, comment: "Theo tháng" })),
    );
    expect(res.statusCode, res.body).toBe(200);
    // Pages of 3 rows: 8 figures need 3 pages, and every one must reach the file.
    exportSettings.pageRows = 3;
    const q = { agency: "CT.STC", area: "92" };
    const csv = await exportAs(admin, "csv", q);
    expect(csv.statusCode).toBe(200);
    const csvLines = csv.body
      .replace(/^\uFEFF/, "")
      .trim()
      .split("\r\n");
    expect(csvLines).toHaveLength(1 + keys.length);
    expect(csvLines.slice(1).map((l) => `${l.split(",")[0]} ${l.split(",")[2]}`)).toEqual(
      ["CT.A.I.10", "CT.A.I.9"].flatMap((i) => months.map((m) => `${i} ${m}`)),
    );

    const sdmx = await exportAs(admin, "sdmx-csv", q);
    expect(sdmx.body.trim().split("\r\n")).toHaveLength(1 + keys.length);

    const dhis2 = await exportAs(admin, "dhis2", q);
    expect(dhis2.headers["content-type"]).toContain("application/json");
    expect(dhis2.json().dataValues).toHaveLength(keys.length);

    // An exact multiple of the page size ends cleanly too, and an empty export is a valid file.
    exportSettings.pageRows = 4;
    expect((await exportAs(admin, "dhis2", q)).json().dataValues).toHaveLength(keys.length);
    expect((await exportAs(admin, "dhis2", { indicator: "CT.A.I.9", period: "2020M01" })).json()).toEqual({ dataValues: [] });
    expect((await exportAs(admin, "csv", { indicator: "CT.A.I.9", period: "2020M01" })).body).toBe(
      "\uFEFFindicator,area,period,disaggregation,value,comment,status,version,sample\r\n",
    );
  });

  it("keeps a province's officials to their province in a streamed export too", async () => {
    await write(admin, [{ indicator: "QG.A.II.1", area: "01", period: "2025M09", value: 5 }]);
    await write(admin, [{ indicator: "QG.A.II.1", area: "92", period: "2025M09", value: 7 }]);
    exportSettings.pageRows = 1;
    const leader = await login(app, (await createUser(database, "leader", { scopeAreaId: "92" })).username);
    const seen = (await exportAs(leader, "dhis2", { indicator: "QG.A.II.1" })).json().dataValues;
    expect(seen.map((v: { orgUnit: string }) => v.orgUnit)).toEqual(["92"]);
  });
});

describe(`numbers, comments and text leave and come back identical on ${testEngine}`, () => {
  const comment = 'Có "ngoặc kép", dấu phẩy, chấm phẩy; và\r\nxuống dòng';
  const figures = [
    { indicator: "CT.A.I.3", value: 0.0000001, comment },
    { indicator: "CT.A.I.4", value: 1e21, comment: "'Trích dẫn' và \"ngoặc\"" },
    { indicator: "CT.A.I.5", value: 1.234, comment: null }, // 1.234 reads as 1234 to a Vietnamese eye
    { indicator: "CT.A.I.6", value: 123456789.12345679, comment: "  khoảng trắng ở đầu và cuối  " },
    { indicator: "CT.A.I.16", value: 3.141592653589793, comment: "Dòng 1\nDòng 2\n" },
    { indicator: "CT.A.I.1", value: -12.5, comment: "Giảm; âm" }, // a change in %, negative
    { indicator: "CT.A.I.8", value: 1234567, comment: null },
  ];
  const textFigure = {
    indicator: "KT.D.1",
    area: "old-62",
    period: "2024M06",
    valueText: 'Mưa lớn diện rộng, "lũ" cấp 2;\nđã sơ tán 120 hộ',
    comment: "Bản tin 14h",
  };
  const codes = [...figures.map((f) => f.indicator), textFigure.indicator];

  it("writes plain decimals (never 1e-7 or 1e+21) and the text of textual indicators", async () => {
    const res = await write(admin, [...figures.map((f) => ({ ...f, area: "92", period: "2025M08" })), textFigure]);
    expect(res.statusCode, res.body).toBe(200);
    const before = await stored(codes);
    expect(before.map((r) => r.value)).toEqual(
      expect.arrayContaining(["0.0000001", "1000000000000000000000", "1.234", "-12.5", "123456789.12345679"]),
    );
    const csv = (await exportAs(admin, "csv", { period: "2025M08" })).body;
    const sdmx = (await exportAs(admin, "sdmx-csv", { period: "2025M08" })).body;
    const dhis2 = (await exportAs(admin, "dhis2", { period: "2025M08" })).body;
    for (const body of [csv, sdmx, dhis2]) {
      expect(body).not.toMatch(/\de[-+]?\d/);
      expect(body).toContain("0.0000001");
      expect(body).toContain("1000000000000000000000");
    }
    expect(csv).toContain(",1.2340,"); // unambiguous for the CSV reader, which accepts both conventions
    expect(sdmx).toContain(",1.234,");
    const text = (await exportAs(admin, "dhis2", { indicator: "KT.D.1" })).json().dataValues;
    expect(text).toEqual([expect.objectContaining({ dataElement: "KT.D.1", value: textFigure.valueText })]);
    expect((await exportAs(admin, "csv", { indicator: "KT.D.1" })).body).toContain(
      '"Mưa lớn diện rộng, ""lũ"" cấp 2;\nđã sơ tán 120 hộ"',
    );
  });

  for (const format of ["csv", "sdmx-csv", "dhis2"] as const) {
    it(`${format}: an export re-imported changes nothing; deleted and re-imported it restores the same stored values`, async () => {
      const before = await stored(codes);
      expect(before).toHaveLength(codes.length);
      const exported = (
        await Promise.all([exportAs(admin, format, { period: "2025M08" }), exportAs(admin, format, { indicator: "KT.D.1" })])
      ).map((r) => (format === "dhis2" ? r.json() : r.body));

      for (const body of exported) {
        const again = await importAs(admin, format, body);
        expect(again.statusCode, again.body).toBe(200);
        expect(again.json()).toMatchObject({ created: 0, updated: 0 });
      }
      expect(await stored(codes)).toEqual(before);

      const removed = await write(admin, [
        ...figures.map((f) => ({ indicator: f.indicator, area: "92", period: "2025M08", delete: true })),
        { indicator: textFigure.indicator, area: textFigure.area, period: textFigure.period, delete: true },
      ]);
      expect(removed.json()).toMatchObject({ deleted: codes.length });
      expect(await stored(codes)).toEqual([]);
      let created = 0;
      for (const body of exported) {
        const restored = await importAs(admin, format, body);
        expect(restored.statusCode, restored.body).toBe(200);
        created += restored.json().created;
      }
      expect(created).toBe(codes.length);
      expect(await stored(codes)).toEqual(before);
    });
  }

  it("neutralises text a spreadsheet would run, and reads the apostrophe back as literal text", async () => {
    // Formula-like text cannot be entered on any channel; text starting with an apostrophe can, and is kept.
    const formula = await importAs(admin, "csv", "indicator,area,period,value,comment\nCT.A.I.3,92,2025M07,5,=1+1\n");
    expect(formula.statusCode).toBe(400);
    expect(formula.json().errors[0]).toMatchObject({ row: 2, field: "comment", message: expect.stringContaining("công thức") });
    const quoted = await write(admin, [
      { indicator: "CT.A.I.3", area: "92", period: "2025M07", value: 5, comment: "'=1+1 là văn bản" },
    ]);
    expect(quoted.statusCode, quoted.body).toBe(200);
    const csv = (await exportAs(admin, "csv", { indicator: "CT.A.I.3", period: "2025M07" })).body;
    expect(csv).toContain(",''=1+1 là văn bản,"); // never a cell starting with =
    expect((await importAs(admin, "csv", csv)).json()).toMatchObject({ unchanged: 1 });
    expect((await stored(["CT.A.I.3"])).find((r) => r.period === "2025M07")?.comment).toBe("'=1+1 là văn bản");
  });

  it("plainDecimal expands what JavaScript would write with an exponent", () => {
    expect([1e-7, 1e21, -2.5e-8, 1.5e22, 123.456, 0, -0.1].map(plainDecimal)).toEqual([
      "0.0000001",
      "1000000000000000000000",
      "-0.000000025",
      "15000000000000000000000",
      "123.456",
      "0",
      "-0.1",
    ]);
  });
});

describe(`sample figures are marked in every export and left out when re-imported, on ${testEngine}`, () => {
  it("marks them (CSV sample column, SDMX-CSV SAMPLE attribute, DHIS2 SAMPLE attribute option combo)", async () => {
    // A sample figure as the sample loader writes it, beside a real one.
    await write(admin, [{ indicator: "CT.A.I.19", area: "92", period: "2025M09", value: 42 }]);
    await write(admin, [{ indicator: "CT.A.I.19", area: "92", period: "2025M08", value: 40 }]);
    await database.db
      .updateTable("data_values")
      .set({ source: "sample" })
      .where("indicator_code", "=", "CT.A.I.19")
      .where("period", "=", "2025M08")
      .execute();
    const before = await stored(["CT.A.I.19"]);

    const csv = (await exportAs(admin, "csv", { indicator: "CT.A.I.19" })).body;
    const lines = csv
      .replace(/^\uFEFF/, "")
      .trim()
      .split("\r\n");
    expect(lines[0]!.split(",").at(-1)).toBe("sample");
    expect(lines.slice(1).map((l) => `${l.split(",")[2]}:${l.split(",").at(-1)}`)).toEqual(["2025M08:true", "2025M09:false"]);
    const sdmx = (await exportAs(admin, "sdmx-csv", { indicator: "CT.A.I.19" })).body;
    expect(sdmx.split("\r\n")[0]).toContain(",SAMPLE,");
    // SDMX codes: CT_A_I_19, the total of every dimension _T, the unit's code (ha: HA); the deprecated I never.
    expect(sdmx).toMatch(/,M,M,CT_A_I_19,92,(_T,)+2025-08,40,HA,A,true,/);
    const dhis2 = (await exportAs(admin, "dhis2", { indicator: "CT.A.I.19" })).json();
    expect(dhis2.dataValues.map((v: { attributeOptionCombo: string }) => v.attributeOptionCombo)).toEqual([
      "SAMPLE",
      "HllvX50cXC0",
    ]);

    for (const [format, body] of [
      ["csv", csv],
      ["sdmx-csv", sdmx],
      ["dhis2", dhis2],
    ] as const) {
      const res = await importAs(admin, format, body);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({
        unchanged: 1,
        warnings: [expect.objectContaining({ message: expect.stringContaining("Số liệu mẫu") })],
      });
    }
    // Only the sample row: nothing to write, and the answer says why.
    const onlySample = {
      dataValues: dhis2.dataValues.filter((v: { attributeOptionCombo: string }) => v.attributeOptionCombo === "SAMPLE"),
    };
    expect((await importAs(admin, "dhis2", onlySample)).json()).toMatchObject({
      created: 0,
      unchanged: 0,
      warnings: [{ row: 1 }],
    });
    expect(await stored(["CT.A.I.19"])).toEqual(before); // a sample figure never becomes a real one
  });
});

describe(`DHIS2: what the product cannot represent is refused, never stored as something else, on ${testEngine}`, () => {
  it("refuses a non-default attributeOptionCombo by row and field instead of storing it as the total", async () => {
    const before = await countDataValueRows(database);
    const res = await importAs(reporter, "dhis2", {
      dataValues: [
        { dataElement: "CT.A.I.5", period: "202510", orgUnit: "92", value: "10" },
        { dataElement: "CT.A.I.6", period: "202510", orgUnit: "92", value: "12", attributeOptionCombo: "bRowv6yZOF2" },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      expect.objectContaining({ row: 2, field: "attributeOptionCombo", message: expect.stringContaining("bRowv6yZOF2") }),
    ]);
    // Set-level too.
    const setLevel = await importAs(reporter, "dhis2", {
      attributeOptionCombo: "bRowv6yZOF2",
      dataValues: [{ dataElement: "CT.A.I.5", period: "202510", orgUnit: "92", value: "10" }],
    });
    expect(setLevel.json().errors[0]).toMatchObject({ row: 1, field: "attributeOptionCombo" });
    // A field the reader does not know is refused, not ignored.
    const unknown = await importAs(reporter, "dhis2", {
      dataValues: [{ dataElement: "CT.A.I.5", period: "202510", orgUnit: "92", value: "10", attributeCategoryOptions: "x" }],
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toContain("attributeCategoryOptions");
    expect(await countDataValueRows(database)).toBe(before);
    // The default combo, explicit, is the total.
    const ok = await importAs(reporter, "dhis2", {
      dataValues: [
        { dataElement: "CT.A.I.5", period: "202510", orgUnit: "92", value: "10", attributeOptionCombo: "HllvX50cXC0" },
      ],
    });
    expect(ok.json()).toMatchObject({ created: 1 });
  });

  it("SDMX-CSV: refuses a unit multiplier rather than storing thousands as units", async () => {
    const res = await importAs(
      reporter,
      "sdmx-csv",
      "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,OBS_VALUE,UNIT_MULT\ndataflow,VN_DH:DF_DIEUHANH(1.0),M,CT.A.I.5,92,2025-10,12,3\n",
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ row: 2, field: "unitMultiplier", column: "UNIT_MULT" });
  });
});

describe(`uploads are bounded: rows, time, and the error list, on ${testEngine}`, () => {
  it("lists the first 1,000 problems of a file with their total, in Vietnamese", async () => {
    // Problems found reading the file (formula text): the file is refused on what was read.
    const unreadable = ["indicator,area,period,value,comment"];
    for (let i = 0; i < 2500; i++) unreadable.push(`CT.A.I.3,92,2025M10,${i},=HYPERLINK(${i})`);
    const read = await importAs(reporter, "csv", unreadable.join("\n"));
    expect(read.statusCode).toBe(400);
    expect(read.json()).toMatchObject({
      errorCount: 2500,
      message: "Có 2.500 lỗi, không ghi dòng nào (liệt kê 1.000 lỗi đầu tiên)",
    });
    expect(read.json().errors).toHaveLength(1000);
    expect(read.json().errors[0]).toMatchObject({ row: 2, field: "comment" });
    expect(read.json().errors[999]).toMatchObject({ row: 1001, field: "comment" });

    // Problems found validating (not a number; every later row repeats the first one's key).
    const invalid = ["indicator,area,period,value"];
    for (let i = 0; i < 2500; i++) invalid.push(`CT.A.I.3,92,2025M10,không-phải-số-${i}`);
    const res = await importAs(reporter, "csv", invalid.join("\n"));
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.errors).toHaveLength(1000);
    expect(body.errorCount).toBe(2500 + 2499);
    expect(body.message).toMatch(/không ghi dòng nào \(liệt kê 1\.000 lỗi đầu tiên\)$/);
    expect(body.errors[0]).toMatchObject({ row: 2, field: "value" });
    expect(res.body.length).toBeLessThan(300_000);
  });

  it("refuses a file with more rows than one upload may carry, before validating anything (413)", async () => {
    importLimits.maxRows = 50;
    const lines = ["indicator,area,period,value"];
    for (let i = 0; i < 60; i++) lines.push(`CT.A.I.3,92,2025M08,${i}`);
    const csv = await importAs(reporter, "csv", lines.join("\n"));
    expect(csv.statusCode).toBe(413);
    expect(csv.json().message).toContain("hơn 50 dòng số liệu");
    const dhis2 = await importAs(reporter, "dhis2", {
      dataValues: Array.from({ length: 60 }, (_, i) => ({
        dataElement: "CT.A.I.3",
        period: "202508",
        orgUnit: "92",
        value: String(i),
      })),
    });
    expect(dhis2.statusCode).toBe(413);
  });

  it("reads a CSV in chunks, Vietnamese split across chunk boundaries included", async () => {
    importLimits.chunkBytes = 7; // every multi-byte character straddles a boundary somewhere
    const csv = "Mã chỉ số;Mã địa bàn;Kỳ;Giá trị;Ghi chú\nCT.A.I.4;92;2025M10;1.234,5;Số liệu ước tính, đã đối chiếu Kho bạc\n";
    const res = await importAs(reporter, "csv", csv);
    expect(res.statusCode, res.body).toBe(200);
    expect((await stored(["CT.A.I.4"])).find((r) => r.period === "2025M10")).toMatchObject({
      value: "1234.5",
      comment: "Số liệu ước tính, đã đối chiếu Kho bạc",
    });
  });

  it("refuses a CSV record of more than a megabyte (an unclosed quote swallowing the file) without holding it", async () => {
    const res = await importAs(
      reporter,
      "csv",
      `indicator,area,period,value,comment\nCT.A.I.3,92,2025M10,1,"${"x".repeat(1_200_000)}`,
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ field: "file", message: expect.stringContaining("dài hơn 1 MB") });
  });

  it("refuses a CSV whose rows do not have the header's columns, naming the row", async () => {
    const res = await importAs(reporter, "csv", "indicator,area,period,value\nCT.A.I.3,92,2025M08,1,extra\n");
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ row: 2, field: "file", message: expect.stringContaining("5 cột") });
  });
});

describe(`sibling: the audit trail's CSV export is complete too, on ${testEngine}`, () => {
  it("streams every page (it was cut at 100,000 entries, in silence)", async () => {
    const at = new Date(Date.now() - 60_000);
    await database.db
      .insertInto("audit_log")
      .values(
        Array.from({ length: 7 }, (_, i) => ({
          at,
          action: "test.entry",
          outcome: "success" as const,
          entity_type: "test",
          entity_id: `e${i}`,
        })),
      )
      .execute();
    auditExportSettings.pageRows = 3;
    const res = await app.inject({ url: "/api/audit/export?action=test.entry", headers: admin.headers() });
    expect(res.statusCode).toBe(200);
    const rows = res.body
      .replace(/^\uFEFF/, "")
      .trim()
      .split("\r\n")
      .slice(1);
    expect(rows.map((r) => r.split(",")[9]).sort()).toEqual(["e0", "e1", "e2", "e3", "e4", "e5", "e6"].map((e) => `"${e}"`));
  });
});

describe(`Excel uploads are bounded too, on ${testEngine}`, () => {
  const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  const template = async () => {
    const res = await app.inject({
      url: "/api/reports/template?agency=CT.STC&area=92&period=2025M10",
      headers: reporter.headers(),
    });
    expect(res.statusCode).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    return wb;
  };
  const uploadXlsx = async (wb: ExcelJS.Workbook) =>
    app.inject({
      method: "POST",
      url: "/api/reports/upload",
      headers: { ...reporter.headers(true), "content-type": XLSX },
      payload: Buffer.from(await wb.xlsx.writeBuffer()),
    });

  it("measures the workbook before opening it: beyond the unzipped budget it is refused, naming the file", async () => {
    importLimits.xlsx = { ...importLimits.xlsx, maxInflatedBytes: 4096 };
    const res = await uploadXlsx(await template());
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({
      row: 0,
      field: "file",
      message: expect.stringContaining("khi giải nén lớn hơn"),
    });
  });

  it("lists the first 1,000 problems of a spreadsheet with their total", async () => {
    const wb = await template();
    const ws = wb.getWorksheet("Số liệu")!;
    for (let r = 100; r < 1600; r++)
      ws.getRow(r).values = ["CT.A.I.3", "", "", "92", "2025M10", "", null, null, 1, `=HYPERLINK(${r})`];
    const res = await uploadXlsx(wb);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      errorCount: 1500,
      message: "Có 1.500 lỗi, không ghi dòng nào (liệt kê 1.000 lỗi đầu tiên)",
    });
    expect(res.json().errors[0]).toMatchObject({ sheet: "Số liệu", row: 100, column: "J", field: "comment" });
  });
});
