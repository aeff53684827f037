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

export type ValueSource = "reported" | "aggregated" | "estimated";

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
}

interface Contributor {
  area: string;
  weight: number;
  estimated: boolean;
}

/**
 * The analytics query (truy vấn phân tích): indicators × areas × a period range, each number reported, or
 * aggregated up the hierarchy by the indicator's rule (amounts and counts add up; rates are never summed),
 * or carried over the 2025 reform from the units merged into an area — in full (summed) or in part
 * (apportioned equally among the units an old one was split into, flagged estimated). Reads the PUBLISHED
 * figures (submitted or approved; never drafts or returned ones, docs/decisions/0008) as they stand now, or
 * as they stood at `asOf`. Nothing is precomputed, so a figure written a moment ago
 * is in the next answer.
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

      const areaQuery = () => db.selectFrom("areas").select(["id", "name", "level", "parent_id", "area_km2"]);
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

      const needed = q.comparisons ? periodsNeeded(periods) : periods.map((p) => p.code);
      const disaggregation = q.disaggregation ?? "";
      const asOf = q.asOf;
      const reported = new Map<string, number>();
      // Keys of the reported figures that are sample figures: whatever is built from them is marked.
      const samples = new Set<string>();
      // Keys of published figures still awaiting approval: whatever is built from them says so.
      const unapproved = new Set<string>();
      // A provincial row and the national indicator it implements are one series (docs/decisions/0009).
      const oneSeries = await seriesReader(db, q.indicators);
      const fetchValues = async (areaList: string[]) => {
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
          WHERE indicator_code = ANY(${oneSeries.storedCodes}) AND period = ANY(${needed}) AND area_id = ANY(${areaList})
            AND disaggregation = ${disaggregation} AND value IS NOT NULL
            AND ${publishedAt(asOf)}`.execute(db);
        for (const r of oneSeries.unify(rows.rows)) {
          const key = `${r.indicator_code}|${r.area_id}|${r.period}`;
          reported.set(key, Number(r.value));
          if (r.source === "sample") samples.add(key);
          if (r.status === "submitted") unapproved.add(key);
        }
      };
      // First what the areas reported themselves; contributors only for the areas with gaps.
      await fetchValues(areaIds);
      const gaps = areaIds.filter((a) => q.indicators.some((i) => needed.some((p) => !reported.has(`${i}|${a}|${p}`))));

      // Who contributes to an area with gaps: its current children, the old units merged into it, and into its children.
      const children = gaps.length
        ? await db
            .selectFrom("areas")
            .select(["id", "parent_id"])
            .where("parent_id", "in", gaps)
            .where("valid_to", "is", null)
            .execute()
        : [];
      const childIds = children.map((c) => c.id);
      const merges = gaps.length
        ? await db
            .selectFrom("area_merges")
            .select(["new_area_id", "old_area_id", "merge_type"])
            .where("new_area_id", "in", [...gaps, ...childIds])
            .execute()
        : [];
      const splitCounts = new Map(
        (merges.length
          ? await db
              .selectFrom("area_merges")
              .select(["old_area_id", (eb) => eb.fn.countAll<number>().as("n")])
              .where("old_area_id", "in", [
                ...new Set(merges.filter((m) => m.merge_type !== "full").map((m) => m.old_area_id)),
                "",
              ])
              .groupBy("old_area_id")
              .execute()
          : []
        ).map((r) => [r.old_area_id, Number(r.n)]),
      );
      // Shares set by the office for a split unit; the rest is split equally.
      const setWeights = merges.length
        ? await db
            .selectFrom("area_split_weights")
            .select(["old_area_id", "new_area_id", "weight"])
            .where("new_area_id", "in", [...new Set(merges.map((m) => m.new_area_id))])
            .execute()
        : [];
      const weightOf = (oldId: string, newId: string) => {
        const w = setWeights.find((x) => x.old_area_id === oldId && x.new_area_id === newId);
        return w ? Number(w.weight) : 1 / (splitCounts.get(oldId) ?? 1);
      };
      const mergesByNew = new Map<string, typeof merges>();
      for (const m of merges) mergesByNew.set(m.new_area_id, [...(mergesByNew.get(m.new_area_id) ?? []), m]);
      const childrenByParent = new Map<string, typeof children>();
      for (const c of children) childrenByParent.set(c.parent_id!, [...(childrenByParent.get(c.parent_id!) ?? []), c]);
      const predecessors = (area: string): Contributor[] =>
        (mergesByNew.get(area) ?? []).map((m) => ({
          area: m.old_area_id,
          weight: m.merge_type === "full" ? 1 : weightOf(m.old_area_id, m.new_area_id),
          estimated: m.merge_type !== "full",
        }));
      await fetchValues([...new Set([...childIds, ...merges.map((m) => m.old_area_id)])]);

      const resolve = (
        indicator: string,
        unit: string | null,
        area: string,
        period: string,
        depth = 0,
      ): Omit<Point, "period"> => {
        const key = (a: string) => `${indicator}|${a}|${period}`;
        const mark = (keys: string[]) => ({
          ...(keys.some((k) => samples.has(k)) ? { sample: true as const } : {}),
          ...(keys.some((k) => unapproved.has(k)) ? { unapproved: true as const } : {}),
        });
        const own = reported.get(key(area));
        if (own !== undefined) return { value: own, source: "reported", ...mark([key(area)]) };
        if (depth > 1) return { value: null, source: null };
        const rule = aggregationRule(unit);
        const olds = predecessors(area);
        // Across the reform: a unit that is exactly one old unit keeps its series, whatever the unit of measure.
        if (olds.length === 1 && !olds[0]!.estimated) {
          const v = reported.get(key(olds[0]!.area));
          if (v !== undefined) return { value: v, source: "reported", ...mark([key(olds[0]!.area)]) };
        }
        if (rule !== "sum") return { value: null, source: null };
        const kids = childrenByParent.get(area) ?? [];
        if (kids.length) {
          const parts = kids.map((k) => resolve(indicator, unit, k.id, period, depth + 1));
          const got = parts.filter((p) => p.value !== null);
          if (got.length) {
            return {
              value: Math.round(got.reduce((s, p) => s + p.value!, 0) * 1e6) / 1e6,
              source: got.some((p) => p.source === "estimated") ? "estimated" : "aggregated",
              coverage: { reported: got.length, expected: kids.length },
              ...(got.some((p) => p.sample) ? { sample: true as const } : {}),
              ...(got.some((p) => p.unapproved) ? { unapproved: true as const } : {}),
            };
          }
        }
        if (olds.length) {
          const got = olds
            .map((o) => ({ o, v: reported.get(`${indicator}|${o.area}|${period}`) }))
            .filter((x) => x.v !== undefined);
          if (got.length)
            return {
              value: Math.round(got.reduce((s, x) => s + x.v! * x.o.weight, 0) * 1e6) / 1e6,
              source: got.some((x) => x.o.estimated) ? "estimated" : "aggregated",
              coverage: { reported: got.length, expected: olds.length },
              ...mark(got.map((x) => key(x.o.area))),
            };
        }
        return { value: null, source: null };
      };

      const targets = q.comparisons
        ? await db
            .selectFrom("targets")
            .select(["indicator_code", "area_id", "target_year", "target_value"])
            .where("indicator_code", "in", oneSeries.storedCodes)
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
          const points: Point[] = periods.map((p: Period) => {
            const r = resolve(ind.code, ind.unit, area.id, p.code);
            // The plan of the series: under this code, else under the other name of the same series.
            const ofYear = targets.filter((t) => t.area_id === area.id && t.target_year === p.year);
            const target = (
              ofYear.find((t) => t.indicator_code === ind.code) ??
              ofYear.find((t) => oneSeries.targetsOf(t.indicator_code, t.area_id).includes(ind.code))
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
      // One query per period type, all its indicators together.
      const typeOf = (code: string) => {
        const t = types.find((x) => x.code === code);
        return (
          t?.period_type ??
          (t?.period_types.find((p) => ["month", "quarter", "half_year", "year"].includes(p)) as string | undefined) ??
          "month"
        );
      };
      const byType = new Map<string, string[]>();
      for (const code of q.indicators) byType.set(typeOf(code), [...(byType.get(typeOf(code)) ?? []), code]);
      const results = new Map<string, { indicator: IndicatorInfo; points: Point[] }>();
      for (const [type, codes] of byType) {
        const current = currentPeriod(type, q.today);
        let start = current;
        for (let i = 0; i < 23; i++) start = previousPeriod(start);
        const r = await this.query(principal, {
          indicators: codes,
          areas: [q.area],
          from: start.code,
          to: current.code,
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
