import { sql } from "kysely";
import type { Executor } from "../db/bulk";

/** The obligations that apply to one area at one level for one period type (and agency, if given). */
function obligationsFor(
  db: Executor,
  q: { agency?: string; areaId: string; areaLevel: string; parentId: string | null; periodType: string },
) {
  let query = db
    .selectFrom("reporting_obligations as o")
    .where("o.active", "=", true)
    .where("o.period_type", "=", q.periodType as never)
    .where("o.area_level", "=", q.areaLevel as never)
    .where((eb) =>
      eb.or([eb("o.root_area_id", "=", "VN"), eb("o.root_area_id", "=", q.areaId), eb("o.root_area_id", "=", q.parentId ?? "")]),
    );
  if (q.agency) query = query.where("o.agency_code", "=", q.agency);
  return query;
}

export interface CompletenessRow {
  agency_code: string;
  agency_name: string;
  area_id: string;
  area_name: string;
  deadline_days: number;
  lock_after_days: number | null;
  expected: number;
  submitted: number;
  approved: number;
  draft: number;
  returned: number;
  on_time: number;
  late: number;
  last_submitted_at: Date | null;
}

export function reportingRepository(db: Executor) {
  return {
    obligationsFor,

    /** Rows of one agency's form: its indicators for the area and period type, in catalogue order. */
    async formIndicators(q: { agency: string; areaId: string; areaLevel: string; parentId: string | null; periodType: string }) {
      return obligationsFor(db, q)
        .innerJoin("indicators as i", "i.code", "o.indicator_code")
        .innerJoin("catalogues as c", "c.id", "i.catalogue_id")
        .select([
          "i.code",
          "i.name",
          "i.unit",
          "i.value_type",
          "i.kind",
          "i.parent_code",
          "i.group_code",
          "i.subgroup_code",
          "i.dimensions",
          "c.code_prefix",
          "o.deadline_days",
          "o.lock_after_days",
        ])
        .orderBy("c.code_prefix")
        .orderBy("i.seq")
        .execute();
    },

    /** Current totals (and breakdowns) of these indicators for an area and some periods. */
    async values(indicators: string[], areaId: string, periods: string[]) {
      if (indicators.length === 0) return [];
      return db
        .selectFrom("data_values")
        .selectAll()
        .where("indicator_code", "in", indicators)
        .where("area_id", "=", areaId)
        .where("period", "in", periods)
        .where("superseded_at", "is", null)
        .execute();
    },

    /**
     * Expected against received, per agency and area, for one period: how many figures are due, how
     * many are submitted, approved, in draft or returned, and how many arrived by the deadline (the
     * end of the deadline day, Vietnam time).
     */
    async completeness(q: {
      period: string;
      periodType: string;
      periodEnd: string;
      agencies?: string[];
      areaIds?: string[];
      scopeAreaIds?: string[];
    }): Promise<CompletenessRow[]> {
      const agencyFilter = q.agencies ? sql`AND o.agency_code = ANY(${q.agencies})` : sql``;
      const areaFilter = q.areaIds ? sql`AND a.id = ANY(${q.areaIds})` : sql``;
      const scopeFilter = q.scopeAreaIds ? sql`AND a.id = ANY(${q.scopeAreaIds})` : sql``;
      const result = await sql<CompletenessRow>`
        WITH expected AS (
          SELECT o.agency_code, o.indicator_code, a.id AS area_id, o.deadline_days, o.lock_after_days,
                 ((${q.periodEnd}::date + o.deadline_days + 1)::timestamp - interval '7 hours') AT TIME ZONE 'UTC' AS due_at
          FROM reporting_obligations o
          -- Units in force that existed in the period: a unit formed after it reports nothing for it.
          JOIN areas a ON a.level = o.area_level AND a.valid_to IS NULL
            AND (a.valid_from IS NULL OR a.valid_from <= ${q.periodEnd}::date)
            AND (o.root_area_id = 'VN' OR a.id = o.root_area_id OR a.parent_id = o.root_area_id)
          WHERE o.active AND o.period_type = ${q.periodType} ${agencyFilter} ${areaFilter} ${scopeFilter}
        ),
        received AS (
          SELECT d.indicator_code, d.area_id,
                 bool_or(d.superseded_at IS NULL AND d.status IN ('submitted', 'approved')) AS is_submitted,
                 bool_or(d.superseded_at IS NULL AND d.status = 'approved') AS is_approved,
                 bool_or(d.superseded_at IS NULL AND d.status = 'draft') AS is_draft,
                 bool_or(d.superseded_at IS NULL AND d.status = 'returned') AS is_returned,
                 min(d.recorded_at) FILTER (WHERE d.status IN ('submitted', 'approved')) AS first_submitted_at
          FROM data_values d
          WHERE d.period = ${q.period} AND d.disaggregation = ''
            AND d.indicator_code IN (SELECT indicator_code FROM expected)
          GROUP BY d.indicator_code, d.area_id
        )
        SELECT e.agency_code, ag.name AS agency_name, e.area_id, ar.name AS area_name,
               min(e.deadline_days) AS deadline_days, min(e.lock_after_days) AS lock_after_days,
               count(*)::int AS expected,
               count(*) FILTER (WHERE r.is_submitted)::int AS submitted,
               count(*) FILTER (WHERE r.is_approved)::int AS approved,
               count(*) FILTER (WHERE r.is_draft)::int AS draft,
               count(*) FILTER (WHERE r.is_returned)::int AS returned,
               count(*) FILTER (WHERE r.first_submitted_at <= e.due_at)::int AS on_time,
               count(*) FILTER (WHERE r.first_submitted_at > e.due_at)::int AS late,
               max(r.first_submitted_at) AS last_submitted_at
        FROM expected e
        LEFT JOIN received r ON r.indicator_code = e.indicator_code AND r.area_id = e.area_id
        JOIN agencies ag ON ag.code = e.agency_code
        JOIN areas ar ON ar.id = e.area_id
        GROUP BY e.agency_code, ag.name, e.area_id, ar.name
        ORDER BY ag.name, e.area_id`.execute(db);
      return result.rows;
    },
  };
}
