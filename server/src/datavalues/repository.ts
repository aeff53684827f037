import { sql, type Selectable } from "kysely";
import type { Executor } from "../db/bulk";
import { pageWithTotal } from "../db/paging";
import type { DataValuesTable } from "../db/schema";

/** Whether a stored version is its key's published figure now. */
export const isPublished = (v: Pick<DataValueRow, "published_at" | "unpublished_at">) =>
  v.published_at !== null && v.unpublished_at === null;

export type DataValueRow = Selectable<DataValuesTable>;
export type DataValueKey = { indicator: string; area: string; period: string; disaggregation: string };
/** Where an export's page starts: after this key (and, for every version of a key, after this version's id). */
export type ExportCursor = DataValueKey & { id?: string };
export type DataValueStatusFilter = DataValueRow["status"] | "published" | "all";

/**
 * The condition for the PUBLISHED figure of each key (docs/decisions/0008): the one standing now, or the one
 * that stood at `asOf`. `alias` names data_values in the query ("" when unaliased).
 */
export function publishedAt(asOf: Date | undefined, alias = "") {
  const c = (name: string) => sql.ref(alias ? `${alias}.${name}` : name);
  return asOf
    ? sql<boolean>`${c("published_at")} <= ${asOf} AND (${c("unpublished_at")} IS NULL OR ${c("unpublished_at")} > ${asOf})`
    : sql<boolean>`${c("published_at")} IS NOT NULL AND ${c("unpublished_at")} IS NULL`;
}

export interface DataValueFilter {
  indicatorCode?: string;
  indicatorCodes?: string[];
  areaIds?: string[];
  period?: string;
  periods?: string[];
  /** Only these period types (year, month, …). */
  periodTypes?: string[];
  disaggregation?: string;
  /**
   * Which versions: the published figures (the default; what leaders, dashboards and exports read), the
   * published ones of one status ("submitted", "approved"), the current versions in the reporters' hands
   * ("draft", "returned"), or every current version whatever its status ("all").
   */
  status?: DataValueStatusFilter;
  agencyCode?: string;
  /** Only values accepted with a warning (outliers). */
  flagged?: boolean;
  /** Only areas in this set (the caller's scope). */
  scopeAreaIds?: Set<string>;
  /** The values as they stood at this instant; current values when absent. */
  asOf?: Date;
  /**
   * Exports: only the figures whose PUBLISHED state changed after this instant (and up to `asOf`): the
   * figures published since, and the keys whose published figure was withdrawn since with none standing
   * (`deleted`: their tombstones).
   */
  updatedAfter?: Date;
  /** Exports: every published version (with its validity), not only the one standing. */
  includeHistory?: boolean;
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
    /** The version leaders, dashboards and exports read for this key now. */
    published: isPublished(v),
    recordedAt: new Date(v.recorded_at).toISOString(),
    supersededAt: v.superseded_at ? new Date(v.superseded_at).toISOString() : null,
  };
}
export type PresentedDataValue = ReturnType<typeof presentDataValue>;

export function dataValueRepository(db: Executor) {
  /** The filters on the key, the agency and the flags; `filtered` adds which versions. */
  function keyed(f: DataValueFilter) {
    let q = db.selectFrom("data_values");
    if (f.indicatorCode) q = q.where("indicator_code", "=", f.indicatorCode);
    if (f.indicatorCodes) q = q.where("indicator_code", "in", f.indicatorCodes.length ? f.indicatorCodes : [""]);
    if (f.areaIds) q = q.where("area_id", "in", f.areaIds.length ? f.areaIds : [""]);
    if (f.scopeAreaIds) q = q.where("area_id", "in", f.scopeAreaIds.size ? [...f.scopeAreaIds] : [""]);
    if (f.period) q = q.where("period", "=", f.period);
    if (f.periods) q = q.where("period", "in", f.periods.length ? f.periods : [""]);
    if (f.periodTypes) q = q.where("period_type", "in", f.periodTypes.length ? f.periodTypes : [""]);
    if (f.disaggregation !== undefined) q = q.where("disaggregation", "=", f.disaggregation);
    if (f.agencyCode) q = q.where("agency_code", "=", f.agencyCode);
    if (f.flagged) q = q.where(sql<boolean>`cardinality(flags) > 0`);
    return q;
  }

  function filtered(f: DataValueFilter) {
    let q = keyed(f);
    const status = f.status ?? "published";
    if (status !== "published" && status !== "all") q = q.where("status", "=", status);
    if (status === "published" || status === "submitted" || status === "approved") {
      q = q.where(publishedAt(f.asOf));
    } else if (f.asOf) {
      const t = f.asOf;
      q = q.where("recorded_at", "<=", t).where((eb) => eb.or([eb("superseded_at", "is", null), eb("superseded_at", ">", t)]));
    } else {
      q = q.where("superseded_at", "is", null);
    }
    return q;
  }

  /**
   * The figures whose published state changed after `updatedAfter` (up to `asOf`, else now), or with
   * `includeHistory` every version published (then one row per version, in version order). A changed key
   * is either published now (published since) or withdrawn with nothing published in its place: one row,
   * its last withdrawn version, `deleted`. Read through the key indexes; the published one answers the
   * "nothing published now" check.
   */
  function changesPage(f: DataValueFilter, after: ExportCursor | null) {
    const now = publishedAt(f.asOf, "data_values");
    const since = f.updatedAfter;
    const status = f.status ?? "published";
    const nothingPublished = sql<boolean>`NOT EXISTS (SELECT 1 FROM data_values p
      WHERE p.indicator_code = data_values.indicator_code AND p.area_id = data_values.area_id
        AND p.period = data_values.period AND p.disaggregation = data_values.disaggregation AND ${publishedAt(f.asOf, "p")})`;
    const until = (column: "published_at" | "unpublished_at") =>
      f.asOf ? sql<boolean>`${sql.ref(`data_values.${column}`)} <= ${f.asOf}` : sql<boolean>`true`;
    let q = keyed(f);
    if (status === "submitted" || status === "approved") q = q.where("status", "=", status);
    if (f.includeHistory) {
      q = q.where("published_at", "is not", null).where(until("published_at"));
      if (since)
        q = q.where((eb) =>
          eb.or([eb("published_at", ">", since), eb.and([eb("unpublished_at", ">", since), until("unpublished_at")])]),
        );
      if (after)
        q = q.where((eb) =>
          eb(
            eb.refTuple("indicator_code", "area_id", "period", "disaggregation", "id"),
            ">",
            eb.tuple(after.indicator, after.area, after.period, after.disaggregation, after.id ?? "0"),
          ),
        );
      return q
        .selectAll()
        .select(sql<string | null>`value::text`.as("value_exact"))
        .select(sql<boolean>`false`.as("deleted"))
        .orderBy("indicator_code")
        .orderBy("area_id")
        .orderBy("period")
        .orderBy("disaggregation")
        .orderBy("id")
        .limit(f.limit)
        .execute();
    }
    q = q.where((eb) =>
      eb.or([
        eb.and([now, eb("published_at", ">", since!)]),
        eb.and([eb("unpublished_at", ">", since!), until("unpublished_at"), nothingPublished]),
      ]),
    );
    if (after)
      q = q.where((eb) =>
        eb(
          eb.refTuple("indicator_code", "area_id", "period", "disaggregation"),
          ">",
          eb.tuple(after.indicator, after.area, after.period, after.disaggregation),
        ),
      );
    return q
      .distinctOn(["indicator_code", "area_id", "period", "disaggregation"])
      .selectAll()
      .select(sql<string | null>`value::text`.as("value_exact"))
      .select(sql<boolean>`NOT (${now})`.as("deleted"))
      .orderBy("indicator_code")
      .orderBy("area_id")
      .orderBy("period")
      .orderBy("disaggregation")
      .orderBy(sql`unpublished_at DESC NULLS FIRST`)
      .limit(f.limit)
      .execute();
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
    async exportPage(f: DataValueFilter, after: ExportCursor | null) {
      const keyColumns = ["indicator_code", "area_id", "period", "disaggregation"] as const;
      if (f.updatedAfter || f.includeHistory) return changesPage(f, after);
      let q = filtered(f);
      if (after)
        q = q.where((eb) =>
          eb(eb.refTuple(...keyColumns), ">", eb.tuple(after.indicator, after.area, after.period, after.disaggregation)),
        );
      return q
        .selectAll()
        .select(sql<string | null>`value::text`.as("value_exact"))
        .select(sql<boolean>`false`.as("deleted"))
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
