import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase } from "../testing/database";
import { writeRows } from "./writer";

/**
 * Sample figures stay marked "Mẫu" after review (issue 11, item 4): an approval or a return writes a new
 * version through the review channel, which must not make a sample figure look real to a leader.
 */

const START = Date.now();
const offset = Date.parse("2025-11-05T03:00:00Z") - START;
const clock = () => new Date(Date.now() + offset);

let database: Database;
let app: App;
let approver: TestSession;
let leader: TestSession;

const REVENUE = "CT.A.I.3"; // Thu ngân sách (tỷ đồng), Sở Tài chính Cần Thơ
const KEY = { agency: "CT.STC", area: "92" };

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock });
  approver = await createUser(database, "approver", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" }).then((u) =>
    login(app, u.username),
  );
  leader = await createUser(database, "leader", { scopeAreaId: "92" }).then((u) => login(app, u.username));
  // Sample figures as the first start loads them: submitted, through the sample channel.
  await database.db.transaction().execute((trx) =>
    writeRows(
      trx,
      { principal: null, ip: null, userAgent: "test" },
      ["2025M08", "2025M09", "2025M10"].map((period, i) => ({
        indicator: REVENUE,
        area: "92",
        period,
        periodType: "month" as const,
        disaggregation: "",
        value: 1000 + i,
        valueText: null,
        comment: null,
        action: "upsert" as const,
        agency: "CT.STC",
        flags: [],
      })),
      { channel: "sample", status: "submitted" },
      { dryRun: false, now: clock() },
    ),
  );
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

const get = (session: TestSession, url: string, query: Record<string, string>) =>
  app.inject({ url: `${url}?${new URLSearchParams(query)}`, headers: session.headers() });
const review = (body: object) =>
  app.inject({ method: "POST", url: "/api/reports/review", headers: approver.headers(true), payload: { ...KEY, ...body } });

describe("sample figures after review", () => {
  it("are still marked sample once approved or returned", async () => {
    expect((await review({ period: "2025M09", action: "approve" })).statusCode).toBe(200);
    const returned = await review({ period: "2025M10", action: "return", comment: "Số thu chưa khớp với Kho bạc" });
    expect(returned.statusCode, returned.body).toBe(200);

    const analytics = await get(leader, "/api/analytics", { indicators: REVENUE, areas: "92", from: "2025M08", to: "2025M10" });
    expect(analytics.statusCode, analytics.body).toBe(200);
    const points = (
      analytics.json() as { series: { points: { period: string; value: number | null; sample?: true }[] }[] }
    ).series[0]!.points.filter((p) => p.value !== null);
    // The returned October is withdrawn; August (submitted) and September (approved) are shown, both as samples.
    expect(points.map((p) => [p.period, p.sample])).toEqual([
      ["2025M08", true],
      ["2025M09", true],
    ]);

    const list = await get(approver, "/api/data-values", { indicator: REVENUE, area: "92" });
    expect(list.statusCode, list.body).toBe(200);
    const items = (list.json() as { items: { period: string; status: string; sample: boolean }[] }).items;
    const byPeriod = Object.fromEntries(items.map((v) => [v.period, [v.status, v.sample]]));
    expect(byPeriod).toMatchObject({
      "2025M08": ["submitted", true],
      "2025M09": ["approved", true],
    });
    if (byPeriod["2025M10"]) expect(byPeriod["2025M10"]).toEqual(["returned", true]);

    const csv = await get(leader, "/api/data-values/export", { format: "csv", indicator: REVENUE });
    expect(csv.statusCode, csv.body).toBe(200);
    const approvedRow = csv.body.split(/\r?\n/).find((line) => line.startsWith(`${REVENUE},92,2025M09,`));
    expect(approvedRow?.split(",").at(-1)).toBe("true");
  });

  it("stay samples when the office reopens an approved report", async () => {
    const office = await createUser(database, "office_specialist", { scopeAreaId: "92" }).then((u) => login(app, u.username));
    const reopened = await app.inject({
      method: "POST",
      url: "/api/reports/reopen",
      headers: office.headers(true),
      payload: { ...KEY, period: "2025M09", reason: "Điều chỉnh theo số quyết toán" },
    });
    expect(reopened.statusCode, reopened.body).toBe(200);
    const list = await get(approver, "/api/data-values", { indicator: REVENUE, area: "92", period: "2025M09" });
    const items = (list.json() as { items: { status: string; sample: boolean }[] }).items;
    expect(items.map((v) => v.sample)).not.toContain(false);
    expect(items.length).toBeGreaterThan(0);
  });

  it("keep the sample channel on every version a review writes", async () => {
    const dv = await database.db
      .selectFrom("data_values")
      .select(["period", "source", "status"])
      .where("indicator_code", "=", REVENUE)
      .where("superseded_at", "is", null)
      .orderBy("period")
      .execute();
    expect(dv.map((v) => v.source)).toEqual(["sample", "sample", "sample"]);
  });
});
