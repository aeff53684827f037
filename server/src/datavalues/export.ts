import type { Kysely } from "kysely";
import type { Principal } from "../auth/principal";
import { scopeChecker } from "../auth/scope";
import type { Schema } from "../db/schema";
import { writeCsv } from "./formats/csv";
import { dhis2Value } from "./formats/dhis2";
import { plainDecimal, unambiguousDecimal } from "./formats/numbers";
import { sdmxCsvWriter, type ExportedValue } from "./formats/sdmx";
import { safeCell } from "./formats/text";
import { referenceData } from "./reference-cache";
import { sdmxCodes } from "../exchange/sdmx/codes";
import { dataValueRepository, type DataValueFilter, type DataValueRow, type ExportCursor } from "./repository";

/**
 * Exports are complete: the figures are read page by page (keyset, `exportSettings.pageRows` at a time)
 * and streamed out as each page is written, so no export is ever cut and none holds everything in
 * memory. Tests lower the page size to prove that every page reaches the file.
 */
export const exportSettings = { pageRows: 5000 };

export type ExportFormat = "csv" | "sdmx-csv" | "dhis2";
export type ExportFilter = Omit<DataValueFilter, "limit" | "offset" | "scopeAreaIds">;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function exported(v: DataValueRow & { value_exact: string | null; deleted: boolean }, history: boolean): ExportedValue {
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
    deleted: v.deleted,
    ...(history ? { validFrom: iso(v.published_at), validTo: iso(v.unpublished_at) } : {}),
  };
}

/** The figures in the caller's scope matching the filter, one page at a time, in key order. */
export async function* exportPages(db: Kysely<Schema>, principal: Principal, filter: ExportFilter) {
  // A province's officials export the figures of their province (and its communes and history) only.
  const scopeAreaIds = principal.scope.areaId ? await scopeChecker(db).subtree(principal.scope.areaId) : undefined;
  const repository = dataValueRepository(db);
  let after: ExportCursor | null = null;
  for (;;) {
    const size = exportSettings.pageRows;
    const page = await repository.exportPage({ ...filter, scopeAreaIds, limit: size, offset: 0 }, after);
    if (page.length > 0) yield page.map((v) => exported(v, filter.includeHistory ?? false));
    if (page.length < size) return;
    const last = page[page.length - 1]!;
    after = {
      indicator: last.indicator_code,
      area: last.area_id,
      period: last.period,
      disaggregation: last.disaggregation,
      id: String(last.id),
    };
  }
}

const CSV_COLUMNS = ["indicator", "area", "period", "disaggregation", "value", "comment", "status", "version", "sample"];
/** With updatedAfter, a `deleted` column: true for a figure withdrawn since (its tombstone). */
const csvColumns = (changes: boolean) => (changes ? [...CSV_COLUMNS, "deleted"] : CSV_COLUMNS);

/** The product's CSV rows: plain decimals that its own reader takes back unchanged; text never a formula. */
function csvRows(values: ExportedValue[], changes: boolean): string {
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
      ...(changes ? [v.deleted ? "true" : "false"] : []),
    ]),
  );
}

/** How an export is written beyond its format: the changes since an instant (tombstones), every version. */
export interface ExportOptions {
  changes?: boolean;
  history?: boolean;
  labels?: "id" | "both";
}

/** The text of an export, piece by piece: a head, each page, a tail. */
export async function* exportText(
  db: Kysely<Schema>,
  format: ExportFormat,
  pages: AsyncIterable<ExportedValue[]>,
  options: ExportOptions = {},
): AsyncGenerator<string> {
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
  if (format === "csv") {
    // The product's CSV starts with a byte-order mark so that Excel reads its Vietnamese as UTF-8.
    const changes = options.changes ?? false;
    yield `\uFEFF${writeCsv([], csvColumns(changes))}`;
    for await (const page of pages) yield csvRows(page, changes);
    return;
  }
  const ref = await referenceData(db);
  const writer = sdmxCsvWriter(sdmxCodes(ref), (code) => ref.indicators.get(code)?.unit ?? null, options);
  yield writer.header();
  for await (const page of pages) yield writer.rows(page);
}
