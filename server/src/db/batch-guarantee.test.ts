import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PreparedRow } from "../datavalues/validation";
import { latestVersions } from "../datavalues/validation";
import { WRITE_PART_ROWS, writeRows, writeRowsInParts } from "../datavalues/writer";
import { removeSampleData } from "../demo/load";
import { loadReferenceData } from "../reference/load";
import { createTestDatabase, testEngine } from "../testing/database";
import type { Database } from "./database";

/**
 * The figures keep no foreign key to their batch, and the undo journal none to its batch either (Citus:
 * distributed tables cannot point at the local `data_batches`; docs/decisions/0010). What the keys
 * guaranteed must still hold: a batch is deleted only with (after) its figures and its journal.
 */
let database: Database;
let rows: PreparedRow[];
const ctx = { principal: null, ip: null, userAgent: "test" };
const now = new Date("2025-11-05T03:00:00Z");

const orphans = async () =>
  (
    await sql<{ values: number; journal: number }>`SELECT
      (SELECT count(*) FROM data_values v WHERE v.batch_id IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM data_batches b WHERE b.id = v.batch_id))::int AS values,
      (SELECT count(*) FROM data_batch_undo u WHERE NOT EXISTS (SELECT 1 FROM data_batches b WHERE b.id = u.batch_id))::int AS journal`.execute(
      database.db,
    )
  ).rows[0];

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  const communes = (
    await database.db
      .selectFrom("areas")
      .select("id")
      .where("parent_id", "=", "92")
      .where("level", "=", "commune")
      .orderBy("id")
      .execute()
  ).map((a) => a.id);
  const months = ["2025M07", "2025M08", "2025M09"];
  rows = ["CT.A.I.1", "CT.A.I.2"].flatMap((indicator) =>
    communes.flatMap((area) =>
      months.map((period): PreparedRow => ({
        indicator,
        area,
        period,
        periodType: "month",
        disaggregation: "",
        value: 1,
        valueText: null,
        comment: null,
        action: "upsert",
        agency: null,
        flags: [],
      })),
    ),
  );
}, 300_000);

afterAll(() => database?.close());

describe(`a batch is never deleted while figures name it, on ${testEngine}`, () => {
  it("a batch written in parts and undone takes its figures and its journal with it", async () => {
    expect(rows.length).toBeGreaterThan(WRITE_PART_ROWS);
    await database.db
      .transaction()
      .execute((trx) => writeRows(trx, ctx, rows, { channel: "csv", status: "submitted" }, { dryRun: false, now }));
    const changed = rows.map((r) => ({ ...r, value: 2 }));
    await expect(
      writeRowsInParts(
        database.db,
        ctx,
        changed,
        { channel: "csv", status: "submitted" },
        {
          dryRun: false,
          now,
          latest: await latestVersions(database.db, changed),
          afterWrite: () => Promise.reject(new Error("after the write")),
        },
      ),
    ).rejects.toThrow("after the write");
    expect(await orphans()).toEqual({ values: 0, journal: 0 });
    const batches = await database.db.selectFrom("data_batches").select("id").execute();
    expect(batches).toHaveLength(1); // the first write's; the undone one is gone with its figures
    expect(await database.db.selectFrom("data_batch_undo").select("batch_id").execute()).toEqual([]);
  }, 300_000);

  it("removing the sample figures removes their batches only after them, reviews of samples included", async () => {
    const sample = rows.slice(0, 20).map((r) => ({ ...r, indicator: "CT.A.I.3", value: 5 }));
    await database.db
      .transaction()
      .execute((trx) => writeRows(trx, ctx, sample, { channel: "sample", status: "submitted" }, { dryRun: false, now }));
    // A review restates sample figures: its versions stay sample, in a batch of the review channel.
    await database.db
      .transaction()
      .execute((trx) =>
        writeRows(trx, ctx, sample.slice(0, 5), { channel: "review", status: "approved" }, { dryRun: false, now }),
      );
    const sampleBatches = await database.db.selectFrom("data_batches").select("id").where("channel", "=", "sample").execute();
    expect(sampleBatches).toHaveLength(1);
    expect(await removeSampleData(database.db)).toBe(25);
    expect(await orphans()).toEqual({ values: 0, journal: 0 });
    expect(await database.db.selectFrom("data_batches").select("id").where("channel", "=", "sample").execute()).toEqual([]);
    const left = await sql<{ n: number }>`SELECT count(*)::int AS n FROM data_values WHERE source = 'sample'`.execute(
      database.db,
    );
    expect(left.rows[0]!.n).toBe(0);
  }, 300_000);
});
