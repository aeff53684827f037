import { defaultDeadlineDays, reportableLevels, type ScopeLevel } from "@dieuhanh/core";
import { sql, type Kysely } from "kysely";
import { recordAudit } from "../audit/service";
import type { RequestContext } from "../auth/principal";
import type { Schema } from "../db/schema";
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from "../errors";
import { scopeChecker } from "../auth/scope";
import { agencyRepository } from "../agencies/repository";
import { servedArea } from "../catalogue/repository";
import { currentAgency } from "../agencies/succession";
import { insertJsonRows, type Executor } from "../db/bulk";
import type { ReportingObligationsTable } from "../db/schema";

type ObligationPeriod = ReportingObligationsTable["period_type"];
const finestFirst: ObligationPeriod[] = ["day", "week", "month", "quarter", "half_year", "year"];

/** Days after the deadline before entry locks, unless the office reopens it. */
export const DEFAULT_LOCK_AFTER_DAYS = 30;

/**
 * The reporting schedule (chế độ báo cáo) the catalogues imply: each indicator's responsible agency
 * (as it exists today) reports it at its most frequent period, for the areas its scope names —
 * a national indicator for the provinces when its scope says "tỉnh", else for the nation; a province's
 * indicator for the province, or its communes when its scope names districts. Editable afterwards.
 */
export async function seedObligations(trx: Executor): Promise<number> {
  const indicators = await trx
    .selectFrom("indicators as i")
    .innerJoin("catalogues as c", "c.id", "i.catalogue_id")
    .leftJoin("area_merges as m", "m.old_area_id", "c.issuing_area_id")
    .innerJoin("indicator_agencies as a", (j) => j.onRef("a.indicator_code", "=", "i.code").on("a.role", "=", "responsible"))
    .select(["i.code", "i.kind", "i.period_types", "i.scope_levels", "c.issuing_area_id", "m.new_area_id", "a.agency_code"])
    .where("i.kind", "!=", "heading")
    .execute();
  const agencies = new Map((await agencyRepository(trx).all()).map((a) => [a.code, a]));
  const rows: Omit<ReportingObligationsTable, "id" | "active" | "updated_at">[] = [];
  const seen = new Set<string>();
  for (const i of indicators) {
    const national = i.issuing_area_id === "VN";
    const levels = reportableLevels(national ? "nation" : "province", i.scope_levels as ScopeLevel[]);
    const areaLevel: ReportingObligationsTable["area_level"] = national
      ? levels.includes("province")
        ? "province"
        : "nation"
      : (i.scope_levels as string[]).some((l) => l === "district" || l === "commune")
        ? "commune"
        : "province";
    // The monthly report is the backbone (daily figures come from systems through the API); otherwise the most frequent.
    const periodType = i.period_types.includes("month")
      ? "month"
      : (finestFirst.find((t) => i.period_types.includes(t)) ?? "year");
    const agency = currentAgency(i.agency_code, agencies)?.code ?? i.agency_code;
    const root = servedArea(i);
    const key = `${agency}|${i.code}|${root}|${areaLevel}|${periodType}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push({
      agency_code: agency,
      indicator_code: i.code,
      root_area_id: root,
      area_level: areaLevel,
      period_type: periodType,
      deadline_days: defaultDeadlineDays[periodType],
      lock_after_days: DEFAULT_LOCK_AFTER_DAYS,
      updated_by: null,
    });
  }
  await sql`DELETE FROM reporting_obligations`.execute(trx);
  await insertJsonRows(trx, "reporting_obligations", rows);
  return rows.length;
}

export function obligationService(db: Kysely<Schema>) {
  function present(o: ObligationRow) {
    return {
      id: o.id,
      agency: o.agency_code,
      agencyName: o.agency_name,
      indicator: o.indicator_code,
      indicatorName: o.indicator_name,
      rootArea: o.root_area_id,
      areaLevel: o.area_level,
      periodType: o.period_type,
      deadlineDays: o.deadline_days,
      lockAfterDays: o.lock_after_days,
      active: o.active,
      updatedAt: new Date(o.updated_at).toISOString(),
    };
  }
  function query(trx: Executor) {
    return trx
      .selectFrom("reporting_obligations as o")
      .innerJoin("agencies as a", "a.code", "o.agency_code")
      .innerJoin("indicators as i", "i.code", "o.indicator_code")
      .select([
        "o.id",
        "o.agency_code",
        "a.name as agency_name",
        "o.indicator_code",
        "i.name as indicator_name",
        "o.root_area_id",
        "o.area_level",
        "o.period_type",
        "o.deadline_days",
        "o.lock_after_days",
        "o.active",
        "o.updated_at",
      ]);
  }
  type ObligationRow = Awaited<ReturnType<ReturnType<typeof query>["executeTakeFirstOrThrow"]>>;

  return {
    async list(q: { agency?: string; indicator?: string; limit: number; offset: number }) {
      let base = db.selectFrom("reporting_obligations as o");
      if (q.agency) base = base.where("o.agency_code", "=", q.agency);
      if (q.indicator) base = base.where("o.indicator_code", "=", q.indicator);
      const ids = (
        await base.select("o.id").orderBy("o.agency_code").orderBy("o.indicator_code").limit(q.limit).offset(q.offset).execute()
      ).map((r) => r.id);
      const total = Number((await base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);
      const rows = ids.length
        ? await query(db).where("o.id", "in", ids).orderBy("o.agency_code").orderBy("o.indicator_code").execute()
        : [];
      return { items: rows.map(present), total };
    },

    /** Changes a schedule entry; the reason and the before/after go to the audit trail. */
    async update(
      ctx: RequestContext,
      id: number,
      patch: {
        deadlineDays?: number;
        lockAfterDays?: number | null;
        periodType?: ObligationPeriod;
        active?: boolean;
        reason: string;
      },
    ) {
      return db.transaction().execute(async (trx) => {
        const before = await query(trx).where("o.id", "=", id).executeTakeFirst();
        if (!before) throw new NotFoundError(`Không có chế độ báo cáo số ${id}`);
        // A province's office sets its own agencies' schedules, not another province's or the nation's.
        if (!ctx.principal) throw new UnauthorizedError();
        const scope = scopeChecker(trx);
        if (
          !(await scope.coversAnyAgency(ctx.principal, [before.agency_code])) ||
          !(await scope.coversArea(ctx.principal, before.root_area_id))
        )
          throw new ForbiddenError(`Chế độ báo cáo số ${id} (${before.agency_name}) ngoài phạm vi của bạn`);
        const clash = patch.periodType
          ? await trx
              .selectFrom("reporting_obligations")
              .select("id")
              .where("agency_code", "=", before.agency_code)
              .where("indicator_code", "=", before.indicator_code)
              .where("root_area_id", "=", before.root_area_id)
              .where("area_level", "=", before.area_level)
              .where("period_type", "=", patch.periodType)
              .where("id", "!=", id)
              .executeTakeFirst()
          : undefined;
        if (clash) throw new ConflictError(`Đã có chế độ báo cáo số ${clash.id} cho cùng cơ quan, chỉ số và kỳ`, "periodType");
        await trx
          .updateTable("reporting_obligations")
          .set({
            ...(patch.deadlineDays !== undefined ? { deadline_days: patch.deadlineDays } : {}),
            ...(patch.lockAfterDays !== undefined ? { lock_after_days: patch.lockAfterDays } : {}),
            ...(patch.periodType !== undefined ? { period_type: patch.periodType } : {}),
            ...(patch.active !== undefined ? { active: patch.active } : {}),
            updated_by: ctx.principal?.userId ?? null,
            updated_at: new Date(),
          })
          .where("id", "=", id)
          .execute();
        const after = await query(trx).where("o.id", "=", id).executeTakeFirstOrThrow();
        await recordAudit(trx, ctx, {
          action: "reporting_obligation.update",
          entityType: "reporting_obligation",
          entityId: String(id),
          before: present(before),
          after: present(after),
          reason: patch.reason,
        });
        return present(after);
      });
    },
  };
}
