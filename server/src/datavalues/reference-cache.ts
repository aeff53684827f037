import { sql } from "kysely";
import { withPredecessors } from "../agencies/succession";
import { preReformId } from "../areas/reference";
import type { AgencyRow } from "../agencies/repository";
import { servedArea } from "../catalogue/repository";
import type { Executor } from "../db/bulk";

/** What validation knows of an indicator. */
export interface IndicatorMeta {
  code: string;
  kind: string;
  unit: string | null;
  value_type: "number" | "text";
  period_types: string[];
  dimensions: string[];
  scope_levels: string[];
  parent_code: string | null;
  catalogue_level: "nation" | "province";
  root_area_id: string;
}

export interface AreaMeta {
  id: string;
  code: string;
  level: string;
  name: string;
  parent_id: string | null;
  valid_from: string | null;
  valid_to: string | null;
}

interface DimensionDef {
  code: string;
  is_partition: boolean;
  options_from: string | null;
}

/**
 * The reference data every figure is validated against — indicators, areas with their validity and
 * merges, responsible agencies, dimensions and their options — read once and kept in the process until
 * it changes. A statement-level trigger on each of those tables bumps `reference_revision` (migration
 * 20261202T0300); each validation reads that one row and reloads when it moved, whichever process or
 * transaction changed the data. Obligations and reopenings change in daily work and are read per batch.
 */
export interface ReferenceData {
  indicators: Map<string, IndicatorMeta>;
  /** Indicators whose parent is the key. */
  childrenOf: Map<string, string[]>;
  areas: Map<string, AreaMeta>;
  /** Units merged into each new unit. */
  mergedFrom: Map<string, { old_area_id: string; merge_type: string }[]>;
  /** "Name (id)" of the units merged into each new unit, by id. */
  predecessorNames: Map<string, string[]>;
  /** Responsible agencies of each indicator, in order. */
  responsible: Map<string, string[]>;
  agencyByCode: Map<string, AgencyRow>;
  dimensions: Map<string, DimensionDef>;
  /** Options of each code list (dimension_options by dimension code). */
  options: Map<string, Set<string>>;
  /** Top-level options of each code list, in order. */
  topOptions: Map<string, string[]>;
  /** Every area id within a root: its descendants and the old units merged into any of them. */
  subtree(rootId: string): Set<string>;
  /** The agencies a scope reaches: its own and those merged into them; null for every agency. */
  reachable(agencies: readonly string[] | null): Set<string> | null;
  /** Codes of a registry a dimension draws its options from ("areas:<level>", "agencies"). */
  registry(from: string): Set<string> | null;
}

/**
 * The unit an area field names for a period. Partners send the official codes valid at the time — `94` for
 * Sóc Trăng for 2012, a commune's 5-digit code for 2019 — not the product's `old-` ids, so:
 * - an id is read as that unit (`old-94`, `92`), except as below;
 * - a code that is no id but the code of a pre-reform unit (`94`, `318`) names that unit (`old-94`): the only
 *   unit that ever bore it (the existence rule then judges the period: refused from 1/7/2025);
 * - a code of both a pre-reform unit and a unit in force since 1/7/2025 (`92`: Cần Thơ before, the merged Cần
 *   Thơ after; most new provinces and communes kept one predecessor's code) names, for a period that ends before
 *   1/7/2025, the pre-reform unit — the official code valid then; for a period from 1/7/2025 or straddling it
 *   (the year 2025, 2025W27), the unit in force: the existence rule accepts both units for a straddling period,
 *   and the code is read as it stands at the period's end, which is also the id the exports write;
 * - a code only of a unit formed on 1/7/2025 (`11948`, Đặc khu Bạch Long Vĩ) names that unit, and the existence
 *   rule refuses it for an earlier period, naming the predecessors to report for instead.
 * `readAsPreReform` says a code was read as a pre-reform unit other than the id sent (the answer says so).
 * Without a readable period, an id is read as itself.
 */
export function readAreaCode(
  ref: Pick<ReferenceData, "areas">,
  code: string,
  period: { start: string; end: string } | null,
): { area: AreaMeta; readAsPreReform: boolean } | undefined {
  const own = ref.areas.get(code);
  // The unit of this id was in force during (part of) the period: the id stands.
  if (own && (own.valid_from === null || !period || period.end >= own.valid_from)) return { area: own, readAsPreReform: false };
  // No such id, or a unit formed after the period: the pre-reform unit of that official code, if there was one.
  const old = code.startsWith(preReformId("")) ? undefined : ref.areas.get(preReformId(code));
  if (old) return { area: old, readAsPreReform: true };
  return own ? { area: own, readAsPreReform: false } : undefined;
}

interface Cached {
  revision: string;
  data: Promise<ReferenceData>;
}

const cache = new Map<string, Cached>();

/** The reference data as of the database's current revision (see `ReferenceData`). */
export async function referenceData(db: Executor): Promise<ReferenceData> {
  const r = await sql<{ database_id: string; revision: string }>`
    SELECT database_id, revision::text AS revision FROM reference_revision`.execute(db);
  const stamp = r.rows[0];
  if (!stamp) return loadReferenceSnapshot(db);
  const hit = cache.get(stamp.database_id);
  if (hit && hit.revision === stamp.revision) return hit.data;
  const data = loadReferenceSnapshot(db);
  cache.set(stamp.database_id, { revision: stamp.revision, data });
  // A failed read is not kept: the next validation tries again.
  data.catch(() => {
    if (cache.get(stamp.database_id)?.data === data) cache.delete(stamp.database_id);
  });
  return data;
}

async function loadReferenceSnapshot(db: Executor): Promise<ReferenceData> {
  const [indicatorRows, areaRows, merges, responsibleRows, agencies, dimensionRows, optionRows] = await Promise.all([
    db
      .selectFrom("indicators as i")
      .innerJoin("catalogues as c", "c.id", "i.catalogue_id")
      .leftJoin("area_merges as m", "m.old_area_id", "c.issuing_area_id")
      .select([
        "i.code",
        "i.kind",
        "i.unit",
        "i.value_type",
        "i.period_types",
        "i.dimensions",
        "i.scope_levels",
        "i.parent_code",
        "c.issuing_area_id",
        "m.new_area_id",
      ])
      .execute(),
    db.selectFrom("areas").select(["id", "code", "level", "name", "parent_id", "valid_from", "valid_to"]).execute(),
    db.selectFrom("area_merges").select(["new_area_id", "old_area_id", "merge_type"]).execute(),
    db
      .selectFrom("indicator_agencies")
      .select(["indicator_code", "agency_code"])
      .where("role", "=", "responsible")
      .orderBy("indicator_code")
      .orderBy("position")
      .execute(),
    db.selectFrom("agencies").selectAll().execute() as Promise<AgencyRow[]>,
    db.selectFrom("dimensions").select(["code", "is_partition", "options_from"]).execute(),
    db.selectFrom("dimension_options").select(["dimension_code", "code", "parent_code"]).orderBy("seq").execute(),
  ]);
  const indicators = new Map<string, IndicatorMeta>();
  for (const r of indicatorRows)
    indicators.set(r.code, {
      code: r.code,
      kind: r.kind,
      unit: r.unit,
      value_type: r.value_type,
      period_types: r.period_types,
      dimensions: r.dimensions,
      scope_levels: r.scope_levels,
      parent_code: r.parent_code,
      catalogue_level: r.issuing_area_id === "VN" ? "nation" : "province",
      root_area_id: servedArea(r),
    });
  const childrenOf = new Map<string, string[]>();
  for (const i of indicators.values()) if (i.parent_code) push(childrenOf, i.parent_code, i.code);

  const areas = new Map<string, AreaMeta>();
  for (const a of areaRows)
    areas.set(a.id, {
      ...a,
      valid_from: a.valid_from === null ? null : String(a.valid_from),
      valid_to: a.valid_to === null ? null : String(a.valid_to),
    });
  const mergedFrom = new Map<string, { old_area_id: string; merge_type: string }[]>();
  for (const m of merges) push(mergedFrom, m.new_area_id, { old_area_id: m.old_area_id, merge_type: m.merge_type });
  const predecessorNames = new Map<string, string[]>();
  for (const [id, olds] of mergedFrom) {
    const names = olds
      .map((m) => areas.get(m.old_area_id))
      .filter((a): a is AreaMeta => a !== undefined)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((a) => `${a.name} (${a.id})`);
    if (names.length) predecessorNames.set(id, names);
  }
  // Down-links of the area tree: children and the old units merged into a unit.
  const down = new Map<string, string[]>();
  for (const a of areas.values()) if (a.parent_id) push(down, a.parent_id, a.id);
  for (const m of merges) push(down, m.new_area_id, m.old_area_id);
  const subtrees = new Map<string, Set<string>>();
  const subtree = (rootId: string) => {
    let set = subtrees.get(rootId);
    if (set) return set;
    set = new Set<string>();
    if (areas.has(rootId)) {
      const stack = [rootId];
      while (stack.length) {
        const id = stack.pop()!;
        if (set.has(id)) continue;
        set.add(id);
        for (const next of down.get(id) ?? []) if (!set.has(next)) stack.push(next);
      }
    }
    subtrees.set(rootId, set);
    return set;
  };

  const responsible = new Map<string, string[]>();
  for (const r of responsibleRows) push(responsible, r.indicator_code, r.agency_code);
  const agencyByCode = new Map(agencies.map((a) => [a.code, a]));
  const reached = new Map<string, Set<string>>();
  const reachable = (scope: readonly string[] | null) => {
    if (scope === null) return null;
    const key = scope.join(",");
    let codes = reached.get(key);
    if (!codes) {
      codes = new Set(scope.flatMap((code) => withPredecessors(code, agencies)));
      reached.set(key, codes);
    }
    return codes;
  };

  const dimensions = new Map(dimensionRows.map((d) => [d.code, d]));
  const options = new Map<string, Set<string>>();
  const topOptions = new Map<string, string[]>();
  for (const o of optionRows) {
    let set = options.get(o.dimension_code);
    if (!set) options.set(o.dimension_code, (set = new Set()));
    set.add(o.code);
    if (o.parent_code === null) push(topOptions, o.dimension_code, o.code);
  }
  const registries = new Map<string, Set<string> | null>();
  const registry = (from: string) => {
    if (registries.has(from)) return registries.get(from)!;
    let codes: Set<string> | null = null;
    if (from.startsWith("areas:")) {
      const level = from.slice(6);
      codes = new Set([...areas.values()].filter((a) => a.level === level).map((a) => a.code));
    } else if (from === "agencies") codes = new Set(agencies.map((a) => a.code.replace(/\./g, "_")));
    registries.set(from, codes);
    return codes;
  };
  return {
    indicators,
    childrenOf,
    areas,
    mergedFrom,
    predecessorNames,
    responsible,
    agencyByCode,
    dimensions,
    options,
    topOptions,
    subtree,
    reachable,
    registry,
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
