import { describe, expect, it } from "vitest";
import { adxPeriod, readAdxSet, readCsvSet, readXmlSet } from "./read";
import { dhis2Uid, isDhis2Uid } from "./uid";

describe("DHIS2 readers (no database)", () => {
  it("reads ADX periods (start/duration) into DHIS2's codes, refusing starts that begin no period", () => {
    expect(adxPeriod("2025-06-01/P1M")).toBe("202506");
    expect(adxPeriod("2025-07-01/P3M")).toBe("2025Q3");
    expect(adxPeriod("2025-01-01/P6M")).toBe("2025S1");
    expect(adxPeriod("2025-07-01/P6M")).toBe("2025S2");
    expect(adxPeriod("2024-01-01/P1Y")).toBe("2024");
    expect(adxPeriod("2025-07-15/P1D")).toBe("20250715");
    expect(adxPeriod("2025-07-28/P7D")).toBe("2025W31");
    expect(adxPeriod("2024-12-30/P1W")).toBe("2025W01");
    expect(adxPeriod("2025-02-01/P3M")).toBeNull();
    expect(adxPeriod("2025-07-29/P7D")).toBeNull();
    expect(adxPeriod("2025-10-01/P1Y")).toBeNull(); // a financial year: no such period here
    expect(adxPeriod("202506")).toBeNull();
  });

  it("keeps attribute text exactly: entities, character references, line breaks", () => {
    const set = readXmlSet(
      '<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0"><dataValue dataElement="A" period="202507" orgUnit="92" value="1" comment="a &amp; b &lt;c&gt; &#x1F600;&#10;dòng 2"/></dataValueSet>',
    );
    expect(set.values[0]!.comment).toBe("a & b <c> 😀\ndòng 2");
  });

  it("refuses what it does not know rather than dropping it", () => {
    const set = readXmlSet('<dataValueSet><dataValue dataElement="A" value="1" unit="%" deleted="yes"/></dataValueSet>');
    expect(set.values[0]!.problems!.map((p) => p.field)).toEqual(["unit", "deleted"]);
    expect(() => readXmlSet('<dataValueSet period="202507" mystery="1"/>')).toThrow(/mystery/);
    expect(() => readAdxSet("<dataValueSet/>")).toThrow(/<adx>/);
    expect(() => readCsvSet("CT.A.I.3,202507,92,,,1\n")).toThrow(/tiêu đề/);
  });

  it("reads DHIS2 CSV by position after its header, whatever the header's spelling", () => {
    const set = readCsvSet(
      '"dataelelement","period","orgunit"\n"A","202507","92","","","1,5","john","2025-01-01","ghi chú","false","true"\n',
    );
    expect(set.values[0]).toMatchObject({
      row: 2,
      dataElement: "A",
      period: "202507",
      orgUnit: "92",
      value: "1,5",
      comment: "ghi chú",
      deleted: true,
    });
  });

  it("gives stable 11-character UIDs of DHIS2's form", () => {
    const uid = dhis2Uid("dataElement", "CT.A.I.3");
    expect(isDhis2Uid(uid)).toBe(true);
    expect(dhis2Uid("dataElement", "CT.A.I.3")).toBe(uid);
    expect(dhis2Uid("organisationUnit", "CT.A.I.3")).not.toBe(uid);
  });
});
