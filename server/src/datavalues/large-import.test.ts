import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { countDataValueRows, createTestDatabase, testEngine } from "../testing/database";
import type { DataValueRow } from "./repository";
import { latestVersions, type PreparedRow } from "./validation";
import { recoverUnfinishedBatches, restated, SimulatedCrash, WRITE_PART_ROWS, writeRowsInParts } from "./writer";

/** 5 November 2025 in Hà Nội: July to September are over (and locked, which an administrator may pass). */
const START = Date.now();
const clock = () => new Date(Date.parse("2025-11-05T03:00:00Z") + (Date.now() - START));

let database: Database;
let app: App;
let admin: TestSession;
let communes: string[];
let indicators: string[];
const months = ["2025M07", "2025M08", "2025M09"];

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock });
  admin = await login(app, (await createUser(database, "admin")).username);
  communes = (
    await database.db
      .selectFrom("areas")
      .select("id")
      .where("parent_id", "=", "92")
      .where("level", "=", "commune")
      .orderBy("id")
      .execute()
  ).map((a) => a.id);
  indicators = (
    await database.db
      .selectFrom("indicators")
      .select("code")
      .where("code", "in", ["CT.A.I.1", "CT.A.I.2", "CT.A.I.3", "CT.A.I.4", "CT.A.I.5"])
      .orderBy("code")
      .execute()
  ).map((i) => i.code);
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

/** Commune figures of five Cần Thơ indicators over three months: more rows than one transaction writes. */
function csv(value: (a: number, m: number) => number) {
  const lines = ["indicator,area,period,value"];
  for (const indicator of indicators)
    communes.forEach((area, a) => months.forEach((period, m) => lines.push(`${indicator},${area},${period},${value(a, m)}`)));
  return { body: lines.join("\n"), rows: lines.length - 1 };
}
const importCsv = (body: string) =>
  app.inject({
    method: "POST",
    url: "/api/data-values/import?format=csv",
    headers: { ...admin.headers(true), "content-type": "text/csv" },
    payload: body,
  });
const figure = async (indicator: string, area: string, period: string) =>
  (
    await app.inject({
      url: `/api/data-values?${new URLSearchParams({ indicator, area, period })}`,
      headers: admin.headers(),
    })
  ).json().items as { value: number; version: number; published: boolean }[];

describe(`a large import written in parts on ${testEngine}`, () => {
  it("undoes every part already written when a later part fails: the figures it replaced stand again, published", async () => {
    // Figures already standing for the first commune: the import replaces them in its first part.
    const standing = indicators.map((indicator) => ({ indicator, area: communes[0]!, period: months[0]!, value: 7 }));
    const first = await app.inject({
      method: "POST",
      url: "/api/data-values",
      headers: admin.headers(true),
      payload: { values: standing, status: "submitted" },
    });
    expect(first.json()).toMatchObject({ created: indicators.length });
    const rowsBefore = await countDataValueRows(database);
    const batchesBefore = Number(
      (await sql<{ n: number }>`SELECT count(*) AS n FROM data_batches`.execute(database.db)).rows[0]!.n,
    );

    // The database refuses the very last figure of the file (a failure after the first parts are written).
    const last = { indicator: indicators.at(-1)!, area: communes.at(-1)!, period: months.at(-1)! };
    await sql
      .raw(
        `CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
           IF NEW.indicator_code = '${last.indicator}' AND NEW.area_id = '${last.area}' AND NEW.period = '${last.period}'
           THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER refuse_one BEFORE INSERT ON data_values FOR EACH ROW EXECUTE FUNCTION refuse_one();`,
      )
      .execute(database.db);
    const file = csv((a, m) => 100 + a + m);
    expect(file.rows).toBeGreaterThan(1500);
    const failed = await importCsv(file.body);
    expect(failed.statusCode).toBeGreaterThanOrEqual(500);

    // Nothing changed: no version added, the standing figures current and published again, no batch.
    expect(await countDataValueRows(database)).toBe(rowsBefore);
    for (const s of standing)
      expect(await figure(s.indicator, s.area, s.period)).toMatchObject([{ value: 7, version: 1, published: true }]);
    const current = await sql<{ n: number }>`SELECT count(*) AS n FROM data_values WHERE superseded_at IS NULL`.execute(
      database.db,
    );
    expect(Number(current.rows[0]!.n)).toBe(indicators.length);
    expect(Number((await sql<{ n: number }>`SELECT count(*) AS n FROM data_batches`.execute(database.db)).rows[0]!.n)).toBe(
      batchesBefore,
    );
    // The attempt is in the audit trail: the batch as it was to be written, then its undoing.
    const audit = await database.db
      .selectFrom("audit_log")
      .select(["outcome", "reason"])
      .where("action", "=", "data_value.write")
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirstOrThrow();
    expect(audit.outcome).toBe("failure");
    expect(audit.reason).toContain("hoàn lại");

    // Once the database takes it, the same file is written whole.
    await sql.raw("DROP TRIGGER refuse_one ON data_values; DROP FUNCTION refuse_one();").execute(database.db);
    const written = await importCsv(file.body);
    expect(written.statusCode, written.body).toBe(200);
    expect(written.json()).toMatchObject({ created: file.rows - indicators.length, updated: indicators.length });
    expect(await figure(last.indicator, last.area, last.period)).toMatchObject([
      { value: 100 + communes.length - 1 + months.length - 1, published: true },
    ]);
    expect(await figure(indicators[0]!, communes[0]!, months[0]!)).toMatchObject([{ value: 100, version: 2, published: true }]);
  }, 180_000);

  it("refuses a large file with one bad row and writes none of it", async () => {
    const rowsBefore = await countDataValueRows(database);
    const file = csv((a, m) => 200 + a + m);
    const bad = file.body.replace(/,\d+$/, ",không rõ");
    const refused = await importCsv(bad);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toEqual([expect.objectContaining({ field: "value" })]);
    expect(await countDataValueRows(database)).toBe(rowsBefore);
  }, 120_000);
});

describe(`a large batch a crash leaves half-written on ${testEngine}`, () => {
  it("is undone by the recovery run at start: the figures, their versions and what is published stand as before", async () => {
    // Whatever the earlier tests left standing (or a fresh file when run alone) is what the batch replaces.
    if ((await countDataValueRows(database)) === 0)
      expect((await importCsv(csv((a, m) => 300 + a + m).body)).statusCode).toBe(200);
    const state = async () =>
      (
        await sql<{ id: string; value: string | null; superseded: boolean; unpublished: boolean; published: boolean }>`
          SELECT id, value, superseded_at IS NOT NULL AS superseded, unpublished_at IS NOT NULL AS unpublished,
            published_at IS NOT NULL AS published FROM data_values ORDER BY id`.execute(database.db)
      ).rows;
    const before = await state();
    const current = await database.db.selectFrom("data_values").selectAll().where("superseded_at", "is", null).execute();
    expect(current.length).toBeGreaterThan(2 * WRITE_PART_ROWS);
    const rows = current.map((v) => ({
      ...restated(v as DataValueRow, v.period_type as PreparedRow["periodType"]),
      value: Number(v.value) + 1000,
    }));
    const ctx = { principal: null, ip: null, userAgent: "test" };

    // The process "dies" after its second part: nothing in-process undoes what the two parts wrote.
    let batchId = "";
    await expect(
      writeRowsInParts(
        database.db,
        ctx,
        rows,
        { channel: "csv", status: "submitted" },
        {
          dryRun: false,
          now: clock(),
          latest: await latestVersions(database.db, rows),
          afterPart: async (id, part) => {
            batchId = id;
            if (part === 1) throw new SimulatedCrash("killed");
          },
        },
      ),
    ).rejects.toBeInstanceOf(SimulatedCrash);
    expect(await countDataValueRows(database)).toBe(before.length + 2 * WRITE_PART_ROWS);
    expect(await state()).not.toEqual(before);

    // The next start finds the batch unfinished and undoes it.
    expect(await recoverUnfinishedBatches(database.db)).toBe(1);
    expect(await state()).toEqual(before);
    const batch = await database.db.selectFrom("data_batches").select("id").where("id", "=", batchId).execute();
    expect(batch).toEqual([]);
    const journal = await database.db.selectFrom("data_batch_undo").select("value_id").execute();
    expect(journal).toEqual([]);
    const audit = await database.db
      .selectFrom("audit_log")
      .select(["action", "outcome", "reason"])
      .where("entity_id", "=", batchId)
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ action: "data_value.write", outcome: "failure" });
    expect(audit.reason).toContain("gián đoạn");
    // A second start finds nothing left to undo.
    expect(await recoverUnfinishedBatches(database.db)).toBe(0);
  }, 180_000);
});
