import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../auth/principal";
import type { Database } from "../db/database";
import type { PreparedRow } from "../datavalues/validation";
import { writeRows } from "../datavalues/writer";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";

/**
 * Sample figures (source 'sample') are marked in what analytics answers — the figure itself and every
 * total built from one — so that each screen can label them "Mẫu"; real figures carry no mark.
 */
let database: Database;
let app: App;
let admin: TestSession;

const start = Date.now();
const clock = () => new Date(Date.parse("2025-11-05T03:00:00Z") + Date.now() - start);
const system: Principal = {
  via: "token",
  userId: null,
  username: "demo-generator",
  displayName: "Bộ sinh số liệu mẫu",
  tokenId: null,
  role: "admin",
  scope: { agencies: null, areaId: null },
  csrfToken: null,
  canWrite: true,
};

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock });
  admin = await login(app, (await createUser(database, "admin")).username);
  // Real figures for Hà Nội, through the API.
  const res = await app.inject({
    method: "POST",
    url: "/api/data-values",
    headers: admin.headers(true),
    payload: { values: [{ indicator: "QG.A.II.1", area: "01", period: "2025M09", value: 30_000 }] },
  });
  expect(res.statusCode, res.body).toBe(200);
  // Sample figures for Cần Thơ, as the sample generator writes them.
  const row = (period: string, value: number): PreparedRow => ({
    indicator: "QG.A.II.1",
    area: "92",
    period,
    periodType: "month",
    disaggregation: "",
    value,
    valueText: null,
    comment: null,
    action: "upsert",
    agency: null,
    flags: [],
  });
  await database.db
    .transaction()
    .execute((trx) =>
      writeRows(
        trx,
        { principal: system, ip: null, userAgent: "test" },
        [row("2025M09", 1_200), row("2025M10", 1_300)],
        { channel: "sample", status: "approved" },
        { dryRun: false, now: new Date() },
      ),
    );
}, 120_000);

afterAll(async () => {
  await app?.close();
  await database?.close();
});

interface Result {
  series: { area: string; points: { period: string; value: number | null; sample?: boolean; source: string | null }[] }[];
}
const get = async <T>(url: string) => {
  const res = await app.inject({ url, headers: admin.headers() });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as T;
};

describe(`sample figures in analytics on ${testEngine}`, () => {
  it("are marked where reported, real figures are not", async () => {
    const r = await get<Result>("/api/analytics?indicators=QG.A.II.1&areas=01,92&from=2025M09&to=2025M09");
    const point = (area: string) => r.series.find((s) => s.area === area)!.points[0]!;
    expect(point("92")).toMatchObject({ value: 1_200, source: "reported", sample: true });
    expect(point("01")).toMatchObject({ value: 30_000, source: "reported" });
    expect(point("01").sample).toBeUndefined();
  });

  it("mark a total that includes a sample figure", async () => {
    const r = await get<Result>("/api/analytics?indicators=QG.A.II.1&areas=VN&from=2025M09&to=2025M09");
    expect(r.series[0]!.points[0]).toMatchObject({ value: 31_200, source: "aggregated", sample: true });
  });

  it("mark the overview tile's latest figure", async () => {
    const r = await get<{ items: { latest: { value: number; sample?: boolean } | null }[] }>(
      "/api/analytics/latest?indicators=QG.A.II.1&area=92",
    );
    expect(r.items[0]!.latest).toMatchObject({ value: 1_300, sample: true });
  });
});

describe(`sample figures in the analytics Excel export on ${testEngine}`, () => {
  it("say so in a column of their own", async () => {
    const { default: ExcelJS } = await import("exceljs");
    const res = await app.inject({
      url: "/api/analytics/export?indicators=QG.A.II.1&areas=01,92&from=2025M09&to=2025M09",
      headers: admin.headers(),
    });
    expect(res.statusCode).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const sheet = book.worksheets[0]!;
    const rows: string[][] = [];
    sheet.eachRow((r) => rows.push((r.values as unknown[]).slice(1).map((v) => String(v ?? ""))));
    const header = rows.findIndex((r) => r.includes("Số liệu mẫu"));
    expect(header).toBeGreaterThanOrEqual(0);
    const col = rows[header]!.indexOf("Số liệu mẫu");
    const areaCol = rows[header]!.indexOf("Địa bàn");
    const byArea = new Map(rows.slice(header + 1).map((r) => [r[areaCol], r[col]]));
    expect(byArea.get("Cần Thơ")).toBe("Mẫu");
    expect(byArea.get("Hà Nội")).toBe("");
  });
});
