import { describe, expect, it } from "vitest";
import { fromDhis2Period, fromSdmxPeriod, toDhis2Period, toSdmxPeriod } from "./exchange";
import { parsePeriod } from "./period";

const codes = ["2025", "2025S1", "2025Q3", "2025M07", "2025W31", "20250715"];

describe("exchange period codes", () => {
  it("round-trips every period type through SDMX and DHIS2", () => {
    const sdmx = codes.map((c) => toSdmxPeriod(parsePeriod(c)!));
    expect(sdmx).toEqual(["2025", "2025-S1", "2025-Q3", "2025-07", "2025-W31", "2025-07-15"]);
    expect(sdmx.map((s) => fromSdmxPeriod(s)?.code)).toEqual(codes);
    const dhis2 = codes.map((c) => toDhis2Period(parsePeriod(c)!));
    expect(dhis2).toEqual(["2025", "2025S1", "2025Q3", "202507", "2025W31", "20250715"]);
    expect(dhis2.map((s) => fromDhis2Period(s)?.code)).toEqual(codes);
  });

  it("accepts SDMX's 2025-M07 and refuses what is not a period", () => {
    expect(fromSdmxPeriod("2025-M07")?.code).toBe("2025M07");
    expect(fromSdmxPeriod("2025-13")).toBeNull();
    expect(fromSdmxPeriod("July 2025")).toBeNull();
    expect(fromDhis2Period("202513")).toBeNull();
    expect(fromDhis2Period("2025M07")).toBeNull();
  });
});
