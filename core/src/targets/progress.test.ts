import { describe, expect, it } from "vitest";
import { foldVietnamese } from "../text/fold";
import { lowerIsBetter, targetProgress } from "./progress";

const months = (...values: number[]) => values.map((value, i) => ({ month: i + 1, value }));

describe("target progress", () => {
  it("adds up a money target over the months and projects it to year end", () => {
    const p = targetProgress({ unit: "tỷ đồng", annual: null, months: months(100, 100, 100, 100, 100, 100) }, ">=", 1200);
    expect(p).toMatchObject({
      measured: 600,
      measuredAs: "cumulative",
      projected: 1200,
      status: "on_track",
      percentOfTarget: 50,
    });
    expect(targetProgress({ unit: "tỷ đồng", annual: null, months: months(97, 97, 97, 97, 97, 97) }, ">=", 1200).status).toBe(
      "at_risk",
    );
    expect(targetProgress({ unit: "tỷ đồng", annual: null, months: months(80, 80, 80) }, ">=", 1200).status).toBe("off_track");
  });

  it("follows a rate's trend to December and respects lower-is-better targets", () => {
    const cpi = targetProgress({ unit: "%", annual: null, months: months(3.0, 3.2, 3.4, 3.6) }, "<=", 4.5);
    expect(cpi.measuredAs).toBe("latest");
    expect(cpi.projected).toBeCloseTo(5.2, 5);
    expect(cpi.status).toBe("off_track");
    expect(targetProgress({ unit: "%", annual: null, months: months(3.0, 3.0, 3.0) }, "<=", 4.5).status).toBe("on_track");
  });

  it("calls a complete year achieved or missed, and says when there is no target or no data", () => {
    expect(targetProgress({ unit: "%", annual: 6.5, months: [] }, ">=", 6.5).status).toBe("achieved");
    expect(targetProgress({ unit: "%", annual: 6.0, months: [] }, ">=", 6.5).status).toBe("off_track");
    expect(targetProgress({ unit: "%", annual: 5, months: [] }, "range", 4, 6).status).toBe("achieved");
    expect(targetProgress({ unit: "%", annual: null, months: [] }, ">=", 6.5).status).toBe("no_data");
    expect(targetProgress({ unit: "%", annual: 6, months: [] }, ">=", null).status).toBe("no_target");
  });

  it("knows which indicators are better lower", () => {
    expect(lowerIsBetter("Chỉ số giá tiêu dùng (CPI) bình quân", foldVietnamese)).toBe(true);
    expect(lowerIsBetter("Tỷ lệ thất nghiệp ở khu vực thành thị", foldVietnamese)).toBe(true);
    expect(lowerIsBetter("Mức giảm tỷ lệ hộ nghèo", foldVietnamese)).toBe(false);
    expect(lowerIsBetter("Tỷ lệ dân số tham gia bảo hiểm y tế", foldVietnamese)).toBe(false);
  });
});
