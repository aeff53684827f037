import { describe, expect, it } from "vitest";
import { isClientRoute, isFilePath } from "./spa";

describe("web UI addresses and files", () => {
  it("takes deep links whose codes end in .<digit> for pages, not files", () => {
    for (const path of [
      "/dieu-hanh/chi-so/QG.A.II.1",
      "/nhiem-vu/CT.NV.II.4",
      "/nhiem-vu/NV-2026-0001",
      "/chi-so/CT.A.I.3",
      "/bao-cao",
      "/",
    ])
      expect(isClientRoute("GET", path), path).toBe(true);
  });

  it("keeps missing files and the API a 404", () => {
    for (const path of ["/assets/index-abc.js", "/assets/x", "/favicon.ico", "/robots.txt", "/logo.svg", "/api/nope", "/api"])
      expect(isClientRoute("GET", path), path).toBe(false);
    expect(isClientRoute("POST", "/nhiem-vu/CT.NV.II.4")).toBe(false);
    expect(isFilePath("/dieu-hanh/chi-so/QG.A.II.1")).toBe(false);
  });
});
