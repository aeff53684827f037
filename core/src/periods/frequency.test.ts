import { describe, expect, it } from "vitest";
import { parseFrequency } from "./frequency";

describe("parseFrequency", () => {
  it.each([
    ["Tháng", ["month"]],
    ["Ngày/ Tháng", ["day", "month"]],
    ["Ngày/tháng", ["day", "month"]],
    ["Giờ/Ngày/ Tháng", ["hour", "day", "month"]],
    ["Tháng/Quý/ Năm", ["month", "quarter", "year"]],
    ["Quý/06 tháng/cá năm", ["quarter", "half_year", "year"]],
    ["06 tháng/năm", ["half_year", "year"]],
    ["6 Tháng/ Năm", ["half_year", "year"]],
    ["Tháng/ Quyết định của Thủ tướng Chính phủ", ["month", "ad_hoc"]],
    ["Năm", ["year"]],
    ["Quý", ["quarter"]],
  ])("parses %s", (text, expected) => {
    const parsed = parseFrequency(text);
    expect(parsed.periodTypes).toEqual(expected);
    expect(parsed.unparsed).toEqual([]);
  });

  it("reads named months of every year", () => {
    const parsed = parseFrequency("Tháng 7 và 11 hàng năm");
    expect(parsed.periodTypes).toEqual(["month"]);
    expect(parsed.months).toEqual([7, 11]);
    expect(parsed.unparsed).toEqual([]);
  });

  it("reads a list of months without 'hàng năm'", () => {
    expect(parseFrequency("Tháng 7, 11")).toMatchObject({ periodTypes: ["month"], months: [7, 11], unparsed: [] });
  });

  it("reads '9 tháng' as the nine-month cumulative period", () => {
    expect(parseFrequency("Quý, 6 tháng, 9 tháng, năm").periodTypes).toEqual(["quarter", "half_year", "nine_months", "year"]);
  });

  it("reads a one-off due month as an annual figure", () => {
    const parsed = parseFrequency("Tháng 12/2025");
    expect(parsed.periodTypes).toEqual(["year"]);
    expect(parsed.dueMonth).toBe("2025-12");
  });

  it("reports what it could not understand", () => {
    expect(parseFrequency("Mỗi khi có bão").unparsed).toEqual(["moi khi co bao"]);
  });

  it("returns nothing for an empty cell", () => {
    expect(parseFrequency(null).periodTypes).toEqual([]);
  });
});
