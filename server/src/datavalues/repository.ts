import { sql, type Selectable } from "kysely";
import type { Executor } from "../db/bulk";
import { pageWithTotal } from "../db/paging";
import type { DataValuesTable } from "../db/schema";

export type DataValueRow = Selectable<DataValuesTable>;
export type DataValueKey = { indicator: string; area: string; period: string; disaggregation: string };

export interface DataValueFilter {
  indicatorCode?: string;
  indicatorCodes?: string[];
  areaIds?: string[];
  period?: string;
  periods?: string[];
  disaggregation?: string;
  status?: DataValueRow["status"];
  agencyCode?: string;
  /** Only values accepted with a warning (outliers). */
  flagged?: boolean;
  /** Only areas in this set (the caller's scope). */
  scopeAreaIds?: Set<string>;
  /** The values as they stood at this instant; current values when absent. */
  asOf?: Date;
  limit: number;
  offset: number;
}

export function presentDataValue(v: DataValueRow) {
  return {
    indicator: v.indicator_code,
    area: v.area_id,
    period: v.period,
    disaggregation: v.disaggregation,
    value: v.value === null ? null : Number(v.value),
    valueText: v.value_text,
    comment: v.comment,
    status: v.status,
    version: v.version,
    source: v.source,
    agency: v.agency_code,
    batchId: v.batch_id,
    reviewComment: v.review_comment,
    flags: v.flags ?? [],
    sample: v.source === "sample",
    recordedAt: new Date(v.recorded_at).toISOString(),
    supersededAt: v.superseded_at ? new Date(v.superseded_at).toISOString() : null,
  };
}
export type PresentedDataValue = ReturnType<typeof presentDataValue>;

export function dataValueRepository(db: Executor) {
  function filtered(f: DataValueFilter) {
    let q = db.selectFrom("data_values");
    if (f.indicatorCode) q = q.where("indicator_code", "=", f.indicatorCode);
    if (f.indicatorCodes) q = q.where("indicator_code", "in", f.indicatorCodes.length ? f.indicatorCodes : [""]);
    if (f.areaIds) q = q.where("area_id", "in", f.areaIds.length ? f.areaIds : [""]);
    if (f.scopeAreaIds) q = q.where("area_id", "in", f.scopeAreaIds.size ? [...f.scopeAreaIds] : [""]);
    if (f.period) q = q.where("period", "=", f.period);
    if (f.periods) q = q.where("period", "in", f.periods.length ? f.periods : [""]);
    if (f.disaggregation !== undefined) q = q.where("disaggregation", "=", f.disaggregation);
    if (f.status) q = q.where("status", "=", f.status);
    if (f.agencyCode) q = q.where("agency_code", "=", f.agencyCode);
    if (f.flagged) q = q.where(sql<boolean>`cardinality(flags) > 0`);
    if (f.asOf) {
      const t = f.asOf;
      q = q.where("recorded_at", "<=", t).where((eb) => eb.or([eb("superseded_at", "is", null), eb("superseded_at", ">", t)]));
    } else {
      q = q.where("superseded_at", "is", null);
    }
    return q;
  }

  return {
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

    /**
     * One page of an export in key order, after the key of the previous page's last row (keyset paging:
     * every page costs the same however far the export has gone). `value_exact` is the stored number as
     * plain decimal text (PostgreSQL never writes an exponent for numeric), exactly as stored.
     */
    async exportPage(f: DataValueFilter, after: DataValueKey | null) {
      let q = filtered(f);
      if (after)
        q = q.where((eb) =>
          eb(
            eb.refTuple("indicator_code", "area_id", "period", "disaggregation"),
            ">",
            eb.tuple(after.indicator, after.area, after.period, after.disaggregation),
          ),
        );
      return q
        .selectAll()
        .select(sql<string | null>`value::text`.as("value_exact"))
        .orderBy("indicator_code")
        .orderBy("area_id")
        .orderBy("period")
        .orderBy("disaggregation")
        .limit(f.limit)
        .execute();
    },

    /** Every version of one figure, oldest first. */
    async history(key: { indicator: string; area: string; period: string; disaggregation: string }) {
      return db
        .selectFrom("data_values")
        .selectAll()
        .where("indicator_code", "=", key.indicator)
        .where("area_id", "=", key.area)
        .where("period", "=", key.period)
        .where("disaggregation", "=", key.disaggregation)
        .orderBy("version")
        .execute();
    },
  };
}
