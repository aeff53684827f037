import { sql, type Insertable, type Selectable } from "kysely";
import type { Executor } from "../db/bulk";
import { pageWithTotal } from "../db/paging";
import { insertJsonRows } from "../db/bulk";
import type { RowKind } from "@dieuhanh/core";
import type { CatalogueGroupsTable, CataloguesTable, IndicatorAgenciesTable, IndicatorsTable } from "../db/schema";
import { escapeLike } from "../areas/repository";

export type IndicatorRow = Omit<Selectable<IndicatorsTable>, "search_text">;

export interface IndicatorFilter {
  catalogueId?: string;
  group?: string;
  subgroup?: string;
  kind?: RowKind;
  /** Any of these agency codes, as responsible agency. */
  agencyCodes?: string[];
  periodType?: string;
  q?: string;
  limit: number;
  offset: number;
}

export function catalogueRepository(db: Executor) {
  function filtered(f: IndicatorFilter) {
    let query = db.selectFrom("indicators as i");
    if (f.catalogueId) query = query.where("i.catalogue_id", "=", f.catalogueId);
    if (f.group) query = query.where("i.group_code", "=", f.group);
    if (f.subgroup) query = query.where("i.subgroup_code", "=", f.subgroup);
    if (f.kind) query = query.where("i.kind", "=", f.kind);
    if (f.periodType) query = query.where(sql<boolean>`${f.periodType} = ANY(i.period_types)`);
    if (f.q) query = query.where("i.search_text", "like", `%${escapeLike(f.q)}%`);
    if (f.agencyCodes) {
      const codes = f.agencyCodes;
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom("indicator_agencies as ia")
            .select("ia.indicator_code")
            .whereRef("ia.indicator_code", "=", "i.code")
            .where("ia.role", "=", "responsible")
            .where("ia.agency_code", "in", codes.length ? codes : [""]),
        ),
      );
    }
    return query;
  }

  return {
    async listCatalogues() {
      return db.selectFrom("catalogues").selectAll().orderBy("loaded_at").orderBy("id").execute();
    },

    async findCatalogue(id: string) {
      return db.selectFrom("catalogues").selectAll().where("id", "=", id).executeTakeFirst();
    },

    async groups(catalogueIds: readonly string[]) {
      if (catalogueIds.length === 0) return [];
      return db.selectFrom("catalogue_groups").selectAll().where("catalogue_id", "in", catalogueIds).orderBy("seq").execute();
    },

    /** Row counts per catalogue, group and sub-group. */
    async countsByGroup(catalogueIds: readonly string[]) {
      if (catalogueIds.length === 0) return [];
      const rows = await db
        .selectFrom("indicators")
        .select(["catalogue_id", "group_code", "subgroup_code", "kind", (eb) => eb.fn.countAll<number>().as("n")])
        .where("catalogue_id", "in", catalogueIds)
        .groupBy(["catalogue_id", "group_code", "subgroup_code", "kind"])
        .execute();
      return rows.map((r) => ({ ...r, n: Number(r.n) }));
    },

    async listIndicators(f: IndicatorFilter): Promise<{ items: IndicatorRow[]; total: number }> {
      const { items, total } = await pageWithTotal(filtered(f), (query) =>
        query
          .selectAll("i")
          .select(sql<string>`''`.as("search_text"))
          .orderBy("i.catalogue_id")
          .orderBy("i.seq")
          .limit(f.limit)
          .offset(f.offset),
      );
      return { items: items.map(({ search_text: _unused, ...rest }) => rest), total };
    },

    async findIndicator(code: string): Promise<IndicatorRow | undefined> {
      const row = await db.selectFrom("indicators").selectAll().where("code", "=", code).executeTakeFirst();
      if (!row) return undefined;
      const { search_text: _unused, ...rest } = row;
      return rest;
    },

    async indicatorsByCodes(codes: readonly string[]) {
      if (codes.length === 0) return [];
      return db
        .selectFrom("indicators")
        .select(["code", "catalogue_id", "name", "kind", "stt"])
        .where("code", "in", codes)
        .execute();
    },

    async children(code: string) {
      return db
        .selectFrom("indicators")
        .select(["code", "catalogue_id", "name", "kind", "stt"])
        .where("parent_code", "=", code)
        .orderBy("seq")
        .execute();
    },

    /** Provincial rows that implement a national indicator. */
    async implementations(nationalCode: string) {
      return db
        .selectFrom("indicators")
        .select(["code", "catalogue_id", "name", "kind", "stt"])
        .where("national_code", "=", nationalCode)
        .orderBy("catalogue_id")
        .orderBy("seq")
        .execute();
    },

    async agenciesOf(indicatorCodes: readonly string[]) {
      if (indicatorCodes.length === 0) return [];
      return db
        .selectFrom("indicator_agencies as ia")
        .innerJoin("agencies as a", "a.code", "ia.agency_code")
        .select([
          "ia.indicator_code",
          "ia.role",
          "ia.position",
          "ia.as_written",
          "a.code",
          "a.name",
          "a.dissolved_on",
          "a.successor_code",
        ])
        .where("ia.indicator_code", "in", indicatorCodes)
        .orderBy("ia.indicator_code")
        .orderBy("ia.role")
        .orderBy("ia.position")
        .execute();
    },

    async insertCatalogue(
      catalogue: Omit<CataloguesTable, "version" | "loaded_at">,
      groups: CatalogueGroupsTable[],
      indicators: Insertable<IndicatorsTable>[],
      agencies: IndicatorAgenciesTable[],
    ): Promise<void> {
      await db.insertInto("catalogues").values(catalogue).execute();
      await insertJsonRows(db, "catalogue_groups", groups as unknown as Record<string, unknown>[]);
      await insertJsonRows(db, "indicators", indicators as unknown as Record<string, unknown>[]);
      await insertJsonRows(db, "indicator_agencies", agencies as unknown as Record<string, unknown>[]);
    },
  };
}

/**
 * The area a catalogue serves today, from its issuing area and the area that issuing area merged into
 * (`area_merges.new_area_id`): the nation, or the province a pre-reform province became part of.
 */
export function servedArea(c: { issuing_area_id: string | null; new_area_id: string | null }): string {
  return c.new_area_id ?? c.issuing_area_id ?? "VN";
}
