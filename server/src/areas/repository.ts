import { sql } from "kysely";
import type { Executor } from "../db/bulk";
import { pageWithTotal } from "../db/paging";
import { insertJsonRows } from "../db/bulk";
import { refuseRemovingWithFigures } from "../datavalues/guard";
import type { AreaLevel, AreaMergesTable, AreasTable } from "../db/schema";

export type AreaRow = Omit<AreasTable, "search_text">;

export interface AreaFilter {
  level?: AreaLevel;
  parentId?: string;
  /** Only units valid on this date. */
  at: string;
  /** Folded search text. */
  q?: string;
  limit: number;
  offset: number;
}

const columns = [
  "id",
  "code",
  "level",
  "parent_id",
  "name",
  "full_name",
  "name_en",
  "unit_type",
  "valid_from",
  "valid_to",
  "area_km2",
] as const;

export function areaRepository(db: Executor) {
  /** Units in force on `at`. */
  function validOn(at: string) {
    return db
      .selectFrom("areas")
      .where((eb) => eb.or([eb("valid_from", "is", null), eb("valid_from", "<=", at)]))
      .where((eb) => eb.or([eb("valid_to", "is", null), eb("valid_to", ">=", at)]));
  }

  function filtered(filter: AreaFilter) {
    let query = validOn(filter.at);
    if (filter.level) query = query.where("level", "=", filter.level);
    if (filter.parentId) query = query.where("parent_id", "=", filter.parentId);
    if (filter.q) query = query.where("search_text", "like", `%${escapeLike(filter.q)}%`);
    return query;
  }

  /** The areas on the other side of the 2025 merge mapping from `id`. */
  function merges(side: "new_area_id" | "old_area_id", id: string, other: "new_area_id" | "old_area_id") {
    return db
      .selectFrom("area_merges as m")
      .innerJoin("areas as a", "a.id", `m.${other}`)
      .select(["a.id", "a.code", "a.level", "a.name", "a.full_name", "a.parent_id", "m.merge_type"])
      .where(`m.${side}`, "=", id)
      .orderBy("a.code")
      .execute();
  }

  return {
    async list(filter: AreaFilter): Promise<{ items: AreaRow[]; total: number }> {
      return pageWithTotal(filtered(filter), (query) =>
        query.select(columns).orderBy("level").orderBy("code").limit(filter.limit).offset(filter.offset),
      );
    },

    async findById(id: string): Promise<AreaRow | undefined> {
      return db.selectFrom("areas").select(columns).where("id", "=", id).executeTakeFirst();
    },

    /** The unit carrying an official code on a date (codes were reused across the 2025 reform). */
    async findByCodeAt(code: string, at: string): Promise<AreaRow | undefined> {
      return validOn(at).select(columns).where("code", "=", code).executeTakeFirst();
    },

    async countChildren(id: string): Promise<number> {
      const r = await db
        .selectFrom("areas")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("parent_id", "=", id)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    /** Old units merged into `newId`. */
    mergedFrom: (newId: string) => merges("new_area_id", newId, "old_area_id"),

    /** New units that `oldId` went into. */
    mergedInto: (oldId: string) => merges("old_area_id", oldId, "new_area_id"),

    /** Replaces every area; refused when an area that goes away has figures (datavalues/guard.ts). */
    async replaceAll(areas: AreasTable[], merges: AreaMergesTable[]): Promise<void> {
      const kept = new Set(areas.map((a) => a.id));
      const before = (await db.selectFrom("areas").select("id").execute()).map((r) => r.id);
      await refuseRemovingWithFigures(db, { areas: before.filter((id) => !kept.has(id)) });
      await sql`DELETE FROM area_merges`.execute(db);
      await sql`UPDATE catalogues SET issuing_area_id = NULL`.execute(db);
      await sql`DELETE FROM areas`.execute(db);
      // Parents first: the nation, then provinces, then communes.
      const order = { nation: 0, province: 1, district: 2, commune: 3 } as const;
      const sorted = [...areas].sort((a, b) => order[a.level] - order[b.level]);
      await insertJsonRows(db, "areas", sorted as unknown as Record<string, unknown>[]);
      await insertJsonRows(db, "area_merges", merges as unknown as Record<string, unknown>[]);
    },
  };
}

/** Escapes LIKE wildcards in user text. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
