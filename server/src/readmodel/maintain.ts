import { periodFromKey, periodKey, periodKeyYear } from "@dieuhanh/core";
import { sql } from "kysely";
import { seriesLinks } from "../catalogue/series";
import type { Executor } from "../db/bulk";
import { referenceData } from "../datavalues/reference-cache";
import { areaGraph } from "./area-graph";
import { figureKey, readStructure, resolvePoint, type Figures, type Resolved } from "./resolve";

/**
 * The read model (docs/decisions/0011): `figure_facts`, the published current numeric figure of each series
 * key, and `figure_rollup`, the resolved point of each province and of the nation — both kept by the
 * writers in their own transactions (`refreshReadModel`) and recomputable from the versions
 * (`rebuildReadModel`).
 */

/** A key (indicator, area, period, disaggregation) as stored in data_values, or as a series in figure_facts. */
export interface FigureKey {
  indicator: string;
  area: string;
  period: string;
  disaggregation: string;
}

/** The marks of a fact or a cell: 1 = made from sample figures, 2 = from figures submitted, not yet approved. */
export const SAMPLE_MARK = 1;
export const UNAPPROVED_MARK = 2;

/** figure_rollup.source. */
export const sourceCodes = { reported: 0, aggregated: 1, estimated: 2 } as const;
export const sourceNames = ["reported", "aggregated", "estimated"] as const;

/** The years the migration made partitions of figure_facts for; others are made on first write. */
const PRECREATED_YEARS = { from: 2020, to: 2030 };

/** The first-start step (bin/startup.ts) the migration leaves for a database that has figures already. */
export const READ_MODEL_STARTUP_STEP = "rebuild-read-model";

/** Rows per statement of a refresh or a rebuild: a statement's arrays stay a few MB. */
const CHUNK = 20_000;

const chunks = <T>(list: readonly T[], size = CHUNK): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
};

const distinct = (list: Iterable<string>) => [...new Set(list)].sort();

/**
 * Gives codes their surrogate keys, assigning the missing ones: an insert that ignores the codes another
 * transaction has just keyed (it waits for that one to end, so both see one key), then a read. Codes are
 * inserted in order, so two writers keying overlapping codes never deadlock.
 */
export async function ensureKeys(
  trx: Executor,
  table: "indicator_keys" | "area_keys" | "disaggregation_keys",
  codes: readonly string[],
): Promise<Map<string, number>> {
  const column = table === "area_keys" ? "id" : "code";
  const list = distinct(codes);
  const keys = new Map<string, number>();
  if (list.length === 0) return keys;
  const found = await sql<{ code: string; key: number }>`SELECT ${sql.ref(column)} AS code, key FROM ${sql.table(table)}
    WHERE ${sql.ref(column)} = ANY(${list}::text[])`.execute(trx);
  for (const r of found.rows) keys.set(r.code, r.key);
  const missing = list.filter((c) => !keys.has(c));
  if (missing.length === 0) return keys;
  await sql`INSERT INTO ${sql.table(table)} (${sql.ref(column)}) SELECT c FROM unnest(${missing}::text[]) AS c ORDER BY c
    ON CONFLICT DO NOTHING`.execute(trx);
  const added = await sql<{ code: string; key: number }>`SELECT ${sql.ref(column)} AS code, key FROM ${sql.table(table)}
    WHERE ${sql.ref(column)} = ANY(${missing}::text[])`.execute(trx);
  for (const r of added.rows) keys.set(r.code, r.key);
  return keys;
}

/** Makes the partitions of figure_facts for the years of these periods that the migration did not make. */
async function ensurePartitions(trx: Executor, periods: readonly string[]) {
  const years = new Set<number>();
  for (const p of periods) {
    const k = periodKey(p);
    if (k === null) continue;
    const y = periodKeyYear(k);
    if (y < PRECREATED_YEARS.from || y > PRECREATED_YEARS.to) years.add(y);
  }
  for (const y of [...years].sort()) await sql`SELECT ensure_figure_facts_year(${y}::integer)`.execute(trx);
}

/**
 * The series a stored figure of `code` at `area` belongs to: its own code and, within the subtree of a
 * provincial catalogue, the code it is one series with (series_links, docs/decisions/0009) — as
 * `seriesReader().targetsOf` has it for the live reads.
 */
async function seriesOf(trx: Executor, keys: readonly FigureKey[]) {
  const codes = distinct(keys.map((k) => k.indicator));
  const links = (
    await sql<{ code: string; national_code: string; root_area: string }>`SELECT code, national_code, root_area
      FROM series_links WHERE code = ANY(${codes}::text[]) OR national_code = ANY(${codes}::text[])`.execute(trx)
  ).rows;
  // The areas each key's area lies under (its parents, the units it was merged into, and theirs).
  const graph = links.length ? await areaGraph(trx) : null;
  /** The codes a stored figure of `code` at `area` is a figure of (itself first). */
  const partners = (code: string, area: string): string[] => {
    const out = [code];
    for (const l of links) {
      if (!graph!.above(area).has(l.root_area)) continue;
      if (l.code === code) out.push(l.national_code);
      if (l.national_code === code) out.push(l.code);
    }
    return out;
  };
  return { partners, codes: distinct([...codes, ...links.flatMap((l) => [l.code, l.national_code])]) };
}

const keyString = (k: FigureKey) => `${k.indicator}|${k.area}|${k.period}|${k.disaggregation}`;

/**
 * Recomputes the facts of the series the `changed` stored keys belong to, from the published versions, and
 * returns the series keys whose fact changed (appeared, changed value or marks, or went). A series reads the
 * latest recorded of its names' published numeric figures, its own name first on a tie — as
 * `seriesReader().unify` does for the live reads. A few statements, each by key (index probes): the
 * published versions of the keys, the facts they may replace, the upsert of the changed ones and the
 * deletion of the withdrawn ones.
 */
async function refreshFacts(trx: Executor, changed: readonly FigureKey[]): Promise<FigureKey[]> {
  const series = await seriesOf(trx, changed);
  // Every series key touched, and every stored key whose figure is a figure of one of them.
  const targets = new Map<string, FigureKey>();
  for (const k of changed)
    for (const code of series.partners(k.indicator, k.area)) {
      const t = { ...k, indicator: code };
      targets.set(keyString(t), t);
    }
  const sources = new Map<string, FigureKey>();
  for (const t of targets.values())
    for (const code of series.partners(t.indicator, t.area)) {
      const s = { ...t, indicator: code };
      sources.set(keyString(s), s);
    }
  const src = [...sources.values()];
  // Every lookup by a batch's keys also bounds the big table by the keys' codes, areas and periods (`= ANY`,
  // the leading columns of its indexes): an index scan whatever the planner's statistics say. PGlite never
  // analyses by itself, and a join left to the planner was measured at 5.8 s for 500 keys on PGlite (a nested
  // loop rescanning the table per key) and 30 s on PostgreSQL (a hash join over all of data_values).
  const published = await sql<{
    i: string;
    a: string;
    p: string;
    g: string;
    value: number;
    source: string;
    status: string;
    at: string;
  }>`
      SELECT v.indicator_code AS i, v.area_id AS a, v.period AS p, v.disaggregation AS g, v.value::double precision AS value,
        v.source, v.status, (extract(epoch FROM date_trunc('milliseconds', v.recorded_at)) * 1000)::bigint AS at
      FROM unnest(${src.map((k) => k.indicator)}::text[], ${src.map((k) => k.area)}::text[], ${src.map((k) => k.period)}::text[],
        ${src.map((k) => k.disaggregation)}::text[]) AS k(i, a, p, g)
      JOIN data_values v ON v.indicator_code = k.i AND v.area_id = k.a AND v.period = k.p AND v.disaggregation = k.g
      WHERE v.published_at IS NOT NULL AND v.unpublished_at IS NULL AND v.value IS NOT NULL
        AND v.indicator_code = ANY(${distinct(src.map((k) => k.indicator))}::text[])
        AND v.area_id = ANY(${distinct(src.map((k) => k.area))}::text[])
        AND v.period = ANY(${distinct(src.map((k) => k.period))}::text[])`.execute(trx);
  const best = new Map<string, { rank: number; value: number; marks: number }>();
  for (const r of published.rows) {
    const marks = (r.source === "sample" ? SAMPLE_MARK : 0) | (r.status === "submitted" ? UNAPPROVED_MARK : 0);
    for (const code of series.partners(r.i, r.a)) {
      const key = keyString({ indicator: code, area: r.a, period: r.p, disaggregation: r.g });
      if (!targets.has(key)) continue;
      const rank = Number(r.at) * 2 + (code === r.i ? 1 : 0);
      if ((best.get(key)?.rank ?? -Infinity) < rank) best.set(key, { rank, value: Number(r.value), marks });
    }
  }
  const list = [...targets.values()].filter((t) => periodKey(t.period) !== null);
  const ikeys = await ensureKeys(
    trx,
    "indicator_keys",
    list.map((t) => t.indicator),
  );
  const akeys = await ensureKeys(
    trx,
    "area_keys",
    list.map((t) => t.area),
  );
  const gkeys = await ensureKeys(
    trx,
    "disaggregation_keys",
    list.map((t) => t.disaggregation),
  );
  const ints = list.map((t) => [ikeys.get(t.indicator)!, periodKey(t.period)!, akeys.get(t.area)!, gkeys.get(t.disaggregation)!]);
  const col = (n: number) => ints.map((x) => x[n]!);
  const existing = await sql<{ n: number; value: number; marks: number }>`
      SELECT k.n, f.value, f.marks
      FROM unnest(${col(0)}::integer[], ${col(1)}::integer[], ${col(2)}::integer[], ${col(3)}::integer[]) WITH ORDINALITY AS k(i, p, a, g, n)
      JOIN figure_facts f ON f.indicator_key = k.i AND f.period_key = k.p AND f.area_key = k.a AND f.disaggregation_key = k.g
      WHERE f.indicator_key = ANY(${[...new Set(col(0))]}::integer[]) AND f.period_key = ANY(${[...new Set(col(1))]}::integer[])
        AND f.area_key = ANY(${[...new Set(col(2))]}::integer[])`.execute(trx);
  const old = new Map(existing.rows.map((r) => [Number(r.n) - 1, { value: Number(r.value), marks: Number(r.marks) }]));
  const upserts: number[] = [];
  const deletes: number[] = [];
  const out: FigureKey[] = [];
  list.forEach((t, n) => {
    const now = best.get(keyString(t));
    const was = old.get(n);
    if (now && (!was || was.value !== now.value || was.marks !== now.marks)) upserts.push(n);
    else if (!now && was) deletes.push(n);
    else return;
    out.push(t);
  });
  if (upserts.length) {
    const pick = (n: number) => upserts.map((u) => ints[u]![n]!);
    await sql`INSERT INTO figure_facts (indicator_key, period_key, area_key, disaggregation_key, value, marks)
      SELECT * FROM unnest(${pick(0)}::integer[], ${pick(1)}::integer[], ${pick(2)}::integer[], ${pick(3)}::integer[],
        ${upserts.map((u) => best.get(keyString(list[u]!))!.value)}::double precision[],
        ${upserts.map((u) => best.get(keyString(list[u]!))!.marks)}::smallint[])
      ON CONFLICT (indicator_key, period_key, area_key, disaggregation_key)
      DO UPDATE SET value = EXCLUDED.value, marks = EXCLUDED.marks`.execute(trx);
  }
  if (deletes.length) {
    const pick = (n: number) => deletes.map((u) => ints[u]![n]!);
    await sql`DELETE FROM figure_facts f
        USING unnest(${pick(0)}::integer[], ${pick(1)}::integer[], ${pick(2)}::integer[], ${pick(3)}::integer[]) AS k(i, p, a, g)
        WHERE f.indicator_key = k.i AND f.period_key = k.p AND f.area_key = k.a AND f.disaggregation_key = k.g
          AND f.indicator_key = ANY(${[...new Set(pick(0))]}::integer[]) AND f.period_key = ANY(${[...new Set(pick(1))]}::integer[])`.execute(
      trx,
    );
  }
  return out;
}

/** Makes the partitions the keys' periods need. */
async function keyPartitions(trx: Executor, keys: readonly FigureKey[]) {
  await ensurePartitions(trx, distinct(keys.map((k) => k.period)));
}

/**
 * Brings the read model up to date for stored keys whose published version changed (a new published
 * version, a withdrawal, a deletion, an undone batch): their series' facts, then the rollup cells of the
 * provinces and the nation those facts feed. Runs inside the writer's transaction, so a reader sees the
 * figures and the cells together. Set-based: a few statements per 20,000 keys.
 */
export async function refreshReadModel(trx: Executor, keys: readonly FigureKey[]): Promise<void> {
  if (keys.length === 0) return;
  const changed: FigureKey[] = [];
  for (const part of chunks(keys)) {
    await keyPartitions(trx, part);
    changed.push(...(await refreshFacts(trx, part)));
  }
  await refreshRollup(trx, changed);
}

interface Cell {
  indicator: string;
  area: string;
  period: string;
  disaggregation: string;
}

/**
 * Recomputes the rollup cells fed by these series keys: for each, the province and the nation cells of its
 * area (as itself, a child, an old unit merged into it or into a child). The nation is worked out apart from
 * the provinces: its point sums the provinces' own figures (or their old units'), never their communes
 * (one level down only, as the analytics query always did), so it is not the sum of the province cells.
 */
async function refreshRollup(trx: Executor, facts: readonly FigureKey[]) {
  if (facts.length === 0) return;
  const graph = await areaGraph(trx);
  const byLevel = new Map<string, Map<string, Cell>>();
  for (const f of facts)
    for (const c of graph.cellsFed(f.area)) {
      const cell = { indicator: f.indicator, area: c.cell, period: f.period, disaggregation: f.disaggregation };
      const level = c.level === "nation" ? "nation" : "province";
      const set = byLevel.get(level) ?? new Map<string, Cell>();
      set.set(`${cell.indicator}|${cell.area}|${cell.period}|${cell.disaggregation}`, cell);
      byLevel.set(level, set);
    }
  await computeLevels(trx, byLevel);
}

/** Computes the cells of each level (the provinces before the nation), a few provinces' cells at a time. */
async function computeLevels(trx: Executor, byLevel: ReadonlyMap<string, ReadonlyMap<string, Cell>>) {
  for (const level of ["province", "nation"]) {
    const cells = [...(byLevel.get(level)?.values() ?? [])];
    // Cells of a few provinces at a time: each group's inputs (the provinces' communes and old units) are read once.
    const byArea = new Map<string, Cell[]>();
    for (const c of cells) {
      const list = byArea.get(c.area);
      if (list) list.push(c);
      else byArea.set(c.area, [c]);
    }
    let group: Cell[] = [];
    for (const list of byArea.values()) {
      group.push(...list);
      if (group.length >= CHUNK) {
        await computeCells(trx, group);
        group = [];
      }
    }
    if (group.length) await computeCells(trx, group);
  }
}

/** Works out the points of these cells (all of one level) from the facts and writes them, replacing what was. */
async function computeCells(trx: Executor, cells: readonly Cell[]) {
  const areas = distinct(cells.map((c) => c.area));
  const indicators = distinct(cells.map((c) => c.indicator));
  const periods = distinct(cells.map((c) => c.period));
  const disaggregations = distinct(cells.map((c) => c.disaggregation));
  const structure = await readStructure(trx, areas);
  const inputAreas = distinct([...areas, ...structure.contributors]);
  const ikeys = await ensureKeys(trx, "indicator_keys", indicators);
  const akeys = await ensureKeys(trx, "area_keys", areas);
  const gkeys = await ensureKeys(trx, "disaggregation_keys", disaggregations);
  const periodOfKey = new Map(periods.map((p) => [periodKey(p)!, p]));
  // The inputs' area keys (an area without one has no fact), then the facts by all four key columns: an
  // index probe whatever the statistics say (a join on area codes was planned as a scan of the facts on
  // PGlite, 150–340 ms a part during a large import).
  const inputKeys = new Map(
    (
      await sql<{ id: string; key: number }>`SELECT id, key FROM area_keys WHERE id = ANY(${inputAreas}::text[])`.execute(trx)
    ).rows.map((r) => [Number(r.key), r.id]),
  );
  const indicatorOfKey = new Map([...ikeys].map(([code, key]) => [key, code]));
  const disaggregationOfKey = new Map([...gkeys].map(([code, key]) => [key, code]));
  const facts = await sql<{ i: number; a: number; pkey: number; g: number; value: number; marks: number }>`
    SELECT f.indicator_key AS i, f.area_key AS a, f.period_key AS pkey, f.disaggregation_key AS g, f.value, f.marks
    FROM figure_facts f
    WHERE f.indicator_key = ANY(${[...ikeys.values()]}::integer[])
      AND f.period_key = ANY(${[...periodOfKey.keys()]}::integer[])
      AND f.area_key = ANY(${[...inputKeys.keys()]}::integer[])
      AND f.disaggregation_key = ANY(${[...gkeys.values()]}::integer[])`.execute(trx);
  const rows = {
    rows: facts.rows.map((r) => ({
      i: indicatorOfKey.get(Number(r.i))!,
      a: inputKeys.get(Number(r.a))!,
      pkey: Number(r.pkey),
      g: disaggregationOfKey.get(Number(r.g))!,
      value: r.value,
      marks: r.marks,
    })),
  };
  const figuresOf = new Map<string, Figures>();
  for (const r of rows.rows) {
    let figures = figuresOf.get(r.g);
    if (!figures) figuresOf.set(r.g, (figures = { reported: new Map(), samples: new Set(), unapproved: new Set() }));
    const k = figureKey(r.i, r.a, periodOfKey.get(r.pkey)!);
    figures.reported.set(k, Number(r.value));
    if (r.marks & SAMPLE_MARK) figures.samples.add(k);
    if (r.marks & UNAPPROVED_MARK) figures.unapproved.add(k);
  }
  const units = new Map(
    (await trx.selectFrom("indicators").select(["code", "unit"]).where("code", "in", indicators).execute()).map((i) => [
      i.code,
      i.unit,
    ]),
  );
  const empty: Figures = { reported: new Map(), samples: new Set(), unapproved: new Set() };
  const out: { cell: Cell; point: Resolved }[] = [];
  for (const cell of cells) {
    // An indicator no longer in the catalogues has no point (the analytics query refuses it).
    if (!units.has(cell.indicator)) continue;
    const point = resolvePoint(
      figuresOf.get(cell.disaggregation) ?? empty,
      structure,
      cell.indicator,
      units.get(cell.indicator) ?? null,
      cell.area,
      cell.period,
    );
    if (point.value !== null) out.push({ cell, point });
  }
  const ik = (c: Cell) => ikeys.get(c.indicator)!;
  const ak = (c: Cell) => akeys.get(c.area)!;
  const gk = (c: Cell) => gkeys.get(c.disaggregation)!;
  await sql`DELETE FROM figure_rollup r USING unnest(${cells.map(ik)}::integer[], ${cells.map((c) => periodKey(c.period)!)}::integer[],
      ${cells.map(ak)}::integer[], ${cells.map(gk)}::integer[]) AS c(i, p, a, g)
    WHERE r.indicator_key = c.i AND r.period_key = c.p AND r.area_key = c.a AND r.disaggregation_key = c.g`.execute(trx);
  if (out.length === 0) return;
  await sql`INSERT INTO figure_rollup (indicator_key, period_key, area_key, disaggregation_key, value, source, reported, expected, marks)
    SELECT * FROM unnest(${out.map((o) => ik(o.cell))}::integer[], ${out.map((o) => periodKey(o.cell.period)!)}::integer[],
      ${out.map((o) => ak(o.cell))}::integer[], ${out.map((o) => gk(o.cell))}::integer[],
      ${out.map((o) => o.point.value!)}::double precision[], ${out.map((o) => sourceCodes[o.point.source!])}::smallint[],
      ${out.map((o) => o.point.coverage?.reported ?? null)}::integer[], ${out.map((o) => o.point.coverage?.expected ?? null)}::integer[],
      ${out.map((o) => (o.point.sample ? SAMPLE_MARK : 0) | (o.point.unapproved ? UNAPPROVED_MARK : 0))}::smallint[])`.execute(
    trx,
  );
}

/**
 * Recomputes the rollup cells fed by the figures of these areas (all indicators and periods): after the
 * shares of a split unit change (area_split_weights), the cells of the units it was split into.
 */
export async function refreshRollupForAreas(trx: Executor, areas: readonly string[]): Promise<void> {
  if (areas.length === 0) return;
  const facts = await sql<{ i: string; a: string; p: number; g: string }>`
    SELECT DISTINCT ik.code AS i, ak.id AS a, f.period_key AS p, gk.code AS g
    FROM figure_facts f
      JOIN area_keys ak ON ak.key = f.area_key
      JOIN indicator_keys ik ON ik.key = f.indicator_key
      JOIN disaggregation_keys gk ON gk.key = f.disaggregation_key
    WHERE ak.id = ANY(${distinct(areas)}::text[])`.execute(trx);
  await refreshRollup(trx, withPeriodCodes(facts.rows));
}

/** Facts read with their period keys, as keys with their period codes. */
const withPeriodCodes = (rows: readonly { i: string; a: string; p: number; g: string }[]): FigureKey[] =>
  rows.map((r) => ({ indicator: r.i, area: r.a, period: periodFromKey(r.p), disaggregation: r.g }));

/**
 * Recomputes the whole read model from the versions: the series links (from the catalogues), every fact
 * from the published versions, every rollup cell from the facts. For the first start after the upgrade, a
 * reference-data reload (areas, merges and catalogues change what a series and a cell are) and the CLI
 * command `rebuild-read-model`. Runs in the caller's transaction when given one.
 */
/** Indicators per statement of a rebuild: a part's published rows are staged in one temporary table. */
const REBUILD_PART = 20;

/**
 * The rebuild's work, set-based: each part of the indicators' facts in one INSERT … SELECT DISTINCT ON from
 * their staged published versions (the same choice as `refreshFacts`: a series reads the latest recorded of
 * its names' published numeric figures, its own name first on a tie), then the rollup cells they feed. Per
 * key, `refreshFacts` probes data_values and the facts a few statements per 20,000 keys — measured at
 * 25,000 values/s on an idle PostgreSQL, ~2,000/s on a loaded one; set-based it is a scan and a sort.
 */
async function rebuildFromVersions(trx: Executor, codes: readonly string[]) {
  const links = (
    await sql<{ code: string; national_code: string; root_area: string }>`
    SELECT code, national_code, root_area FROM series_links`.execute(trx)
  ).rows;
  const ref = await referenceData(trx);
  const graph = await areaGraph(trx);
  const allAreas = [...ref.areas.keys()];
  const areaKeys = await ensureKeys(trx, "area_keys", allAreas);
  await ensureKeys(trx, "indicator_keys", [...codes, ...links.flatMap((l) => [l.code, l.national_code])]);
  // The areas under each linked catalogue's root (as `seriesOf` has it): where a stored figure of one name
  // is also a figure of the other.
  const roots = distinct(links.map((l) => l.root_area));
  const under: [string, string][] = [];
  for (const area of allAreas) for (const root of roots) if (graph.above(area).has(root)) under.push([area, root]);
  // The province and nation cells each area's figures feed (`AreaGraph.cellsFed`).
  const fed: [number, number, boolean][] = [];
  for (const area of allAreas)
    for (const c of graph.cellsFed(area)) fed.push([areaKeys.get(area)!, areaKeys.get(c.cell)!, c.level === "nation"]);
  await sql`CREATE TEMPORARY TABLE IF NOT EXISTS rebuild_periods (period text, k integer) ON COMMIT DROP`.execute(trx);
  await sql`CREATE TEMPORARY TABLE IF NOT EXISTS rebuild_under (area_id text, root_area text) ON COMMIT DROP`.execute(trx);
  await sql`CREATE TEMPORARY TABLE IF NOT EXISTS rebuild_fed (area_key integer, cell_key integer, nation boolean) ON COMMIT DROP`.execute(
    trx,
  );
  await sql`CREATE TEMPORARY TABLE IF NOT EXISTS rebuild_src (indicator_code text, area_id text, period text,
    disaggregation text, value double precision, marks smallint, at bigint) ON COMMIT DROP`.execute(trx);
  await sql`TRUNCATE rebuild_under, rebuild_fed`.execute(trx);
  for (const part of chunks(under))
    await sql`INSERT INTO rebuild_under SELECT * FROM unnest(${part.map((u) => u[0])}::text[], ${part.map((u) => u[1])}::text[])`.execute(
      trx,
    );
  for (const part of chunks(fed))
    await sql`INSERT INTO rebuild_fed SELECT * FROM unnest(${part.map((f) => f[0])}::integer[], ${part.map((f) => f[1])}::integer[],
      ${part.map((f) => f[2])}::boolean[])`.execute(trx);
  await sql`ANALYZE rebuild_under`.execute(trx);
  await sql`ANALYZE rebuild_fed`.execute(trx);

  const targets = distinct([...codes, ...links.flatMap((l) => [l.code, l.national_code])]);
  for (const part of chunks(targets, REBUILD_PART)) {
    // The stored names whose figures are figures of this part's series.
    const sources = distinct([
      ...part,
      ...links.filter((l) => part.includes(l.code)).map((l) => l.national_code),
      ...links.filter((l) => part.includes(l.national_code)).map((l) => l.code),
    ]);
    await sql`TRUNCATE rebuild_src`.execute(trx);
    const staged = await sql`INSERT INTO rebuild_src
      SELECT indicator_code, area_id, period, disaggregation, value::double precision,
        ((CASE WHEN source = 'sample' THEN ${SAMPLE_MARK} ELSE 0 END) | (CASE WHEN status = 'submitted' THEN ${UNAPPROVED_MARK} ELSE 0 END))::smallint,
        (extract(epoch FROM date_trunc('milliseconds', recorded_at)) * 1000)::bigint
      FROM data_values WHERE indicator_code = ANY(${sources}::text[])
        AND published_at IS NOT NULL AND unpublished_at IS NULL AND value IS NOT NULL`.execute(trx);
    if (Number(staged.numAffectedRows ?? 0) === 0) continue;
    await sql`ANALYZE rebuild_src`.execute(trx);
    await ensureKeys(
      trx,
      "disaggregation_keys",
      (await sql<{ g: string }>`SELECT DISTINCT disaggregation AS g FROM rebuild_src`.execute(trx)).rows.map((r) => r.g),
    );
    const periods = (await sql<{ p: string }>`SELECT DISTINCT period AS p FROM rebuild_src`.execute(trx)).rows.map((r) => r.p);
    await ensurePartitions(trx, periods);
    // Period keys worked out here (core's periodKey) for the few distinct periods, not per row in SQL.
    const keyed = periods.filter((p) => periodKey(p) !== null);
    await sql`TRUNCATE rebuild_periods`.execute(trx);
    await sql`INSERT INTO rebuild_periods SELECT * FROM unnest(${keyed}::text[], ${keyed.map((p) => periodKey(p)!)}::integer[])`.execute(
      trx,
    );
    // Each candidate figure of a series: its own name ranks above a linked name's figure recorded the same millisecond.
    await sql`INSERT INTO figure_facts (indicator_key, period_key, area_key, disaggregation_key, value, marks)
      SELECT DISTINCT ON (ik.key, pk.k, ak.key, gk.key) ik.key, pk.k, ak.key, gk.key, t.value, t.marks
      FROM (
        SELECT s.indicator_code AS code, s.area_id, s.period, s.disaggregation, s.value, s.marks, s.at * 2 + 1 AS rank
        FROM rebuild_src s
        UNION ALL
        SELECT l.national_code, s.area_id, s.period, s.disaggregation, s.value, s.marks, s.at * 2
        FROM rebuild_src s JOIN series_links l ON l.code = s.indicator_code
          JOIN rebuild_under u ON u.area_id = s.area_id AND u.root_area = l.root_area
        UNION ALL
        SELECT l.code, s.area_id, s.period, s.disaggregation, s.value, s.marks, s.at * 2
        FROM rebuild_src s JOIN series_links l ON l.national_code = s.indicator_code
          JOIN rebuild_under u ON u.area_id = s.area_id AND u.root_area = l.root_area
      ) t
        JOIN rebuild_periods pk ON pk.period = t.period
        JOIN indicator_keys ik ON ik.code = t.code
        JOIN area_keys ak ON ak.id = t.area_id
        JOIN disaggregation_keys gk ON gk.code = t.disaggregation
      WHERE t.code = ANY(${part}::text[])
      ORDER BY ik.key, pk.k, ak.key, gk.key, t.rank DESC`.execute(trx);
    const partKeys = [...(await ensureKeys(trx, "indicator_keys", part)).values()];
    // The cells the part's facts feed, distinct by keys first (a fact feeds two or three cells).
    const cells = await sql<{ i: string; a: string; p: number; g: string; nation: boolean }>`
      SELECT ik.code AS i, ck.id AS a, c.period_key AS p, gk.code AS g, c.nation
      FROM (SELECT DISTINCT f.indicator_key, f.period_key, f.disaggregation_key, r.cell_key, r.nation
            FROM figure_facts f JOIN rebuild_fed r ON r.area_key = f.area_key
            WHERE f.indicator_key = ANY(${partKeys}::integer[])) c
        JOIN indicator_keys ik ON ik.key = c.indicator_key
        JOIN area_keys ck ON ck.key = c.cell_key
        JOIN disaggregation_keys gk ON gk.key = c.disaggregation_key`.execute(trx);
    const byLevel = new Map<string, Map<string, Cell>>();
    for (const r of cells.rows) {
      const cell = { indicator: r.i, area: r.a, period: periodFromKey(r.p), disaggregation: r.g };
      const level = r.nation ? "nation" : "province";
      const set = byLevel.get(level) ?? new Map<string, Cell>();
      set.set(`${cell.indicator}|${cell.area}|${cell.period}|${cell.disaggregation}`, cell);
      byLevel.set(level, set);
    }
    await computeLevels(trx, byLevel);
  }
}

export async function rebuildReadModel(db: Executor): Promise<{ facts: number; cells: number }> {
  const run = async (trx: Executor) => {
    await sql`DELETE FROM series_links`.execute(trx);
    const links = await seriesLinks(trx);
    if (links.length)
      await sql`INSERT INTO series_links (code, national_code, root_area)
        SELECT * FROM unnest(${links.map((l) => l.code)}::text[], ${links.map((l) => l.nationalCode)}::text[],
          ${links.map((l) => l.rootArea)}::text[]) ON CONFLICT DO NOTHING`.execute(trx);
    await sql`TRUNCATE figure_facts, figure_rollup`.execute(trx);
    // No figures (a first load of the reference data): nothing more to compute.
    const any = await sql<{ x: boolean }>`SELECT EXISTS (SELECT 1 FROM data_values) AS x`.execute(trx);
    const codes = !any.rows[0]?.x
      ? []
      : (
          await sql<{ code: string }>`SELECT DISTINCT indicator_code AS code FROM data_values
        WHERE published_at IS NOT NULL AND unpublished_at IS NULL AND value IS NOT NULL ORDER BY 1`.execute(trx)
        ).rows.map((r) => r.code);
    if (codes.length) await rebuildFromVersions(trx, codes);
    const counts = await sql<{ facts: string; cells: string }>`
      SELECT (SELECT count(*) FROM figure_facts) AS facts, (SELECT count(*) FROM figure_rollup) AS cells`.execute(trx);
    return { facts: Number(counts.rows[0]!.facts), cells: Number(counts.rows[0]!.cells) };
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}
