import { describe, expect, it } from "vitest";
import type { AgencyRecord } from "@dieuhanh/core";
import { readReferenceFiles } from "../reference/files";
import { AgencyResolver, checkAgencyRegistry } from "./resolver";

const agency = (code: string, name: string, aliases: string[], extra: Partial<AgencyRecord> = {}): AgencyRecord => ({
  code,
  name,
  level: "provincial",
  kind: "department",
  province: null,
  aliases,
  dissolvedOn: null,
  successorCode: null,
  ...extra,
});

describe("AgencyResolver", () => {
  const resolver = new AgencyResolver([
    agency("KT.STC", "Sở Tài chính tỉnh Kon Tum", ["Sở Tài chính"]),
    agency("CT.STC", "Sở Tài chính thành phố Cần Thơ", ["Sở Tài chính"]),
    agency("BTC", "Bộ Tài chính", ["Bộ Tài chính"], { level: "central", kind: "ministry" }),
    agency("BKHDT", "Bộ Kế hoạch và Đầu tư", ["Bộ Kế hoạch và Đầu tư"], {
      level: "central",
      kind: "ministry",
      dissolvedOn: "2025-03-01",
      successorCode: "BTC",
    }),
  ]);

  it("resolves a shared short name within the document's own province", () => {
    expect(resolver.resolve("Sở Tài chính", "KT")).toEqual({ code: "KT.STC" });
    expect(resolver.resolve("Sở Tài chính", "CT")).toEqual({ code: "CT.STC" });
  });

  it("ignores case and spacing but not diacritics", () => {
    expect(resolver.resolve("  bộ  tài chính ", "QG")).toEqual({ code: "BTC" });
    expect(resolver.resolve("Bo Tai chinh", "QG")).toHaveProperty("error");
  });

  it("reports an ambiguous name instead of guessing", () => {
    expect(resolver.resolve("Sở Tài chính", "DN")).toHaveProperty("error");
  });

  it("follows succession to today's agency", () => {
    expect(resolver.current("BKHDT")?.name).toBe("Bộ Tài chính");
  });
});

describe("agency registry", () => {
  const { agencies } = readReferenceFiles().agencies;
  const byCode = new Map(agencies.map((a) => [a.code, a]));
  const resolver = new AgencyResolver(agencies);

  it("is consistent: unique codes, known successors, dated dissolutions, no cycles", () => {
    expect(checkAgencyRegistry(agencies)).toEqual([]);
  });

  it("ends every succession chain at an agency that exists today", () => {
    for (const a of agencies) expect(resolver.current(a.code)?.dissolvedOn ?? null, a.code).toBeNull();
  });

  it.each([
    ["BKHDT", "BTC"],
    ["BGTVT", "BXD"],
    ["BNNPTNT", "BNNMT"],
    ["BTNMT", "BNNMT"],
    ["BTTTT", "BKHCN"],
    ["BLDTBXH", "BNV"],
    ["UBDT", "BDTTG"],
  ])("maps the 2025 ministry merger %s → %s", (from, to) => {
    expect(byCode.get(from)?.dissolvedOn).toBe("2025-03-01");
    expect(resolver.current(from)?.code).toBe(to);
  });

  it("hands Kon Tum's departments to Quảng Ngãi and Đắk Nông's to Lâm Đồng", () => {
    expect(resolver.current("KT.STC")?.code).toBe("QNG.STC");
    expect(resolver.current("DN.STC")?.code).toBe("LD.STC");
    expect(byCode.get("CT.STC")?.dissolvedOn).toBeNull();
  });
});
