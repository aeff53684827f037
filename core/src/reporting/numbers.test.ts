import { describe, expect, it } from "vitest";
import { looksLikeFormula, parseNumber, textCellProblem, textCharacterProblem } from "./numbers";

const value = (text: string, style: Parameters<typeof parseNumber>[1]) => {
  const r = parseNumber(text, style);
  return r.ok ? r.value : r.message;
};

describe("parseNumber", () => {
  it("reads Vietnamese writing in the vi style", () => {
    expect(value("1.234,5", "vi")).toBe(1234.5);
    expect(value("1.234", "vi")).toBe(1234);
    expect(value("-12,75", "vi")).toBe(-12.75);
    expect(value("1 234 567", "vi")).toBe(1234567);
    expect(value("1234.5", "vi")).toMatch(/không đúng cách viết số/);
  });

  it("accepts only dot decimals in the machine style", () => {
    expect(value("1234.5", "machine")).toBe(1234.5);
    expect(value("-0.25", "machine")).toBe(-0.25);
    expect(value("1.234,5", "machine")).toMatch(/định dạng số máy/);
    expect(value("1,234.5", "machine")).toMatch(/định dạng số máy/);
  });

  it("refuses ambiguous readings in the auto style and reads the rest", () => {
    expect(value("1.234,5", "auto")).toBe(1234.5);
    expect(value("1,234.5", "auto")).toBe(1234.5);
    expect(value("1234,5", "auto")).toBe(1234.5);
    expect(value("1.234.567", "auto")).toBe(1234567);
    expect(value("1.234", "auto")).toMatch(/có thể hiểu là 1234 hoặc 1.234/);
    expect(value("1,234", "auto")).toMatch(/có thể hiểu là/);
  });

  it("names what is wrong with text, percent signs and blanks", () => {
    expect(value("mười", "auto")).toMatch(/không phải là số/);
    expect(value("12,5%", "vi")).toMatch(/bỏ ký hiệu %/);
    expect(value("  ", "vi")).toMatch(/Ô trống/);
    expect(value("1e5", "auto")).toMatch(/không phải là số/);
  });
});

describe("looksLikeFormula", () => {
  it("flags spreadsheet formula injection but not signed numbers", () => {
    expect(looksLikeFormula("=SUM(A1:A3)")).toBe(true);
    expect(looksLikeFormula("@cmd")).toBe(true);
    expect(looksLikeFormula('+HYPERLINK("x")')).toBe(true);
    expect(looksLikeFormula("-12,5")).toBe(false);
    expect(looksLikeFormula("Ghi chú")).toBe(false);
  });
});

describe("textCellProblem", () => {
  it("refuses formulas, control characters and half surrogate pairs, and takes signed numbers and Vietnamese text", () => {
    expect(textCellProblem('=HYPERLINK("http://x")')).toContain("công thức");
    expect(textCellProblem("@SUM(A1)")).toContain("công thức");
    expect(textCellProblem("a\u0000b")).toContain("điều khiển");
    expect(textCellProblem("a\ud800b")).toContain("UTF-16");
    expect(textCellProblem("\udc00")).toContain("UTF-16");
    expect(textCellProblem("-5")).toBeNull();
    expect(textCellProblem("+1.234,5")).toBeNull();
    expect(textCellProblem("Số liệu ước tính 😀, dòng 1\ndòng 2")).toBeNull();
  });
});

describe("textCharacterProblem", () => {
  it("refuses only what no stored text may hold, formula-like text being the readers' business", () => {
    expect(textCharacterProblem("=SUM(A1)")).toBeNull();
    expect(textCharacterProblem("a\u0000b")).toContain("điều khiển");
    expect(textCharacterProblem("a\udfffb")).toContain("UTF-16");
  });
});
