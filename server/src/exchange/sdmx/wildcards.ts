import { parseDisaggregation } from "@dieuhanh/core";
import type { Kysely } from "kysely";
import type { Principal } from "../../auth/principal";
import { scopeChecker } from "../../auth/scope";
import type { Schema } from "../../db/schema";
import type { RowError } from "../../errors";
import { importLimits } from "../../datavalues/formats/limits";
import type { WildcardDelete } from "../../datavalues/formats/sdmx";
import { keyOf, locate, type IncomingRow } from "../../datavalues/validation";

/**
 * SDMX-CSV D rows with wildcards (empty or absent dimensions: "every value of that dimension") become one
 * deletion per stored figure they match: the current versions of the indicator (always given) in the
 * caller's area scope, matching the given area, period and dimensions. The deletions then go through the
 * one validation and write (`ingest`) like any row, attributed to the wildcard's row. A wildcard matching
 * nothing is an error (nothing to delete is likely a mistaken key); more than an upload's row limit too.
 */
export async function expandWildcards(
  db: Kysely<Schema>,
  principal: Principal,
  wildcards: WildcardDelete[],
  explicit: IncomingRow[],
): Promise<{ rows: IncomingRow[]; errors: RowError[] }> {
  const rows: IncomingRow[] = [];
  const errors: RowError[] = [];
  if (wildcards.length === 0) return { rows, errors };
  const scope = principal.scope.areaId ? await scopeChecker(db).subtree(principal.scope.areaId) : null;
  const seen = new Set(explicit.map(keyOf));
  for (const w of wildcards) {
    let q = db
      .selectFrom("data_values")
      .select(["indicator_code", "area_id", "period", "disaggregation"])
      .where("indicator_code", "=", w.indicator)
      .where("superseded_at", "is", null);
    if (w.area) q = q.where("area_id", "=", w.area);
    if (w.period) q = q.where("period", "=", w.period);
    if (w.disaggregation !== null) q = q.where("disaggregation", "=", w.disaggregation);
    if (scope) q = q.where("area_id", "in", scope.size ? [...scope] : [""]);
    const found = await q
      .orderBy("area_id")
      .orderBy("period")
      .orderBy("disaggregation")
      .limit(importLimits.maxRows + 1)
      .execute();
    let matched = 0;
    for (const v of found) {
      const parsed = parseDisaggregation(v.disaggregation);
      const parts = parsed.ok ? parsed.parts : {};
      if (Object.entries(w.parts).some(([dim, option]) => (parts[dim] ?? "") !== option)) continue;
      matched++;
      const row: IncomingRow = {
        at: w.at,
        indicator: v.indicator_code,
        area: v.area_id,
        period: v.period,
        disaggregation: v.disaggregation,
        value: null,
        valueText: null,
        comment: null,
        action: "delete",
      };
      const key = keyOf(row);
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push(row);
    }
    if (found.length > importLimits.maxRows || rows.length + explicit.length > importLimits.maxRows)
      errors.push(
        locate(
          w.at,
          "indicator",
          `Dòng D khớp quá nhiều số liệu (quá ${importLimits.maxRows.toLocaleString("vi-VN")}): thu hẹp khóa`,
        ),
      );
    else if (matched === 0)
      errors.push(
        locate(
          w.at,
          "indicator",
          `Dòng D không khớp số liệu nào đang lưu (chỉ số ${w.indicator}${w.area ? `, địa bàn ${w.area}` : ""}${w.period ? `, kỳ ${w.period}` : ""}) trong phạm vi của bạn`,
        ),
      );
  }
  return { rows, errors };
}
