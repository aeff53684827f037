import type { Insertable, Selectable } from "kysely";
import type { Executor } from "../db/bulk";
import { pageWithTotal } from "../db/paging";
import type { DataValuesTable } from "../db/schema";

export type DataValueRow = Selectable<DataValuesTable>;

export interface DataValueKey {
  indicatorCode: string;
  areaId: string;
  period: string;
  disaggregation: string;
}

export interface DataValueFilter {
  indicatorCode?: string;
  areaIds?: string[];
  period?: string;
  /** Only areas in this set (the caller's scope). */
  scopeAreaIds?: Set<string>;
  /** The values as they stood at this instant; current values when absent. */
  asOf?: Date;
  limit: number;
  offset: number;
}

export function dataValueRepository(db: Executor) {
  function filtered(f: DataValueFilter) {
    let q = db.selectFrom("data_values");
    if (f.indicatorCode) q = q.where("indicator_code", "=", f.indicatorCode);
    if (f.areaIds) q = q.where("area_id", "in", f.areaIds.length ? f.areaIds : [""]);
    if (f.scopeAreaIds) q = q.where("area_id", "in", f.scopeAreaIds.size ? [...f.scopeAreaIds] : [""]);
    if (f.period) q = q.where("period", "=", f.period);
    if (f.asOf) {
      const t = f.asOf;
      q = q.where("recorded_at", "<=", t).where((eb) => eb.or([eb("superseded_at", "is", null), eb("superseded_at", ">", t)]));
    } else {
      q = q.where("superseded_at", "is", null);
    }
    return q;
  }

  return {
    async current(key: DataValueKey): Promise<DataValueRow | undefined> {
      return db
        .selectFrom("data_values")
        .selectAll()
        .where("indicator_code", "=", key.indicatorCode)
        .where("area_id", "=", key.areaId)
        .where("period", "=", key.period)
        .where("disaggregation", "=", key.disaggregation)
        .where("superseded_at", "is", null)
        .executeTakeFirst();
    },

    async supersede(id: string, at: Date): Promise<void> {
      await db
        .updateTable("data_values")
        .set({ superseded_at: at })
        .where("id", "=", id)
        .where("superseded_at", "is", null)
        .execute();
    },

    async insert(row: Insertable<DataValuesTable>): Promise<DataValueRow> {
      return db.insertInto("data_values").values(row).returningAll().executeTakeFirstOrThrow();
    },

    async list(f: DataValueFilter) {
      return pageWithTotal(filtered(f), (query) =>
        query
          .selectAll()
          .orderBy("indicator_code")
          .orderBy("area_id")
          .orderBy("period")
          .orderBy("disaggregation")
          .limit(f.limit)
          .offset(f.offset),
      );
    },

    async responsibleAgencies(indicatorCodes: readonly string[]) {
      if (indicatorCodes.length === 0) return [];
      return db
        .selectFrom("indicator_agencies")
        .select(["indicator_code", "agency_code"])
        .where("indicator_code", "in", indicatorCodes)
        .where("role", "=", "responsible")
        .execute();
    },
  };
}
