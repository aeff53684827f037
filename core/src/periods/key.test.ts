import { describe, expect, it } from "vitest";
import { periodFromKey, periodKey, periodKeyYear } from "./key";

describe("periodKey", () => {
  it("numbers every period type as year × 1000 + its place", () => {
    expect(periodKey("2025")).toBe(2025000);
    expect(periodKey("2025S1")).toBe(2025101);
    expect(periodKey("2025S2")).toBe(2025102);
    expect(periodKey("2025Q1")).toBe(2025201);
    expect(periodKey("2025Q4")).toBe(2025204);
    expect(periodKey("2025M01")).toBe(2025301);
    expect(periodKey("2025M12")).toBe(2025312);
    expect(periodKey("2025W01")).toBe(2025401);
    expect(periodKey("2026W53")).toBe(2026453);
    expect(periodKey("20250101")).toBe(2025501);
    expect(periodKey("20250715")).toBe(2025696);
    expect(periodKey("20241231")).toBe(2024866);
    expect(periodKey("20251231")).toBe(2025865);
  });

  it("refuses what is not a period code", () => {
    for (const code of ["", "25", "2025S3", "2025Q5", "2025M13", "2025M1", "2025W54", "2025W53", "20250230", "2025-01"])
      expect(periodKey(code)).toBeNull();
  });

  it("keeps each type's order and keeps types of one year apart", () => {
    const codes = ["2024M12", "2025M01", "2025M02", "2025M10"];
    const keys = codes.map((c) => periodKey(c)!);
    expect([...keys].sort((a, b) => a - b)).toEqual(keys);
    expect(new Set(["2025", "2025S1", "2025Q1", "2025M01", "2025W01", "20250101"].map(periodKey)).size).toBe(6);
  });

  it("names the year of its partition", () => {
    expect(periodKeyYear(periodKey("2025W01")!)).toBe(2025);
    expect(periodKeyYear(periodKey("20241231")!)).toBe(2024);
  });

  it("gives the code back from the key", () => {
    for (const code of ["2025", "2025S2", "2025Q3", "2025M07", "2025W31", "20250715", "20240229", "20241231", "2026W53"])
      expect(periodFromKey(periodKey(code)!)).toBe(code);
  });
});
