import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, testEngine } from "../testing/database";
import { openDatabase } from "./database";
import { migrate, readMigrations, rollbackAll } from "./migrate";

describe(`migrations on ${testEngine}`, () => {
  it("apply in order, roll back completely and apply again", async () => {
    const database = await createTestDatabase();
    try {
      const names = readMigrations().map((m) => m.name);
      expect([...names].sort()).toEqual(names);
      expect(await migrate(database.db)).toEqual([]); // already applied by createTestDatabase
      expect(await rollbackAll(database.db)).toEqual([...names].reverse());
      const tables = await sql<{ n: number }>`SELECT count(*) AS n FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_name = 'indicators'`.execute(database.db);
      expect(Number(tables.rows[0]!.n)).toBe(0);
      expect(await migrate(database.db)).toEqual(names);
    } finally {
      await database.close();
    }
  });
});

describe("embedded database on disk", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "dieuhanh-pglite-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps its data across a restart", async () => {
    const first = await openDatabase({ dataDir: dir });
    await migrate(first.db);
    await first.db
      .insertInto("areas")
      .values({
        id: "VN",
        code: "VN",
        level: "nation",
        parent_id: null,
        name: "Việt Nam",
        full_name: "Việt Nam",
        name_en: null,
        unit_type: "Quốc gia",
        valid_from: null,
        valid_to: null,
        area_km2: null,
        search_text: "viet nam",
      })
      .execute();
    await first.close();

    const second = await openDatabase({ dataDir: dir });
    expect(await migrate(second.db)).toEqual([]);
    const row = await second.db.selectFrom("areas").select("name").where("id", "=", "VN").executeTakeFirst();
    expect(row?.name).toBe("Việt Nam");
    await second.close();
  });
});
