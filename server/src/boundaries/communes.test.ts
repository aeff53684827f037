import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";

let database: Database;
let app: App;
let session: TestSession;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database });
  // A leader of another province: boundaries are reference data, readable by everyone signed in.
  session = await login(app, (await createUser(database, "leader", { scopeAreaId: "01" })).username);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await database?.close();
});

interface Geo {
  type: string;
  features: { properties: { code: string; name: string; fullName: string }; geometry: { type: string } }[];
}
const get = async (url: string) => app.inject({ method: "GET", url, headers: session.headers() });
const communeCodes = async (province: string) => {
  const res = await get(`/api/areas?parent=${province}&limit=5000`);
  return ((res.json() as { items: { id: string }[] }).items.map((a) => a.id) ?? []).sort();
};

describe(`commune boundaries on ${testEngine}`, () => {
  it("serve one feature per commune of Cần Thơ, with the codes of /api/areas", async () => {
    const res = await get("/api/boundaries/communes/92");
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["content-type"]).toMatch(/geo\+json/);
    const geo = res.json() as Geo;
    expect(geo.type).toBe("FeatureCollection");
    const codes = geo.features.map((f) => f.properties.code).sort();
    expect(codes).toEqual(await communeCodes("92"));
    expect(codes.length).toBe(103);
    expect(geo.features.every((f) => ["Polygon", "MultiPolygon"].includes(f.geometry.type))).toBe(true);
    expect(geo.features.find((f) => f.properties.code === "31120")?.properties.fullName).toBe("Phường Cái Khế");
  });

  it("match /api/areas for every province, Hoàng Sa in Đà Nẵng and Trường Sa in Khánh Hòa", async () => {
    const provinces = ((await get("/api/areas?level=province&limit=100")).json() as { items: { id: string }[] }).items.map(
      (p) => p.id,
    );
    expect(provinces).toHaveLength(34);
    for (const p of provinces) {
      const geo = (await get(`/api/boundaries/communes/${p}`)).json() as Geo;
      expect(geo.features.map((f) => f.properties.code).sort(), p).toEqual(await communeCodes(p));
    }
    const names = async (p: string) =>
      ((await get(`/api/boundaries/communes/${p}`)).json() as Geo).features.map((f) => f.properties.fullName);
    expect(await names("48")).toContain("Đặc khu Hoàng Sa");
    expect(await names("56")).toContain("Đặc khu Trường Sa");
  });

  it("answer 304 to a cached copy and 404 naming an unknown province", async () => {
    const first = await get("/api/boundaries/communes/92");
    const again = await app.inject({
      method: "GET",
      url: "/api/boundaries/communes/92",
      headers: { ...session.headers(), "if-none-match": String(first.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    for (const bad of ["99", "../../etc", "9"]) {
      const res = await get(`/api/boundaries/communes/${encodeURIComponent(bad)}`);
      expect(res.statusCode, bad).toBe(404);
      expect(res.body).toContain("Không có ranh giới cấp xã");
    }
  });

  it("need a signed-in user", async () => {
    expect((await app.inject({ method: "GET", url: "/api/boundaries/communes/92" })).statusCode).toBe(401);
  });
});
