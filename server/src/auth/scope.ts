import { sql } from "kysely";
import type { Executor } from "../db/bulk";
import { agencyRepository } from "../agencies/repository";
import { withPredecessors } from "../agencies/succession";
import type { Principal } from "./principal";

/**
 * Scope checks the services apply to the data a request touches: an agency list (with the agencies
 * that merged into them, whose names older documents still use) and an area subtree (with the
 * pre-reform units merged into it, so a province's officials also reach its history).
 */
export function scopeChecker(db: Executor) {
  const areaCache = new Map<string, Set<string>>();

  /** Every area id within `rootId`: its descendants, and old units merged into any of them. */
  async function subtree(rootId: string): Promise<Set<string>> {
    const cached = areaCache.get(rootId);
    if (cached) return cached;
    const rows = await sql<{ id: string }>`
      WITH RECURSIVE sub(id) AS (
        SELECT id FROM areas WHERE id = ${rootId}
        UNION
        SELECT link.id FROM sub JOIN (
          SELECT id, parent_id AS up FROM areas
          UNION ALL
          SELECT old_area_id, new_area_id FROM area_merges
        ) AS link ON link.up = sub.id
      )
      SELECT id FROM sub`.execute(db);
    const set = new Set(rows.rows.map((r) => r.id));
    areaCache.set(rootId, set);
    return set;
  }

  let reachableCache: { key: string; codes: Set<string> } | null = null;
  /** The agencies a scope reaches: its own and those merged into them (computed once per checker). */
  async function reachable(principal: Principal): Promise<Set<string> | null> {
    if (principal.scope.agencies === null) return null;
    const key = principal.scope.agencies.join(",");
    if (reachableCache?.key === key) return reachableCache.codes;
    const all = await agencyRepository(db).all();
    const codes = new Set(principal.scope.agencies.flatMap((code) => withPredecessors(code, all)));
    reachableCache = { key, codes };
    return codes;
  }

  return {
    subtree,
    reachable,

    async coversArea(principal: Principal, areaId: string): Promise<boolean> {
      if (principal.scope.areaId === null) return true;
      return (await subtree(principal.scope.areaId)).has(areaId);
    },

    /**
     * Is one of these agencies within the scope in both senses: one of its agencies (or merged into one),
     * and seated within its area (a national agency only for callers without an area)? For data that
     * belongs to agencies, such as tasks, their reports and files.
     */
    async coversAgencyInArea(principal: Principal, agencyCodes: readonly string[]): Promise<boolean> {
      const codes = await reachable(principal);
      const inAgencies = agencyCodes.filter((code) => codes === null || codes.has(code));
      if (principal.scope.areaId === null || inAgencies.length === 0) return inAgencies.length > 0;
      const areas = await subtree(principal.scope.areaId);
      const seats = await db.selectFrom("agencies").select("province_code").where("code", "in", inAgencies).execute();
      return seats.some((a) => a.province_code !== null && areas.has(a.province_code));
    },

    /** Does the scope include one of these agencies (or an agency that merged into a scoped one)? */
    async coversAnyAgency(principal: Principal, agencyCodes: readonly string[]): Promise<boolean> {
      const codes = await reachable(principal);
      return codes === null || agencyCodes.some((code) => codes.has(code));
    },
  };
}
