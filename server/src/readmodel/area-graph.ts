import type { Executor } from "../db/bulk";
import { referenceData, type ReferenceData } from "../datavalues/reference-cache";

/**
 * The area tree with the 2025 merges, as the read model and the analytics resolver walk it: worked out once
 * per revision of the reference data (datavalues/reference-cache.ts) and kept in the process, instead of a
 * recursive query per written part (measured: 39 ms a part on PGlite, a quarter of a bulk import's
 * database time).
 */
export interface AreaGraph {
  /** An area's current children (valid_to null), by id. */
  children(area: string): readonly string[];
  /** The old units merged into a unit, by old id, with how (full or partial). */
  mergedFrom(area: string): readonly { old_area_id: string; merge_type: string }[];
  /** How many units an old unit went into (a split: more than one). */
  mergeCount(oldArea: string): number;
  /** The area itself and every area above it: its parents, the units it was merged into, and theirs. */
  above(area: string): ReadonlySet<string>;
  /** The current provinces and the nation whose rollup cells a figure of this area may feed. */
  cellsFed(area: string): readonly { cell: string; level: "province" | "nation" }[];
}

const graphs = new WeakMap<ReferenceData, AreaGraph>();

/** The area graph of the database's current reference data. */
export async function areaGraph(db: Executor): Promise<AreaGraph> {
  const ref = await referenceData(db);
  let graph = graphs.get(ref);
  if (!graph) graphs.set(ref, (graph = buildGraph(ref)));
  return graph;
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function buildGraph(ref: ReferenceData): AreaGraph {
  const current = (id: string) => {
    const a = ref.areas.get(id);
    return a !== undefined && a.valid_to === null;
  };
  const children = new Map<string, string[]>();
  for (const a of ref.areas.values())
    if (a.parent_id && a.valid_to === null) children.set(a.parent_id, [...(children.get(a.parent_id) ?? []), a.id]);
  for (const list of children.values()) list.sort(byId);
  const mergedFrom = new Map<string, { old_area_id: string; merge_type: string }[]>();
  const mergedInto = new Map<string, string[]>();
  for (const [newId, olds] of ref.mergedFrom) {
    mergedFrom.set(
      newId,
      [...olds].sort((x, y) => byId(x.old_area_id, y.old_area_id)),
    );
    for (const m of olds) mergedInto.set(m.old_area_id, [...(mergedInto.get(m.old_area_id) ?? []), newId]);
  }
  // Up-links: the parent (whatever its validity) and the units merged into.
  const up = (id: string) => {
    const parent = ref.areas.get(id)?.parent_id;
    return [...(parent ? [parent] : []), ...(mergedInto.get(id) ?? [])];
  };
  const aboveCache = new Map<string, Set<string>>();
  const above = (area: string) => {
    let set = aboveCache.get(area);
    if (set) return set;
    set = new Set<string>();
    const stack = [area];
    while (stack.length) {
      const id = stack.pop()!;
      if (set.has(id)) continue;
      set.add(id);
      stack.push(...up(id));
    }
    aboveCache.set(area, set);
    return set;
  };
  const cellsCache = new Map<string, { cell: string; level: "province" | "nation" }[]>();
  const cellsFed = (area: string) => {
    let cells = cellsCache.get(area);
    if (cells) return cells;
    // Itself; its parent when it is current; the units it was merged into; their parents when current.
    const candidates = new Set<string>([area]);
    const parentOf = (id: string) => (current(id) ? ref.areas.get(id)?.parent_id : null);
    const p = parentOf(area);
    if (p) candidates.add(p);
    for (const n of mergedInto.get(area) ?? []) {
      candidates.add(n);
      const np = parentOf(n);
      if (np) candidates.add(np);
    }
    cells = [];
    for (const id of candidates) {
      const a = ref.areas.get(id);
      if (a && a.valid_to === null && (a.level === "nation" || a.level === "province")) cells.push({ cell: id, level: a.level });
    }
    cellsCache.set(area, cells);
    return cells;
  };
  return {
    children: (area) => children.get(area) ?? [],
    mergedFrom: (area) => mergedFrom.get(area) ?? [],
    mergeCount: (oldArea) => mergedInto.get(oldArea)?.length ?? 0,
    above,
    cellsFed,
  };
}
