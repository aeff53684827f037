import { foldVietnamese } from "@dieuhanh/core";
import { sql } from "kysely";
import { scopeChecker } from "../auth/scope";
import { publishedAt } from "../datavalues/repository";
import type { Executor } from "../db/bulk";

/**
 * One series (một chuỗi số liệu) for a provincial catalogue row and the national indicator it implements:
 * Cần Thơ's "Thu ngân sách" (CT.A.I.3) and the national "Thu ngân sách" (QG.A.II.1) for Cần Thơ and its
 * communes are two names of the same figures. docs/decisions/0009.
 *
 * A row implements its national indicator (its `national_code`) when it measures the same quantity: a
 * figure (not text, not a heading) with a reporting frequency, in the same unit, and the only such row of
 * its catalogue linked to that national code. Rows that only break the national indicator down (the
 * three school levels of "Giáo dục", counted in schools where the nation counts pupils) or restate it
 * for another purpose (the plan-year "Tổng thu ngân sách theo chỉ tiêu giao", with no frequency) are
 * linked for reading but stay series of their own.
 */
export interface SeriesLink {
  /** The provincial row. */
  code: string;
  nationalCode: string;
  /** The area the provincial catalogue serves: the link holds within its subtree. */
  rootArea: string;
}

/** Units written differently for the same quantity. */
const unitSynonyms = [
  ["luot khach", "luot nguoi", "luot"],
  ["hanh khach", "luot hanh khach"],
];
const unitKey = (unit: string | null) => {
  const u = foldVietnamese(unit ?? "").trim();
  return unitSynonyms.find((group) => group.includes(u))?.[0] ?? u;
};

/**
 * A national indicator of the central level ("Chi ngân sách trung ương") is not what a province's row
 * linked to it measures ("Chi ngân sách địa phương", "Chi ngân sách"): the catalogues link them as the
 * same topic, but they are different figures.
 */
const centralOnly = (nationalName: string, name: string) =>
  foldVietnamese(nationalName).includes("trung uong") && !foldVietnamese(name).includes("trung uong");

/** The provincial rows that implement a national indicator (few hundred rows, read per query). */
export async function seriesLinks(db: Executor): Promise<SeriesLink[]> {
  const rows = await db
    .selectFrom("indicators as p")
    .innerJoin("indicators as n", "n.code", "p.national_code")
    .innerJoin("catalogues as c", "c.id", "p.catalogue_id")
    .leftJoin("area_merges as m", "m.old_area_id", "c.issuing_area_id")
    .select([
      "p.code",
      "p.name",
      "p.catalogue_id",
      "p.national_code",
      "p.unit",
      "n.name as national_name",
      "n.unit as national_unit",
      "c.issuing_area_id",
      "m.new_area_id",
    ])
    .where("p.kind", "!=", "heading")
    .where("p.value_type", "=", "number")
    .where("n.value_type", "=", "number")
    .where(sql<boolean>`cardinality(p.period_types) > 0`)
    .where("c.issuing_area_id", "!=", "VN")
    .orderBy("p.catalogue_id")
    .orderBy("p.seq")
    .execute();
  const same = rows.filter((r) => unitKey(r.unit) === unitKey(r.national_unit) && !centralOnly(r.national_name, r.name));
  const count = new Map<string, number>();
  for (const r of same)
    count.set(`${r.catalogue_id}|${r.national_code}`, (count.get(`${r.catalogue_id}|${r.national_code}`) ?? 0) + 1);
  return same
    .filter((r) => count.get(`${r.catalogue_id}|${r.national_code}`) === 1)
    .map((r) => ({ code: r.code, nationalCode: r.national_code!, rootArea: r.new_area_id ?? r.issuing_area_id ?? "VN" }));
}

/**
 * The links and the areas under each provincial catalogue change only when the reference data is reloaded:
 * read once a minute per database (every analytics query needs them; reading them took some 50 ms).
 */
const REFERENCE_TTL_MS = 60_000;
const linkCache = new WeakMap<object, { at: number; links: SeriesLink[]; subtrees: Map<string, Set<string>> }>();
async function knownLinks(db: Executor) {
  let c = linkCache.get(db);
  if (!c || Date.now() - c.at > REFERENCE_TTL_MS) {
    c = { at: Date.now(), links: await seriesLinks(db), subtrees: new Map() };
    linkCache.set(db, c);
  }
  const entry = c;
  return {
    links: entry.links,
    async subtree(root: string) {
      let set = entry.subtrees.get(root);
      if (!set) {
        set = await scopeChecker(db).subtree(root);
        entry.subtrees.set(root, set);
      }
      return set;
    },
  };
}

/**
 * What to read for `requested` indicator codes so that each reads its whole series: the codes stored
 * (requested ones and their partners) and, for a stored figure, the requested codes it is a figure of.
 * A national code reads its provincial implementation's figures; a provincial code reads the national
 * code's figures only for areas its catalogue serves.
 */
export async function seriesReader(db: Executor, requested: readonly string[]) {
  const wanted = new Set(requested);
  const known = await knownLinks(db);
  const links = known.links.filter((l) => wanted.has(l.code) || wanted.has(l.nationalCode));
  const subtrees = new Map<string, Set<string>>();
  for (const root of new Set(links.map((l) => l.rootArea))) subtrees.set(root, await known.subtree(root));
  const storedCodes = [...new Set([...requested, ...links.flatMap((l) => [l.code, l.nationalCode])])];
  const targetsOf = (code: string, area: string): string[] => {
    const out = wanted.has(code) ? [code] : [];
    for (const l of links) {
      if (!subtrees.get(l.rootArea)!.has(area)) continue;
      if (l.code === code && wanted.has(l.nationalCode)) out.push(l.nationalCode);
      if (l.nationalCode === code && wanted.has(l.code)) out.push(l.code);
    }
    return out;
  };
  return {
    storedCodes,
    targetsOf,
    /**
     * Stored figures (read for `storedCodes`) as figures of the requested codes: one per requested code,
     * area, period and disaggregation — the latest recorded when both names hold one (the same code first
     * on a tie), so a figure written under either name is the newest version of the one series.
     */
    unify<
      T extends { indicator_code: string; area_id: string; period: string; recorded_at: Date | string; disaggregation?: string },
    >(rows: readonly T[]): T[] {
      const best = new Map<string, { rank: number; row: T }>();
      for (const r of rows) {
        const at = new Date(r.recorded_at).getTime() * 2;
        for (const code of targetsOf(r.indicator_code, r.area_id)) {
          const key = `${code}|${r.area_id}|${r.period}|${r.disaggregation ?? ""}`;
          const rank = at + (code === r.indicator_code ? 1 : 0);
          if ((best.get(key)?.rank ?? -Infinity) < rank) best.set(key, { rank, row: { ...r, indicator_code: code } });
        }
      }
      return [...best.values()].map((b) => b.row);
    },
  };
}

/**
 * The indicators of a catalogue that have published figures for the children of `parent` in `period` —
 * what a drill-down to a province's communes can show — counting a provincial row's figures for the
 * national indicator it implements and the other way round.
 */
export async function indicatorsWithChildData(db: Executor, q: { catalogueId: string; parent: string; period: string }) {
  const stored = await sql<{ indicator_code: string; n: string }>`
    SELECT v.indicator_code, count(DISTINCT v.area_id) AS n FROM data_values v
    JOIN areas a ON a.id = v.area_id AND a.parent_id = ${q.parent} AND a.valid_to IS NULL
    WHERE v.period = ${q.period} AND v.disaggregation = '' AND v.value IS NOT NULL AND ${publishedAt(undefined, "v")}
    GROUP BY v.indicator_code`.execute(db);
  const counts = new Map(stored.rows.map((r) => [r.indicator_code, Number(r.n)]));
  const known = await knownLinks(db);
  for (const l of known.links) {
    if (!(await known.subtree(l.rootArea)).has(q.parent)) continue;
    const n = Math.max(counts.get(l.code) ?? 0, counts.get(l.nationalCode) ?? 0);
    if (n > 0) for (const c of [l.code, l.nationalCode]) counts.set(c, n);
  }
  const rows = counts.size
    ? await db
        .selectFrom("indicators")
        .select(["code", "name", "unit"])
        .where("catalogue_id", "=", q.catalogueId)
        .where("code", "in", [...counts.keys()])
        .orderBy("seq")
        .execute()
    : [];
  return rows.map((r) => ({ code: r.code, name: r.name, unit: r.unit, areasWithData: counts.get(r.code)! }));
}
