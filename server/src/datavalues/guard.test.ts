import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { areaRepository } from "../areas/repository";
import { loadReferenceData } from "../reference/load";
import { createTestDatabase, testEngine } from "../testing/database";
import { refuseRemovingWithFigures } from "./guard";

// data_values keeps no foreign keys to indicators and areas (migration 20261202T0300): code that deletes them
// (the reference data reload) refuses to drop one that has figures.
describe(`deleting an indicator or an area that has figures, on ${testEngine}`, () => {
  let database: Database;
  const db = () => database.db;
  beforeAll(async () => {
    database = await createTestDatabase();
    await loadReferenceData(database.db);
  }, 900_000);
  afterAll(() => database.close());

  /** A copy of an indicator (or area) under a new code: something the next reload removes. */
  async function extraIndicator(code: string) {
    await sql`CREATE TEMP TABLE extra_indicator AS SELECT * FROM indicators WHERE code = 'CT.A.I.3'`.execute(db());
    await sql`UPDATE extra_indicator SET code = ${code}, seq = 999999, search_text = ${code}`.execute(db());
    await sql`INSERT INTO indicators SELECT * FROM extra_indicator`.execute(db());
    await sql`DROP TABLE extra_indicator`.execute(db());
  }
  async function extraArea(id: string) {
    await sql`CREATE TEMP TABLE extra_area AS SELECT * FROM areas WHERE id = '92'`.execute(db());
    await sql`UPDATE extra_area SET id = ${id}, code = ${id}, name = 'Đơn vị thử', search_text = ${id}`.execute(db());
    await sql`INSERT INTO areas SELECT * FROM extra_area`.execute(db());
    await sql`DROP TABLE extra_area`.execute(db());
  }
  const figure = (indicator: string, area: string) =>
    sql`INSERT INTO data_values (indicator_code, area_id, period, period_type, version, value, status, source)
      VALUES (${indicator}, ${area}, '2024M05', 'month', 1, 12.5, 'submitted', 'api')`.execute(db());
  const count = async (q: string) =>
    Number((await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.raw(q)}`.execute(db())).rows[0]!.n);

  it("refuses removing an indicator with figures, naming it in Vietnamese", async () => {
    await extraIndicator("CT.THU.XOA");
    await figure("CT.THU.XOA", "92");
    const error = await refuseRemovingWithFigures(db(), { indicators: ["CT.THU.XOA", "CT.KHONG.CO"] }).then(
      () => new Error("không bị từ chối"),
      (e: unknown) => e as Error,
    );
    expect(error.message).toContain("Không thể xóa 1 chỉ số đã có số liệu: CT.THU.XOA");
    expect(error.message).toMatch(/Số liệu đã ghi không được mất/);
    await expect(refuseRemovingWithFigures(db(), { indicators: ["CT.KHONG.CO"] })).resolves.toBeUndefined();
  });

  it("refuses replacing the areas without one that has figures, and changes nothing", async () => {
    await extraArea("92999");
    await figure("CT.A.I.3", "92999");
    const areas = await count("areas");
    const kept = await db().selectFrom("areas").selectAll().where("id", "!=", "92999").execute();
    const error = await db()
      .transaction()
      .execute((trx) => areaRepository(trx).replaceAll(kept, []))
      .then(
        () => new Error("không bị từ chối"),
        (e: unknown) => e as Error,
      );
    expect(error.message).toContain("Không thể xóa 1 đơn vị hành chính đã có số liệu: 92999");
    expect(await count("areas")).toBe(areas);
  });
});
