import type { Kysely } from "kysely";
import type { Principal } from "../auth/principal";
import { scopeChecker } from "../auth/scope";
import type { Schema } from "../db/schema";
import { writeCsv } from "./formats/csv";
import { dhis2Value } from "./formats/dhis2";
import { plainDecimal, unambiguousDecimal } from "./formats/numbers";
import { sdmxHeader, sdmxRows, type ExportedValue } from "./formats/sdmx";
import { safeCell } from "./formats/text";
import { dataValueRepository, type DataValueFilter, type DataValueKey, type DataValueRow } from "./repository";

/**
 * Exports are complete: the figures are read page by page (keyset, `exportSettings.pageRows` at a time)
 * and streamed out as each page is written, so no export is ever cut and none holds everything in
 * memory. Tests lower the page size to prove that every page reaches the file.
 */
export const exportSettings = { pageRows: 5000 };

export type ExportFormat = "csv" | "sdmx-csv" | "dhis2";
export type ExportFilter = Omit<DataValueFilter, "limit" | "offset" | "scopeAreaIds">;

function exported(v: DataValueRow & { value_exact: string | null }): ExportedValue {
  return {
    indicator: v.indicator_code,
    area: v.area_id,
    period: v.period,
    disaggregation: v.disaggregation,
    value: v.value_exact ?? (v.value === null ? null : plainDecimal(Number(v.value))),
    valueText: v.value_text,
    comment: v.comment,
    status: v.status,
    version: v.version,
    source: v.source,
    recordedAt: new Date(v.recorded_at).toISOString(),
    flags: v.flags ?? [],
    sample: v.source === "sample",
  };
}

/** The figures in the caller's scope matching the filter, one page at a time, in key order. */
export async function* exportPages(db: Kysely<Schema>, principal: Principal, filter: ExportFilter) {
  // A province's officials export the figures of their province (and its communes and history) only.
  const scopeAreaIds = principal.scope.areaId ? await scopeChecker(db).subtree(principal.scope.areaId) : undefined;
  const repository = dataValueRepository(db);
  let after: DataValueKey | null = null;
  for (;;) {
    const size = exportSettings.pageRows;
    const page = await repository.exportPage({ ...filter, scopeAreaIds, limit: size, offset: 0 }, after);
    if (page.length > 0) yield page.map(exported);
    if (page.length < size) return;
    const last = page[page.length - 1]!;
    after = { indicator: last.indicator_code, area: last.area_id, period: last.period, disaggregation: last.disaggregation };
  }
}

const CSV_COLUMNS = ["indicator", "area", "period", "disaggregation", "value", "comment", "status", "version", "sample"];

/** The product's CSV rows: plain decimals that its own reader takes back unchanged; text never a formula. */
function csvRows(values: ExportedValue[]): string {
  return writeCsv(
    values.map((v) => [
      v.indicator,
      v.area,
      v.period,
      v.disaggregation,
      v.value !== null ? unambiguousDecimal(v.value) : safeCell(v.valueText),
      safeCell(v.comment),
      v.status,
      v.version,
      v.sample ? "true" : "false",
    ]),
  );
}

/** The text of an export, piece by piece: a head, each page, a tail. */
export async function* exportText(format: ExportFormat, pages: AsyncIterable<ExportedValue[]>): AsyncGenerator<string> {
  if (format === "dhis2") {
    yield '{"dataValues":[';
    let first = true;
    for await (const page of pages) {
      yield (first ? "" : ",") + page.map((v) => JSON.stringify(dhis2Value(v))).join(",");
      first = false;
    }
    yield "]}";
    return;
  }
  // The product's CSV starts with a byte-order mark so that Excel reads its Vietnamese as UTF-8.
  yield format === "csv" ? `\uFEFF${writeCsv([], CSV_COLUMNS)}` : sdmxHeader();
  for await (const page of pages) yield format === "csv" ? csvRows(page) : sdmxRows(page);
}
