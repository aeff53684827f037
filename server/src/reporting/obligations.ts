import { defaultDeadlineDays, reportableLevels, type ScopeLevel } from "@dieuhanh/core";
import { sql } from "kysely";
import { agencyRepository } from "../agencies/repository";
import { currentAgency } from "../agencies/succession";
import { insertJsonRows, type Executor } from "../db/bulk";
import type { ReportingObligationsTable } from "../db/schema";

type ObligationPeriod = ReportingObligationsTable["period_type"];
const finestFirst: ObligationPeriod[] = ["day", "week", "month", "quarter", "half_year", "year"];

/** Days after the deadline before entry locks, unless the office reopens it. */
export const DEFAULT_LOCK_AFTER_DAYS = 30;

/**
 * The reporting schedule (chế độ báo cáo) the catalogues imply: each indicator's responsible agency
 * (as it exists today) reports it at its most frequent period, for the areas its scope names —
 * a national indicator for the provinces when its scope says "tỉnh", else for the nation; a province's
 * indicator for the province, or its communes when its scope names districts. Editable afterwards.
 */
export async function seedObligations(trx: Executor): Promise<number> {
  const indicators = await trx
    .selectFrom("indicators as i")
    .innerJoin("catalogues as c", "c.id", "i.catalogue_id")
    .leftJoin("area_merges as m", "m.old_area_id", "c.issuing_area_id")
    .innerJoin("indicator_agencies as a", (j) => j.onRef("a.indicator_code", "=", "i.code").on("a.role", "=", "responsible"))
    .select(["i.code", "i.kind", "i.period_types", "i.scope_levels", "c.issuing_area_id", "m.new_area_id", "a.agency_code"])
    .where("i.kind", "!=", "heading")
    .execute();
  const agencies = new Map((await agencyRepository(trx).all()).map((a) => [a.code, a]));
  const rows: Omit<ReportingObligationsTable, "id" | "active" | "updated_at">[] = [];
  const seen = new Set<string>();
  for (const i of indicators) {
    const national = i.issuing_area_id === "VN";
    const levels = reportableLevels(national ? "nation" : "province", i.scope_levels as ScopeLevel[]);
    const areaLevel: ReportingObligationsTable["area_level"] = national
      ? levels.includes("province")
        ? "province"
        : "nation"
      : (i.scope_levels as string[]).some((l) => l === "district" || l === "commune")
        ? "commune"
        : "province";
    // The monthly report is the backbone (daily figures come from systems through the API); otherwise the most frequent.
    const periodType = i.period_types.includes("month") ? "month" : (finestFirst.find((t) => i.period_types.includes(t)) ?? "year");
    const agency = currentAgency(i.agency_code, agencies)?.code ?? i.agency_code;
    const root = national ? "VN" : (i.new_area_id ?? i.issuing_area_id!);
    const key = `${agency}|${i.code}|${root}|${areaLevel}|${periodType}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push({
      agency_code: agency,
      indicator_code: i.code,
      root_area_id: root,
      area_level: areaLevel,
      period_type: periodType,
      deadline_days: defaultDeadlineDays[periodType],
      lock_after_days: DEFAULT_LOCK_AFTER_DAYS,
      updated_by: null,
    });
  }
  await sql`DELETE FROM reporting_obligations`.execute(trx);
  await insertJsonRows(trx, "reporting_obligations", rows);
  return rows.length;
}
