import { describe, expect, it } from "vitest";
import { parsePeriod } from "../periods/period";
import { aggregationRule, computeComparisons, periodsNeeded } from "./comparisons";

const series = (values: Record<string, number>) => (code: string) => values[code] ?? null;

describe("comparisons the decisions name", () => {
  it("compares a month with the previous month, December and the same month last year, and accumulates the year", () => {
    const v = series({
      "2025M03": 120,
      "2025M02": 100,
      "2025M01": 80,
      "2024M12": 150,
      "2024M03": 110,
      "2024M02": 90,
      "2024M01": 70,
    });
    const c = computeComparisons(parsePeriod("2025M03")!, "tỷ đồng", v, 1200);
    expect(c.previousPeriod).toEqual({ base: 100, change: 20, changeUnit: "%" });
    expect(c.previousDecember).toEqual({ base: 150, change: -20, changeUnit: "%" });
    expect(c.samePeriodLastYear).toEqual({ base: 110, change: 9.1, changeUnit: "%" });
    expect(c.ytdCumulative).toEqual({ value: 300, lastYear: 270, change: 11.1 });
    expect(c.ytdAverage).toEqual({ value: 100, lastYear: 90, change: 11.1 });
    expect(c.plan).toEqual({ target: 1200, percentOfPlan: 25 });
  });

  it("gives rates in percentage points and never sums them", () => {
    const c = computeComparisons(parsePeriod("2025M03")!, "%", series({ "2025M03": 3.2, "2025M02": 3.5, "2024M03": 2.9 }));
    expect(c.previousPeriod).toEqual({ base: 3.5, change: -0.3, changeUnit: "điểm %" });
    expect(c.ytdCumulative).toBeNull();
    expect(aggregationRule("%")).toBe("none");
    expect(aggregationRule("tỷ đồng")).toBe("sum");
  });

  it("says what is missing instead of guessing", () => {
    const c = computeComparisons(parsePeriod("2025Q2")!, "người", series({ "2025Q2": 10 }));
    expect(c.previousPeriod.change).toBeNull();
    expect(c.previousDecember).toBeNull();
    expect(c.ytdCumulative).toBeNull();
    expect(periodsNeeded([parsePeriod("2025M02")!]).sort()).toEqual(
      ["2024M01", "2024M02", "2024M12", "2025M01", "2025M02"].sort(),
    );
  });
});
