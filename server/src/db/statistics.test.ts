import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "./database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";
import { analyzeChangedTables } from "./statistics";

/**
 * PGlite has no autovacuum: without these, a table filled after its indexes were made kept the statistics
 * of an empty one, and the wall's completeness query, planned as nested loops, ran for minutes.
 */
const START = Date.now();
const clock = () => new Date(Date.parse("2025-11-05T03:00:00Z") + (Date.now() - START));

let database: Database;
let app: App;
let admin: TestSession;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock });
  admin = await login(app, (await createUser(database, "admin")).username);
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

/** The planner's estimate of the rows a query returns. */
async function estimatedRows(query: string): Promise<number> {
  const plan = await sql.raw<{ "QUERY PLAN": string }>(`EXPLAIN ${query}`).execute(database.db);
  return Number(/rows=(\d+)/.exec(plan.rows[0]!["QUERY PLAN"])![1]);
}

describe(`the planner's statistics on ${testEngine}`, () => {
  it("are taken of the reference data as it is loaded: the areas are known by their number", async () => {
    const areas = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM areas`.execute(database.db)).rows[0]!.n);
    expect(areas).toBeGreaterThan(10_000);
    const estimate = await estimatedRows("SELECT * FROM areas");
    expect(estimate).toBeGreaterThan(areas * 0.9);
    expect(estimate).toBeLessThan(areas * 1.1);
  });

  it("are refreshed for the figures once an import changed them, then left alone while nothing changes", async () => {
    const communes = (
      await database.db.selectFrom("areas").select("id").where("parent_id", "=", "92").where("valid_to", "is", null).execute()
    ).map((a) => a.id);
    const lines = ["indicator,area,period,value"];
    for (const indicator of ["CT.A.I.1", "CT.A.I.2", "CT.A.I.3", "CT.A.I.4"])
      communes.forEach((area, a) => lines.push(`${indicator},${area},2025M08,${a + 1}`));
    const imported = await app.inject({
      method: "POST",
      url: "/api/data-values/import?format=csv",
      headers: { ...admin.headers(true), "content-type": "text/csv" },
      payload: lines.join("\n"),
    });
    expect(imported.statusCode, imported.body).toBe(200);
    const written = lines.length - 1;

    // Each server connection reports its changes to the statistics a moment after it goes idle.
    let analyzed: string[] = [];
    for (let i = 0; i < 60 && !analyzed.includes("data_values"); i++) {
      analyzed = [...analyzed, ...(await analyzeChangedTables(database.db))];
      if (!analyzed.includes("data_values")) await new Promise((r) => setTimeout(r, 500));
    }
    // The partitioned table, not its partition: analyzing it takes every partition and the whole.
    expect(analyzed).toContain("data_values");
    expect(analyzed.some((t) => t.startsWith("data_values_y"))).toBe(false);
    const estimate = await estimatedRows("SELECT * FROM data_values WHERE period = '2025M08'");
    expect(estimate).toBeGreaterThan(written / 2);
    expect(estimate).toBeLessThan(written * 2);

    expect(await analyzeChangedTables(database.db)).not.toContain("data_values");
  });
});
