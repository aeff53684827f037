import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";
import { changeMessages, MAX_PAYLOAD_BYTES, type DataChanged } from "./change";

/**
 * Events name what leaders see change (docs/decisions/0008): the published figures' indicators, areas and
 * periods, after the write commits, through the database; the dashboard cache is invalidated by them.
 */

describe("a change too large for one notification", () => {
  const at = new Date(0).toISOString();
  const codes = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}.${String(i).padStart(5, "0")}`);
  const size = (m: DataChanged) => Buffer.byteLength(JSON.stringify(m));

  it("is sent whole when it fits", () => {
    const change = { indicators: ["QG.A.II.1"], areas: ["92"], periods: ["2025M10"], at };
    expect(changeMessages(change)).toEqual([change]);
  });

  it("is coarsened, areas first, then periods, and never dropped", () => {
    const manyAreas = { indicators: ["QG.A.II.1"], areas: codes("A", 2_000), periods: ["2025M10"], at };
    expect(changeMessages(manyAreas)).toEqual([{ ...manyAreas, areas: null }]);
    const manyPeriods = { indicators: ["QG.A.II.1"], areas: codes("A", 2_000), periods: codes("P", 2_000), at };
    expect(changeMessages(manyPeriods)).toEqual([{ indicators: ["QG.A.II.1"], areas: null, periods: null, at }]);
  });

  it("is split into notifications of indicators only when even its indicators do not fit, naming every one", () => {
    const indicators = codes("QG.X", 3_000);
    const messages = changeMessages({ indicators, areas: ["92"], periods: ["2025M10"], at });
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) {
      expect(size(m)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
      expect(m).toMatchObject({ areas: null, periods: null });
    }
    expect(messages.flatMap((m) => m.indicators)).toEqual(indicators);
  });
});

describe(`events and the dashboard cache on ${testEngine}`, () => {
  /** From 5 November 2025, 10:00 in Hà Nội: October is over. */
  const START = Date.now();
  const clock = () => new Date(Date.now() - START + Date.parse("2025-11-05T03:00:00Z"));
  let database: Database;
  let app: App;
  let admin: TestSession; // writes any period (administrators load history: never locked out)
  let reporter: TestSession;
  let approver: TestSession;
  let leader: TestSession; // Cần Thơ
  let otherLeader: TestSession; // Hà Nội
  let nationalLeader: TestSession;
  const heard: DataChanged[] = [];
  const REVENUE = "CT.A.I.3"; // Cần Thơ's budget revenue: one series with the national QG.A.II.1
  const KEY = { agency: "CT.STC", area: "92" };

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadReferenceData(database.db);
    app = await buildApp({ database, clock });
    app.events.onChange((e) => heard.push(e));
    const user = (role: Parameters<typeof createUser>[1], o: Parameters<typeof createUser>[2] = {}) =>
      createUser(database, role, o).then((u) => login(app, u.username));
    admin = await user("admin");
    reporter = await user("reporter", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" });
    approver = await user("approver", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" });
    leader = await user("leader", { scopeAreaId: "92" });
    otherLeader = await user("leader", { scopeAreaId: "01" });
    nationalLeader = await user("leader");
  });

  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const saveForm = (status: "draft" | "submitted", period: string, value: number) =>
    app.inject({
      method: "POST",
      url: "/api/reports/form",
      headers: reporter.headers(true),
      payload: { ...KEY, period, status, values: [{ indicator: REVENUE, value }] },
    });
  /** Writes one figure of Cần Thơ's revenue as an administrator; 200 expected. */
  const write = async (status: "draft" | "submitted", period: string, value: number | "delete") => {
    const res = await app.inject({
      method: "POST",
      url: "/api/data-values",
      headers: admin.headers(true),
      payload: {
        status,
        values: [{ indicator: REVENUE, area: "92", period, ...(value === "delete" ? { delete: true } : { value }) }],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  /** Waits until a change naming this period has been heard (events arrive in commit order). */
  async function heardPeriod(period: string) {
    const seen = () => heard.some((e) => e.periods?.includes(period));
    for (let i = 0; i < 3_000 && !seen(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(seen(), `no event for ${period}`).toBe(true);
    return heard.filter((e) => e.periods?.includes(period));
  }
  const tile = (session: TestSession, asOf?: string) =>
    app.inject({
      url: `/api/analytics/latest?${new URLSearchParams({ indicators: REVENUE, area: "92", ...(asOf ? { asOf } : {}) })}`,
      headers: session.headers(),
    });
  const series = (session: TestSession, indicator = REVENUE, area = "92") =>
    app.inject({
      url: `/api/analytics?${new URLSearchParams({ indicators: indicator, areas: area, from: "2025M01", to: "2025M10" })}`,
      headers: session.headers(),
    });
  const valueAt = (body: string, period: string) =>
    (JSON.parse(body) as { series: { points: { period: string; value: number | null }[] }[] }).series[0]!.points.find(
      (p) => p.period === period,
    )!.value;

  it("announces a submitted figure with its indicator, area and period, and never a draft", async () => {
    await write("draft", "2025M07", 700);
    await write("submitted", "2025M08", 800);
    const events = await heardPeriod("2025M08");
    expect(events[0]).toMatchObject({ indicators: [REVENUE], areas: ["92"], periods: ["2025M08"] });
    // A draft over a submitted figure changes nothing leaders see either.
    await write("draft", "2025M08", 810);
    await write("submitted", "2025M09", 300);
    await heardPeriod("2025M09");
    expect(heard.filter((e) => e.periods?.includes("2025M07"))).toEqual([]);
    expect(heard.filter((e) => e.periods?.includes("2025M08"))).toHaveLength(1);
  });

  it("announces a return and an approval of published figures", async () => {
    expect((await saveForm("submitted", "2025M10", 600)).statusCode).toBe(200);
    await heardPeriod("2025M10");
    const review = (action: "return" | "approve") =>
      app.inject({
        method: "POST",
        url: "/api/reports/review",
        headers: approver.headers(true),
        payload: { ...KEY, period: "2025M10", action, ...(action === "return" ? { comment: "Chưa khớp Kho bạc" } : {}) },
      });
    const before = (await heardPeriod("2025M10")).length;
    expect((await review("return")).statusCode).toBe(200);
    for (let i = 0; i < 3_000 && (await heardPeriod("2025M10")).length === before; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect((await heardPeriod("2025M10")).length).toBe(before + 1);
    expect((await saveForm("submitted", "2025M10", 610)).statusCode).toBe(200);
    for (let i = 0; i < 3_000 && (await heardPeriod("2025M10")).length === before + 1; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect((await review("approve")).statusCode).toBe(200);
    for (let i = 0; i < 3_000 && (await heardPeriod("2025M10")).length < before + 3; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect((await heardPeriod("2025M10")).length).toBe(before + 3);
  });

  it("announces a deletion of a published figure", async () => {
    await write("submitted", "2025M09", "delete");
    for (let i = 0; i < 3_000 && (await heardPeriod("2025M09")).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await heardPeriod("2025M09")).length).toBe(2);
  });

  it("keeps a dashboard answer until a change it reads is announced, then answers with the new figure", async () => {
    const first = await series(leader);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers["x-cache"]).toBe("miss");
    const again = await series(leader);
    expect(again.headers["x-cache"]).toBe("hit");
    expect(again.body).toBe(first.body);
    expect(valueAt(first.body, "2025M07")).toBeNull();

    // Another indicator's change leaves it cached.
    const hits = await tile(leader);
    expect(hits.statusCode, hits.body).toBe(200);
    expect((await tile(leader)).headers["x-cache"]).toBe("hit");

    await write("submitted", "2025M07", 555);
    // The very next answer holds it, whether or not the database's notification has come back yet.
    const next = await series(leader);
    expect(next.headers["x-cache"]).toBe("miss");
    expect(valueAt(next.body, "2025M07")).toBe(555);
    await heardPeriod("2025M07");
    const after = await series(leader);
    expect(valueAt(after.body, "2025M07")).toBe(555);
    // Kept again once the change is heard back (an answer computed before that is not kept).
    expect((await series(leader)).headers["x-cache"]).toBe("hit");
    // The tile of the same series was dropped too; the national indicator's series for Cần Thơ as well.
    const t = await tile(leader);
    expect(t.headers["x-cache"]).toBe("miss");
  });

  it("never serves one scope's answer to another", async () => {
    const national = await series(nationalLeader);
    expect(national.statusCode).toBe(200);
    expect((await series(nationalLeader)).headers["x-cache"]).toBe("hit");
    // Same query, another scope: its own entry; a scope that does not reach the area is refused, never served.
    expect((await series(otherLeader)).statusCode).toBe(403);
    expect((await series(otherLeader)).statusCode).toBe(403);
    const own = await series(leader);
    expect(own.statusCode).toBe(200);
  });

  it("never keeps an answer 'as at' an instant not yet past", async () => {
    const future = new Date(clock().getTime() + 3_600_000).toISOString();
    expect((await tile(leader, future)).headers["x-cache"]).toBe("miss");
    expect((await tile(leader, future)).headers["x-cache"]).toBe("miss");
    const past = new Date(clock().getTime() - 3_600_000).toISOString();
    expect((await tile(leader, past)).headers["x-cache"]).toBe("miss");
    expect((await tile(leader, past)).headers["x-cache"]).toBe("hit");
  });

  it("announces a plan set for a year: answers comparing with it are dropped", async () => {
    expect((await series(leader)).headers["x-cache"]).toBe("hit");
    const target = await app.inject({
      method: "POST",
      url: "/api/targets",
      headers: admin.headers(true),
      payload: {
        indicator: REVENUE,
        area: "92",
        year: 2025,
        source: "Nghị quyết HĐND về dự toán 2025",
        operator: ">=",
        targetValue: 20_000,
      },
    });
    expect(target.statusCode, target.body).toBe(200);
    expect(await heardPeriod("2025")).toEqual([expect.objectContaining({ indicators: [REVENUE], areas: ["92"] })]);
    expect((await series(leader)).headers["x-cache"]).toBe("miss");
  });

  it("hears a change written by another connection to the database (another server process) and drops its answers", async () => {
    const cached = await series(nationalLeader, "QG.A.II.1", "92");
    expect(cached.statusCode, cached.body).toBe(200);
    expect((await series(nationalLeader, "QG.A.II.1", "92")).headers["x-cache"]).toBe("hit");
    // Another process announces through the database: no local announcement, only the notification.
    const { sql } = await import("kysely");
    const payload = JSON.stringify({ indicators: ["QG.A.II.1"], areas: ["92"], periods: ["2025M04"], at: clock().toISOString() });
    await sql`SELECT pg_notify(left('dieu_hanh_data_' || current_schema(), 63), ${payload})`.execute(database.db);
    await heardPeriod("2025M04");
    expect((await series(nationalLeader, "QG.A.II.1", "92")).headers["x-cache"]).toBe("miss");
  });
});
