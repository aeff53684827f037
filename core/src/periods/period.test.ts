import { describe, expect, it } from "vitest";
import {
  formatPeriod,
  parsePeriod,
  periodsBetween,
  previousDecember,
  previousPeriod,
  samePeriodLastYear,
  yearToDateMonths,
} from "./period";

describe("period codes", () => {
  it.each([
    ["2025", "year", "2025-01-01", "2025-12-31", "Năm 2025"],
    ["2025S1", "half_year", "2025-01-01", "2025-06-30", "6 tháng đầu năm 2025"],
    ["2025S2", "half_year", "2025-07-01", "2025-12-31", "6 tháng cuối năm 2025"],
    ["2025Q3", "quarter", "2025-07-01", "2025-09-30", "Quý III/2025"],
    ["2025M07", "month", "2025-07-01", "2025-07-31", "Tháng 7/2025"],
    ["2024M02", "month", "2024-02-01", "2024-02-29", "Tháng 2/2024"],
    ["2025W01", "week", "2024-12-30", "2025-01-05", "Tuần 1/2025"],
    ["2025W31", "week", "2025-07-28", "2025-08-03", "Tuần 31/2025"],
    ["20250715", "day", "2025-07-15", "2025-07-15", "15/07/2025"],
  ])("%s is a %s from %s to %s, '%s'", (code, type, start, end, label) => {
    const p = parsePeriod(code)!;
    expect(p).toMatchObject({ code, type, start, end });
    expect(formatPeriod(p)).toBe(label);
  });

  it.each(["2025M13", "2025M7", "2025Q5", "2025S3", "20250230", "2025W53", "202507", "Tháng 7", ""])("rejects %j", (code) => {
    expect(parsePeriod(code)).toBeNull();
  });

  it("knows years with 53 ISO weeks", () => {
    expect(parsePeriod("2026W53")).toMatchObject({ start: "2026-12-28", end: "2027-01-03" });
  });
});

describe("period arithmetic", () => {
  const p = (code: string) => parsePeriod(code)!;
  it("steps back one period across year boundaries", () => {
    expect(previousPeriod(p("2025M01")).code).toBe("2024M12");
    expect(previousPeriod(p("2025Q1")).code).toBe("2024Q4");
    expect(previousPeriod(p("2025S1")).code).toBe("2024S2");
    expect(previousPeriod(p("2025")).code).toBe("2024");
    expect(previousPeriod(p("2027W01")).code).toBe("2026W53");
    expect(previousPeriod(p("20250301")).code).toBe("20250228");
  });
  it("finds the same period last year", () => {
    expect(samePeriodLastYear(p("2025M07")).code).toBe("2024M07");
    expect(samePeriodLastYear(p("2025Q3")).code).toBe("2024Q3");
    expect(samePeriodLastYear(p("20240229")).code).toBe("20230228");
    expect(samePeriodLastYear(p("2027W10")).code).toBe("2026W10");
    expect(samePeriodLastYear(p("2026W53")).code).toBe("2025W52"); // 2025 has 52 ISO weeks
  });
  it("finds December of the previous year", () => {
    expect(previousDecember(p("2025M07")).code).toBe("2024M12");
  });
  it("lists the months to date", () => {
    expect(yearToDateMonths(p("2025M03")).map((x) => x.code)).toEqual(["2025M01", "2025M02", "2025M03"]);
    expect(yearToDateMonths(p("2025Q2")).map((x) => x.code)).toHaveLength(6);
  });
  it("lists the periods in a range", () => {
    expect(periodsBetween(p("2024M11"), p("2025M02")).map((x) => x.code)).toEqual(["2024M11", "2024M12", "2025M01", "2025M02"]);
    expect(() => periodsBetween(p("2024"), p("2025M02"))).toThrow();
  });
});
