import { aggregationRule } from "@dieuhanh/core";
import type { Executor } from "../db/bulk";
import { areaGraph } from "./area-graph";

/**
 * How a point of the analytics query is worked out from the published figures — its own figure, across the
 * 2025 reform, or summed from its parts — in one pure function used both by the live analytics path
 * (analytics/service.ts, "as at" reads) and by the read model's rollup (readmodel/maintain.ts), so that the
 * two cannot drift apart.
 */

export type ValueSource = "reported" | "aggregated" | "estimated";

export interface Resolved {
  value: number | null;
  source: ValueSource | null;
  /** For aggregated values: how many of the parts had figures. */
  coverage?: { reported: number; expected: number };
  sample?: true;
  unapproved?: true;
}

/** An old unit contributing to a new one across the reform: in full (weight 1) or a share (estimated). */
export interface Contributor {
  area: string;
  weight: number;
  estimated: boolean;
}

/** The published figures at hand, by `indicator|area|period`, and which of them are sample or unapproved. */
export interface Figures {
  reported: Map<string, number>;
  samples: Set<string>;
  unapproved: Set<string>;
}

/** Who contributes to an area: its current children and the old units merged into it. */
export interface Structure {
  children(area: string): readonly string[];
  predecessors(area: string): readonly Contributor[];
  /** Every area whose figures the structure may need (the areas asked for, their children and predecessors). */
  contributors: string[];
}

export const figureKey = (indicator: string, area: string, period: string) => `${indicator}|${area}|${period}`;

/**
 * The point of `indicator` (unit of measure `unit`) for `area` in `period`: the area's own figure; else,
 * across the reform, the figure of the one old unit it is exactly; else, for amounts only (never rates),
 * the sum of its children's points (a child's own figure, its one full predecessor's, or its old units'
 * apportioned ones — no deeper), or of its old units' figures, in full or apportioned (estimated).
 */
export function resolvePoint(
  figures: Figures,
  structure: Pick<Structure, "children" | "predecessors">,
  indicator: string,
  unit: string | null,
  area: string,
  period: string,
  depth = 0,
): Resolved {
  const { reported, samples, unapproved } = figures;
  const key = (a: string) => figureKey(indicator, a, period);
  const mark = (keys: string[]) => ({
    ...(keys.some((k) => samples.has(k)) ? { sample: true as const } : {}),
    ...(keys.some((k) => unapproved.has(k)) ? { unapproved: true as const } : {}),
  });
  const own = reported.get(key(area));
  if (own !== undefined) return { value: own, source: "reported", ...mark([key(area)]) };
  if (depth > 1) return { value: null, source: null };
  const rule = aggregationRule(unit);
  const olds = structure.predecessors(area);
  // Across the reform: a unit that is exactly one old unit keeps its series, whatever the unit of measure.
  if (olds.length === 1 && !olds[0]!.estimated) {
    const v = reported.get(key(olds[0]!.area));
    if (v !== undefined) return { value: v, source: "reported", ...mark([key(olds[0]!.area)]) };
  }
  if (rule !== "sum") return { value: null, source: null };
  const kids = structure.children(area);
  if (kids.length) {
    const parts = kids.map((k) => resolvePoint(figures, structure, indicator, unit, k, period, depth + 1));
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
    const got = olds.map((o) => ({ o, v: reported.get(key(o.area)) })).filter((x) => x.v !== undefined);
    if (got.length)
      return {
        value: Math.round(got.reduce((s, x) => s + x.v! * x.o.weight, 0) * 1e6) / 1e6,
        source: got.some((x) => x.o.estimated) ? "estimated" : "aggregated",
        coverage: { reported: got.length, expected: olds.length },
        ...mark(got.map((x) => key(x.o.area))),
      };
  }
  return { value: null, source: null };
}

/**
 * Reads who contributes to `areas`: their current children, the old units merged into them or into their
 * children, and the shares of the old units split among several new ones (set by the office in
 * `area_split_weights`, else equal). Children of the children are not read: `resolvePoint` goes one level down.
 */
export async function readStructure(db: Executor, areas: readonly string[]): Promise<Structure> {
  const graph = await areaGraph(db);
  const asked = new Set(areas);
  const childIds = areas.flatMap((a) => graph.children(a));
  const merges = [...new Set([...areas, ...childIds])]
    .sort()
    .flatMap((newId) => graph.mergedFrom(newId).map((m) => ({ new_area_id: newId, ...m })));
  // Shares set by the office for a split unit (edited in daily work, so read each time); the rest is split equally.
  const splitTargets = [...new Set(merges.filter((m) => m.merge_type !== "full").map((m) => m.new_area_id))];
  const setWeights = splitTargets.length
    ? await db
        .selectFrom("area_split_weights")
        .select(["old_area_id", "new_area_id", "weight"])
        .where("new_area_id", "in", splitTargets)
        .execute()
    : [];
  const weights = new Map(setWeights.map((w) => [`${w.old_area_id}|${w.new_area_id}`, Number(w.weight)]));
  const weightOf = (oldId: string, newId: string) => weights.get(`${oldId}|${newId}`) ?? 1 / Math.max(1, graph.mergeCount(oldId));
  const predecessors = new Map<string, Contributor[]>();
  for (const m of merges) {
    const list = predecessors.get(m.new_area_id) ?? [];
    list.push({
      area: m.old_area_id,
      weight: m.merge_type === "full" ? 1 : weightOf(m.old_area_id, m.new_area_id),
      estimated: m.merge_type !== "full",
    });
    predecessors.set(m.new_area_id, list);
  }
  return {
    children: (area) => (asked.has(area) ? graph.children(area) : []),
    predecessors: (area) => predecessors.get(area) ?? [],
    contributors: [...new Set([...childIds, ...merges.map((m) => m.old_area_id)])],
  };
}
