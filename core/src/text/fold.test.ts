import { describe, expect, it } from "vitest";
import { agencyNameKey, foldVietnamese } from "./fold";

describe("foldVietnamese", () => {
  it("removes diacritics and case so 'chi so gia' finds 'Chỉ số giá'", () => {
    expect(foldVietnamese("Chỉ số GIÁ tiêu dùng")).toBe("chi so gia tieu dung");
  });
  it("maps đ and Đ to d", () => {
    expect(foldVietnamese("Đắk Nông đầu tư")).toBe("dak nong dau tu");
  });
  it("folds decomposed (NFD) input the same as composed", () => {
    expect(foldVietnamese("Hà Nội".normalize("NFD"))).toBe(foldVietnamese("Hà Nội"));
  });
  it("collapses white space", () => {
    expect(foldVietnamese("  Thu   ngân\nsách ")).toBe("thu ngan sach");
  });
});

describe("agencyNameKey", () => {
  it("ignores case, spacing and trailing punctuation but keeps diacritics", () => {
    expect(agencyNameKey("Bộ, ngành, địa phương ..")).toBe("bộ, ngành, địa phương");
    expect(agencyNameKey("bộ  tài chính")).toBe(agencyNameKey("Bộ Tài chính"));
    expect(agencyNameKey("Bộ Tài chính")).not.toBe(agencyNameKey("Bo Tai chinh"));
  });
});
