import { parsePeriod } from "@dieuhanh/core";
import type { Kysely } from "kysely";
import { recordAudit } from "../audit/service";
import type { RequestContext } from "../auth/principal";
import { scopeChecker } from "../auth/scope";
import type { Schema } from "../db/schema";
import { BatchError, UnauthorizedError, type RowError } from "../errors";
import { dataValueRepository, type DataValueRow } from "./repository";

export interface IncomingValue {
  indicator: string;
  area: string;
  period: string;
  disaggregation?: string;
  value: number;
  comment?: string | null;
}

export interface SubmitRequest {
  values: IncomingValue[];
  status: "draft" | "submitted";
  source: string;
  dryRun: boolean;
}

export function presentDataValue(v: DataValueRow) {
  return {
    indicator: v.indicator_code,
    area: v.area_id,
    period: v.period,
    disaggregation: v.disaggregation,
    value: v.value === null ? null : Number(v.value),
    comment: v.comment,
    status: v.status,
    version: v.version,
    source: v.source,
    recordedAt: new Date(v.recorded_at).toISOString(),
    supersededAt: v.superseded_at ? new Date(v.superseded_at).toISOString() : null,
  };
}

const today = () => new Date().toISOString().slice(0, 10);

/**
 * Figures in, all or nothing: every row is validated and checked against the caller's scope (the
 * indicator's responsible agency and the area) before anything is written. A change adds a version and
 * keeps the old one; the same figure sent twice changes nothing and says so.
 */
export function dataValueService(db: Kysely<Schema>) {
  const scope = scopeChecker(db);

  return {
    async submit(ctx: RequestContext, req: SubmitRequest) {
      const principal = ctx.principal;
      if (!principal) throw new UnauthorizedError();
      const codes = [...new Set(req.values.map((v) => v.indicator))];
      const areaIds = [...new Set(req.values.map((v) => v.area))];
      const [indicators, areas, responsible] = await Promise.all([
        codes.length ? db.selectFrom("indicators").select(["code", "kind"]).where("code", "in", codes).execute() : [],
        areaIds.length
          ? db.selectFrom("areas").select(["id", "valid_from", "valid_to"]).where("id", "in", areaIds).execute()
          : [],
        dataValueRepository(db).responsibleAgencies(codes),
      ]);

      const errors: RowError[] = [];
      req.values.forEach((v, i) => {
        const row = i + 1;
        const indicator = indicators.find((x) => x.code === v.indicator);
        if (!indicator) errors.push({ row, field: "indicator", message: `Không có chỉ số mã '${v.indicator}'` });
        else if (indicator.kind === "heading")
          errors.push({ row, field: "indicator", message: `'${v.indicator}' là dòng tiêu đề mục, không nhận số liệu` });
        if (!areas.some((a) => a.id === v.area))
          errors.push({ row, field: "area", message: `Không có đơn vị hành chính mã '${v.area}'` });
        const period = parsePeriod(v.period);
        if (!period)
          errors.push({
            row,
            field: "period",
            message: `Kỳ '${v.period}' không hợp lệ (ví dụ: 2025, 2025S1, 2025Q3, 2025M07, 20250715)`,
          });
        else if (period.start > today()) errors.push({ row, field: "period", message: `Kỳ ${v.period} chưa bắt đầu` });
        if (!Number.isFinite(v.value)) errors.push({ row, field: "value", message: "Giá trị phải là số" });
      });
      if (errors.length) throw new BatchError(`Có ${errors.length} lỗi, không ghi dòng nào`, errors);

      const outOfScope: RowError[] = [];
      for (const [i, v] of req.values.entries()) {
        const agencies = responsible.filter((r) => r.indicator_code === v.indicator).map((r) => r.agency_code);
        if (!(await scope.coversAnyAgency(principal, agencies))) {
          outOfScope.push({
            row: i + 1,
            field: "indicator",
            message: `Chỉ số ${v.indicator} không thuộc cơ quan trong phạm vi của bạn`,
          });
        } else if (!(await scope.coversArea(principal, v.area))) {
          outOfScope.push({ row: i + 1, field: "area", message: `Địa bàn ${v.area} nằm ngoài phạm vi của bạn` });
        }
      }
      if (outOfScope.length) {
        await recordAudit(db, ctx, {
          action: "data_value.write",
          outcome: "denied",
          entityType: "data_value",
          entityId: null,
          after: req.values,
          reason: outOfScope.map((e) => `dòng ${e.row}: ${e.message}`).join("; "),
        });
        throw new BatchError("Ngoài phạm vi được giao, không ghi dòng nào", outOfScope, 403);
      }

      const agencyOf = (code: string) => responsible.find((r) => r.indicator_code === code)?.agency_code ?? null;
      return db.transaction().execute(async (trx) => {
        const repo = dataValueRepository(trx);
        const now = new Date();
        const result = { created: 0, updated: 0, unchanged: 0, dryRun: req.dryRun };
        for (const v of req.values) {
          const key = { indicatorCode: v.indicator, areaId: v.area, period: v.period, disaggregation: v.disaggregation ?? "" };
          const current = await repo.current(key);
          const comment = v.comment ?? null;
          if (current && Number(current.value) === v.value && current.comment === comment && current.status === req.status) {
            result.unchanged++;
            continue;
          }
          if (current) result.updated++;
          else result.created++;
          if (req.dryRun) continue;
          if (current) await repo.supersede(current.id, now);
          const inserted = await repo.insert({
            indicator_code: key.indicatorCode,
            area_id: key.areaId,
            period: key.period,
            period_type: parsePeriod(key.period)!.type,
            disaggregation: key.disaggregation,
            version: (current?.version ?? 0) + 1,
            value: v.value,
            value_text: null,
            comment,
            status: req.status,
            source: req.source,
            agency_code: agencyOf(v.indicator),
            recorded_by_user: principal.userId,
            recorded_by_token: principal.tokenId,
            recorded_at: now,
            superseded_at: null,
          });
          await recordAudit(trx, ctx, {
            action: current ? "data_value.update" : "data_value.create",
            entityType: "data_value",
            entityId: `${key.indicatorCode}|${key.areaId}|${key.period}|${key.disaggregation}`,
            before: current ? presentDataValue(current) : null,
            after: presentDataValue(inserted),
          });
        }
        return result;
      });
    },

    async list(
      ctx: RequestContext,
      q: { indicator?: string; area?: string; period?: string; asOf?: string; limit: number; offset: number },
    ) {
      const principal = ctx.principal;
      if (!principal) throw new UnauthorizedError();
      // A province's officials see the figures of their province (and its communes and history) only.
      const scopeAreaIds = principal.scope.areaId ? await scope.subtree(principal.scope.areaId) : undefined;
      const { items, total } = await dataValueRepository(db).list({
        indicatorCode: q.indicator,
        areaIds: q.area ? [q.area] : undefined,
        period: q.period,
        scopeAreaIds,
        asOf: q.asOf ? new Date(q.asOf) : undefined,
        limit: q.limit,
        offset: q.offset,
      });
      return { items: items.map(presentDataValue), total };
    },
  };
}
