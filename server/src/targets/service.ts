import {
  foldVietnamese,
  formatDate,
  formatNumber,
  isCountUnit,
  lowerIsBetter,
  parsePeriod,
  targetProgress,
  targetStatusLabels,
  type TargetOperator,
} from "@dieuhanh/core";
import { sql, type Kysely } from "kysely";
import { recordAudit } from "../audit/service";
import { agencyRepository, type AgencyRow } from "../agencies/repository";
import { currentAgency } from "../agencies/succession";
import { servedArea } from "../catalogue/repository";
import type { RequestContext } from "../auth/principal";
import type { Executor } from "../db/bulk";
import { seriesReader } from "../catalogue/series";
import { publishedAt } from "../datavalues/repository";
import type { Schema } from "../db/schema";
import { ForbiddenError, InvalidInputError, NotFoundError, UnauthorizedError } from "../errors";
import { scopeChecker } from "../auth/scope";
import { announce } from "../events/change";

/** A plan changed: what dashboards comparing figures with it are told (events/change.ts). */
const planChange = (indicator: string, area: string, year: number) => ({
  indicators: [indicator],
  areas: [area],
  periods: [String(year)],
  at: new Date().toISOString(),
});

/** The plan year the seeded targets are for: the last year of the 2024–2025 plans. */
export const SEED_TARGET_YEAR = 2025;

/**
 * Seeds the targets the documents name, values left to enter: the national group B (the annual plan,
 * Nghị quyết 01/NQ-CP) for the nation, and Cần Thơ's group D (the People's Council resolutions) for the
 * city. Existing targets (and their entered values) are kept.
 */
export async function seedTargets(trx: Executor): Promise<number> {
  const rows = await trx
    .selectFrom("indicators as i")
    .innerJoin("catalogues as c", "c.id", "i.catalogue_id")
    .leftJoin("area_merges as m", "m.old_area_id", "c.issuing_area_id")
    .select(["i.code", "i.name", "i.kind", "c.code_prefix", "c.issuing_area_id", "m.new_area_id"])
    .where((eb) =>
      eb.or([
        eb.and([eb("c.code_prefix", "=", "QG"), eb("i.group_code", "=", "B")]),
        eb.and([eb("c.code_prefix", "=", "CT"), eb("i.group_code", "=", "D")]),
      ]),
    )
    .where("i.kind", "!=", "heading")
    .where("i.value_type", "=", "number")
    .execute();
  const targets = rows.map((r) => ({
    indicator_code: r.code,
    area_id: servedArea(r),
    target_year: SEED_TARGET_YEAR,
    source:
      r.code_prefix === "QG"
        ? "Nghị quyết của Chính phủ về nhiệm vụ, giải pháp chủ yếu thực hiện Kế hoạch phát triển kinh tế - xã hội (01/NQ-CP)"
        : "Nghị quyết của Hội đồng nhân dân thành phố Cần Thơ (chỉ tiêu hằng năm và 5 năm)",
    operator: (lowerIsBetter(r.name, foldVietnamese) ? "<=" : ">=") as TargetOperator,
    target_value: null,
    target_max: null,
    note: null,
    updated_by: null,
  }));
  if (targets.length === 0) return 0;
  const r = await trx
    .insertInto("targets")
    .values(targets)
    .onConflict((oc) => oc.columns(["indicator_code", "area_id", "target_year"]).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0);
}

/** The national target programmes and key projects of group C. */
export async function seedProgrammes(trx: Executor): Promise<void> {
  const rows = await trx
    .selectFrom("indicators as i")
    .innerJoin("indicator_agencies as a", (j) =>
      j.onRef("a.indicator_code", "=", "i.code").on("a.role", "=", "responsible").on("a.position", "=", 1),
    )
    .select(["i.code", "i.name", "i.unit", "a.agency_code"])
    .where("i.catalogue_id", "=", "qd1012")
    .where("i.group_code", "=", "C")
    .where("i.kind", "!=", "heading")
    .orderBy("i.seq")
    .execute();
  for (const r of rows) {
    const row = {
      code: r.code.replace("QG.C.", "CT-MTQG-"),
      name: r.name,
      kind: r.unit === "dự án" ? ("key_projects" as const) : ("national_target_programme" as const),
      indicator_code: r.code,
      lead_agency: r.agency_code,
      period_from: 2021,
      period_to: 2025,
    };
    await trx
      .insertInto("programmes")
      .values(row)
      .onConflict((oc) =>
        oc.column("code").doUpdateSet({ name: row.name, indicator_code: row.indicator_code, lead_agency: row.lead_agency }),
      )
      .execute();
  }
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function targetService(db: Kysely<Schema>, options: { today: () => string }) {
  async function figures(pairs: { indicator: string; area: string; year: number }[]) {
    if (pairs.length === 0) return [];
    // A provincial row and the national indicator it implements are one series (docs/decisions/0009).
    const series = await seriesReader(db, [...new Set(pairs.map((p) => p.indicator))]);
    const keys = pairs.flatMap((p) =>
      series.storedCodes
        .filter((c) => c === p.indicator || series.targetsOf(c, p.area).includes(p.indicator))
        .map((c) => ({ i: c, a: p.area, y: String(p.year) })),
    );
    const rows = await sql<{ indicator_code: string; area_id: string; period: string; value: string; recorded_at: Date }>`
      SELECT d.indicator_code, d.area_id, d.period, d.value, d.recorded_at
      FROM jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) AS k(i text, a text, y text)
      JOIN data_values d ON d.indicator_code = k.i AND d.area_id = k.a AND d.disaggregation = '' AND ${publishedAt(undefined, "d")}
        AND d.value IS NOT NULL AND (d.period = k.y OR (d.period_type = 'month' AND d.period LIKE k.y || 'M%'))`.execute(db);
    return series.unify(rows.rows);
  }

  return {
    async list(q: { indicator?: string; area?: string; year?: number; catalogue?: string }) {
      let query = db
        .selectFrom("targets as t")
        .innerJoin("indicators as i", "i.code", "t.indicator_code")
        .innerJoin("areas as a", "a.id", "t.area_id")
        .select([
          "t.id",
          "t.indicator_code",
          "i.name as indicator_name",
          "i.unit",
          "i.catalogue_id",
          "i.kind",
          "i.seq",
          "t.area_id",
          "a.name as area_name",
          "t.target_year",
          "t.source",
          "t.operator",
          "t.target_value",
          "t.target_max",
          "t.note",
          "t.updated_at",
        ]);
      if (q.indicator) query = query.where("t.indicator_code", "=", q.indicator);
      if (q.area) query = query.where("t.area_id", "=", q.area);
      if (q.year) query = query.where("t.target_year", "=", q.year);
      if (q.catalogue) query = query.where("i.catalogue_id", "=", q.catalogue);
      const rows = await query.orderBy("i.catalogue_id").orderBy("i.seq").orderBy("t.area_id").execute();
      const values = await figures(rows.map((r) => ({ indicator: r.indicator_code, area: r.area_id, year: r.target_year })));
      const items = rows.map((r) => {
        const mine = values.filter(
          (v) => v.indicator_code === r.indicator_code && v.area_id === r.area_id && v.period.startsWith(String(r.target_year)),
        );
        const annual = mine.find((v) => v.period === String(r.target_year));
        const months = mine
          .filter((v) => v.period !== String(r.target_year))
          .map((v) => ({ month: parsePeriod(v.period)!.index, value: Number(v.value) }));
        const progress = targetProgress(
          { unit: r.unit, annual: annual ? Number(annual.value) : null, months },
          r.operator,
          num(r.target_value),
          num(r.target_max),
        );
        return {
          id: String(r.id),
          indicator: r.indicator_code,
          indicatorName: r.indicator_name,
          unit: r.unit,
          catalogueId: r.catalogue_id,
          kind: r.kind,
          area: r.area_id,
          areaName: r.area_name,
          year: r.target_year,
          source: r.source,
          operator: r.operator,
          targetValue: num(r.target_value),
          targetMax: num(r.target_max),
          note: r.note,
          updatedAt: new Date(r.updated_at).toISOString(),
          ...progress,
          statusLabel: targetStatusLabels[progress.status],
        };
      });
      const count = (s: string) => items.filter((i) => i.status === s).length;
      return {
        items,
        total: items.length,
        summary: {
          achieved: count("achieved"),
          onTrack: count("on_track"),
          atRisk: count("at_risk"),
          offTrack: count("off_track"),
          noTarget: count("no_target"),
          noData: count("no_data"),
        },
        asOf: options.today(),
      };
    },

    /** Sets a target's value (or comparison); the reason and the before/after go to the audit trail. */
    async update(
      ctx: RequestContext,
      id: string,
      patch: {
        operator?: TargetOperator;
        targetValue?: number | null;
        targetMax?: number | null;
        source?: string;
        note?: string | null;
        reason: string;
      },
    ) {
      return db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom("targets").selectAll().where("id", "=", id).executeTakeFirst();
        if (!before) throw new NotFoundError(`Không có chỉ tiêu số ${id}`);
        await requireAreaScope(trx, ctx, before.area_id);
        const operator = patch.operator ?? before.operator;
        const value = patch.targetValue !== undefined ? patch.targetValue : num(before.target_value);
        const max = patch.targetMax !== undefined ? patch.targetMax : num(before.target_max);
        await checkTargetValues(trx, before.indicator_code, [
          ["targetValue", value],
          ["targetMax", max],
        ]);
        if (operator === "range" && value !== null && (max === null || max < value))
          throw new InvalidInputError("Chỉ tiêu dạng khoảng cần giá trị tối đa không nhỏ hơn giá trị tối thiểu", "targetMax");
        await trx
          .updateTable("targets")
          .set({
            operator,
            target_value: value,
            target_max: operator === "range" ? max : null,
            ...(patch.source ? { source: patch.source } : {}),
            ...(patch.note !== undefined ? { note: patch.note } : {}),
            updated_by: ctx.principal?.userId ?? null,
            updated_at: new Date(),
          })
          .where("id", "=", id)
          .execute();
        const after = await trx.selectFrom("targets").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
        // Dashboards compare figures with the plan: the indicator's answers for that year are told, after the commit.
        await announce(trx, planChange(before.indicator_code, before.area_id, before.target_year));
        await recordAudit(trx, ctx, {
          action: "target.update",
          entityType: "target",
          entityId: id,
          before,
          after,
          reason: patch.reason,
        });
        return { id };
      });
    },

    async create(
      ctx: RequestContext,
      input: {
        indicator: string;
        area: string;
        year: number;
        source: string;
        operator: TargetOperator;
        targetValue: number | null;
        targetMax: number | null;
        note: string | null;
      },
    ) {
      return db.transaction().execute(async (trx) => {
        const indicator = await trx
          .selectFrom("indicators")
          .select(["code", "value_type"])
          .where("code", "=", input.indicator)
          .executeTakeFirst();
        if (!indicator) throw new InvalidInputError(`Không có chỉ số mã '${input.indicator}'`, "indicator");
        if (indicator.value_type !== "number")
          throw new InvalidInputError(`Chỉ số ${input.indicator} không phải dạng số`, "indicator");
        const area = await trx
          .selectFrom("areas")
          .select(["id", "name", "valid_from", "valid_to"])
          .where("id", "=", input.area)
          .executeTakeFirst();
        if (!area) throw new InvalidInputError(`Không có địa bàn mã '${input.area}'`, "area");
        // A target is for a year the unit exists in (as figures are for periods it existed in).
        if (area.valid_from && `${input.year}-12-31` < String(area.valid_from))
          throw new InvalidInputError(
            `${area.name} (${area.id}) được thành lập từ ${formatDate(String(area.valid_from))}: không đặt chỉ tiêu năm ${input.year}`,
            "year",
          );
        if (area.valid_to && `${input.year}-01-01` > String(area.valid_to))
          throw new InvalidInputError(
            `${area.name} (${area.id}) đã thôi tồn tại từ sau ${formatDate(String(area.valid_to))}: không đặt chỉ tiêu năm ${input.year}`,
            "year",
          );
        await checkTargetValues(trx, input.indicator, [
          ["targetValue", input.targetValue],
          ["targetMax", input.targetMax],
        ]);
        await requireAreaScope(trx, ctx, input.area);
        const exists = await trx
          .selectFrom("targets")
          .select("id")
          .where("indicator_code", "=", input.indicator)
          .where("area_id", "=", input.area)
          .where("target_year", "=", input.year)
          .executeTakeFirst();
        if (exists) throw new InvalidInputError(`Đã có chỉ tiêu số ${exists.id} cho chỉ số, địa bàn và năm này`, "indicator");
        const row = await trx
          .insertInto("targets")
          .values({
            indicator_code: input.indicator,
            area_id: input.area,
            target_year: input.year,
            source: input.source,
            operator: input.operator,
            target_value: input.targetValue,
            target_max: input.targetMax,
            note: input.note,
            updated_by: ctx.principal?.userId ?? null,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        await announce(trx, planChange(input.indicator, input.area, input.year));
        await recordAudit(trx, ctx, { action: "target.create", entityType: "target", entityId: String(row.id), after: input });
        return { id: String(row.id) };
      });
    },

    /** The years that have targets, newest first (the targets page offers them). */
    async years(): Promise<number[]> {
      const rows = await db.selectFrom("targets").select("target_year").distinct().orderBy("target_year", "desc").execute();
      return rows.map((r) => r.target_year);
    },

    /** Programmes with their projects by province: capital plan against disbursement reported this year. */
    async programmes(year: number) {
      const programmes = await db
        .selectFrom("programmes as p")
        .leftJoin("agencies as a", "a.code", "p.lead_agency")
        .select([
          "p.code",
          "p.name",
          "p.kind",
          "p.indicator_code",
          "p.lead_agency",
          "a.name as lead_agency_name",
          "p.period_from",
          "p.period_to",
        ])
        .orderBy("p.code")
        .execute();
      // A programme's lead agency as the document names it may have been dissolved in 2025: show who leads it today.
      const agencies = new Map((await agencyRepository(db).all()).map((a) => [a.code, a]));
      const projects = await db
        .selectFrom("projects as j")
        .leftJoin("areas as a", "a.id", "j.area_id")
        .select([
          "j.code",
          "j.programme_code",
          "j.name",
          "j.area_id",
          "a.name as area_name",
          "j.capital_plan",
          "j.unit",
          "j.physical_progress",
        ])
        .orderBy("j.code")
        .execute();
      const disbursed = await sql<{ indicator_code: string; area_id: string; total: string; months: number }>`
        SELECT indicator_code, area_id, sum(value) AS total, count(*)::int AS months FROM data_values
        WHERE indicator_code IN (SELECT indicator_code FROM programmes WHERE indicator_code IS NOT NULL)
          AND disaggregation = '' AND ${publishedAt(undefined)} AND period_type = 'month' AND period LIKE ${`${year}M%`}
        GROUP BY indicator_code, area_id`.execute(db);
      const areaIds = [...new Set([...projects.map((j) => j.area_id), ...disbursed.rows.map((d) => d.area_id)])].filter(
        (a): a is string => a !== null,
      );
      const names = areaIds.length
        ? await db.selectFrom("areas").select(["id", "name"]).where("id", "in", areaIds).execute()
        : [];
      return {
        year,
        items: programmes.map((p) => {
          const mine = projects.filter((j) => j.programme_code === p.code);
          const areas = [
            ...new Set(
              [
                ...mine.map((j) => j.area_id),
                ...disbursed.rows.filter((d) => d.indicator_code === p.indicator_code).map((d) => d.area_id),
              ].filter((a): a is string => a !== null),
            ),
          ];
          const areaName = (id: string) => names.find((a) => a.id === id)?.name ?? id;
          return {
            code: p.code,
            name: p.name,
            kind: p.kind,
            indicator: p.indicator_code,
            ...leadAgency(p.lead_agency, p.lead_agency_name, agencies),
            periodFrom: p.period_from,
            periodTo: p.period_to,
            projects: mine.map((j) => ({
              code: j.code,
              name: j.name,
              area: j.area_id,
              areaName: j.area_name,
              capitalPlan: num(j.capital_plan),
              unit: j.unit,
              physicalProgress: j.physical_progress,
            })),
            byArea: areas.map((area) => {
              const plan = mine.filter((j) => j.area_id === area).reduce((s, j) => s + (num(j.capital_plan) ?? 0), 0);
              const d = disbursed.rows.find((x) => x.indicator_code === p.indicator_code && x.area_id === area);
              const spent = d ? Number(d.total) : null;
              return {
                area,
                areaName: areaName(area),
                plan: plan || null,
                disbursed: spent,
                disbursementRate: plan && spent !== null ? Math.round((spent / plan) * 1000) / 10 : null,
              };
            }),
          };
        }),
      };
    },

    async saveProject(
      ctx: RequestContext,
      input: {
        code: string;
        programme: string;
        name: string;
        area: string | null;
        capitalPlan: number | null;
        physicalProgress: number | null;
      },
    ) {
      return db.transaction().execute(async (trx) => {
        if (!(await trx.selectFrom("programmes").select("code").where("code", "=", input.programme).executeTakeFirst()))
          throw new InvalidInputError(`Không có chương trình '${input.programme}'`, "programme");
        if (input.area && !(await trx.selectFrom("areas").select("id").where("id", "=", input.area).executeTakeFirst()))
          throw new InvalidInputError(`Không có địa bàn mã '${input.area}'`, "area");
        const before = await trx.selectFrom("projects").selectAll().where("code", "=", input.code).executeTakeFirst();
        // A province's office adds and edits the projects of its own province only.
        const principal = ctx.principal;
        if (principal?.scope.areaId) {
          const scope = scopeChecker(trx);
          for (const area of [input.area, ...(before ? [before.area_id] : [])])
            if (!area || !(await scope.coversArea(principal, area)))
              throw new ForbiddenError(`Dự án ${input.code}: địa bàn ngoài phạm vi được giao của bạn`);
        }
        const row = {
          code: input.code,
          programme_code: input.programme,
          name: input.name,
          area_id: input.area,
          capital_plan: input.capitalPlan,
          physical_progress: input.physicalProgress,
          updated_by: ctx.principal?.userId ?? null,
          updated_at: new Date(),
        };
        await trx
          .insertInto("projects")
          .values(row)
          .onConflict((oc) => oc.column("code").doUpdateSet(row))
          .execute();
        await recordAudit(trx, ctx, {
          action: before ? "project.update" : "project.create",
          entityType: "project",
          entityId: input.code,
          before: before ?? null,
          after: input,
        });
        return { code: input.code };
      });
    },
  };
}

/** A province's office sets its own area's targets, not another province's or the nation's. */
async function requireAreaScope(trx: Executor, ctx: RequestContext, areaId: string) {
  if (!ctx.principal) throw new UnauthorizedError();
  if (!(await scopeChecker(trx).coversArea(ctx.principal, areaId)))
    throw new ForbiddenError(`Địa bàn ${areaId} nằm ngoài phạm vi của bạn`);
}

/** Targets of an indicator in a unit that counts (vụ, người, doanh nghiệp, …) are whole numbers, as its figures are. */
async function checkTargetValues(db: Executor, indicator: string, values: [string, number | null][]) {
  const row = await db.selectFrom("indicators").select("unit").where("code", "=", indicator).executeTakeFirst();
  if (!isCountUnit(row?.unit)) return;
  for (const [field, value] of values)
    if (value !== null && !Number.isInteger(value))
      throw new InvalidInputError(
        `Chỉ tiêu ${formatNumber(value)} không hợp lệ: đơn vị '${row!.unit}' đếm số lượng, phải là số nguyên`,
        field,
      );
}

/**
 * The agency leading a programme today (the successor of one dissolved since the document), and the name the
 * document wrote when that is another agency's.
 */
function leadAgency(code: string | null, name: string | null, agencies: Map<string, AgencyRow>) {
  const current = code ? currentAgency(code, agencies) : undefined;
  const succeeded = current !== undefined && current.code !== code;
  return {
    leadAgency: current?.code ?? code,
    leadAgencyName: current?.name ?? name,
    leadAgencyAsWritten: succeeded ? { code: code!, name: name ?? code! } : null,
  };
}
