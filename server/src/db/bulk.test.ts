import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testEngine } from "../testing/database";
import type { Database } from "./database";
import { copyRows, copyTextOf, insertJsonRows } from "./bulk";
import type { Schema } from "./schema";

// Values a COPY's text format must carry unchanged: its separators, escapes and NULL marker inside text,
// decimals that a binary float would spoil, Vietnamese text, empty strings against NULLs, arrays.
const odd = [
  { id: 1, n: 0.1, t: "tab\there", a: ["outlier"] },
  { id: 2, n: 12345678901234.568, t: "line\nbreak\r\nand CR", a: [] },
  { id: 3, n: -0.000001, t: "back\\slash \\N \\. \\t literal", a: ['quo"te', "back\\slash", "com,ma", "{brace}"] },
  { id: 4, n: null, t: null, a: ["NULL", ""] },
  { id: 5, n: 1e21, t: "", a: ["a b"] },
  { id: 6, n: 42, t: "Số liệu Cần Thơ — ước tính, “ngoặc” 'nháy' ½ 🇻🇳", a: ["Phường Ninh Kiều"] },
  { id: 7, n: 123456789.123456, t: "\\.", a: null },
  { id: 8, n: 0, t: "\t\n\\", a: [] },
];

describe(`COPY into tables on ${testEngine}`, () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
    await sql`CREATE TABLE copy_probe (id int PRIMARY KEY, n numeric, t text, a text[], at timestamptz, ok boolean)`.execute(
      database.db,
    );
  });
  afterAll(() => database.close());
  const db = () =>
    database.db.withTables<{ copy_probe: { id: number; n: number | null; t: string | null; a: string[] | null } }>();
  const table = "copy_probe" as keyof Schema;

  it("writes text with tabs, newlines, backslashes and quotes, NULLs, exact decimals and Vietnamese text as given", async () => {
    const at = new Date("2025-11-05T03:04:05.678Z");
    const n = await database.db.transaction().execute((trx) =>
      copyRows(
        trx,
        table,
        ["id", "n", "t", "a", "at", "ok"],
        odd.map((r) => [r.id, r.n, r.t, r.a, at, r.id % 2 === 0]),
      ),
    );
    expect(n).toBe(odd.length);
    const rows = await db().selectFrom("copy_probe").selectAll().orderBy("id").execute();
    expect(rows.map((r) => ({ id: r.id, n: r.n === null ? null : Number(r.n), t: r.t, a: r.a }))).toEqual(odd);
    // Decimals arrive as written, not as a binary float's expansion.
    const text = await sql<{ n: string }>`SELECT n::text AS n FROM copy_probe WHERE id IN (1, 2, 7) ORDER BY id`.execute(
      database.db,
    );
    expect(text.rows.map((r) => r.n)).toEqual(["0.1", "12345678901234.568", "123456789.123456"]);
    const times = await sql<{ at: Date; ok: boolean }>`SELECT at, ok FROM copy_probe WHERE id = 2`.execute(database.db);
    expect(new Date(times.rows[0]!.at).toISOString()).toBe(at.toISOString());
    expect(times.rows[0]!.ok).toBe(true);
  });

  it("stores what the JSON insert stores, value for value", async () => {
    await sql`CREATE TABLE copy_probe_json (LIKE copy_probe)`.execute(database.db);
    await insertJsonRows(database.db, "copy_probe_json" as keyof Schema & string, odd);
    const diff = await sql<{ n: number }>`SELECT count(*) AS n FROM (
      (SELECT id, n, t, a FROM copy_probe EXCEPT SELECT id, n, t, a FROM copy_probe_json)
      UNION ALL (SELECT id, n, t, a FROM copy_probe_json EXCEPT SELECT id, n, t, a FROM copy_probe)) d`.execute(database.db);
    expect(Number(diff.rows[0]!.n)).toBe(0);
  });

  it("is part of its transaction: a refused row writes nothing and a rollback takes the rows back", async () => {
    const before = await db().selectFrom("copy_probe").select("id").execute();
    // A duplicate key in the middle of the rows: the COPY fails whole.
    await expect(
      database.db.transaction().execute((trx) =>
        copyRows(
          trx,
          table,
          ["id", "t"],
          [
            [100, "a"],
            [1, "b"],
            [101, "c"],
          ],
        ),
      ),
    ).rejects.toThrow(/duplicate key|unique/i);
    await expect(
      database.db.transaction().execute(async (trx) => {
        await copyRows(trx, table, ["id", "t"], [[200, "x"]]);
        expect((await sql<{ n: number }>`SELECT count(*) AS n FROM copy_probe WHERE id = 200`.execute(trx)).rows[0]!.n).toBe(1);
        throw new Error("rollback");
      }),
    ).rejects.toThrow("rollback");
    expect(await db().selectFrom("copy_probe").select("id").execute()).toEqual(before);
    // The connection answers normally afterwards.
    expect((await sql<{ x: number }>`SELECT 1 AS x`.execute(database.db)).rows[0]!.x).toBe(1);
  });

  it("writes many rows in one statement", async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => [1000 + i, i / 10, `dòng ${i}\t${i}`]);
    await database.db.transaction().execute((trx) => copyRows(trx, table, ["id", "n", "t"], rows));
    const r = await sql<{
      n: number;
      s: string;
    }>`SELECT count(*) AS n, sum(n)::text AS s FROM copy_probe WHERE id >= 1000`.execute(database.db);
    expect(Number(r.rows[0]!.n)).toBe(20_000);
    // The exact decimal sum, not a binary float's.
    expect(r.rows[0]!.s).toBe("19999000.0");
  });

  it("escapes COPY's text format", () => {
    expect(
      copyTextOf([
        ["a\tb", null, 1.5, ['x"y', null]],
        ["\\N", "", true, []],
      ]),
    ).toBe('a\\tb\t\\N\t1.5\t{"x\\\\"y",NULL}\n\\\\N\t\tt\t{}\n');
  });
});
