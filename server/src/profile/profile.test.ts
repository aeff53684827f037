import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { loadSampleData } from "../demo/load";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";
import { NATIONAL_TILES, profileFromEnv, profileService } from "./service";

let database: Database;
let app: App;
let admin: TestSession;
let leader: TestSession;
let cityLeader: TestSession;
let lastMonth = "";

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  await loadSampleData(database.db);
  app = await buildApp({ database });
  const now = new Date();
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  lastMonth = `${last.getUTCFullYear()}M${String(last.getUTCMonth() + 1).padStart(2, "0")}`;
  await createUser(database, "admin", { username: "profile-admin" });
  await createUser(database, "leader", { username: "profile-leader" });
  await createUser(database, "leader", { username: "profile-city-leader", scopeAreaId: "92" });
  admin = await login(app, "profile-admin");
  leader = await login(app, "profile-leader");
  cityLeader = await login(app, "profile-city-leader");
}, 600_000);

afterAll(async () => {
  await app?.close();
  await database?.close();
});

const getProfile = async (s: TestSession) => app.inject({ url: "/api/profile", headers: s.headers() });
const putProfile = (s: TestSession, payload: object) =>
  app.inject({ method: "PUT", url: "/api/profile", headers: s.headers(true), payload });
const auditCount = async () =>
  Number(
    (
      await database.db
        .selectFrom("audit_log")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("entity_type", "=", "install_profile")
        .executeTakeFirstOrThrow()
    ).n,
  );

describe(`install profile on ${testEngine}`, () => {
  it("reads the environment of the first start", () => {
    expect(profileFromEnv({})).toMatchObject({ kind: "government_office", areaId: null });
    expect(profileFromEnv({ INSTALL_PROFILE: "province:92" })).toMatchObject({ kind: "province", areaId: "92" });
    expect(profileFromEnv({ INSTALL_KIND: "ministry", INSTALL_AGENCY: "BTC" })).toMatchObject({
      kind: "ministry",
      agencyCode: "BTC",
    });
    expect(() => profileFromEnv({ INSTALL_PROFILE: "tinh:92" })).toThrow(/INSTALL_PROFILE.*không hợp lệ/);
  });

  it("is the Government Office's until one is stored, readable by every signed-in user", async () => {
    for (const s of [leader, cityLeader, admin]) {
      const res = await getProfile(s);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        kind: "government_office",
        name: "Văn phòng Chính phủ",
        catalogue: { id: "qd1012" },
        area: { id: "VN" },
        defaultTiles: NATIONAL_TILES,
        version: 0,
        stored: false,
      });
    }
    expect((await app.inject({ url: "/api/profile" })).statusCode).toBe(401);
  });

  it("lets only an administrator change it, and refuses bad input naming the field, changing nothing", async () => {
    expect((await putProfile(leader, { kind: "province", areaId: "92", version: 0 })).statusCode).toBe(403);
    const refusals: [object, string, RegExp][] = [
      [{ kind: "province", areaId: "VN", version: 0 }, "areaId", /tỉnh, thành phố/],
      [{ kind: "province", areaId: "99", version: 0 }, "areaId", /Không có địa bàn/],
      [{ kind: "province", areaId: "92", catalogueId: "kontum", version: 0 }, "catalogueId", /không phải/],
      [{ kind: "province", areaId: "92", catalogueId: "khong-co", version: 0 }, "catalogueId", /Không có bộ chỉ số/],
      [{ kind: "government_office", areaId: "92", version: 0 }, "areaId", /cả nước/],
      [{ kind: "ministry", version: 0 }, "agencyCode", /mã cơ quan/],
      [{ kind: "ministry", agencyCode: "CT.STC", version: 0 }, "agencyCode", /không phải bộ/],
      [
        { kind: "province", areaId: "92", defaultTiles: ["CT.A.I.3", "KHONG.CO"], version: 0 },
        "defaultTiles",
        /thứ 2.*KHONG\.CO/,
      ],
      [{ kind: "province", areaId: "92", defaultTiles: ["CT.A.I.3", "CT.A.I.3"], version: 0 }, "defaultTiles", /lặp lại/],
      [{ kind: "province", areaId: "92", version: 3 }, "version", /người khác sửa/],
    ];
    for (const [payload, field, message] of refusals) {
      const res = await putProfile(admin, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBeGreaterThanOrEqual(400);
      expect(res.json().field).toBe(field);
      expect(res.json().message).toMatch(message);
    }
    expect((await putProfile(admin, { kind: "province", areaId: "92", version: 0, colour: "red" })).statusCode).toBe(400);
    expect((await getProfile(admin)).json().stored).toBe(false);
    expect(await auditCount()).toBe(0);
  });

  it("serves a province its own catalogue, area and tiles, and records who changed it", async () => {
    const res = await putProfile(admin, { kind: "province", areaId: "92", version: 0 });
    expect(res.statusCode).toBe(200);
    const p = res.json();
    expect(p).toMatchObject({
      kind: "province",
      name: "Ủy ban nhân dân thành phố Cần Thơ",
      catalogue: { id: "cantho-256" },
      area: { id: "92", name: expect.stringContaining("Cần Thơ") },
      version: 1,
      stored: true,
    });
    // Cần Thơ's rows that implement the national tiles: CPI, budget revenue, …, retail.
    expect(p.defaultTiles).toEqual(expect.arrayContaining(["CT.A.I.1", "CT.A.I.3", "CT.A.I.27"]));
    expect(p.defaultTiles.every((c: string) => c.startsWith("CT."))).toBe(true);
    expect((await getProfile(leader)).json()).toMatchObject({ catalogue: { id: "cantho-256" }, version: 1 });
    const entry = await database.db
      .selectFrom("audit_log")
      .selectAll()
      .where("entity_type", "=", "install_profile")
      .executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ action: "install_profile.update", actor_username: "profile-admin", outcome: "success" });
    expect(entry.after).toMatchObject({ kind: "province", area_id: "92", catalogue_id: "cantho-256" });
    // First start never overwrites what an administrator set.
    expect((await profileService(database.db).ensure({ kind: "government_office" })).created).toBe(false);
    expect((await getProfile(admin)).json().area.id).toBe("92");
  });

  it("serves a ministry the national catalogue for the whole country", async () => {
    const res = await putProfile(admin, { kind: "ministry", agencyCode: "BTC", version: 1 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      kind: "ministry",
      agency: { code: "BTC" },
      name: res.json().agency.name,
      catalogue: { id: "qd1012" },
      area: { id: "VN" },
      version: 2,
    });
  });
});

describe(`one series for a provincial row and the national indicator it implements, on ${testEngine}`, () => {
  const figure = async (s: TestSession, indicator: string, area = "92", period = lastMonth) => {
    const res = await app.inject({
      url: `/api/analytics?${new URLSearchParams({ indicators: indicator, areas: area, from: period, to: period })}`,
      headers: s.headers(),
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().series[0].points[0].value as number | null;
  };
  const previousMonth = () => {
    const [y, m] = [Number(lastMonth.slice(0, 4)), Number(lastMonth.slice(5))];
    return m === 1 ? `${y - 1}M12` : `${y}M${String(m - 1).padStart(2, "0")}`;
  };

  it("gives the same figure under both codes in the sample data", async () => {
    const period = previousMonth();
    for (const [national, city] of [
      ["QG.A.II.1", "CT.A.I.3"], // Thu ngân sách
      ["QG.A.II.3", "CT.A.I.5"], // Giải ngân vốn đầu tư công
      ["QG.A.IV.1", "CT.A.I.8"], // Doanh nghiệp
    ]) {
      const a = await figure(cityLeader, national!, "92", period);
      const b = await figure(cityLeader, city!, "92", period);
      expect(a, national).not.toBeNull();
      expect(a, `${national} = ${city}`).toBe(b);
      // What is stored for the nation under the national code is the city's own figure, too.
      const stored = await database.db
        .selectFrom("data_values")
        .select("value")
        .where("indicator_code", "=", national!)
        .where("area_id", "=", "92")
        .where("period", "=", period)
        .where("superseded_at", "is", null)
        .executeTakeFirst();
      if (stored) expect(Number(stored.value)).toBe(b);
    }
  });

  it("shows a province the CPI and retail figures it reports in its own catalogue", async () => {
    const period = previousMonth();
    expect(await figure(cityLeader, "QG.A.I.1", "92", period)).toBe(await figure(cityLeader, "CT.A.I.1", "92", period));
    expect(await figure(cityLeader, "QG.A.I.1", "92", period)).not.toBeNull();
    expect(await figure(cityLeader, "QG.A.IX.1", "92", period)).not.toBeNull();
    // A link between different figures stays two series: the city's spending is not the central budget's.
    expect(await figure(cityLeader, "CT.A.I.4", "92", period)).not.toBeNull();
    expect(await figure(cityLeader, "QG.A.II.2", "92", period)).toBeNull();
    expect(await figure(cityLeader, "QG.A.IX.1", "92", period)).toBe(await figure(cityLeader, "CT.A.I.27", "92", period));
    // And the national indicator's communes of Cần Thơ (the drill-down) have the city's commune figures.
    const res = await app.inject({
      url: `/api/analytics?${new URLSearchParams({ indicators: "QG.A.II.1", parent: "92", from: period, to: period })}`,
      headers: cityLeader.headers(),
    });
    const values = (res.json().series as { points: { value: number | null }[] }[]).map((s) => s.points[0]!.value);
    expect(values.filter((v) => v !== null).length).toBeGreaterThan(50);
  });

  it("offers the commune drill-down the indicators that have commune figures", async () => {
    const period = previousMonth();
    const withData = async (s: TestSession, catalogue: string, parent: string) =>
      app.inject({
        url: `/api/catalogues/${catalogue}/indicators-with-data?${new URLSearchParams({ parent, period })}`,
        headers: s.headers(),
      });
    const national = (await withData(cityLeader, "qd1012", "92")).json().items as { code: string; areasWithData: number }[];
    // The national budget revenue through Cần Thơ's own commune figures; the CPI is the city's only.
    expect(national.find((i) => i.code === "QG.A.II.1")?.areasWithData).toBeGreaterThan(50);
    expect(national.map((i) => i.code)).not.toContain("QG.A.I.1");
    const city = (await withData(cityLeader, "cantho-256", "92")).json().items as { code: string }[];
    expect(city.map((i) => i.code)).toContain("CT.A.I.3");
    expect((await withData(leader, "qd1012", "VN")).json().items.map((i: { code: string }) => i.code)).toContain("QG.A.II.1");
    expect((await withData(cityLeader, "qd1012", "01")).statusCode).toBe(403);
  });

  it("compares either name of a series with the plan set under the other", async () => {
    const year = Number(lastMonth.slice(0, 4));
    await database.db
      .insertInto("targets")
      .values({
        indicator_code: "CT.A.I.3",
        area_id: "92",
        target_year: year,
        source: "Kế hoạch thử",
        operator: ">=",
        target_value: 40_000,
      })
      .execute();
    const res = await app.inject({
      url: `/api/analytics?${new URLSearchParams({ indicators: "QG.A.II.1", areas: "92", from: lastMonth, to: lastMonth, comparisons: "true" })}`,
      headers: cityLeader.headers(),
    });
    expect(res.json().series[0].points[0].comparisons.plan).toMatchObject({ target: 40_000 });
  });

  it("keeps one series after a submitted write under either code", async () => {
    // Last month is submitted, not yet approved: still open to its reporters.
    const period = lastMonth;
    const before = (await figure(admin, "CT.A.I.3", "92", period)) ?? 2_500;
    const write = async (indicator: string, value: number) => {
      const res = await app.inject({
        method: "POST",
        url: "/api/data-values",
        headers: admin.headers(true),
        payload: { values: [{ indicator, area: "92", period, value, comment: "Số liệu điều chỉnh" }], status: "submitted" },
      });
      expect(res.statusCode, res.body).toBe(200);
    };
    const cityValue = Math.round(before * 1.02 * 10) / 10;
    await write("CT.A.I.3", cityValue);
    expect(await figure(leader, "CT.A.I.3", "92", period)).toBe(cityValue);
    expect(await figure(leader, "QG.A.II.1", "92", period)).toBe(cityValue);
    const nationalValue = Math.round(before * 1.03 * 10) / 10;
    await write("QG.A.II.1", nationalValue);
    expect(await figure(cityLeader, "QG.A.II.1", "92", period)).toBe(nationalValue);
    expect(await figure(cityLeader, "CT.A.I.3", "92", period)).toBe(nationalValue);
    // Another province is untouched by Cần Thơ's catalogue.
    expect(await figure(leader, "CT.A.I.3", "01", period)).toBeNull();
  });

  it("measures a plan's progress on the one series, whichever name the target is set under", async () => {
    // After the writes above, the city's code and the national code hold different latest figures for last month.
    const year = Number(lastMonth.slice(0, 4));
    await database.db
      .insertInto("targets")
      .values({
        indicator_code: "QG.A.II.1",
        area_id: "92",
        target_year: year,
        source: "Kế hoạch thử",
        operator: ">=",
        target_value: 40_000,
      })
      .execute();
    const measured = async (indicator: string) => {
      const res = await app.inject({
        url: `/api/targets?${new URLSearchParams({ indicator, area: "92", year: String(year) })}`,
        headers: cityLeader.headers(),
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().items[0].measured as number;
    };
    expect(await measured("QG.A.II.1")).toBe(await measured("CT.A.I.3"));
  });
});
