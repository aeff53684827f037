import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseFrequency, type PeriodType } from "../periods/frequency";
import { parsePeriod } from "../periods/period";
import { isAdditiveUnit } from "../reporting/rules";
import { sampleValues, type SampleArea, type SampleIndicator, type SampleValue } from "./sample";

const ind = (code: string, name: string, unit: string | null, more: Partial<SampleIndicator> = {}): SampleIndicator => ({
  code,
  kind: "indicator",
  parentCode: null,
  group: "A",
  name,
  unit,
  periodType: "month",
  ...more,
});

const fixtures: SampleIndicator[] = [
  ind("T.CPI", "Chỉ số giá tiêu dùng tháng", "%"),
  ind("T.CPIY", "Chỉ số giá tiêu dùng bình quân so với cùng kỳ năm trước", "%"),
  ind("T.REV", "Tổng thu ngân sách nhà nước", "tỷ đồng"),
  ind("T.REV.1", "Thu nội địa", "tỷ đồng", { kind: "sub_indicator", parentCode: "T.REV" }),
  ind("T.REV.2", "Thu từ hoạt động xuất nhập khẩu", "tỷ đồng", { kind: "sub_indicator", parentCode: "T.REV" }),
  ind("T.REV.1.td1", "Thu từ doanh nghiệp nhà nước", "tỷ đồng", { kind: "of_which", parentCode: "T.REV.1" }),
  ind("T.REV.3", "Tỷ lệ thu nội địa", "%", { kind: "sub_indicator", parentCode: "T.REV" }),
  ind("T.EXP", "Kim ngạch xuất khẩu hàng hóa", "triệu USD"),
  ind("T.CRIME", "Số vụ phạm tội", "vụ"),
  ind("T.FX", "Tỷ giá trung tâm của Đồng Việt Nam với Đô la Mỹ", "đồng/USD"),
  ind("T.LAB", "Lực lượng lao động", "người", { periodType: "quarter", partition: { dimension: "sex", options: ["M", "F"] } }),
  ind("T.ENT", "Doanh nghiệp thành lập mới", "doanh nghiệp", {
    partition: { dimension: "economic_type", options: ["STATE", "PRIVATE", "FDI"] },
  }),
  ind("T.POOR", "Tỷ lệ hộ nghèo", "%", { periodType: "year", partition: { dimension: "sex", options: ["M", "F"] } }),
  ind("T.GRDP", "Tốc độ tăng trưởng GRDP", "%", { periodType: "quarter" }),
  ind("T.REVY", "Thu ngân sách nhà nước", "tỷ đồng", { periodType: "year" }),
  ind("T.H", "Nhóm chỉ tiêu an ninh", null, { kind: "heading" }),
  ind("T.TXT", "Các thông tin về khí tượng thủy văn", null),
];
const areas: SampleArea[] = [
  { id: "X", weight: 1 },
  { id: "BIG", weight: 3 },
  { id: "SMALL", weight: 0.2 },
];
const range = { from: "2023M01", to: "2025M12" };

const values = sampleValues(fixtures, areas, range);
const totals = (vs: SampleValue[]) => vs.filter((v) => v.disaggregation === "");
const series = (vs: SampleValue[], code: string, area: string) =>
  totals(vs).filter((v) => v.indicator === code && v.area === area);
const valueOf = (vs: SampleValue[], code: string, area: string, period: string) =>
  totals(vs).find((v) => v.indicator === code && v.area === area && v.period === period)?.value;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const hasDecimals = (v: number, d: number) => Math.abs(v * 10 ** d - Math.round(v * 10 ** d)) < 1e-6;
/** Values in units of the last decimal, so that sums compare exactly. */
const ticks = (v: number, d = 2) => Math.round(v * 10 ** d);

/** Every child (sub-indicator, "Trong đó") in the same additive unit as its parent is at most the parent; so is their sum. */
function parentViolations(indicators: SampleIndicator[], vs: SampleValue[]): string[] {
  const byCode = new Map(indicators.map((i) => [i.code, i]));
  const total = new Map(totals(vs).map((v) => [`${v.indicator}|${v.area}|${v.period}`, v.value]));
  const childSums = new Map<string, number>();
  const problems: string[] = [];
  for (const v of totals(vs)) {
    const i = byCode.get(v.indicator)!;
    if ((i.kind !== "sub_indicator" && i.kind !== "of_which") || !i.parentCode) continue;
    const parent = byCode.get(i.parentCode);
    if (!parent || parent.unit !== i.unit || !isAdditiveUnit(i.unit)) continue;
    const key = `${parent.code}|${v.area}|${v.period}`;
    const p = total.get(key);
    if (p === undefined) continue;
    if (ticks(v.value) > ticks(p)) problems.push(`${v.indicator} ${v.area} ${v.period}: ${v.value} > ${p}`);
    childSums.set(key, (childSums.get(key) ?? 0) + ticks(v.value));
  }
  for (const [key, sum] of childSums) if (sum > ticks(total.get(key)!)) problems.push(`children of ${key}: ${sum} > parent`);
  return problems;
}

/** For every total with parts: the parts add up to the total exactly (in ticks), none negative. */
function partitionViolations(vs: SampleValue[]): string[] {
  const parts = new Map<string, number>();
  for (const v of vs) {
    if (v.disaggregation === "") continue;
    const key = `${v.indicator}|${v.area}|${v.period}`;
    parts.set(key, (parts.get(key) ?? 0) + ticks(v.value));
    if (v.value < 0) return [`${key} ${v.disaggregation} < 0`];
  }
  const problems: string[] = [];
  for (const v of totals(vs)) {
    const sum = parts.get(`${v.indicator}|${v.area}|${v.period}`);
    if (sum !== undefined && sum !== ticks(v.value))
      problems.push(`${v.indicator} ${v.area} ${v.period}: parts ${sum} ≠ ${v.value}`);
  }
  return problems;
}

describe("sampleValues — determinism", () => {
  it("gives the same output for the same input", () => {
    expect(sampleValues(fixtures, areas, range)).toEqual(values);
    expect(sampleValues(fixtures, areas, range, "demo")).toEqual(values);
  });

  it("gives other figures for another seed, with the same keys", () => {
    const other = sampleValues(fixtures, areas, range, "another seed");
    expect(other.map((v) => `${v.indicator}|${v.area}|${v.period}|${v.disaggregation}`)).toEqual(
      values.map((v) => `${v.indicator}|${v.area}|${v.period}|${v.disaggregation}`),
    );
    const differing = other.filter((v, k) => v.value !== values[k]!.value).length;
    expect(differing).toBeGreaterThan(values.length / 2);
  });

  it("does not depend on the other indicators or areas in the call", () => {
    const alone = sampleValues([fixtures.find((i) => i.code === "T.EXP")!], [areas[1]!], range);
    expect(alone).toEqual(values.filter((v) => v.indicator === "T.EXP" && v.area === "BIG"));
  });
});

describe("sampleValues — shape", () => {
  it("emits indicators × areas × periods totals plus one value per part", () => {
    // Monthly: CPI, CPIY, REV, REV.1, REV.2, REV.1.td1, REV.3, EXP, CRIME, FX, ENT (11 × 36 months);
    // quarterly: LAB, GRDP (2 × 12); yearly: POOR, REVY (2 × 3). Parts: LAB 2 per total, ENT 3 per total.
    const perArea = 11 * 36 + 2 * 12 + 2 * 3 + 2 * 12 + 3 * 36;
    expect(values).toHaveLength(perArea * areas.length);
    expect(totals(values)).toHaveLength((11 * 36 + 2 * 12 + 2 * 3) * areas.length);
  });

  it("skips headings and textual indicators", () => {
    expect(values.some((v) => v.indicator === "T.H" || v.indicator === "T.TXT")).toBe(false);
  });

  it("uses the indicator's period type within the range", () => {
    expect(new Set(series(values, "T.LAB", "X").map((v) => v.period))).toEqual(
      new Set(["2023", "2024", "2025"].flatMap((y) => [1, 2, 3, 4].map((q) => `${y}Q${q}`))),
    );
    expect(series(values, "T.REVY", "X").map((v) => v.period)).toEqual(["2023", "2024", "2025"]);
    expect(series(values, "T.CPI", "X")[0]!.period).toBe("2023M01");
    expect(series(values, "T.CPI", "X").at(-1)!.period).toBe("2025M12");
  });

  it("gives only periods that start in the range, none that has not started by `to`", () => {
    const vs = sampleValues(fixtures, areas, { from: "2023M07", to: "2025M02" });
    const start = parsePeriod("2023M07")!.start;
    const end = parsePeriod("2025M02")!.end;
    for (const v of vs) {
      const p = parsePeriod(v.period)!;
      expect(p.start >= start && p.start <= end, v.period).toBe(true);
    }
    expect(new Set(series(vs, "T.REVY", "X").map((v) => v.period))).toEqual(new Set(["2024", "2025"]));
    expect(series(vs, "T.LAB", "X").map((v) => v.period)).toEqual([
      "2023Q3",
      "2023Q4",
      "2024Q1",
      "2024Q2",
      "2024Q3",
      "2024Q4",
      "2025Q1",
    ]);
    expect(series(vs, "T.CPI", "X")).toHaveLength(20);
  });

  it("handles days and weeks, and gives nothing for period types without a code", () => {
    const daily = ind("T.D", "Thu ngân sách", "tỷ đồng", { periodType: "day" });
    const weekly = ind("T.W", "Thu ngân sách", "tỷ đồng", { periodType: "week" });
    const nine = ind("T.9", "Thu ngân sách", "tỷ đồng", { periodType: "nine_months" });
    const vs = sampleValues([daily, weekly, nine], [areas[0]!], { from: "2025M01", to: "2025M03" });
    expect(vs.filter((v) => v.indicator === "T.D")).toHaveLength(31 + 28 + 31);
    // 2025W01 starts on 30 December 2024; 2025W14 on 31 March 2025.
    expect(vs.filter((v) => v.indicator === "T.W").map((v) => v.period)).toEqual(
      Array.from({ length: 13 }, (_, k) => `2025W${String(k + 2).padStart(2, "0")}`),
    );
    expect(vs.some((v) => v.indicator === "T.9")).toBe(false);
    // A day of budget revenue is about a thirtieth of a month's.
    expect(median(vs.filter((v) => v.indicator === "T.D").map((v) => v.value))).toBeGreaterThan(30);
    expect(median(vs.filter((v) => v.indicator === "T.D").map((v) => v.value))).toBeLessThan(150);
  });

  it("rejects malformed period codes and returns nothing for an empty range", () => {
    expect(() => sampleValues(fixtures, areas, { from: "2025-01", to: "2025M12" })).toThrow();
    expect(sampleValues(fixtures, areas, { from: "2025M12", to: "2025M01" })).toEqual([]);
  });
});

describe("sampleValues — magnitudes", () => {
  it("keeps CPI indices around 100", () => {
    for (const a of areas) {
      for (const v of series(values, "T.CPI", a.id)) expect(v.value >= 99 && v.value <= 102, `${v.value}`).toBe(true);
      for (const v of series(values, "T.CPIY", a.id)) expect(v.value >= 102 && v.value <= 105, `${v.value}`).toBe(true);
    }
    expect(series(values, "T.CPI", "X").every((v) => hasDecimals(v.value, 2))).toBe(true);
  });

  it("keeps rates and shares in their range whatever the area's size", () => {
    for (const a of areas) {
      for (const v of series(values, "T.GRDP", a.id)) expect(v.value >= 2 && v.value <= 10, `${v.value}`).toBe(true);
      for (const v of series(values, "T.POOR", a.id)) expect(v.value >= 0 && v.value <= 100, `${v.value}`).toBe(true);
    }
    expect(series(values, "T.GRDP", "X").every((v) => hasDecimals(v.value, 1))).toBe(true);
  });

  it("sizes budget revenue, exports and cases for a province of weight 1", () => {
    const rev = series(values, "T.REV", "X").map((v) => v.value);
    expect(median(rev)).toBeGreaterThan(1_300);
    expect(median(rev)).toBeLessThan(3_500);
    expect(rev.every((v) => hasDecimals(v, 1))).toBe(true);
    const exp = series(values, "T.EXP", "X").map((v) => v.value);
    expect(median(exp)).toBeGreaterThan(250);
    expect(median(exp)).toBeLessThan(1_800);
    const crime = series(values, "T.CRIME", "X").map((v) => v.value);
    expect(crime.every(Number.isInteger)).toBe(true);
    expect(median(crime)).toBeGreaterThan(30);
    expect(median(crime)).toBeLessThan(150);
    const ent = series(values, "T.ENT", "X").map((v) => v.value);
    expect(median(ent)).toBeGreaterThan(100);
    expect(median(ent)).toBeLessThan(500);
  });

  it("scales additive quantities by the area's weight", () => {
    const ratio =
      median(series(values, "T.REV", "BIG").map((v) => v.value)) / median(series(values, "T.REV", "SMALL").map((v) => v.value));
    // 3 / 0.2 = 15, times the ratio of two series levels drawn in 1,500–3,000.
    expect(ratio).toBeGreaterThan(7);
    expect(ratio).toBeLessThan(31);
    const labour = median(series(values, "T.LAB", "BIG").map((v) => v.value));
    expect(labour).toBeGreaterThan(4_000_000);
    expect(labour).toBeLessThan(5_500_000);
  });

  it("gives a year about twelve months of a monthly flow", () => {
    const months = series(values, "T.REV", "X").filter((v) => v.period.startsWith("2024"));
    const year = valueOf(values, "T.REVY", "X", "2024")!;
    const monthly = months.reduce((s, v) => s + v.value, 0);
    // Two series of the same rule, each with its own level drawn in 1,500–3,000 a month.
    expect(year / monthly).toBeGreaterThan(0.4);
    expect(year / monthly).toBeLessThan(2.5);
    expect(year).toBeGreaterThan(12 * 1_300);
  });

  it("shows a trend and the seasons", () => {
    const rev = (p: string) => valueOf(values, "T.REV", "X", p)!;
    const year = (y: string) =>
      series(values, "T.REV", "X")
        .filter((v) => v.period.startsWith(y))
        .reduce((s, v) => s + v.value, 0);
    expect(year("2025")).toBeGreaterThan(year("2023"));
    // December is the budget's high month, February its low one.
    for (const y of ["2023", "2024", "2025"]) expect(rev(`${y}M12`)).toBeGreaterThan(rev(`${y}M02`));
  });

  it("gives one national exchange rate in every area", () => {
    const fx = series(values, "T.FX", "X");
    for (const v of fx) expect(v.value >= 23_000 && v.value <= 26_000 && Number.isInteger(v.value), `${v.value}`).toBe(true);
    expect(series(values, "T.FX", "SMALL").map((v) => v.value)).toEqual(fx.map((v) => v.value));
    expect(valueOf(values, "T.FX", "X", "2025M06")).toBeGreaterThan(24_000);
    expect(valueOf(values, "T.FX", "X", "2025M06")).toBeLessThan(25_500);
  });
});

describe("sampleValues — consistency", () => {
  it("splits partitioned additive totals into parts that add up exactly", () => {
    expect(partitionViolations(values)).toEqual([]);
    const lab = values.filter((v) => v.indicator === "T.LAB" && v.area === "X" && v.period === "2024Q2");
    expect(lab.map((v) => v.disaggregation)).toEqual(["", "sex=M", "sex=F"]);
    const ent = values.filter((v) => v.indicator === "T.ENT" && v.area === "SMALL" && v.period === "2024M02");
    expect(ent.map((v) => v.disaggregation)).toEqual(["", "economic_type=STATE", "economic_type=PRIVATE", "economic_type=FDI"]);
    expect(ent.slice(1).every((v) => Number.isInteger(v.value) && v.value >= 0)).toBe(true);
  });

  it("splits money totals exactly at one decimal", () => {
    const money = ind("T.M", "Thu ngân sách", "tỷ đồng", {
      partition: { dimension: "budget_revenue_item", options: ["A", "B", "C", "D", "E", "F", "G"] },
    });
    const vs = sampleValues([money], areas, range, "parts");
    expect(vs).toHaveLength(8 * 36 * areas.length);
    expect(partitionViolations(vs)).toEqual([]);
    expect(vs.every((v) => hasDecimals(v.value, 1))).toBe(true);
  });

  it("does not split rates", () => {
    expect(values.some((v) => v.indicator === "T.POOR" && v.disaggregation !== "")).toBe(false);
  });

  it("keeps sub-indicators and 'Trong đó' rows at most their parent", () => {
    expect(parentViolations(fixtures, values)).toEqual([]);
    const p = valueOf(values, "T.REV", "BIG", "2024M05")!;
    const c1 = valueOf(values, "T.REV.1", "BIG", "2024M05")!;
    const c2 = valueOf(values, "T.REV.2", "BIG", "2024M05")!;
    const td = valueOf(values, "T.REV.1.td1", "BIG", "2024M05")!;
    expect(c1 + c2).toBeLessThanOrEqual(p);
    expect(td).toBeLessThanOrEqual(c1);
    expect(c1).toBeGreaterThan(0);
    expect(td).toBeGreaterThan(0);
  });

  it("keeps a child below its parent even when the parent is reported for another period type", () => {
    const parent = ind("P", "Chi ngân sách địa phương", "tỷ đồng", { periodType: "quarter" });
    const child = ind("P.1", "Chi đầu tư phát triển", "tỷ đồng", { kind: "sub_indicator", parentCode: "P", periodType: "month" });
    const both = { ...child, code: "P.2", periodType: "quarter" as PeriodType };
    const vs = sampleValues([parent, child, both], areas, range);
    expect(parentViolations([parent, child, both], vs)).toEqual([]);
    expect(series(vs, "P.1", "X")).toHaveLength(36);
  });

  it("never gives NaN or negative values", () => {
    expect(values.every((v) => Number.isFinite(v.value) && v.value >= 0)).toBe(true);
  });
});

describe("sampleValues — real catalogues", () => {
  const root = new URL("../../../data/", import.meta.url);
  const generated = new Set<PeriodType>(["day", "week", "month", "quarter", "half_year", "year"]);
  const load = (id: string, groups: string[]): SampleIndicator[] => {
    const file = JSON.parse(readFileSync(new URL(`catalogues/${id}.json`, root), "utf8"));
    return file.rows
      .filter((r: any) => groups.includes(r.group))
      .map((r: any) => ({
        code: r.code,
        kind: r.kind,
        parentCode: r.parentCode,
        group: r.group,
        name: r.name,
        unit: r.unit,
        periodType: parseFrequency(r.frequencyAsWritten).periodTypes.find((t) => generated.has(t)) ?? "month",
      }));
  };
  const weights = JSON.parse(readFileSync(new URL("demo/province-weights.json", root), "utf8"));
  const national = weights.provinces.reduce((s: number, p: any) => s + p.population, 0);
  const provinces: SampleArea[] = weights.provinces.map((p: any) => ({ id: p.code, weight: (p.population * 34) / national }));

  it("has the 34 provinces in force since 1 July 2025, about 101 million people", () => {
    const units = JSON.parse(readFileSync(new URL("admin/units-34-provinces-full.json", root), "utf8"));
    expect(weights.provinces.map((p: any) => [p.code, p.name])).toEqual(units.map((u: any) => [u.Code, u.Name]));
    expect(national).toBeGreaterThan(99_000);
    expect(national).toBeLessThan(103_000);
    expect(weights.provinces.every((p: any) => Number.isInteger(p.population) && p.population > 300)).toBe(true);
  });

  it("generates groups A and B of QĐ 1012 for the 34 provinces without NaN, negatives or children above parents", () => {
    const indicators = load("qd1012", ["A", "B"]);
    expect(indicators.length).toBeGreaterThan(80);
    const vs = sampleValues(indicators, provinces, { from: "2024M01", to: "2025M06" });
    const byCode = new Map(indicators.map((i) => [i.code, i]));
    // Only growth rates could fall below zero.
    const growth = (code: string) => /tốc độ|tăng trưởng/i.test(byCode.get(code)!.name);
    const bad = vs.filter((v) => !Number.isFinite(v.value) || (v.value < 0 && !growth(v.indicator)));
    expect(bad).toEqual([]);
    expect(parentViolations(indicators, vs)).toEqual([]);
    // Every indicator with a unit appears, for every province.
    const expected = indicators.filter((i) => i.kind !== "heading" && i.unit !== null);
    expect(new Set(vs.map((v) => v.indicator))).toEqual(new Set(expected.map((i) => i.code)));
    expect(new Set(vs.map((v) => v.area)).size).toBe(34);
  });

  it("respects nested sub-indicators and 'Trong đó' rows of the Cần Thơ and Đắk Nông catalogues", () => {
    const indicators = [...load("cantho-256", ["A", "C", "D"]), ...load("daknong-197", ["A", "B", "C", "D"])];
    const vs = sampleValues(indicators, provinces.slice(0, 6), { from: "2024M01", to: "2025M06" });
    expect(vs.every((v) => Number.isFinite(v.value) && v.value >= 0)).toBe(true);
    expect(parentViolations(indicators, vs)).toEqual([]);
    // Thu nội địa and thu hải quan are "Trong đó" parts of the budget revenue.
    const revenue = valueOf(vs, "CT.D.I.5.1", "01", "2025M03")!;
    expect(valueOf(vs, "CT.D.I.5.1.td1", "01", "2025M03")! + valueOf(vs, "CT.D.I.5.1.td2", "01", "2025M03")!).toBeLessThanOrEqual(
      revenue,
    );
  });
});

describe("sampleValues — volume", () => {
  // Timing is measured in bench/, not here.
  it("generates one value per indicator, area and month for a national-sized set", () => {
    const units = ["%", "tỷ đồng", "triệu USD", "người", "vụ", "doanh nghiệp", "lượt khách", "tấn", "ha", "điểm"];
    const indicators = Array.from({ length: 100 }, (_, k) =>
      ind(
        `S.${k}`,
        `Chỉ tiêu ${k}`,
        units[k % units.length]!,
        k % 10 === 1 && k > 1 ? { kind: "sub_indicator", parentCode: "S.1" } : {},
      ),
    );
    const provinces = Array.from({ length: 34 }, (_, k) => ({ id: String(k).padStart(2, "0"), weight: 0.3 + (k % 7) * 0.4 }));
    const vs = sampleValues(indicators, provinces, range);
    expect(vs).toHaveLength(100 * 34 * 36);
  });
});
