import {
  isAdditiveUnit,
  parsePeriod,
  previousPeriod,
  sampleValues,
  type PeriodType,
  type SampleArea,
  type SampleIndicator,
  type SampleValue,
} from "@dieuhanh/core";
import { sql, type Kysely } from "kysely";
import type { Principal, RequestContext } from "../auth/principal";
import { recordAudit } from "../audit/service";
import { vietnamDate } from "../clock";
import type { Schema } from "../db/schema";
import { dataPath, readJson } from "../paths";
import type { PreparedRow } from "../datavalues/validation";
import { writeRows } from "../datavalues/writer";
import { analyzeAll } from "../db/statistics";
import { refreshReadModel, type FigureKey } from "../readmodel/maintain";
import { seriesLinks } from "../catalogue/series";
import { announce } from "../events/change";

/**
 * SAMPLE figures (số liệu mẫu) so that a fresh install shows a living product: the national groups A
 * and B for the 34 provinces (or the nation, where the indicator is national only) and Cần Thơ's
 * catalogue over its communes, for the 36 months before the current one. Every value is marked
 * `source = 'sample'`, which the API reports as `sample: true` and the UI labels "Mẫu"; `npm run cli --
 * demo remove` deletes them. The figures are deterministic (core/src/demo/sample.ts).
 */
export const DEMO_MONTHS = 36;
const DEMO_PROVINCE = "92";
type SampleStatus = "approved" | "submitted" | "draft";

interface WeightsFile {
  provinces: { code: string; population: number }[];
}

const system: Principal = {
  via: "token",
  userId: null,
  username: "demo-generator",
  displayName: "Bộ sinh số liệu mẫu",
  tokenId: null,
  role: "admin",
  scope: { agencies: null, areaId: null },
  csrfToken: null,
  canWrite: true,
};

export async function hasSampleData(db: Kysely<Schema>): Promise<boolean> {
  return (
    (await db.selectFrom("data_batches").select("id").where("channel", "=", "sample").limit(1).executeTakeFirst()) !== undefined
  );
}

/** The months from DEMO_MONTHS before `today`'s month to last month. */
function monthRange(today: Date) {
  const thisMonth = parsePeriod(`${today.getUTCFullYear()}M${String(today.getUTCMonth() + 1).padStart(2, "0")}`)!;
  let from = previousPeriod(thisMonth);
  const to = from;
  for (let i = 1; i < DEMO_MONTHS; i++) from = previousPeriod(from);
  return { from: from.code, to: to.code, last: to.code };
}

/** The first-start step "load the sample figures" (see bin/startup.ts), done in loadSampleData's transaction. */
export const SAMPLE_STARTUP_STEP = "sample-data";

export async function loadSampleData(
  db: Kysely<Schema>,
  today = new Date(),
  options: { progress?: (written: number, total: number) => void } = {},
): Promise<{ values: number; seconds: number }> {
  const started = Date.now();
  const range = monthRange(today);
  const allObligations = await db
    .selectFrom("reporting_obligations as o")
    .innerJoin("indicators as i", "i.code", "o.indicator_code")
    .innerJoin("catalogues as c", "c.id", "i.catalogue_id")
    .select([
      "i.code",
      "i.kind",
      "i.parent_code",
      "i.group_code",
      "i.name",
      "i.unit",
      "i.value_type",
      "o.period_type",
      "o.area_level",
      "o.agency_code",
      "c.code_prefix",
    ])
    .where((eb) =>
      eb.or([
        eb.and([eb("c.code_prefix", "=", "QG"), eb("i.group_code", "in", ["A", "B"])]),
        eb.and([eb("c.code_prefix", "=", "CT"), eb("o.root_area_id", "=", DEMO_PROVINCE)]),
      ]),
    )
    .where("i.value_type", "=", "number")
    .where("o.period_type", "in", ["month", "quarter", "half_year", "year"])
    .orderBy("o.id")
    .execute();
  // An indicator shared by several agencies is reported once, by the first named.
  const obligations = allObligations.filter(
    (o, i) => allObligations.findIndex((x) => x.code === o.code && x.area_level === o.area_level) === i,
  );

  const weights = readJson<WeightsFile>(dataPath("demo", "province-weights.json")).provinces;
  const mean = weights.reduce((s, p) => s + p.population, 0) / weights.length;
  const provinces: SampleArea[] = weights.map((p) => ({ id: p.code, weight: p.population / mean }));
  const nation: SampleArea[] = [{ id: "VN", weight: weights.length }];
  const communes = await db
    .selectFrom("areas")
    .select("id")
    .where("parent_id", "=", DEMO_PROVINCE)
    .where("valid_to", "is", null)
    .orderBy("id")
    .execute();
  const provinceWeight = provinces.find((p) => p.id === DEMO_PROVINCE)?.weight ?? 1;
  const communeAreas: SampleArea[] = communes.map((c, i) => ({
    id: c.id,
    weight: (provinceWeight / communes.length) * (0.5 + ((i * 37) % 100) / 100),
  }));

  const asSample = (o: (typeof obligations)[number]): SampleIndicator => ({
    code: o.code,
    kind: o.kind,
    parentCode: o.parent_code,
    group: o.group_code,
    name: o.name,
    unit: o.unit,
    periodType: o.period_type as PeriodType,
  });
  const values: (SampleValue & { agency: string; periodType: string })[] = [];
  const add = (rows: (typeof obligations)[number][], areas: SampleArea[]) => {
    for (const v of sampleValues(rows.map(asSample), areas, range, "dieuhanh-demo")) {
      const o = rows.find((r) => r.code === v.indicator)!;
      values.push({ ...v, agency: o.agency_code, periodType: o.period_type });
    }
  };
  const national = obligations.filter((o) => o.code_prefix === "QG");
  add(
    national.filter((o) => o.area_level === "province"),
    provinces,
  );
  add(
    national.filter((o) => o.area_level === "nation"),
    nation,
  );
  // Cần Thơ's catalogue over its communes: additive figures are the communes' and the city's is their
  // sum (so every level agrees); rates and indices are the city's only.
  const cantho = obligations.filter((o) => o.code_prefix === "CT");
  const additive = cantho.filter((o) => isAdditiveUnit(o.unit));
  add(
    cantho.filter((o) => !isAdditiveUnit(o.unit)),
    [{ id: DEMO_PROVINCE, weight: provinceWeight }],
  );
  const before = values.length;
  add(additive, communeAreas);
  const sums = new Map<string, (typeof values)[number]>();
  for (const v of values.slice(before)) {
    const key = `${v.indicator}|${v.period}|${v.disaggregation}`;
    const s = sums.get(key);
    if (s) s.value = Math.round((s.value + v.value) * 100) / 100;
    else sums.set(key, { ...v, area: DEMO_PROVINCE });
  }
  values.push(...sums.values());

  // One series (docs/decisions/0009): where a Cần Thơ row implements a national indicator, the national
  // figure for the city is the city's own, not a second sample drawn apart ("Thu ngân sách" once).
  const links = (await seriesLinks(db)).filter((l) => l.rootArea === DEMO_PROVINCE);
  const cityKey = (indicator: string, v: { period: string; disaggregation: string }) =>
    `${indicator}|${v.period}|${v.disaggregation}`;
  const cityFigures = new Map(values.filter((v) => v.area === DEMO_PROVINCE).map((v) => [cityKey(v.indicator, v), v.value]));
  for (const v of values) {
    if (v.area !== DEMO_PROVINCE) continue;
    const link = links.find((l) => l.nationalCode === v.indicator);
    const own = link ? cityFigures.get(cityKey(link.code, v)) : undefined;
    if (own !== undefined) v.value = own;
  }

  // The last month is still coming in: some agencies have not reported yet, so completeness shows who is late.
  const lateAgencies = new Set([...new Set(values.map((v) => v.agency))].filter((_, i) => i % 4 === 1));
  // A started quarter, half-year or year is not over: its sample figures are drafts, which no dashboard
  // shows (docs/decisions/0008); every period that has ended is published (approved, the last month submitted).
  const todayVn = vietnamDate(today);
  const ended = new Map<string, boolean>();
  const hasEnded = (code: string) => {
    if (!ended.has(code)) ended.set(code, parsePeriod(code)!.end < todayVn);
    return ended.get(code)!;
  };
  const rows: (PreparedRow & { status: SampleStatus })[] = values
    .filter((v) => !(v.period === range.last && lateAgencies.has(v.agency)))
    .map((v) => ({
      indicator: v.indicator,
      area: v.area,
      period: v.period,
      periodType: v.periodType as PreparedRow["periodType"],
      disaggregation: v.disaggregation,
      value: v.value,
      valueText: null,
      comment: null,
      action: "upsert",
      agency: v.agency,
      flags: [],
      status: !hasEnded(v.period) ? "draft" : v.period === range.last ? "submitted" : "approved",
    }));
  const ctx = { principal: system, ip: null, userAgent: "demo" };
  // One transaction for the whole sample: a load killed half-way leaves nothing (and the pending first-start
  // step, deleted here, makes the next start redo it), never half a sample that looks complete.
  await db.transaction().execute(async (trx) => {
    let written = 0;
    for (const status of ["approved", "submitted", "draft"] as const) {
      const part = rows.filter((r) => r.status === status);
      for (let i = 0; i < part.length; i += 20_000) {
        await writeRows(trx, ctx, part.slice(i, i + 20_000), { channel: "sample", status }, { dryRun: false, now: today });
        written += Math.min(20_000, part.length - i);
        options.progress?.(written, rows.length);
      }
    }
    await sql`DELETE FROM pending_startup_steps WHERE step = ${SAMPLE_STARTUP_STEP}`.execute(trx);
  });
  // The planner's statistics of the figures just written (db/statistics.ts).
  await analyzeAll(db);
  return { values: rows.length, seconds: (Date.now() - started) / 1000 };
}

/** Deletes every sample figure and its batches (history included: they were never real), audited. */
export async function removeSampleData(
  db: Kysely<Schema>,
  ctx: RequestContext = { principal: null, ip: null, userAgent: "demo" },
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    // Open dashboards are told which indicators lost their published sample figures, once this commits.
    const shown = await sql<{ code: string }>`SELECT DISTINCT indicator_code AS code FROM data_values
      WHERE source = 'sample' AND published_at IS NOT NULL AND unpublished_at IS NULL`.execute(trx);
    if (shown.rows.length)
      await announce(trx, {
        indicators: shown.rows.map((r) => r.code),
        areas: null,
        periods: null,
        at: new Date().toISOString(),
      });
    // The read model loses the sample figures leaders saw (readmodel/maintain.ts).
    const sampleKeys = await sql<FigureKey>`SELECT indicator_code AS indicator, area_id AS area, period, disaggregation
      FROM data_values WHERE source = 'sample' AND published_at IS NOT NULL AND unpublished_at IS NULL`.execute(trx);
    const deleted = await sql`DELETE FROM data_values WHERE source = 'sample'`.execute(trx);
    await sql`DELETE FROM data_batches WHERE channel = 'sample'`.execute(trx);
    await refreshReadModel(trx, sampleKeys.rows);
    // Removed on purpose: a first start that had not finished loading them must not bring them back.
    await sql`DELETE FROM pending_startup_steps WHERE step = ${SAMPLE_STARTUP_STEP}`.execute(trx);
    const count = Number(deleted.numAffectedRows ?? 0);
    await recordAudit(trx, ctx, { action: "data.sample.remove", entityType: "data_value", after: { deleted: count } });
    return count;
  });
}
