import { readFileSync } from "node:fs";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/database";
import { buildApp, type App } from "../../http/app";
import { loadReferenceData } from "../../reference/load";
import { createUser, login, type TestSession } from "../../testing/auth";
import { countDataValueRows, createTestDatabase, testEngine } from "../../testing/database";
import { tokenService } from "../../tokens/service";
import { dhis2ExportSettings } from "./export";
import { dhis2Uid } from "./uid";

/** 5 November 2025 in Hà Nội, running on: October is over, so its figures can be submitted. */
const START = Date.now();
const clock = () => new Date(Date.parse("2025-11-05T03:00:00Z") + (Date.now() - START));

let database: Database;
let app: App;
let admin: TestSession;

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock });
  admin = await login(app, (await createUser(database, "admin", { username: "dhis2-admin" })).username);
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

const post = (body: string | object, contentType: string, query = "", headers: Record<string, string> = admin.headers(true)) =>
  app.inject({
    method: "POST",
    url: `/api/dataValueSets${query ? `?${query}` : ""}`,
    headers: { ...headers, "content-type": contentType },
    payload: typeof body === "string" ? body : JSON.stringify(body),
  });
const get = (url: string, headers: Record<string, string> = {}) =>
  app.inject({ url, headers: { ...admin.headers(), ...headers } });

/** A figure as GET /api/data-values reads it (the product's own reading, not this module's). */
async function readBack(indicator: string, area: string, period: string, disaggregation = "") {
  const res = await get(`/api/data-values?${new URLSearchParams({ indicator, area, period, disaggregation, status: "all" })}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items[0] as { value: number | null; valueText: string | null; comment: string | null } | undefined;
}

/** The current versions of some indicators exactly as stored. */
async function stored(indicators: string[]) {
  const rows = await sql`SELECT indicator_code, area_id, period, disaggregation, value::text AS value, value_text, comment,
      status, version FROM data_values WHERE superseded_at IS NULL AND indicator_code = ANY(${indicators}::text[])
      ORDER BY indicator_code, area_id, period, disaggregation`.execute(database.db);
  return rows.rows;
}

function expectImported(res: { statusCode: number; body: string; json(): unknown }, counts: object) {
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json() as { httpStatusCode: number; status: string; response: { status: string; importCount: object } };
  expect(body).toMatchObject({ httpStatus: "OK", httpStatusCode: 200, status: "OK", message: "Import was successful." });
  expect(body.response).toMatchObject({ responseType: "ImportSummary", status: "SUCCESS", conflicts: [] });
  expect(body.response.importCount).toEqual({ imported: 0, updated: 0, ignored: 0, deleted: 0, ...counts });
}

describe(`DHIS2 peers post documented payloads on ${testEngine}`, () => {
  it("takes DHIS2's bulk JSON example (codes) and every value lands exact", async () => {
    const res = await post(fixture("docs-bulk.json"), "application/json", "idScheme=CODE");
    expectImported(res, { imported: 4 });
    expect((await readBack("QG.A.II.1", "92", "2025M07"))?.value).toBe(12);
    expect((await readBack("QG.A.II.1", "01", "2025M07"))?.value).toBe(14);
    expect((await readBack("QG.A.II.1", "92", "2025M08"))?.value).toBe(16);
    expect((await readBack("QG.A.II.1", "79", "2025M08"))?.value).toBe(18);
    // Sent again: nothing changes, every value is ignored (unchanged).
    expectImported(await post(fixture("docs-bulk.json"), "application/json", "idScheme=CODE"), { ignored: 4 });
  });

  it("takes a data set's XML form with set-level period, orgUnit, dataSet and completeDate", async () => {
    const res = await post(fixture("docs-set.xml"), "application/xml", "idScheme=CODE");
    expectImported(res, { imported: 3 });
    expect(res.json().response.dataSetComplete).toBe("false");
    expect((await readBack("CT.A.I.8", "92", "2025M09"))?.value).toBe(12);
    expect((await readBack("CT.A.I.9", "92", "2025M09"))?.value).toBe(14);
    expect((await readBack("CT.A.I.10", "92", "2025M09"))?.value).toBe(16);
  });

  it("takes dhis2-core's dataValueSetA.xml (storedBy, timestamp, comment, followup) and its deletion", async () => {
    expectImported(await post(fixture("dataValueSetA.xml"), "application/xml", "idScheme=CODE"), { imported: 3 });
    expect(await readBack("QG.A.II.1", "01", "2025M09")).toMatchObject({ value: 10002, comment: "comment" });
    const deleted = await post(fixture("dataValueSetADeleted.xml"), "text/xml", "idScheme=CODE");
    expectImported(deleted, { deleted: 1 });
    expect(await readBack("QG.A.II.1", "92", "2025M09")).toBeUndefined();
    // Deleting what is already deleted changes nothing: ignored.
    expectImported(await post(fixture("dataValueSetADeleted.xml"), "application/xml", "idScheme=CODE"), { ignored: 1 });
  });

  it("takes DHIS2 CSV as sent (quoted, default combos) and as DHIS2 exports it (UID of the default combo)", async () => {
    expectImported(await post(fixture("docs-send.csv"), "application/csv", "idScheme=CODE"), { imported: 3 });
    expect(await readBack("CT.A.I.9", "92", "2025M10")).toMatchObject({ value: 2, comment: "comment2" });
    expectImported(await post(fixture("docs-export.csv"), "text/csv", "dataElementIdScheme=CODE&orgUnitIdScheme=CODE"), {
      imported: 3,
    });
    expect(await readBack("CT.A.I.10", "92", "2025M08")).toMatchObject({ value: 16, comment: "comment3" });
  });

  it("takes ADX with category attributes (sex=F), annotations and ISO periods; codes by default", async () => {
    const res = await post(fixture("importB.adx.xml"), "application/adx+xml");
    expectImported(res, { imported: 5 });
    expect((await readBack("QG.A.XII.5", "92", "2025M08", "sex=F"))?.value).toBe(520);
    expect((await readBack("QG.A.XII.5", "92", "2025M08", "sex=M"))?.value).toBe(480);
    expect((await readBack("QG.A.XII.5", "92", "2025M08"))?.value).toBe(1000);
    expect(await readBack("QG.A.II.1", "01", "2025M08")).toMatchObject({ value: 1234.5, comment: "Số liệu sơ bộ" });
    expect((await readBack("QG.A.XII.5", "92", "2025M09", "sex=F"))?.value).toBe(530);
  });

  it("refuses ADX attribute categories and other attribute option combos by value and field, writing nothing", async () => {
    const before = await countDataValueRows(database);
    const res = await post(fixture("importA-mechanism.adx.xml"), "application/adx+xml");
    expect(res.statusCode, res.body).toBe(409);
    const body = res.json();
    expect(body).toMatchObject({ httpStatus: "Conflict", httpStatusCode: 409, status: "ERROR" });
    expect(body.response.status).toBe("ERROR");
    expect(body.response.importCount).toEqual({ imported: 0, updated: 0, ignored: 3, deleted: 0 });
    expect(body.response.conflicts).toEqual([
      expect.objectContaining({
        property: "attributeOptionCombo",
        indexes: [1],
        value: expect.stringMatching(/^Giá trị thứ 2, trường attributeOptionCombo: .*Mechanism_category/),
      }),
      expect.objectContaining({
        object: "cocMcDonald",
        property: "attributeOptionCombo",
        indexes: [2],
        value: expect.stringContaining("không ghi số liệu này thành tổng số"),
      }),
    ]);
    expect(body.response.rejectedIndexes).toEqual([1, 2]);
    expect(await countDataValueRows(database)).toBe(before);
  });
});

describe(`identifier schemes, strategies and refusals on ${testEngine}`, () => {
  it("resolves the UIDs the metadata endpoints publish (the default scheme) and names exactly", async () => {
    const de = (await get("/api/dataElements?filter=code:eq:QG.A.XII.5&fields=id,code,name")).json().dataElements[0];
    expect(de).toEqual({ id: dhis2Uid("dataElement", "QG.A.XII.5"), code: "QG.A.XII.5", name: "Giáo dục và đào tạo" });
    const ou = (await get("/api/organisationUnits?filter=code:eq:92&fields=id,name")).json().organisationUnits[0];
    expect(ou).toEqual({ id: dhis2Uid("organisationUnit", "92"), name: "Cần Thơ" });
    const coc = (await get("/api/categoryOptionCombos?filter=code:eq:sex=F&fields=id,name,categoryCombo")).json()
      .categoryOptionCombos[0];
    expect(coc).toEqual({
      id: dhis2Uid("categoryOptionCombo", "sex=F"),
      name: "Nữ",
      categoryCombo: { id: dhis2Uid("categoryCombo", "sex") },
    });
    const res = await post(
      { dataValues: [{ dataElement: de.id, period: "202507", orgUnit: ou.id, categoryOptionCombo: coc.id, value: "510" }] },
      "application/json",
    );
    expectImported(res, { imported: 1 });
    expect((await readBack("QG.A.XII.5", "92", "2025M07", "sex=F"))?.value).toBe(510);
    // NAME: exact display names; a name several objects share is refused, naming them; never folded.
    const byName = await post(
      { dataValues: [{ dataElement: "QG.A.XII.5", period: "202507", orgUnit: "92", categoryOptionCombo: "Nam", value: "490" }] },
      "application/json",
      "dataElementIdScheme=CODE&orgUnitIdScheme=CODE&categoryOptionComboIdScheme=NAME",
    );
    expectImported(byName, { imported: 1 });
    expect((await readBack("QG.A.XII.5", "92", "2025M07", "sex=M"))?.value).toBe(490);
    const shared = await post(
      { dataValues: [{ dataElement: "Thu ngân sách", period: "202507", orgUnit: "Can Tho", value: "1000" }] },
      "application/json",
      "idScheme=NAME",
    );
    expect(shared.statusCode).toBe(409);
    const [element, unit] = shared.json().response.conflicts;
    expect(element).toMatchObject({ object: "Thu ngân sách", property: "dataElement", indexes: [0] });
    expect(element.value).toMatch(/trùng ở \d+ đối tượng \(.*QG.A.II.1/);
    expect(unit).toMatchObject({ object: "Can Tho", property: "orgUnit" });
  });

  it("CREATE ignores values that exist, UPDATE those that do not, DELETE deletes; dryRun writes nothing", async () => {
    const value = (v: string, period = "202507", orgUnit = "92") => ({ dataElement: "QG.A.II.1", period, orgUnit, value: v });
    const create = await post(
      { dataValues: [value("99"), value("21", "202507", "79")] },
      "application/json",
      "idScheme=CODE&importStrategy=CREATE",
    );
    expectImported(create, { imported: 1, ignored: 1 });
    expect((await readBack("QG.A.II.1", "92", "2025M07"))?.value).toBe(12);
    const update = await post(
      { dataValues: [value("13"), value("22", "202509", "79")] },
      "application/json",
      "idScheme=CODE&importStrategy=UPDATE",
    );
    expectImported(update, { updated: 1, ignored: 1 });
    expect((await readBack("QG.A.II.1", "92", "2025M07"))?.value).toBe(13);
    expect(await readBack("QG.A.II.1", "79", "2025M09")).toBeUndefined();
    const before = await countDataValueRows(database);
    const dry = await post(
      { dataValues: [value("", "202507", "79")] },
      "application/json",
      "idScheme=CODE&importStrategy=DELETE&dryRun=true",
    );
    expectImported(dry, { deleted: 1 });
    expect(dry.json().response.importOptions.dryRun).toBe(true);
    expect(await countDataValueRows(database)).toBe(before);
    expectImported(
      await post({ dataValues: [value("", "202507", "79")] }, "application/json", "idScheme=CODE&importStrategy=DELETE"),
      {
        deleted: 1,
      },
    );
    expect(await readBack("QG.A.II.1", "79", "2025M07")).toBeUndefined();
  });

  it("refuses the whole payload on any error, naming each value and field in Vietnamese (409, nothing written)", async () => {
    const before = await countDataValueRows(database);
    const res = await post(
      {
        dataValues: [
          { dataElement: "QG.A.II.1", period: "202507", orgUnit: "79", value: "5" },
          { dataElement: "QG.X.9", period: "202507", orgUnit: "79", value: "5" },
          { dataElement: "QG.A.II.1", period: "2025-07", orgUnit: "79", value: "5" },
          { dataElement: "QG.A.II.1", period: "202507", orgUnit: "01", value: "5", attributeOptionCombo: "FUNDING1" },
          { dataElement: "QG.A.II.1", period: "202507", orgUnit: "01", value: "năm" },
        ],
      },
      "application/json",
      "idScheme=CODE",
    );
    expect(res.statusCode, res.body).toBe(409);
    const summary = res.json().response;
    expect(summary.importCount).toEqual({ imported: 0, updated: 0, ignored: 5, deleted: 0 });
    expect(summary.conflicts.map((c: { property: string; indexes: number[] }) => [c.indexes[0], c.property])).toEqual([
      [1, "dataElement"],
      [2, "period"],
      [3, "attributeOptionCombo"],
      [4, "value"],
    ]);
    expect(summary.conflicts[0].value).toMatch(
      /^Giá trị thứ 2, trường dataElement: Không có chỉ số \(dataElement\) nào có mã \(CODE\) 'QG.X.9'/,
    );
    expect(await countDataValueRows(database)).toBe(before);
    // A code sent without idScheme=CODE: the answer says how to send it.
    const uid = await post(
      { dataValues: [{ dataElement: "QG.A.II.1", period: "202507", orgUnit: "79", value: "5" }] },
      "application/json",
    );
    expect(uid.json().response.conflicts[0].value).toContain("idScheme=CODE");
  });

  it("refuses unknown fields, unreadable XML and parameters it does not honour with 400", async () => {
    const unknown = await post(
      { dataValues: [{ dataElement: "QG.A.II.1", period: "202507", orgUnit: "79", value: "5", unit: "tỷ" }] },
      "application/json",
      "idScheme=CODE",
    );
    expect(unknown.statusCode).toBe(409);
    expect(unknown.json().response.conflicts[0].value).toContain("Trường không được hỗ trợ: unit");
    const xml = await post("<dataValueSet><dataValue dataElement='a'></dataValueSet>", "application/xml");
    expect(xml.statusCode).toBe(400);
    expect(xml.json().message).toMatch(/^XML không hợp lệ ở dòng 1/);
    const dtd = await post('<!DOCTYPE x [<!ENTITY a "aaaa">]><dataValueSet/>', "application/xml");
    expect(dtd.statusCode).toBe(400);
    expect((await post({ dataValues: [] }, "application/json", "async=true")).statusCode).toBe(400);
    expect((await post({ dataValues: [] }, "application/json", "idScheme=attribute:abc")).statusCode).toBe(400);
    expect((await post({ dataValues: [] }, "application/json", "preheatCache=true&skipAudit=true")).statusCode).toBe(200);
  });
});

describe(`GET /api/dataValueSets on ${testEngine}`, () => {
  const query =
    "dataSet=cantho-256&dataElement=QG.A.II.1&dataElement=QG.A.XII.5&startDate=2025-05-01&endDate=2025-10-31&orgUnit=VN&children=true";

  it("answers JSON, CSV and XML with created, lastUpdated and storedBy (the person, or the API token)", async () => {
    const json = await get(`/api/dataValueSets?${query}&idScheme=CODE`);
    expect(json.statusCode, json.body).toBe(200);
    expect(json.headers["content-type"]).toContain("application/json");
    const values = json.json().dataValues as Record<string, unknown>[];
    const v = values.find((x) => x.dataElement === "CT.A.I.8" && x.period === "202509")!;
    expect(v).toMatchObject({
      orgUnit: "92",
      categoryOptionCombo: "default",
      attributeOptionCombo: "default",
      value: "12",
      storedBy: "Người dùng admin",
      followup: false,
    });
    expect(Date.parse(v.created as string)).toBeLessThanOrEqual(Date.parse(v.lastUpdated as string));
    expect(values.some((x) => x.categoryOptionCombo === "sex=F")).toBe(true);
    // A system's write is stored by its API token's name.
    const { secret } = await tokenService(database.db).create(
      { principal: null, ip: null, userAgent: "test" },
      { name: "DHIS2 Sở Y tế", agencyCode: null, areaId: null, canWrite: true, expiresAt: null },
    );
    const bearer = { authorization: `Bearer ${secret}` };
    expectImported(
      await post(
        { dataValues: [{ dataElement: "QG.A.II.1", period: "202510", orgUnit: "79", value: "7" }] },
        "application/json",
        "idScheme=CODE",
        bearer,
      ),
      { imported: 1 },
    );
    const byToken = (await get(`/api/dataValueSets.json?dataElement=QG.A.II.1&period=202510&orgUnit=79&idScheme=CODE`)).json();
    expect(byToken.dataValues).toEqual([expect.objectContaining({ value: "7", storedBy: "DHIS2 Sở Y tế" })]);

    const csv = await get(`/api/dataValueSets?${query}`, { accept: "application/csv" });
    expect(csv.headers["content-type"]).toContain("application/csv");
    expect(csv.body.split("\n")[0]).toBe(
      "dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,lastupdated,comment,followup,deleted",
    );
    const xml = await get(`/api/dataValueSets.xml?${query}`);
    expect(xml.body).toContain('<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0">');
    expect(xml.body).toContain(`dataElement="${dhis2Uid("dataElement", "CT.A.I.8")}"`);
  });

  it("needs a data set or element, periods and an org unit, as DHIS2 does (409 naming what is missing)", async () => {
    const res = await get("/api/dataValueSets?orgUnit=92&period=202507");
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toContain("dataSet hoặc dataElement");
    expect((await get("/api/dataValueSets?dataElement=QG.A.II.1&orgUnit=92")).statusCode).toBe(409);
    expect((await get("/api/dataValueSets?dataElement=QG.A.II.1&period=202507")).statusCode).toBe(409);
    expect((await get("/api/dataValueSets?dataElement=QG.X&period=202507&orgUnit=92")).statusCode).toBe(409);
  });

  it("lists deleted values with includeDeleted, and keeps a province's officials to their province", async () => {
    const all = (await get(`/api/dataValueSets?${query}&includeDeleted=true&idScheme=CODE`)).json().dataValues;
    expect(all).toContainEqual(
      expect.objectContaining({ dataElement: "QG.A.II.1", period: "202509", orgUnit: "92", deleted: true }),
    );
    const hanoi = await login(app, (await createUser(database, "viewer", { scopeAreaId: "01" })).username);
    const seen = (await app.inject({ url: `/api/dataValueSets?${query}&idScheme=CODE`, headers: hanoi.headers() })).json()
      .dataValues as { orgUnit: string }[];
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen.map((v) => v.orgUnit))).toEqual(new Set(["01"]));
  });

  it("every export (JSON, CSV, XML; UIDs and codes; with deletions) imports back identically", async () => {
    dhis2ExportSettings.pageRows = 3; // several pages, every one in the file
    const indicators = ["QG.A.II.1", "QG.A.XII.5", "CT.A.I.8", "CT.A.I.9", "CT.A.I.10"];
    const before = await stored(indicators);
    const rows = await countDataValueRows(database);
    try {
      for (const [ext, type] of [
        ["json", "application/json"],
        ["csv", "application/csv"],
        ["xml", "application/xml"],
      ] as const)
        for (const scheme of ["UID", "CODE"]) {
          const exported = await get(`/api/dataValueSets.${ext}?${query}&includeDeleted=true&idScheme=${scheme}`);
          expect(exported.statusCode, exported.body).toBe(200);
          const count =
            ext === "json"
              ? exported.json().dataValues.length
              : ext === "csv"
                ? exported.body.trim().split("\n").length - 1
                : exported.body.split("<dataValue ").length - 1;
          expect(count).toBeGreaterThan(10);
          const back = await post(exported.body, type, `idScheme=${scheme}`);
          expect(back.statusCode, `${ext} ${scheme}: ${back.body.slice(0, 600)}`).toBe(200);
          expect(back.json().response.importCount, `${ext} ${scheme}`).toEqual({
            imported: 0,
            updated: 0,
            deleted: 0,
            ignored: count,
          });
        }
    } finally {
      dhis2ExportSettings.pageRows = 5000;
    }
    expect(await stored(indicators)).toEqual(before);
    expect(await countDataValueRows(database)).toBe(rows);
  });
});

describe(`DHIS2 metadata lists on ${testEngine}`, () => {
  it("pages as DHIS2 does, filters, picks fields, and turns paging off", async () => {
    const page = (await get("/api/dataElements?pageSize=5&page=2&fields=id,code,valueType,categoryCombo[id]")).json();
    expect(page.pager).toMatchObject({ page: 2, pageSize: 5 });
    expect(page.pager.total).toBeGreaterThan(100);
    expect(page.pager.pageCount).toBe(Math.ceil(page.pager.total / 5));
    expect(page.dataElements).toHaveLength(5);
    expect(Object.keys(page.dataElements[0]).sort()).toEqual(["categoryCombo", "code", "id", "valueType"]);
    const count = (await get("/api/dataElements?filter=code:eq:QG.A.XII.5&fields=*")).json().dataElements[0];
    expect(count).toMatchObject({ valueType: "INTEGER", aggregationType: "SUM", domainType: "AGGREGATE" });
    const combos = (await get("/api/categoryCombos?filter=code:in:[default,sex]&paging=false")).json();
    expect(combos.pager).toBeUndefined();
    expect(combos.categoryCombos.map((c: { code: string }) => c.code).sort()).toEqual(["default", "sex"]);
    const options = (await get("/api/categoryOptions?filter=code:like:sex=&fields=code,name")).json().categoryOptions;
    expect(options).toEqual([
      { code: "sex=M", name: "Nam" },
      { code: "sex=F", name: "Nữ" },
    ]);
    const cats = (await get("/api/categories?filter=code:eq:sex&fields=id,categoryOptions")).json().categories[0];
    expect(cats.categoryOptions).toHaveLength(2);
    const sets = (await get("/api/dataSets?filter=code:eq:cantho-256&fields=id,dataSetElements")).json().dataSets[0];
    expect(sets.id).toBe(dhis2Uid("dataSet", "cantho-256"));
    expect(sets.dataSetElements).toContainEqual({ dataElement: { id: dhis2Uid("dataElement", "CT.A.I.8") } });
    expect((await get("/api/dataElements?filter=code:between:1")).statusCode).toBe(400);
  });
});
