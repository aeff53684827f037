import { describe, expect, it } from "vitest";
import { formatDate, formatNumber } from "./vi";

describe("Vietnamese formats", () => {
  it("formats numbers with . for thousands and , for decimals", () => {
    expect(formatNumber(1234.5)).toBe("1.234,5");
    expect(formatNumber(3321)).toBe("3.321");
    expect(formatNumber(null)).toBe("");
  });
  it("formats dates as dd/mm/yyyy", () => {
    expect(formatDate("2025-02-28")).toBe("28/02/2025");
  });
});
