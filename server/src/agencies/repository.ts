import type { Executor } from "../db/bulk";
import { pageWithTotal } from "../db/paging";
import { insertJsonRows } from "../db/bulk";
import type { AgenciesTable, AgencyAliasesTable } from "../db/schema";
import { escapeLike } from "../areas/repository";

export type AgencyRow = Omit<AgenciesTable, "search_text">;

export interface AgencyFilter {
  q?: string;
  level?: string;
  kind?: string;
  province?: string;
  /** Include agencies dissolved in the 2025 mergers (default true: documents still name them). */
  includeDissolved: boolean;
  limit: number;
  offset: number;
}

const columns = ["code", "name", "level", "kind", "province_code", "dissolved_on", "successor_code", "note"] as const;

export function agencyRepository(db: Executor) {
  function filtered(f: AgencyFilter) {
    let query = db.selectFrom("agencies");
    if (f.q) {
      // search_text holds the folded code, name and every alias.
      query = query.where("search_text", "like", `%${escapeLike(f.q)}%`);
    }
    if (f.level) query = query.where("level", "=", f.level);
    if (f.kind) query = query.where("kind", "=", f.kind);
    if (f.province) query = query.where("province_code", "=", f.province);
    if (!f.includeDissolved) query = query.where("dissolved_on", "is", null);
    return query;
  }

  return {
    async list(f: AgencyFilter): Promise<{ items: AgencyRow[]; total: number }> {
      return pageWithTotal(filtered(f), (query) =>
        query.select(columns).orderBy("level").orderBy("code").limit(f.limit).offset(f.offset),
      );
    },

    async all(): Promise<AgencyRow[]> {
      return db.selectFrom("agencies").select(columns).execute();
    },

    async aliases(codes: readonly string[]): Promise<Pick<AgencyAliasesTable, "agency_code" | "alias">[]> {
      if (codes.length === 0) return [];
      return db
        .selectFrom("agency_aliases")
        .select(["agency_code", "alias"])
        .where("agency_code", "in", codes)
        .orderBy("alias")
        .execute();
    },

    async insertAll(agencies: AgenciesTable[], aliases: AgencyAliasesTable[]): Promise<void> {
      await insertJsonRows(db, "agencies", agencies as unknown as Record<string, unknown>[]);
      await insertJsonRows(db, "agency_aliases", aliases as unknown as Record<string, unknown>[]);
    },
  };
}
