import { periodFromKey, periodKey } from "@dieuhanh/core";
import { sql } from "kysely";
import type { Executor } from "../db/bulk";
import { SAMPLE_MARK, sourceNames, UNAPPROVED_MARK } from "./maintain";
import { figureKey, type Resolved } from "./resolve";

/** The areas figure_rollup holds cells for (current ones only). */
export const ROLLUP_LEVELS: ReadonlySet<string> = new Set(["nation", "province"]);

export interface ReadModelQuery {
  indicators: readonly string[];
  areas: readonly string[];
  periods: readonly string[];
  disaggregation: string;
}

const keysOf = (periods: readonly string[]) => periods.map((p) => periodKey(p)).filter((k): k is number => k !== null);

/** The published current figures (figure_facts) of these series keys, one per series (docs/decisions/0009). */
export async function readFacts(db: Executor, q: ReadModelQuery) {
  if (q.areas.length === 0 || q.indicators.length === 0 || q.periods.length === 0) return [];
  const r = await sql<{ i: string; a: string; p: number; value: number; marks: number }>`
    SELECT ik.code AS i, ak.id AS a, f.period_key AS p, f.value, f.marks
    FROM figure_facts f
      JOIN indicator_keys ik ON ik.key = f.indicator_key
      JOIN area_keys ak ON ak.key = f.area_key
    WHERE f.indicator_key IN (SELECT key FROM indicator_keys WHERE code = ANY(${q.indicators}::text[]))
      AND f.period_key = ANY(${keysOf(q.periods)}::integer[])
      AND f.area_key IN (SELECT key FROM area_keys WHERE id = ANY(${q.areas}::text[]))
      AND f.disaggregation_key = (SELECT key FROM disaggregation_keys WHERE code = ${q.disaggregation})`.execute(db);
  return r.rows.map((x) => ({
    indicator: x.i,
    area: x.a,
    period: periodFromKey(x.p),
    value: Number(x.value),
    marks: Number(x.marks),
  }));
}

/** The precomputed points of provinces and the nation (figure_rollup), by `indicator|area|period`. */
export async function readRollup(db: Executor, q: ReadModelQuery): Promise<Map<string, Resolved>> {
  const out = new Map<string, Resolved>();
  if (q.areas.length === 0 || q.indicators.length === 0 || q.periods.length === 0) return out;
  const r = await sql<{
    i: string;
    a: string;
    p: number;
    value: number;
    source: number;
    reported: number | null;
    expected: number | null;
    marks: number;
  }>`
    SELECT ik.code AS i, ak.id AS a, c.period_key AS p, c.value, c.source, c.reported, c.expected, c.marks
    FROM figure_rollup c
      JOIN indicator_keys ik ON ik.key = c.indicator_key
      JOIN area_keys ak ON ak.key = c.area_key
    WHERE c.indicator_key IN (SELECT key FROM indicator_keys WHERE code = ANY(${q.indicators}::text[]))
      AND c.period_key = ANY(${keysOf(q.periods)}::integer[])
      AND c.area_key IN (SELECT key FROM area_keys WHERE id = ANY(${q.areas}::text[]))
      AND c.disaggregation_key = (SELECT key FROM disaggregation_keys WHERE code = ${q.disaggregation})`.execute(db);
  for (const x of r.rows) {
    const marks = Number(x.marks);
    out.set(figureKey(x.i, x.a, periodFromKey(x.p)), {
      value: Number(x.value),
      source: sourceNames[x.source]!,
      ...(x.reported !== null ? { coverage: { reported: Number(x.reported), expected: Number(x.expected) } } : {}),
      ...(marks & SAMPLE_MARK ? { sample: true as const } : {}),
      ...(marks & UNAPPROVED_MARK ? { unapproved: true as const } : {}),
    });
  }
  return out;
}
