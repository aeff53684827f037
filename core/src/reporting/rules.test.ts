import { describe, expect, it } from "vitest";
import { parsePeriod } from "../periods/period";
import {
  checkPartition,
  entryLockDate,
  isAdditiveUnit,
  isCountUnit,
  isOutlier,
  modifiedZScore,
  reportDeadline,
  reportableLevels,
} from "./rules";

describe("reporting rules", () => {
  it("knows which units add up", () => {
    expect(["tỷ đồng", "người", "triệu USD", "doanh nghiệp", "tấn"].every(isAdditiveUnit)).toBe(true);
    expect(["%", "%/năm", "bác sĩ/vạn dân", "điểm", "điểm phần trăm", "đồng/USD", null].some(isAdditiveUnit)).toBe(false);
  });

  it("derives the area levels an indicator may be reported for", () => {
    expect(reportableLevels("nation", ["nation"])).toEqual(["nation"]);
    expect(reportableLevels("nation", ["nation", "province"]).sort()).toEqual(["nation", "province"]);
    expect(reportableLevels("province", ["province"]).sort()).toEqual(["commune", "district", "province"]);
  });

  it("checks parts against their total", () => {
    expect(
      checkPartition(
        100,
        [
          { option: "M", value: 48 },
          { option: "F", value: 52 },
        ],
        ["M", "F"],
      ),
    ).toEqual([]);
    expect(
      checkPartition(
        100,
        [
          { option: "M", value: 48 },
          { option: "F", value: 50 },
        ],
        ["M", "F"],
      ),
    ).toEqual([{ kind: "sum_differs", sum: 98, total: 100 }]);
    expect(checkPartition(100, [{ option: "M", value: 120 }], ["M", "F"])[0]).toMatchObject({ kind: "part_exceeds_total" });
    expect(
      checkPartition(
        100,
        [
          { option: "A", value: 60 },
          { option: "B", value: 50 },
        ],
        null,
      ),
    ).toEqual([{ kind: "parts_exceed_total", sum: 110, total: 100 }]);
    // Rounding slack: 33,33 × 3 against 100.
    expect(
      checkPartition(
        99.99,
        [
          { option: "A", value: 33.33 },
          { option: "B", value: 33.33 },
          { option: "C", value: 33.33 },
        ],
        ["A", "B", "C"],
      ),
    ).toEqual([]);
  });

  it("flags outliers with the modified z-score and needs history to judge", () => {
    const history = [100, 102, 98, 101, 99, 103, 100, 97];
    expect(isOutlier(history, 104)).toBeNull();
    expect(isOutlier(history, 160)).toMatchObject({ median: 100 });
    expect(modifiedZScore([1, 2, 3], 100)).toBeNull();
    expect(isOutlier([5, 5, 5, 5, 5, 5, 5, 6], 5)).toBeNull();
    expect(isOutlier([5, 5, 5, 5, 5, 5, 5, 6], 50)).not.toBeNull();
  });

  it("knows which units count whole things", () => {
    for (const unit of [
      "vụ",
      "người",
      "hộ",
      "doanh nghiệp",
      "dự án",
      "lượt khách",
      "lượt",
      "công trình/dự án",
      "hộ/người",
      " Hợp tác xã ",
    ])
      expect(isCountUnit(unit), unit).toBe(true);
    for (const unit of [
      "tỷ đồng",
      "%",
      "tấn",
      "ha",
      "nghìn lượt hành khách",
      "triệu đồng/người",
      "bác sĩ/10.000 dân",
      "điểm",
      "kWh",
      "đơn vị hiện vật",
      "",
      null,
    ])
      expect(isCountUnit(unit), String(unit)).toBe(false);
  });

  it("does not take a rare event on a mostly-zero series for an outlier, but still flags a real jump", () => {
    const fires = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(isOutlier(fires, 1)).toBeNull();
    expect(isOutlier(fires, 2)).toBeNull();
    expect(isOutlier(fires, 0)).toBeNull();
    expect(isOutlier(fires, 40)).toMatchObject({ median: 0 });
    // Never an event before: the first one is not an outlier, a huge one is.
    const none = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(isOutlier(none, 1)).toBeNull();
    expect(isOutlier(none, 3)).toBeNull();
    expect(isOutlier(none, 500)).not.toBeNull();
    // A few events of a few cases: another of the same size is normal, ten times more is not.
    const some = [0, 3, 0, 0, 5, 0, 0, 2, 0, 0, 4, 0];
    expect(isOutlier(some, 4)).toBeNull();
    expect(isOutlier(some, 40)).not.toBeNull();
    // A figure that never moved: a small change is not an outlier, a tenfold one is.
    const fixed = [120, 120, 120, 120, 120, 120, 120, 120];
    expect(isOutlier(fixed, 125)).toBeNull();
    expect(isOutlier(fixed, 1200)).not.toBeNull();
  });

  it("computes deadlines and lock dates from the period's end", () => {
    const oct = parsePeriod("2025M10")!;
    expect(reportDeadline(oct, 10)).toBe("2025-11-10");
    expect(entryLockDate(oct, 10, 30)).toBe("2025-12-11");
    expect(entryLockDate(oct, 10, null)).toBeNull();
    expect(reportDeadline(parsePeriod("2025Q4")!, 15)).toBe("2026-01-15");
  });
});
