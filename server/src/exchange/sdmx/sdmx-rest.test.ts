import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/database";
import { buildApp, type App } from "../../http/app";
import { loadReferenceData } from "../../reference/load";
import { createUser, login, type TestSession } from "../../testing/auth";
import { createTestDatabase, testEngine } from "../../testing/database";

const START = Date.now();
const clock = () => new Date(Date.parse("2025-11-05T03:00:00Z") + (Date.now() - START));

let database: Database;
let app: App;
let admin: TestSession;
let hanoi: TestSession; // a viewer scoped to Hà Nội (01): sees none of Cần Thơ's figures

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock });
  admin = await login(app, (await createUser(database, "admin")).username);
  hanoi = await login(app, (await createUser(database, "viewer", { scopeAreaId: "01" })).username);
  const res = await write([
    { indicator: "CT.A.I.3", area: "92", period: "2025M08", value: 1234.5, comment: "Tạm tính" },
    { indicator: "CT.A.I.3", area: "92", period: "2025M09", value: 0.0000001 },
    { indicator: "CT.A.I.3", area: "92", period: "2025M09", disaggregation: "vsic_section=C", value: 0.00000005 },
    { indicator: "CT.A.I.27", area: "92", period: "2025Q3", value: 98765432109.125 },
  ]);
  expect(res.statusCode, res.body).toBe(200);
});
afterAll(async () => {
  await app?.close();
  await database?.close();
});

function write(values: object[]) {
  return app.inject({ method: "POST", url: "/api/data-values", headers: admin.headers(true), payload: { values } });
}
const get = (session: TestSession, url: string, accept?: string) =>
  app.inject({ url, headers: { ...session.headers(), ...(accept ? { accept } : {}) } });
const importSdmx = (body: string) =>
  app.inject({
    method: "POST",
    url: "/api/data-values/import?format=sdmx-csv",
    headers: { ...admin.headers(true), "content-type": "application/vnd.sdmx.data+csv; version=2.0.0" },
    payload: body,
  });
const CSV = "application/vnd.sdmx.data+csv; version=2.0.0";
const JSON_ = "application/vnd.sdmx.data+json; version=2.0.0";
const FLOW = "/api/sdmx/data/dataflow/VN_DH/DF_DIEUHANH/1.0";

describe(`SDMX REST structures, on ${testEngine}`, () => {
  it("publishes the dataflow with its data structure, concepts and code lists (SDMX-JSON 2.0)", async () => {
    const res = await get(admin, "/api/sdmx/structure/dataflow/VN_DH/DF_DIEUHANH/1.0?references=all");
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["content-type"]).toContain("application/vnd.sdmx.structure+json");
    const data = res.json().data;
    expect(data.dataflows[0]).toMatchObject({ id: "DF_DIEUHANH", agencyID: "VN_DH", version: "1.0" });
    const dims = data.dataStructures[0].dataStructureComponents.dimensionList.dimensions.map((d: { id: string }) => d.id);
    expect(dims.slice(0, 3)).toEqual(["FREQ", "INDICATOR", "REF_AREA"]);
    expect(dims).toContain("SEX");
    const lists = new Map(data.codelists.map((c: { id: string; codes: { id: string }[] }) => [c.id, c.codes.map((x) => x.id)]));
    expect(lists.get("CL_FREQ")).toEqual(["A", "S", "Q", "M", "W", "D"]);
    expect(lists.get("CL_INDICATOR")).toContain("CT_A_I_3");
    expect(lists.get("CL_AREA")).toEqual(expect.arrayContaining(["92", "old-92"])); // pre-2025 units too
    expect(lists.get("CL_SEX")).toEqual(["_T", "M", "F"]);
    expect(lists.get("CL_UNIT")).toContain("TY_DONG");
    for (const ids of lists.values()) for (const id of ids as string[]) expect(id).toMatch(/^[A-Za-z0-9_@$-]+$/);
  });

  it("answers the data structure, one code list, all code lists; 404 for what it does not have; 406 for XML", async () => {
    expect(
      (await get(admin, "/api/sdmx/structure/datastructure/VN_DH/DSD_DIEUHANH/1.0")).json().data.dataStructures,
    ).toHaveLength(1);
    const area = (await get(admin, "/api/sdmx/structure/codelist/VN_DH/CL_AREA/1.0")).json().data.codelists;
    expect(area).toHaveLength(1);
    expect((await get(admin, "/api/sdmx/structure/codelist/VN_DH/*/1.0")).json().data.codelists.length).toBeGreaterThan(10);
    expect((await get(admin, "/api/sdmx/structure/dataflow/ESTAT/NAMA_10_GDP/1.0")).statusCode).toBe(404);
    expect((await get(admin, "/api/sdmx/structure/dataflow/VN_DH/DF_DIEUHANH/9.9")).statusCode).toBe(404);
    const xml = await get(
      admin,
      "/api/sdmx/structure/dataflow/VN_DH/DF_DIEUHANH/1.0",
      "application/vnd.sdmx.structure+xml; version=3.0.0",
    );
    expect(xml.statusCode).toBe(406);
  });
});

describe(`SDMX REST data queries, on ${testEngine}`, () => {
  it("answers SDMX-CSV 2.0 for a key (dots, + for OR, empty for any), values exact, and it re-imports unchanged", async () => {
    const res = await get(admin, `${FLOW}/M.CT_A_I_3+CT_A_I_4.92`, CSV);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["content-type"]).toContain("application/vnd.sdmx.data+csv");
    const lines = res.body.trim().split("\r\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^STRUCTURE,STRUCTURE_ID,ACTION,FREQ,INDICATOR,REF_AREA,/);
    expect(res.body).toContain(",2025-08,1234.5,TY_DONG,A,false,Tạm tính");
    expect(res.body).toContain(",2025-09,0.0000001,TY_DONG,");
    expect(res.body).toContain(",2025-09,0.00000005,TY_DONG,");
    expect(res.body).not.toMatch(/,I,/);
    expect((await importSdmx(res.body)).json()).toMatchObject({ created: 0, updated: 0, deleted: 0, unchanged: 3 });
    // The 1.x path, the disaggregation dimensions in the key, and the periods.
    const one = await get(admin, "/api/sdmx/data/DF_DIEUHANH/M.CT_A_I_3.92?startPeriod=2025-09&endPeriod=2025-09", CSV);
    expect(one.body.trim().split("\r\n")).toHaveLength(3);
    const sexTotal = `${FLOW}/.CT_A_I_3.92.${"".padEnd(0)}`;
    expect((await get(admin, sexTotal, CSV)).statusCode).toBe(200);
  });

  it("answers labels=both with names in the header and coded cells", async () => {
    const res = await get(admin, `${FLOW}/M.CT_A_I_3.92`, `${CSV}; labels=both`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body.split("\r\n")[0]).toContain("INDICATOR: Chỉ số");
    expect(res.body).toMatch(/,CT_A_I_3: [^,]+,92: [^,]+,/);
    // What it answers with labels re-imports too (the ID part is read).
    expect((await importSdmx(res.body)).json()).toMatchObject({ unchanged: 3 });
  });

  it("answers SDMX-JSON 2.0 data messages, as series or flat, numbers exact", async () => {
    const res = await get(admin, `${FLOW}/.CT_A_I_27`, JSON_);
    expect(res.statusCode, res.body).toBe(200);
    const message = res.json();
    const structure = message.data.structures[0];
    expect(structure.dimensions.observation[0].id).toBe("TIME_PERIOD");
    const series = Object.values(message.data.dataSets[0].series) as { observations: Record<string, unknown[]> }[];
    expect(series[0]!.observations["0"]![0]).toBe(98765432109.125);
    const flat = (await get(admin, `${FLOW}/M.CT_A_I_3?dimensionAtObservation=AllDimensions`, JSON_)).json();
    const observations = Object.values(flat.data.dataSets[0].observations) as unknown[][];
    expect(observations.map((o) => o[0]).sort()).toEqual([1234.5, 5e-8, 1e-7].sort());
  });

  it("404 NoResultsFound, 406 for a format it does not write, 400 for a bad key, 501 for several keys", async () => {
    expect((await get(admin, `${FLOW}/A.CT_A_I_3`, CSV)).statusCode).toBe(404);
    expect((await get(admin, `${FLOW}/M.CT_A_I_3`, "application/vnd.sdmx.genericdata+xml;version=2.1")).statusCode).toBe(406);
    expect((await get(admin, `${FLOW}/M.CT_A_I_3`, `${CSV}; labels=name`)).statusCode).toBe(406);
    expect((await get(admin, `${FLOW}/X.CT_A_I_3`, CSV)).statusCode).toBe(400);
    expect((await get(admin, `${FLOW}/M.CT_A_I_3.92%3B`, CSV)).statusCode).toBe(400);
    expect((await get(admin, `${FLOW}/M.CT_A_I_3.92${".".repeat(60)}`, CSV)).statusCode).toBe(400);
    expect((await get(admin, `${FLOW}/M.CT_A_I_3,A.CT_A_I_3`, CSV)).statusCode).toBe(501);
    expect((await get(admin, "/api/sdmx/data/dataflow/ESTAT/NAMA_10_GDP/1.0/all", CSV)).statusCode).toBe(404);
    expect((await get(admin, `${FLOW}/all?updatedAfter=2025-11-01T00:00:00Z&asOf=2025-10-01T00:00:00Z`, CSV)).statusCode).toBe(
      400,
    );
  });

  it("keeps a province's officials to their province (scope-filtered like exports)", async () => {
    expect((await get(hanoi, `${FLOW}/M.CT_A_I_3`, CSV)).statusCode).toBe(404);
    expect((await get(admin, `${FLOW}/M.CT_A_I_3`, CSV)).statusCode).toBe(200);
  });
});

describe(`updatedAfter on every export and on SDMX REST: changes and tombstones, on ${testEngine}`, () => {
  it("gives only figures whose published state changed since, deletions as tombstones in every format", async () => {
    const since = clock().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    const res = await write([
      { indicator: "CT.A.I.3", area: "92", period: "2025M08", value: 1300 }, // revised
      { indicator: "CT.A.I.3", area: "92", period: "2025M10", value: 42 }, // new
      { indicator: "CT.A.I.3", area: "92", period: "2025M09", disaggregation: "vsic_section=C", delete: true }, // withdrawn
    ]);
    expect(res.statusCode, res.body).toBe(200);
    const exportAs = (format: string) =>
      get(admin, `/api/data-values/export?${new URLSearchParams({ format, indicator: "CT.A.I.3", updatedAfter: since })}`);

    const csv = (await exportAs("csv")).body
      .replace(/^\uFEFF/, "")
      .trim()
      .split("\r\n");
    expect(csv[0]).toBe("indicator,area,period,disaggregation,value,comment,status,version,sample,deleted");
    expect(
      csv.slice(1).map((l) =>
        l
          .split(",")
          .filter((_, i) => [2, 3, 4, 9].includes(i))
          .join(" "),
      ),
    ).toEqual(["2025M08  1300 false", "2025M09 vsic_section=C 0.00000005 true", "2025M10  42 false"]);
    const dhis2 = (await exportAs("dhis2")).json().dataValues as { period: string; deleted?: boolean }[];
    expect(dhis2.map((v) => [v.period, v.deleted ?? false])).toEqual([
      ["202508", false],
      ["202509", true],
      ["202510", false],
    ]);
    const sdmx = (await exportAs("sdmx-csv")).body.trim().split("\r\n");
    expect(sdmx.slice(1).map((l) => l.split(",")[2])).toEqual(["M", "D", "M"]);
    expect(sdmx[2]).toMatch(/,D,M,CT_A_I_3,92,.*,C,.*2025-09,,,,,$/);

    // The same from SDMX REST; the JSON message has a Delete data set.
    const rest = await get(admin, `${FLOW}/M.CT_A_I_3?updatedAfter=${encodeURIComponent(since)}`, CSV);
    expect(
      rest.body
        .trim()
        .split("\r\n")
        .slice(1)
        .map((l) => l.split(",")[2]),
    ).toEqual(["M", "D", "M"]);
    const json = (await get(admin, `${FLOW}/M.CT_A_I_3?updatedAfter=${encodeURIComponent(since)}`, JSON_)).json();
    expect(json.data.dataSets.map((d: { action: string }) => d.action)).toEqual(["Merge", "Delete"]);

    // A peer applying the delta to a copy made before gets the same figures: here, applied again, nothing changes.
    expect((await importSdmx(rest.body)).json()).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    // Nothing changed since now: empty exports, 404 from SDMX REST.
    const later = clock().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    expect((await get(admin, `/api/data-values/export?format=dhis2&updatedAfter=${encodeURIComponent(later)}`)).json()).toEqual({
      dataValues: [],
    });
    expect((await get(admin, `${FLOW}/all?updatedAfter=${encodeURIComponent(later)}`, CSV)).statusCode).toBe(404);
    // A draft changes nothing published: not in the delta.
    const draft = await app.inject({
      method: "POST",
      url: "/api/data-values",
      headers: admin.headers(true),
      payload: { values: [{ indicator: "CT.A.I.3", area: "92", period: "2025M10", value: 43 }], status: "draft" },
    });
    expect(draft.statusCode).toBe(200);
    expect(
      (await get(admin, `/api/data-values/export?format=dhis2&updatedAfter=${encodeURIComponent(later)}`)).json().dataValues,
    ).toEqual([]);
  });

  it("includeHistory gives every published version with its validity", async () => {
    const res = await get(admin, `${FLOW}/M.CT_A_I_3.92?includeHistory=true&startPeriod=2025-08&endPeriod=2025-08`, CSV);
    expect(res.statusCode, res.body).toBe(200);
    const lines = res.body.trim().split("\r\n");
    expect(lines[0]).toMatch(/,VALID_FROM,VALID_TO$/);
    expect(lines.slice(1).map((l) => l.split(",").at(-1) === "")).toEqual([false, true]); // the old one ended, the new one stands
    expect(res.body).toContain(",1234.5,");
    expect(res.body).toContain(",1300,");
  });
});
