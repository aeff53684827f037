import {
  aggregationRule,
  computeComparisons,
  foldVietnamese,
  formatPeriod,
  lowerIsBetter,
  parsePeriod,
  periodsBetween,
  periodsNeeded,
  previousPeriod,
  type Comparisons,
  type Period,
} from "@dieuhanh/core";
import { sql, type Kysely } from "kysely";
import type { Principal } from "../auth/principal";
import { scopeChecker } from "../auth/scope";
import { publishedAt } from "../datavalues/repository";
import { seriesReader } from "../catalogue/series";
import type { Schema } from "../db/schema";
import { ForbiddenError, InvalidInputError } from "../errors";
import { SAMPLE_MARK, UNAPPROVED_MARK } from "../readmodel/maintain";
import { readFacts, readRollup, ROLLUP_LEVELS } from "../readmodel/read";
import { figureKey, readStructure, resolvePoint, type Figures, type ValueSource } from "../readmodel/resolve";

export type { ValueSource };

export interface Point {
  period: string;
  value: number | null;
  source: ValueSource | null;
  /** For aggregated values: how many of the parts had figures. */
  coverage?: { reported: number; expected: number };
  /** The figure is, or is made from, SAMPLE figures (source 'sample'): every screen marks it "Mẫu". */
  sample?: true;
  /** The figure is, or is made from, a figure submitted but not yet approved (docs/decisions/0008). */
  unapproved?: true;
  comparisons?: Comparisons;
}

export interface IndicatorInfo {
  code: string;
  name: string;
  unit: string | null;
  group: string;
  subgroup: string | null;
  catalogueId: string;
  aggregation: "sum" | "none";
  lowerIsBetter: boolean;
}

export interface AnalyticsQuery {
  indicators: string[];
  areas?: string[];
  /** Instead of `areas`: the children of this area (provinces of the nation, communes of a province). */
  parent?: string;
  from: string;
  to: string;
  disaggregation?: string;
  comparisons?: boolean;
  asOf?: Date;
  /**
   * Internal (the tiles): another period range for some indicators, so that indicators reported monthly,
   * quarterly and yearly are answered by one query. `periods` in the answer stays `from`–`to`'s.
   */
  rangeOf?: Record<string, { from: string; to: string }>;
}

/**
 * The analytics query (truy vấn phân tích): indicators × areas × a period range, each number reported, or
 * aggregated up the hierarchy by the indicator's rule (amounts and counts add up; rates are never summed),
 * or carried over the 2025 reform from the units merged into an area — in full (summed) or in part
 * (apportioned equally among the units an old one was split into, flagged estimated). Reads the PUBLISHED
 * figures (submitted or approved; never drafts or returned ones, docs/decisions/0008) as they stand now, or
 * as they stood at `asOf`. Now: from the read model the writers keep in their transactions (figure_rollup
 * for provinces and the nation, figure_facts for other areas; docs/decisions/0011), so a figure written a
 * moment ago is in the next answer; as at a moment: from the versions. Both work points out with the one
 * `resolvePoint` (readmodel/resolve.ts).
 */
export function analyticsService(db: Kysely<Schema>) {
  const scope = scopeChecker(db);

  async function checkScope(principal: Principal, areaIds: string[]) {
    if (!principal.scope.areaId) return;
    const allowed = await scope.subtree(principal.scope.areaId);
    const outside = areaIds.filter((a) => !allowed.has(a));
    if (outside.length) throw new ForbiddenError(`Địa bàn ${outside.join(", ")} nằm ngoài phạm vi của bạn`);
  }

  return {
    async query(principal: Principal, q: AnalyticsQuery) {
      const from = parsePeriod(q.from);
      const to = parsePeriod(q.to);
      if (!from || !to) throw new InvalidInputError("Kỳ không hợp lệ (ví dụ 2025M01)", "from");
      if (from.type !== to.type) throw new InvalidInputError("Kỳ đầu và kỳ cuối phải cùng loại", "to");
      if (from.start > to.start) throw new InvalidInputError("Kỳ đầu sau kỳ cuối", "from");
      const periods = periodsBetween(from, to);
      if (periods.length > 120) throw new InvalidInputError("Tối đa 120 kỳ mỗi truy vấn", "from");
      if (q.indicators.length === 0 || q.indicators.length > 50)
        throw new InvalidInputError("Chọn từ 1 đến 50 chỉ số", "indicators");

      const indicators = await db
        .selectFrom("indicators")
        .select(["code", "name", "unit", "value_type", "group_code", "subgroup_code", "catalogue_id"])
        .where("code", "in", q.indicators)
        .execute();
      const missing = q.indicators.filter((c) => !indicators.some((i) => i.code === c));
      if (missing.length) throw new InvalidInputError(`Không có chỉ số ${missing.join(", ")}`, "indicators");

      const areaQuery = () => db.selectFrom("areas").select(["id", "name", "level", "parent_id", "area_km2", "valid_to"]);
      let areas: Awaited<ReturnType<ReturnType<typeof areaQuery>["execute"]>>;
      if (q.parent) {
        areas = await areaQuery().where("parent_id", "=", q.parent).where("valid_to", "is", null).orderBy("id").execute();
        await checkScope(principal, [q.parent]);
      } else {
        const ids = q.areas?.length ? q.areas : ["VN"];
        areas = await areaQuery().where("id", "in", ids).execute();
        const unknown = ids.filter((id) => !areas.some((a) => a.id === id));
        if (unknown.length) throw new InvalidInputError(`Không có địa bàn ${unknown.join(", ")}`, "areas");
        await checkScope(principal, ids);
      }
      if (areas.length > 4000) throw new InvalidInputError("Quá nhiều địa bàn", "areas");
      const areaIds = areas.map((a) => a.id);

      const periodsOf = new Map<string, Period[]>();
      for (const [code, range] of Object.entries(q.rangeOf ?? {})) {
        const f = parsePeriod(range.from);
        const t = parsePeriod(range.to);
        if (!f || !t || f.type !== t.type || f.start > t.start) throw new InvalidInputError("Kỳ không hợp lệ", "from");
        periodsOf.set(code, periodsBetween(f, t));
      }
      const periodsFor = (code: string) => periodsOf.get(code) ?? periods;
      const needed = [
        ...new Set(
          [periods, ...periodsOf.values()].flatMap((list) => (q.comparisons ? periodsNeeded(list) : list.map((p) => p.code))),
        ),
      ];
      const disaggregation = q.disaggregation ?? "";
      const asOf = q.asOf;
      const figures: Figures = {
        reported: new Map<string, number>(),
        // Keys of the reported figures that are sample figures: whatever is built from them is marked.
        samples: new Set<string>(),
        // Keys of published figures still awaiting approval: whatever is built from them says so.
        unapproved: new Set<string>(),
      };
      const { reported, samples, unapproved } = figures;
      // A provincial row and the national indicator it implements are one series (docs/decisions/0009).
      // The read model's facts are already one per series: the links are read only for "as at" reads and plans.
      const oneSeries = asOf || q.comparisons ? await seriesReader(db, q.indicators) : null;
      // As at a moment: the versions published then, read from data_values.
      const fetchVersions = async (areaList: string[]) => {
        if (areaList.length === 0) return;
        const rows = await sql<{
          indicator_code: string;
          area_id: string;
          period: string;
          value: string | null;
          source: string;
          status: string;
          recorded_at: Date;
        }>`
          SELECT indicator_code, area_id, period, value, source, status, recorded_at FROM data_values
          WHERE indicator_code = ANY(${oneSeries!.storedCodes}) AND period = ANY(${needed}) AND area_id = ANY(${areaList})
            AND disaggregation = ${disaggregation} AND value IS NOT NULL
            AND ${publishedAt(asOf)}`.execute(db);
        for (const r of oneSeries!.unify(rows.rows)) {
          const key = figureKey(r.indicator_code, r.area_id, r.period);
          reported.set(key, Number(r.value));
          if (r.source === "sample") samples.add(key);
          if (r.status === "submitted") unapproved.add(key);
        }
      };
      // Now: the read model's facts, already one per series (readmodel/maintain.ts).
      const fetchFacts = async (areaList: string[]) => {
        for (const f of await readFacts(db, { indicators: q.indicators, areas: areaList, periods: needed, disaggregation })) {
          const key = figureKey(f.indicator, f.area, f.period);
          reported.set(key, f.value);
          if (f.marks & SAMPLE_MARK) samples.add(key);
          if (f.marks & UNAPPROVED_MARK) unapproved.add(key);
        }
      };
      const fetchValues = asOf ? fetchVersions : fetchFacts;

      let resolve: (indicator: string, unit: string | null, area: string, period: string) => Omit<Point, "period">;
      // Provinces and the nation, none asked for with its parent: the cells the writers keep (figure_rollup).
      const idSet = new Set(areaIds);
      const fromRollup =
        !asOf && areas.every((a) => a.valid_to === null && ROLLUP_LEVELS.has(a.level) && !idSet.has(a.parent_id ?? ""));
      if (fromRollup) {
        const cells = await readRollup(db, { indicators: q.indicators, areas: areaIds, periods: needed, disaggregation });
        resolve = (indicator, _unit, area, period) =>
          cells.get(figureKey(indicator, area, period)) ?? { value: null, source: null };
      } else {
        // First what the areas reported themselves; contributors only for the areas with gaps.
        await fetchValues(areaIds);
        const gaps = areaIds.filter((a) => q.indicators.some((i) => needed.some((p) => !reported.has(figureKey(i, a, p)))));
        // Who contributes to an area with gaps: its current children, the old units merged into it, and into its children.
        const structure = await readStructure(db, gaps);
        await fetchValues(structure.contributors);
        resolve = (indicator, unit, area, period) => resolvePoint(figures, structure, indicator, unit, area, period);
      }

      const targets = q.comparisons
        ? await db
            .selectFrom("targets")
            .select(["indicator_code", "area_id", "target_year", "target_value"])
            .where("indicator_code", "in", oneSeries!.storedCodes)
            .where("area_id", "in", areaIds)
            .where("target_value", "is not", null)
            .execute()
        : [];
      const series = indicators.flatMap((ind) =>
        areas.map((area) => {
          const cache = new Map<string, number | null>();
          const valueAt = (code: string) => {
            if (!cache.has(code)) cache.set(code, resolve(ind.code, ind.unit, area.id, code).value);
            return cache.get(code)!;
          };
          const points: Point[] = periodsFor(ind.code).map((p: Period) => {
            const r = resolve(ind.code, ind.unit, area.id, p.code);
            // The plan of the series: under this code, else under the other name of the same series.
            const ofYear = targets.filter((t) => t.area_id === area.id && t.target_year === p.year);
            const target = (
              ofYear.find((t) => t.indicator_code === ind.code) ??
              ofYear.find((t) => oneSeries!.targetsOf(t.indicator_code, t.area_id).includes(ind.code))
            )?.target_value;
            return {
              period: p.code,
              ...r,
              ...(q.comparisons
                ? {
                    comparisons: computeComparisons(
                      p,
                      ind.unit,
                      valueAt,
                      target === undefined || target === null ? null : Number(target),
                    ),
                  }
                : {}),
            };
          });
          return { indicator: ind.code, area: area.id, points };
        }),
      );
      return {
        indicators: indicators.map((i): IndicatorInfo => ({
          code: i.code,
          name: i.name,
          unit: i.unit,
          group: i.group_code,
          subgroup: i.subgroup_code,
          catalogueId: i.catalogue_id,
          aggregation: aggregationRule(i.unit),
          lowerIsBetter: lowerIsBetter(i.name, foldVietnamese, i.unit),
        })),
        areas: areas.map((a) => ({
          id: a.id,
          name: a.name,
          level: a.level,
          areaKm2: a.area_km2 === null ? null : Number(a.area_km2),
        })),
        periods: periods.map((p) => ({ code: p.code, label: formatPeriod(p) })),
        series,
        asOf: (asOf ?? new Date()).toISOString(),
      };
    },

    /**
     * The latest figure of each indicator for an area, with its comparisons and the last 12 periods for a
     * sparkline: what an overview tile shows. The period type is the indicator's reporting one.
     */
    async latest(principal: Principal, q: { indicators: string[]; area: string; today: string; asOf?: Date }) {
      const types = await db
        .selectFrom("indicators as i")
        .leftJoin("reporting_obligations as o", "o.indicator_code", "i.code")
        .select(["i.code", "i.period_types", "o.period_type"])
        .where("i.code", "in", q.indicators.length ? q.indicators : [""])
        .execute();
      const typeOf = (code: string) => {
        const t = types.find((x) => x.code === code);
        return (
          t?.period_type ??
          (t?.period_types.find((p) => ["month", "quarter", "half_year", "year"].includes(p)) as string | undefined) ??
          "month"
        );
      };
      // One query for all the tiles' indicators (each over its own period type), at most 50 at a time.
      const results = new Map<string, { indicator: IndicatorInfo; points: Point[] }>();
      const codes = [...new Set(q.indicators)];
      for (let i = 0; i < codes.length; i += 50) {
        const part = codes.slice(i, i + 50);
        const rangeOf: Record<string, { from: string; to: string }> = {};
        for (const code of part) {
          const current = currentPeriod(typeOf(code), q.today);
          let start = current;
          for (let k = 0; k < 23; k++) start = previousPeriod(start);
          rangeOf[code] = { from: start.code, to: current.code };
        }
        const first = rangeOf[part[0]!]!;
        const r = await this.query(principal, {
          indicators: part,
          areas: [q.area],
          from: first.from,
          to: first.to,
          rangeOf,
          comparisons: true,
          asOf: q.asOf,
        });
        for (const ind of r.indicators)
          results.set(ind.code, { indicator: ind, points: r.series.find((x) => x.indicator === ind.code)?.points ?? [] });
      }
      const items = q.indicators.map((code) => {
        const { indicator, points } = results.get(code)!;
        const last = [...points].reverse().find((p) => p.value !== null) ?? null;
        return {
          indicator,
          latest: last ? { ...last, label: formatPeriod(parsePeriod(last.period)!) } : null,
          sparkline: points.slice(-12).map((p) => ({ period: p.period, value: p.value })),
        };
      });
      return { area: q.area, items };
    },
  };
}

function currentPeriod(type: string, today: string): Period {
  const y = today.slice(0, 4);
  const m = Number(today.slice(5, 7));
  const code =
    type === "year"
      ? y
      : type === "half_year"
        ? `${y}S${m <= 6 ? 1 : 2}`
        : type === "quarter"
          ? `${y}Q${Math.ceil(m / 3)}`
          : `${y}M${String(m).padStart(2, "0")}`;
  return parsePeriod(code)!;
}
