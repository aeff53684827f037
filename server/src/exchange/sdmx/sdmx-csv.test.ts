import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/database";
import { buildApp, type App } from "../../http/app";
import { loadReferenceData } from "../../reference/load";
import { createUser, login, type TestSession } from "../../testing/auth";
import { createTestDatabase, testEngine } from "../../testing/database";

/** 5 November 2025 in Hà Nội, running on. */
const START = Date.now();
const clock = () => new Date(Date.parse("2025-11-05T03:00:00Z") + (Date.now() - START));
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

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

const importSdmx = (body: string, contentType = "text/csv") =>
  app.inject({
    method: "POST",
    url: "/api/data-values/import?format=sdmx-csv",
    headers: { ...admin.headers(true), "content-type": contentType },
    payload: body,
  });

/** The published figures of an indicator at Cần Thơ (92), by period and disaggregation, exactly as the API reads them. */
async function figures(indicator: string, area = "92") {
  const res = await app.inject({
    url: `/api/data-values?${new URLSearchParams({ indicator, area, limit: "500" })}`,
    headers: admin.headers(),
  });
  expect(res.statusCode, res.body).toBe(200);
  return Object.fromEntries(
    (res.json().items as { period: string; disaggregation: string; value: number | null; comment: string | null }[]).map((v) => [
      `${v.period}${v.disaggregation ? ` ${v.disaggregation}` : ""}`,
      { value: v.value, comment: v.comment },
    ]),
  );
}

describe(`SDMX-CSV as its field guide defines it, on ${testEngine}`, () => {
  it("reads the guide's ordinary case (I read as M, a custom UPDATED column ignored): values land exact", async () => {
    const res = await importSdmx(fixture("field-guide-ordinary.csv"));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ created: 2 });
    expect(await figures("CT.A.I.3")).toEqual({
      "2025M07": { value: 12.4, comment: "Normal, special and other values" },
      "2025M08": { value: 10.8, comment: null },
    });
  });

  it("reads components in any order, a dimension per column and a datastructure reference", async () => {
    const res = await importSdmx(fixture("field-guide-any-order.csv"));
    expect(res.statusCode, res.body).toBe(200);
    const f = await figures("CT.A.I.3");
    expect(f["2025M07 vsic_section=C"]).toEqual({ value: 2.4, comment: "Normal, special and other values" });
    expect(f["2025M08 vsic_section=C"]).toEqual({ value: 1.8, comment: null });
  });

  it("reads labels=both (';' separator, decimal comma, 'ID: name' headers and cells) under the SDMX media type", async () => {
    const res = await importSdmx(
      fixture("field-guide-labels-both.csv"),
      "application/vnd.sdmx.data+csv; version=2.0.0; labels=both",
    );
    expect(res.statusCode, res.body).toBe(200);
    const f = await figures("CT.A.I.3");
    expect(f["2025M09"]).toEqual({ value: 12.4, comment: "Normal, special and other values" });
    expect(f["2025M10"]).toEqual({ value: 10.8, comment: null });
  });

  it("refuses labels=name clearly, by its columns and by its media type", async () => {
    const byColumns = await importSdmx(fixture("field-guide-labels-name.csv"));
    expect(byColumns.statusCode).toBe(400);
    expect(byColumns.body).toContain("labels=name");
    const byType = await importSdmx(
      fixture("field-guide-ordinary.csv"),
      "application/vnd.sdmx.data+csv; version=2.0.0; labels=name",
    );
    expect(byType.statusCode).toBe(400);
    expect(byType.body).toContain("labels=name");
  });

  it("M keeps what a row leaves out (the stored comment, the stored value); R replaces it with nothing", async () => {
    const merged = await importSdmx(fixture("field-guide-varying-actions.csv"));
    expect(merged.statusCode, merged.body).toBe(200);
    let f = await figures("CT.A.I.3");
    // A (read as M) with an empty COMMENT keeps the stored comment; R on a figure without comment sets the value.
    expect(f["2025M07"]).toEqual({ value: 12.5, comment: "Normal, special and other values" });
    expect(f["2025M08"]).toEqual({ value: 10.9, comment: null });
    // M with only a comment: the value is kept.
    const onlyComment = [
      "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,COMMENT",
      "dataflow,VN_DH:DF_DIEUHANH(1.0),M,CT_A_I_3,92,2025-08,Đã rà soát",
    ].join("\r\n");
    expect((await importSdmx(onlyComment)).json()).toMatchObject({ updated: 1 });
    f = await figures("CT.A.I.3");
    expect(f["2025M08"]).toEqual({ value: 10.9, comment: "Đã rà soát" });
    // R with no COMMENT column: the comment is replaced by nothing.
    const replaced = [
      "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,OBS_VALUE",
      "dataflow,VN_DH:DF_DIEUHANH(1.0),R,CT_A_I_3,92,2025-08,10.9",
    ].join("\r\n");
    expect((await importSdmx(replaced)).json()).toMatchObject({ updated: 1 });
    expect((await figures("CT.A.I.3"))["2025M08"]).toEqual({ value: 10.9, comment: null });
    // M without a value for a key with nothing stored: refused, naming the row and the field.
    const nothingToKeep = [
      "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,OBS_VALUE,COMMENT",
      "dataflow,VN_DH:DF_DIEUHANH(1.0),M,CT_A_I_4,92,2025-09,,Chỉ ghi chú",
    ].join("\r\n");
    const refused = await importSdmx(nothingToKeep);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toEqual([expect.objectContaining({ row: 2, field: "value" })]);
  });

  it("NaN is an intentionally missing value: the figure is withdrawn (its history kept)", async () => {
    const seed = [
      "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,OBS_VALUE",
      "dataflow,VN_DH:DF_DIEUHANH(1.0),M,CT_A_I_4,92,2025-07,7.5",
    ].join("\r\n");
    expect((await importSdmx(seed)).statusCode).toBe(200);
    const nan = seed.replace(",7.5", ",NaN");
    expect((await importSdmx(nan)).json()).toMatchObject({ deleted: 1 });
    expect((await figures("CT.A.I.4"))["2025M07"]).toBeUndefined();
  });

  it("D with '-' deletes the value (the figure) or only the comment", async () => {
    const res = await importSdmx(fixture("field-guide-delete-values.csv"));
    expect(res.statusCode, res.body).toBe(200);
    const f = await figures("CT.A.I.3");
    expect(f["2025M09"]).toBeUndefined();
    expect(f["2025M07"]).toEqual({ value: 12.5, comment: null });
  });

  it("D with wildcards deletes every period and disaggregation of an indicator × area; the indicator is required", async () => {
    const before = Object.keys(await figures("CT.A.I.3"));
    expect(before.length).toBeGreaterThan(3);
    const res = await importSdmx(fixture("field-guide-delete-wildcard.csv"));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ deleted: before.length });
    expect(await figures("CT.A.I.3")).toEqual({});
    const everything = ["STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA", "dataflow,VN_DH:DF_DIEUHANH(1.0),D,92"].join("\r\n");
    const refused = await importSdmx(everything);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors[0]).toMatchObject({ row: 2, field: "indicator" });
    const nothing = ["STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA", "dataflow,VN_DH:DF_DIEUHANH(1.0),D,CT_A_I_3,92"].join(
      "\r\n",
    );
    expect((await importSdmx(nothing)).statusCode).toBe(400);
  });

  it("reads an NSO's SDMX-CSV 1.0 export (DATAFLOW first, lower-case freq/unit/geo, LAST UPDATE, OBS_FLAG)", async () => {
    const res = await importSdmx(fixture("nso-sdmx-csv-1.0.csv"));
    expect(res.statusCode, res.body).toBe(200);
    expect(await figures("CT.A.I.27", "old-92")).toEqual({
      "2024Q1": { value: 1520.3, comment: null },
      "2024Q2": { value: 1610.25, comment: null },
      "2024": { value: 6400.125, comment: null },
    });
  });

  it("refuses a unit other than the indicator's and a FREQ other than the period's, naming row and field", async () => {
    const res = await importSdmx(fixture("nso-sdmx-csv-1.0-wrong.csv"));
    expect(res.statusCode).toBe(400);
    const errors = res.json().errors as { row: number; field: string; message: string }[];
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ row: 3, field: "frequency" }),
        expect.objectContaining({ row: 2, field: "unit" }),
      ]),
    );
  });

  it("refuses another dataflow, a version it does not have, a provision agreement and a second measure", async () => {
    const row = (structure: string, id: string) =>
      [
        "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,OBS_VALUE",
        `${structure},${id},M,CT_A_I_3,92,2025-10,1`,
      ].join("\r\n");
    for (const [structure, id] of [
      ["dataflow", "ESTAT:NAMA_10_GDP(1.0)"],
      ["dataflow", "VN_DH:DF_DIEUHANH(2.0)"],
      ["dataprovision", "VN_DH:DPA_CT(1.0)"],
      ["codelist", "VN_DH:CL_AREA(1.0)"],
    ]) {
      const res = await importSdmx(row(structure!, id!));
      expect(res.statusCode, id).toBe(400);
      expect(res.json().errors[0]).toMatchObject({ row: 2, field: "structure" });
    }
    const twoMeasures = [
      "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,OBS_VALUE,OBS_VALUE2",
      "dataflow,VN_DH:DF_DIEUHANH(1.0),M,CT_A_I_3,92,2025-10,1,2",
    ].join("\r\n");
    const res = await importSdmx(twoMeasures);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain("OBS_VALUE2");
  });
});
