import { aggregationRule } from "@dieuhanh/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";
import { storeFigures } from "../testing/figures";

/**
 * The report form's comparison columns for a unit formed on 1/7/2025 (Thành phố Cần Thơ, 92): its figures
 * for pre-reform periods lie with the old units merged into it (the area validity rule keeps them off the
 * new unit), so "cùng kỳ năm trước" falls back to the figure analytics folds from them, marked as such.
 */

let database: Database;
let app: App;
let reporter: TestSession;
const KEY = { agency: "CT.STC", area: "92", period: "2025M10" };

interface Row {
  indicator: string;
  unit: string | null;
  valueType: string;
  previousValue: number | null;
  lastYearValue: number | null;
  previousFrom: string | null;
  lastYearFrom: string | null;
}

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock: () => new Date("2025-11-05T03:00:00Z") });
  reporter = await login(
    app,
    (await createUser(database, "reporter", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" })).username,
  );
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

const form = async () => {
  const res = await app.inject({ url: `/api/reports/form?${new URLSearchParams(KEY)}`, headers: reporter.headers() });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().rows as Row[];
};

describe(`report form comparisons across the 2025 reform on ${testEngine}`, () => {
  it("shows last year's figure folded from the old units merged into a new unit, labelled, and its own figure first", async () => {
    const olds = await database.db
      .selectFrom("area_merges")
      .select(["old_area_id", "merge_type"])
      .where("new_area_id", "=", "92")
      .execute();
    const full = olds.filter((o) => o.merge_type === "full").map((o) => o.old_area_id);
    expect(full.length).toBeGreaterThan(1);
    const rows = await form();
    const summed = rows.find((r) => r.valueType === "number" && aggregationRule(r.unit) === "sum");
    const other = rows.find((r) => r !== summed && r.valueType === "number" && aggregationRule(r.unit) === "sum");
    expect(summed && other).toBeTruthy();
    expect(summed).toMatchObject({ lastYearValue: null, lastYearFrom: null });

    // October 2024 as the old provinces reported it, before 92 existed.
    await storeFigures(
      database,
      full.map((area, i) => ({ indicator: summed!.indicator, area, period: "2024M10", value: 100 * (i + 1) })),
      { status: "approved" },
    );
    // The new unit's own figure for a period wins over any fold.
    await storeFigures(database, [{ indicator: other!.indicator, area: "92", period: "2024M10", value: 7 }], {
      status: "approved",
    });
    await storeFigures(database, [{ indicator: other!.indicator, area: full[0]!, period: "2024M10", value: 1000 }], {
      status: "approved",
    });

    const after = await form();
    const expected = full.reduce((s, _, i) => s + 100 * (i + 1), 0);
    expect(after.find((r) => r.indicator === summed!.indicator)).toMatchObject({
      lastYearValue: expected,
      lastYearFrom: "aggregated",
      previousFrom: null,
    });
    expect(after.find((r) => r.indicator === other!.indicator)).toMatchObject({ lastYearValue: 7, lastYearFrom: null });
  });
});
