import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { loadReferenceData, type LoadSummary } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";
import { buildApp, type App } from "./app";

let database: Database;
let app: App;
let summary: LoadSummary;
let session: TestSession;

beforeAll(async () => {
  database = await createTestDatabase();
  summary = await loadReferenceData(database.db);
  app = await buildApp({ database });
  session = await login(app, (await createUser(database, "viewer")).username);
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

async function get<T = any>(url: string): Promise<{ status: number; body: T }> {
  const res = await app.inject({ method: "GET", url, headers: session.headers() });
  return { status: res.statusCode, body: res.json() as T };
}

describe(`HTTP API on ${testEngine}`, () => {
  it("reports health and the engine in use", async () => {
    const { status, body } = await get("/api/health");
    expect(status).toBe(200);
    expect(body).toEqual({ status: "ok", engine: testEngine });
  });

  describe("areas", () => {
    it("lists the 34 provinces and 3,321 communes in force today", async () => {
      expect((await get("/api/areas?level=province")).body.total).toBe(34);
      expect((await get("/api/areas?level=commune&limit=1")).body.total).toBe(3321);
      expect(summary.areas).toMatchObject({ provinces: 34, communes: 3321, preReformProvinces: 63, preReformCommunes: 10047 });
    });

    it("returns the 63 old provinces and 10,047 old communes as at 30/06/2025", async () => {
      const provinces = await get("/api/areas?level=province&at=2025-06-30");
      expect(provinces.body.total).toBe(63);
      expect(provinces.body.items.map((a: any) => a.name)).toContain("Kon Tum");
      expect((await get("/api/areas?level=commune&at=2025-06-30&limit=1")).body.total).toBe(10047);
      expect((await get("/api/areas?level=province&at=2025-07-01")).body.total).toBe(34);
    });

    it("returns up to 5,000 items in one page and pages with offset", async () => {
      const page = await get("/api/areas?level=commune&limit=5000");
      expect(page.body.items).toHaveLength(3321);
      const second = await get("/api/areas?level=commune&limit=10&offset=10");
      expect(second.body.items[0].code).toBe(page.body.items[10].code);
    });

    it("lists a province's communes by its code", async () => {
      const { body } = await get("/api/areas?parent=92&limit=5000");
      expect(body.total).toBe(103);
      expect(body.items.every((a: any) => a.parentId === "92" && a.level === "commune")).toBe(true);
    });

    it("shows what a new province was merged from", async () => {
      const { body } = await get("/api/areas/92");
      expect(body.name).toBe("Cần Thơ");
      expect(body.mergedFrom.map((m: any) => m.name).sort()).toEqual(["Cần Thơ", "Hậu Giang", "Sóc Trăng"]);
      expect(body.mergedFrom.every((m: any) => m.mergeType === "full")).toBe(true);
      const quangNgai = await get("/api/areas/51");
      expect(quangNgai.body.mergedFrom.map((m: any) => m.name)).toContain("Kon Tum");
    });

    it("resolves a reused code by date and shows where an old unit went", async () => {
      const old = await get("/api/areas/62?at=2025-06-30");
      expect(old.body).toMatchObject({ id: "old-62", name: "Kon Tum", validTo: "2025-06-30" });
      expect(old.body.mergedInto.map((m: any) => m.id)).toEqual(["51"]);
      expect((await get("/api/areas/62")).status).toBe(404);
    });

    it("keeps partial merges of communes", async () => {
      const { body } = await get("/api/areas/00004");
      expect(body.fullName).toBe("Phường Ba Đình");
      expect(body.mergedFrom.some((m: any) => m.mergeType === "partial")).toBe(true);
      expect(body.mergedFrom.some((m: any) => m.fullName === "Phường Trúc Bạch" && m.mergeType === "full")).toBe(true);
    });

    it("maps the Hoàng Sa island district onto today's special zone", async () => {
      const { body } = await get("/api/areas?q=hoang%20sa&level=commune");
      const zone = body.items.find((a: any) => a.fullName === "Đặc khu Hoàng Sa");
      expect(zone.parentId).toBe("48");
      const detail = await get(`/api/areas/${zone.id}`);
      expect(detail.body.mergedFrom).toEqual([expect.objectContaining({ fullName: "Huyện Hoàng Sa", level: "district" })]);
    });

    it("searches names without diacritics", async () => {
      const { body } = await get("/api/areas?q=dak%20lak&level=province");
      expect(body.items.map((a: any) => a.name)).toEqual(["Đắk Lắk"]);
    });

    it("rejects malformed parameters naming the field", async () => {
      const bad = await get("/api/areas?level=huyen");
      expect(bad.status).toBe(400);
      expect(bad.body.field).toBe("level");
      expect(bad.body.message).toContain("level");
      const badDate = await get("/api/areas?at=2025-02-30");
      expect(badDate.status).toBe(400);
      expect(badDate.body.field).toBe("at");
      const tooMany = await get("/api/areas?limit=5001");
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.field).toBe("limit");
      const unknown = await get("/api/areas/99999");
      expect(unknown.status).toBe(404);
      expect(unknown.body.message).toContain("99999");
    });
  });

  describe("catalogues", () => {
    it("lists the four catalogues with their counts by group", async () => {
      const { body } = await get("/api/catalogues");
      const byId = Object.fromEntries(body.items.map((c: any) => [c.id, c]));
      expect(Object.keys(byId).sort()).toEqual(["cantho-256", "daknong-197", "kontum", "qd1012"]);
      const national = byId["qd1012"];
      expect(national.document).toMatchObject({ number: "1012/QĐ-TTg", date: "2024-09-20" });
      expect(national.groups.map((g: any) => [g.code, g.count])).toEqual([
        ["A", 76],
        ["B", 16],
        ["C", 4],
        ["D", 8],
      ]);
      expect(national.groups[0].subgroups).toHaveLength(14);
      expect(national.groups[0].subgroups[0]).toEqual({ code: "I", name: "Chỉ số giá", count: 5 });
    });

    it("finds 'Chỉ số giá' when searching 'chi so gia', including the document's typo 'Chi số giá'", async () => {
      const { body } = await get("/api/catalogues/qd1012/indicators?q=chi%20so%20gia");
      const codes = body.items.map((i: any) => i.code);
      expect(codes).toEqual(expect.arrayContaining(["QG.A.I.1", "QG.A.I.2", "QG.A.I.3", "QG.A.I.4"]));
      expect((await get("/api/catalogues/qd1012/indicators?q=CHỈ%20SỐ%20GIÁ")).body.total).toBe(body.total);
    });

    it("filters by group, frequency and agency, following agency succession", async () => {
      const group = await get("/api/catalogues/qd1012/indicators?group=B&limit=100");
      expect(group.body.total).toBe(16);
      const daily = await get("/api/catalogues/qd1012/indicators?frequency=day&limit=100");
      expect(daily.body.items.every((i: any) => i.periodTypes.includes("day"))).toBe(true);
      expect(daily.body.items.map((i: any) => i.code)).toContain("QG.A.III.1");
      // Bộ Kế hoạch và Đầu tư merged into Bộ Tài chính: filtering by Bộ Tài chính finds both.
      const finance = await get("/api/catalogues/qd1012/indicators?agency=BTC&limit=500");
      const cpi = finance.body.items.find((i: any) => i.code === "QG.A.I.1");
      expect(cpi.agencies[0]).toMatchObject({
        asWritten: "Bộ Kế hoạch và Đầu tư",
        current: { code: "BTC", name: "Bộ Tài chính" },
      });
      expect(finance.body.items.map((i: any) => i.code)).toContain("QG.A.II.1");
    });

    it("returns an indicator with its source reference and links between national and provincial sets", async () => {
      const { body } = await get("/api/indicators/QG.A.I.1");
      expect(body).toMatchObject({
        nameAsWritten: "Chi số giá tiêu dùng tháng (so với tháng trước; so với tháng 12 năm trước; so với cùng kỳ năm trước)",
        name: "Chỉ số giá tiêu dùng tháng",
        scopeAsWritten: "Cả nước",
        frequencyAsWritten: "Tháng",
        periodTypes: ["month"],
        disaggregationAsWritten: "11 nhóm hàng chính",
        dimensions: ["cpi_commodity_group"],
        comparisons: ["previous_period", "previous_december", "same_period_last_year"],
        source: { documentNumber: "1012/QĐ-TTg", appendix: "Phụ lục II" },
      });
      expect(body.implementedBy.map((i: any) => i.catalogueId).sort()).toEqual(["cantho-256", "daknong-197", "kontum"]);
      const dn = await get("/api/indicators/DN.A.V.2.1");
      expect(dn.body).toMatchObject({ kind: "sub_indicator", parent: { code: "DN.A.V.2" }, unitAsWritten: "m ³", unit: "m³" });
    });

    it("answers 404 for unknown catalogues and indicators and 400 for bad filters", async () => {
      expect((await get("/api/catalogues/nope/indicators")).status).toBe(404);
      expect((await get("/api/indicators/QG.Z.9")).status).toBe(404);
      const bad = await get("/api/catalogues/qd1012/indicators?frequency=fortnight");
      expect(bad.status).toBe(400);
      expect(bad.body.field).toBe("frequency");
      expect((await get("/api/catalogues/qd1012/indicators?agency=NOPE")).status).toBe(404);
    });
  });

  describe("agencies and tasks", () => {
    it("keeps the 2024 name and resolves it to today's agency", async () => {
      const { body } = await get("/api/agencies?q=ke%20hoach%20va%20dau%20tu&level=central");
      const mpi = body.items.find((a: any) => a.code === "BKHDT");
      expect(mpi).toMatchObject({ name: "Bộ Kế hoạch và Đầu tư", dissolvedOn: "2025-03-01", current: { code: "BTC" } });
    });

    it("lists tasks by source and agency with parsed deadlines", async () => {
      const national = await get("/api/tasks?source=qd1012&limit=100");
      expect(national.body.total).toBe(28);
      const first = national.body.items[0];
      expect(first.deadline).toMatchObject({ asWritten: "Tháng 02/2025", kind: "date", dueDate: "2025-02-28" });
      const ncaRange = national.body.items.find((t: any) => t.code === "QG.NV.II.1");
      expect(ncaRange.deadline).toMatchObject({
        kind: "range",
        from: "2024-01-01",
        to: "2025-12-31",
        note: "theo lộ trình tại Nghị quyết số 175/NQ-CP của Chính phủ",
      });
      expect(ncaRange.leadAgencies[0].name).toBe("Bộ Công an");
      const byAgency = await get("/api/tasks?agency=BCA&limit=100");
      expect(
        byAgency.body.items.every((t: any) =>
          [...t.leadAgencies, ...t.coordinatingAgencies].some((a: any) => a.current.code === "BCA"),
        ),
      ).toBe(true);
      expect((await get("/api/tasks?source=kontum-tasks&limit=1")).body.total).toBe(21);
      expect((await get("/api/tasks?source=cantho-256&limit=1")).body.total).toBe(23);
    });
  });

  it("publishes an OpenAPI document and a browsable page", async () => {
    const { status, body } = await get("/api/openapi.json");
    expect(status).toBe(200);
    expect(body.openapi).toMatch(/^3\./);
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining([
        "/api/health",
        "/api/catalogues",
        "/api/catalogues/{id}/indicators",
        "/api/indicators/{code}",
        "/api/areas",
        "/api/areas/{code}",
        "/api/agencies",
        "/api/tasks",
      ]),
    );
    const page = await app.inject({ method: "GET", url: "/api/docs", headers: session.headers() });
    expect([200, 302]).toContain(page.statusCode);
    expect((await app.inject({ method: "GET", url: "/api/docs" })).statusCode).toBe(401);
  });

  it("never exposes internals in errors", async () => {
    const res = await app.inject({ method: "GET", url: "/api/does-not-exist" });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toMatch(/stack|SELECT|node_modules/i);
  });
});
