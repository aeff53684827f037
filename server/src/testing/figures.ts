import { parsePeriod } from "@dieuhanh/core";
import type { Database } from "../db/database";
import type { PreparedRow } from "../datavalues/validation";
import { writeRows } from "../datavalues/writer";

export interface StoredFigure {
  indicator: string;
  area: string;
  period: string;
  value: number;
  disaggregation?: string;
}

/**
 * Stores figures as a database may already hold them, without a channel's validation: sample figures,
 * and figures recorded before a rule existed (the back series of a unit formed in the 2025 reform, which
 * no channel takes any more). For tests of what reads them (analytics, the form's comparisons).
 */
export async function storeFigures(
  database: Database,
  figures: StoredFigure[],
  options: { status?: "approved" | "submitted"; now?: Date } = {},
) {
  const agencies = await database.db
    .selectFrom("indicator_agencies")
    .select(["indicator_code", "agency_code"])
    .where("role", "=", "responsible")
    .where("indicator_code", "in", [...new Set(figures.map((f) => f.indicator))])
    .orderBy("position")
    .execute();
  const rows: PreparedRow[] = figures.map((f) => ({
    indicator: f.indicator,
    area: f.area,
    period: f.period,
    periodType: parsePeriod(f.period)!.type,
    disaggregation: f.disaggregation ?? "",
    value: f.value,
    valueText: null,
    comment: null,
    action: "upsert",
    agency: agencies.find((a) => a.indicator_code === f.indicator)?.agency_code ?? null,
    flags: [],
  }));
  const ctx = { principal: null, ip: null, userAgent: "test" };
  return database.db
    .transaction()
    .execute((trx) =>
      writeRows(
        trx,
        ctx,
        rows,
        { channel: "system", status: options.status ?? "approved" },
        { dryRun: false, now: options.now ?? new Date() },
      ),
    );
}
