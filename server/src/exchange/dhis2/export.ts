import { parsePeriod, toDhis2Period, type Period } from "@dieuhanh/core";
import { stringify } from "csv-stringify/sync";
import { sql, type Kysely } from "kysely";
import type { Schema } from "../../db/schema";
import { DHIS2_SAMPLE_COMBO } from "../../datavalues/formats/dhis2";
import { safeCell } from "../../datavalues/formats/text";
import type { Dhis2Metadata, IdScheme } from "./metadata";
import { CSV_COLUMNS } from "./read";

/**
 * GET /api/dataValueSets: the published figures (what leaders and every export read) matching DHIS2's
 * query, with `created` (the key's first version), `lastUpdated` (this version), `storedBy` (the person who
 * recorded it — their display name — or, for a system, the API token's name) and, with includeDeleted,
 * the figures deleted since they were published (`deleted: true`, as they last stood). Read page by page
 * (keyset) and written as each page is read. Written so that the product's own import takes it back
 * unchanged: sample figures carry the SAMPLE attribute option combo (skipped, with a warning).
 */
export interface ExportQuery {
  indicators: string[];
  /** Canonical period codes. */
  periods: string[];
  /** No period asked (only lastUpdated): every period. */
  allPeriods?: boolean;
  areas: string[];
  lastUpdated: Date | null;
  includeDeleted: boolean;
  limit: number | null;
}

export interface Dhis2ExportSchemes {
  dataElement: IdScheme;
  orgUnit: IdScheme;
  combo: IdScheme;
}

interface ExportRow {
  indicator_code: string;
  area_id: string;
  period: string;
  disaggregation: string;
  version: number;
  value: string | null;
  value_text: string | null;
  comment: string | null;
  source: string;
  flags: string[] | null;
  recorded_by_user: string | null;
  recorded_by_token: string | null;
  last_updated: Date | string;
  created: Date | string;
}

export interface ExportedDhis2Value {
  dataElement: string;
  period: string;
  orgUnit: string;
  categoryOptionCombo: string;
  attributeOptionCombo: string;
  value: string;
  storedBy: string;
  created: string;
  lastUpdated: string;
  comment?: string;
  followup: boolean;
  deleted?: boolean;
}

export const dhis2ExportSettings = { pageRows: 5000 };

type Key = { i: string; a: string; p: string; g: string };

async function page(db: Kysely<Schema>, q: ExportQuery, deleted: boolean, after: Key | null, size: number) {
  const codes = q.indicators.length ? q.indicators : [""];
  const areas = q.areas.length ? q.areas : [""];
  const periods = q.periods.length ? q.periods : [""];
  const afterKey = after
    ? sql`AND (d.indicator_code, d.area_id, d.period, d.disaggregation) > (${after.i}, ${after.a}, ${after.p}, ${after.g})`
    : sql``;
  const created = sql`(SELECT min(f.recorded_at) FROM data_values f WHERE f.indicator_code = d.indicator_code
      AND f.area_id = d.area_id AND f.period = d.period AND f.disaggregation = d.disaggregation)`;
  const periodFilter = q.allPeriods ? sql`` : sql`AND d.period = ANY(${periods}::text[])`;
  const filters = sql`d.indicator_code = ANY(${codes}::text[]) AND d.area_id = ANY(${areas}::text[])
      ${periodFilter} ${afterKey}`;
  if (!deleted) {
    const since = q.lastUpdated ? sql`AND d.recorded_at >= ${q.lastUpdated}` : sql``;
    const r = await sql<ExportRow>`SELECT d.indicator_code, d.area_id, d.period, d.disaggregation, d.version,
        d.value::text AS value, d.value_text, d.comment, d.source, d.flags, d.recorded_by_user, d.recorded_by_token,
        d.recorded_at AS last_updated, ${created} AS created
      FROM data_values d
      WHERE ${filters} AND d.published_at IS NOT NULL AND d.unpublished_at IS NULL ${since}
      ORDER BY d.indicator_code, d.area_id, d.period, d.disaggregation
      LIMIT ${size}`.execute(db);
    return r.rows;
  }
  // Deleted: keys without a current version whose figure was published; the last published version, as
  // it stood, stamped with the moment it was taken back.
  const since = q.lastUpdated ? sql`AND d.superseded_at >= ${q.lastUpdated}` : sql``;
  const r = await sql<ExportRow>`SELECT DISTINCT ON (d.indicator_code, d.area_id, d.period, d.disaggregation)
        d.indicator_code, d.area_id, d.period, d.disaggregation, d.version, d.value::text AS value, d.value_text,
        d.comment, d.source, d.flags, d.recorded_by_user, d.recorded_by_token, d.superseded_at AS last_updated,
        ${created} AS created
      FROM data_values d
      WHERE ${filters} AND d.published_at IS NOT NULL ${since}
        AND NOT EXISTS (SELECT 1 FROM data_values c WHERE c.indicator_code = d.indicator_code AND c.area_id = d.area_id
          AND c.period = d.period AND c.disaggregation = d.disaggregation AND c.superseded_at IS NULL)
      ORDER BY d.indicator_code, d.area_id, d.period, d.disaggregation, d.version DESC
      LIMIT ${size}`.execute(db);
  return r.rows;
}

/** Who recorded each version: a person's display name, or the API token's name. */
async function recorders(db: Kysely<Schema>, rows: ExportRow[]) {
  const userIds = [...new Set(rows.map((r) => r.recorded_by_user).filter((x): x is string => x !== null))];
  const tokenIds = [...new Set(rows.map((r) => r.recorded_by_token).filter((x): x is string => x !== null))];
  const [users, tokens] = await Promise.all([
    userIds.length ? db.selectFrom("users").select(["id", "display_name"]).where("id", "in", userIds).execute() : [],
    tokenIds.length ? db.selectFrom("api_tokens").select(["id", "name"]).where("id", "in", tokenIds).execute() : [],
  ]);
  const userNames = new Map(users.map((u) => [u.id, u.display_name]));
  const tokenNames = new Map(tokens.map((t) => [t.id, t.name]));
  return (r: ExportRow) =>
    (r.recorded_by_token ? tokenNames.get(r.recorded_by_token) : undefined) ??
    (r.recorded_by_user ? userNames.get(r.recorded_by_user) : undefined) ??
    "Hệ thống";
}

const iso = (d: Date | string) => new Date(d).toISOString();

/** The values of the query, one page at a time: the published figures, then (when asked) the deleted ones. */
export async function* dhis2ValuePages(
  db: Kysely<Schema>,
  meta: Dhis2Metadata,
  q: ExportQuery,
  schemes: Dhis2ExportSchemes,
): AsyncGenerator<ExportedDhis2Value[]> {
  let left = q.limit ?? Infinity;
  for (const deleted of q.includeDeleted ? [false, true] : [false]) {
    let after: Key | null = null;
    while (left > 0) {
      const size = Math.min(dhis2ExportSettings.pageRows, left);
      const rows = await page(db, q, deleted, after, size);
      if (rows.length === 0) break;
      left -= rows.length;
      const storedBy = await recorders(db, rows);
      yield rows.map((r) => {
        const v: ExportedDhis2Value = {
          dataElement: meta.dataElementId(r.indicator_code, schemes.dataElement),
          period: toDhis2Period(parsePeriod(r.period)!),
          orgUnit: meta.orgUnitId(r.area_id, schemes.orgUnit),
          categoryOptionCombo: meta.comboId(r.disaggregation, schemes.combo),
          attributeOptionCombo: r.source === "sample" ? DHIS2_SAMPLE_COMBO : meta.attributeComboId(schemes.combo),
          value: r.value ?? safeCell(r.value_text) ?? "",
          storedBy: storedBy(r),
          created: iso(r.created),
          lastUpdated: iso(r.last_updated),
          followup: (r.flags ?? []).includes("outlier"),
        };
        if (r.comment !== null) v.comment = safeCell(r.comment)!;
        if (deleted) v.deleted = true;
        return v;
      });
      if (rows.length < size) break;
      const last = rows[rows.length - 1]!;
      after = { i: last.indicator_code, a: last.area_id, p: last.period, g: last.disaggregation };
    }
  }
}

export type Dhis2ExportFormat = "json" | "csv" | "xml";

/** XML attribute text: the five entities, and line breaks and tabs as references (kept through a round trip). */
const xmlAttr = (s: string) =>
  s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;")
    .replace(/\t/g, "&#9;");

/** The text of an export, piece by piece. */
export async function* dhis2ExportText(
  format: Dhis2ExportFormat,
  pages: AsyncIterable<ExportedDhis2Value[]>,
): AsyncGenerator<string> {
  if (format === "json") {
    yield '{"dataValues":[';
    let first = true;
    for await (const values of pages) {
      if (!values.length) continue;
      yield (first ? "" : ",") + values.map((v) => JSON.stringify(v)).join(",");
      first = false;
    }
    yield "]}";
    return;
  }
  if (format === "csv") {
    yield stringify([[...CSV_COLUMNS]]);
    for await (const values of pages)
      yield stringify(
        values.map((v) => [
          v.dataElement,
          v.period,
          v.orgUnit,
          v.categoryOptionCombo,
          v.attributeOptionCombo,
          v.value,
          v.storedBy,
          v.lastUpdated,
          v.comment ?? "",
          String(v.followup),
          String(v.deleted ?? false),
        ]),
      );
    return;
  }
  yield '<?xml version="1.0" encoding="UTF-8"?>\n<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0">\n';
  for await (const values of pages)
    yield values
      .map(
        (v) =>
          "<dataValue" +
          Object.entries(v)
            .map(([k, x]) => ` ${k}="${xmlAttr(String(x))}"`)
            .join("") +
          "/>\n",
      )
      .join("");
  yield "</dataValueSet>\n";
}

/** Every canonical period lying wholly between two dates (DHIS2's startDate and endDate), of every type. */
export function periodsWithin(start: string, end: string): string[] {
  const codes: string[] = [];
  const y0 = Number(start.slice(0, 4));
  const y1 = Number(end.slice(0, 4));
  const inside = (p: Period | null) => p !== null && p.start >= start && p.end <= end;
  const pad = (n: number) => String(n).padStart(2, "0");
  for (let y = y0; y <= y1; y++) {
    const candidates = [
      String(y),
      `${y}S1`,
      `${y}S2`,
      ...[1, 2, 3, 4].map((q) => `${y}Q${q}`),
      ...Array.from({ length: 12 }, (_, m) => `${y}M${pad(m + 1)}`),
      ...Array.from({ length: 53 }, (_, w) => `${y}W${pad(w + 1)}`),
    ];
    for (const c of candidates) if (inside(parsePeriod(c))) codes.push(c);
  }
  for (let t = Date.parse(`${start}T00:00:00Z`); t <= Date.parse(`${end}T00:00:00Z`); t += 86_400_000) {
    const d = new Date(t).toISOString().slice(0, 10);
    codes.push(d.replace(/-/g, ""));
  }
  return codes;
}
