import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";
import { storeFigures } from "../testing/figures";

/** Completeness for a dashboard tile: the summary alone, the same numbers as the full answer. */
let database: Database;
let app: App;
let leader: TestSession;
let reporter: TestSession;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock: () => new Date("2025-11-20T03:00:00Z") });
  leader = await login(app, (await createUser(database, "leader", { scopeAreaId: "92" })).username);
  reporter = await login(
    app,
    (await createUser(database, "reporter", { scopeAreaId: "92", scopeAgencies: ["CT.STC"] })).username,
  );
  await storeFigures(database, [{ indicator: "CT.A.I.3", area: "92", period: "2025M10", value: 1_500 }], {
    status: "submitted",
    now: new Date("2025-11-03T03:00:00Z"),
  });
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

describe(`completeness summary on ${testEngine}`, () => {
  it("gives a tile the summary without the list of reports, the same numbers as the full answer", async () => {
    const get = (query: string) =>
      app.inject({ url: `/api/reports/completeness?period=2025M10&area=92${query}`, headers: leader.headers() });
    const full = await get("");
    const summary = await get("&summary=true");
    expect(full.statusCode, full.body).toBe(200);
    expect(summary.statusCode, summary.body).toBe(200);
    expect(full.json().items.length).toBeGreaterThan(0);
    expect(full.json().summary.submitted).toBeGreaterThan(0);
    expect(summary.json()).toEqual({ ...full.json(), items: [] });
    expect(summary.body.length).toBeLessThan(full.body.length);
  });

  it("has an index leading on period for the totals it counts", async () => {
    const rows = await sql<{ def: string }>`SELECT indexdef AS def FROM pg_indexes
      WHERE tablename = 'data_values' AND indexname = 'data_values_period_idx'`.execute(database.db);
    expect(rows.rows[0]?.def).toMatch(/\(period, indicator_code, area_id\).*WHERE.*disaggregation/);
  });

  it("is shared by identical requests, yet shows a draft written since at once (drafts announce nothing)", async () => {
    const get = () =>
      app.inject({ url: "/api/reports/completeness?period=2025M10&area=92&summary=true", headers: leader.headers() });
    const full = () =>
      app.inject({ url: "/api/reports/completeness?period=2025M10&area=92&agency=CT.STC", headers: leader.headers() });
    const [a, b] = await Promise.all([get(), get()]);
    expect(a.body).toBe(b.body);
    const before = (await full()).json().items[0];
    const draft = await app.inject({
      method: "POST",
      url: "/api/reports/form",
      headers: reporter.headers(true),
      payload: {
        agency: "CT.STC",
        area: "92",
        period: "2025M10",
        status: "draft",
        values: [{ indicator: "CT.A.I.4", value: 12 }],
      },
    });
    expect(draft.statusCode, draft.body).toBe(200);
    const after = (await full()).json().items[0];
    expect(after.draft).toBe(before.draft + 1);
  });
});
