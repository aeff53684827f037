import { fromDhis2Period, parseDisaggregation, disaggregationKey } from "@dieuhanh/core";
import { sql, type Kysely } from "kysely";
import type { RequestContext } from "../../auth/principal";
import { scopeChecker } from "../../auth/scope";
import type { Schema } from "../../db/schema";
import { BatchError, ConflictError, InvalidInputError, UnauthorizedError, type RowError } from "../../errors";
import { readValueCell, sampleWarning } from "../../datavalues/formats/csv";
import { DHIS2_SAMPLE_COMBO } from "../../datavalues/formats/dhis2";
import { plainDecimal } from "../../datavalues/formats/numbers";
import { readText } from "../../datavalues/formats/text";
import type { dataValueService } from "../../datavalues/service";
import { keyOf, locate, type IncomingRow, type RowLocator, type Warning } from "../../datavalues/validation";
import { dhis2Metadata, type Dhis2Metadata, type IdScheme } from "./metadata";
import type { IdSchemeName, RawSet, RawValue } from "./read";
import { conflictOf, webMessage, type ImportSummary, type WebMessage } from "./summary";

export const importStrategies = ["CREATE", "UPDATE", "CREATE_AND_UPDATE", "DELETE"] as const;
export type ImportStrategy = (typeof importStrategies)[number];

/** DHIS2's older names of the strategies, still sent by older clients. */
const strategyAliases: Record<string, ImportStrategy> = {
  NEW: "CREATE",
  UPDATES: "UPDATE",
  NEW_AND_UPDATES: "CREATE_AND_UPDATE",
  DELETES: "DELETE",
};

export function parseStrategy(text: string, where: string): ImportStrategy {
  const t = text.trim().toUpperCase();
  const s = (importStrategies as readonly string[]).includes(t) ? (t as ImportStrategy) : strategyAliases[t];
  if (!s)
    throw new InvalidInputError(
      `${where} importStrategy '${text}' không hợp lệ (CREATE, UPDATE, CREATE_AND_UPDATE, DELETE)`,
      "importStrategy",
    );
  return s;
}

export function parseIdScheme(text: string, name: string): IdScheme {
  const t = text.trim().toUpperCase();
  if (t === "UID" || t === "ID") return "UID";
  if (t === "CODE" || t === "NAME") return t;
  throw new InvalidInputError(
    `${name} '${text}' không được hỗ trợ: chỉ UID, CODE hoặc NAME (thuộc tính tùy chỉnh "attribute:…" chưa được hỗ trợ)`,
    name,
  );
}

export interface Dhis2ImportOptions {
  strategy: ImportStrategy;
  dryRun: boolean;
  status: "draft" | "submitted";
  /** Id schemes given as query parameters. */
  idSchemes: Partial<Record<IdSchemeName, string>>;
  fileName?: string | null;
  fileSha256: string;
}

interface Schemes {
  dataElement: IdScheme;
  orgUnit: IdScheme;
  combo: IdScheme;
  dataSet: IdScheme;
}

/**
 * Which scheme each kind of identifier is read in: the payload's before the query's, the specific before
 * the general (DHIS2's rules); UID by default, CODE for ADX (whose identifiers are codes by convention).
 */
function schemesOf(set: RawSet, query: Partial<Record<IdSchemeName, string>>): Schemes {
  const pick = (specific: IdSchemeName): IdScheme => {
    for (const [source, name] of [
      [set.idSchemes, specific],
      [set.idSchemes, "idScheme"],
      [query, specific],
      [query, "idScheme"],
    ] as const) {
      const text = source[name];
      if (text !== undefined) return parseIdScheme(text, name);
    }
    return set.format === "adx" ? "CODE" : "UID";
  };
  return {
    dataElement: pick("dataElementIdScheme"),
    orgUnit: pick("orgUnitIdScheme"),
    combo: pick("categoryOptionComboIdScheme"),
    dataSet: pick("dataSetIdScheme"),
  };
}

/** Where each field of a value is named in DHIS2's terms (errors name these). */
const columns = {
  indicator: "dataElement",
  area: "orgUnit",
  period: "period",
  disaggregation: "categoryOptionCombo",
  attributeOptionCombo: "attributeOptionCombo",
  dataSet: "dataSet",
  value: "value",
  comment: "comment",
};

interface Converted {
  rows: IncomingRow[];
  errors: RowError[];
  warnings: Warning[];
  /** The raw value of each row (the conflicts' `object`). */
  raw: Map<number, RawValue>;
}

/** Turns the values read into the product's rows, resolving every identifier by its scheme. */
function convert(set: RawSet, meta: Dhis2Metadata, schemes: Schemes, strategy: ImportStrategy): Converted {
  const rows: IncomingRow[] = [];
  const errors: RowError[] = [];
  const warnings: Warning[] = [];
  const raw = new Map<number, RawValue>();
  const setDataSet = set.dataSet ? meta.resolveDataSet(set.dataSet, schemes.dataSet) : null;
  for (const v of set.values) {
    raw.set(v.row, v);
    const at: RowLocator = { row: v.row, columns };
    const rowErrors: RowError[] = [...(v.problems ?? []).map((p) => locate(at, p.field, p.message))];
    const combo = v.attributeOptionCombo ?? set.attributeOptionCombo ?? "";
    if (combo === DHIS2_SAMPLE_COMBO) {
      warnings.push(sampleWarning(v.row, "attributeOptionCombo"));
      continue;
    }
    if (!meta.isDefaultCombo(combo))
      rowErrors.push(
        locate(
          at,
          "attributeOptionCombo",
          `attributeOptionCombo '${combo}' không được hỗ trợ: hệ thống chỉ nhận tổ hợp mặc định (HllvX50cXC0, default); ` +
            "không ghi số liệu này thành tổng số",
        ),
      );
    let indicator: string | null = null;
    if (!v.dataElement) rowErrors.push(locate(at, "indicator", "Thiếu dataElement"));
    else {
      const r = meta.resolveDataElement(v.dataElement, schemes.dataElement);
      if (r.ok) indicator = r.code;
      else rowErrors.push(locate(at, "indicator", r.message));
    }
    const dataSetText = v.dataSet ?? set.dataSet;
    const dataSet = v.dataSet ? meta.resolveDataSet(v.dataSet, schemes.dataSet) : setDataSet;
    if (dataSet && !dataSet.ok) rowErrors.push(locate(at, "dataSet", dataSet.message));
    else if (dataSet && indicator && !meta.dataSet(dataSet.code)?.dataElements.includes(indicator))
      rowErrors.push(
        locate(at, "dataSet", `Chỉ số ${indicator} không thuộc bộ chỉ số (dataSet) '${dataSetText}' (${dataSet.code})`),
      );
    const periodText = v.period ?? set.period ?? "";
    const period = fromDhis2Period(periodText);
    if (!period)
      rowErrors.push(
        locate(at, "period", `period '${periodText}' không hợp lệ (ví dụ 2025, 2025S1, 2025Q3, 202507, 2025W31, 20250715)`),
      );
    let area: string | null = null;
    const orgUnit = v.orgUnit ?? set.orgUnit;
    if (!orgUnit) rowErrors.push(locate(at, "area", "Thiếu orgUnit"));
    else {
      const r = meta.resolveOrgUnit(orgUnit, schemes.orgUnit);
      if (r.ok) area = r.code;
      else rowErrors.push(locate(at, "area", r.message));
    }
    let disaggregation: string | null = "";
    if (v.categories) {
      if (v.categoryOptionCombo !== undefined) {
        // DHIS2 takes the combo attribute over the category attributes; both at once is ambiguous here: refused.
        rowErrors.push(locate(at, "disaggregation", "Có cả categoryOptionCombo và thuộc tính chiều phân tổ: chỉ dùng một cách"));
        disaggregation = null;
      } else {
        const parts: Record<string, string> = {};
        for (const [dimension, option] of Object.entries(v.categories)) {
          const r = meta.resolveOption(dimension, option, schemes.combo);
          if (r.ok) parts[dimension] = r.code;
          else {
            rowErrors.push(locate(at, "disaggregation", r.message));
            disaggregation = null;
          }
        }
        if (disaggregation !== null) disaggregation = disaggregationKey(parts);
      }
    } else if (v.categoryOptionCombo !== undefined && indicator) {
      const r = meta.resolveCombo(indicator, v.categoryOptionCombo, schemes.combo);
      if (r.ok) disaggregation = r.code;
      else {
        rowErrors.push(locate(at, "disaggregation", r.message));
        disaggregation = null;
      }
    }
    const action = v.deleted || strategy === "DELETE" ? "delete" : "upsert";
    // ADX carries a textual indicator's value in its annotation (value="0"); for a number it is a comment.
    const textual = indicator !== null && meta.dataElement(indicator)?.valueType === "text";
    const valueInput = set.format === "adx" && textual && v.annotation !== undefined ? v.annotation : v.value;
    const commentInput = set.format === "adx" ? (textual ? undefined : v.annotation) : v.comment;
    const value =
      action === "delete" && (valueInput === undefined || valueInput === "")
        ? { value: null, valueText: null, valueProblem: undefined, textProblem: null }
        : typeof valueInput === "number" // a JSON number, however written (1e-7): taken as it is
          ? { value: valueInput, valueText: plainDecimal(valueInput), valueProblem: undefined, textProblem: null }
          : readValueCell(valueInput ?? "", "machine");
    if (value.textProblem) rowErrors.push(locate(at, "value", value.textProblem));
    const comment = readText(commentInput ?? "");
    if (comment.problem) rowErrors.push(locate(at, "comment", comment.problem));
    if (rowErrors.length) {
      errors.push(...rowErrors);
      continue;
    }
    rows.push({
      at,
      indicator: indicator!,
      area: area!,
      period: period!.code,
      disaggregation: disaggregation!,
      value: value.value,
      valueText: value.valueText,
      valueProblem: value.valueProblem,
      comment: comment.text.trim() ? comment.text : null,
      action,
    });
  }
  return { rows, errors, warnings, raw };
}

interface CurrentVersion {
  indicator_code: string;
  area_id: string;
  period: string;
  disaggregation: string;
  value: string | null;
  value_text: string | null;
  comment: string | null;
  status: string;
}

/** The current version of each key, for the keys whose area the caller may read (one query per 10,000). */
async function currentVersions(db: Kysely<Schema>, rows: IncomingRow[], scopeAreas: Set<string> | null) {
  const keys = new Map<string, { i: string; a: string; p: string; g: string }>();
  for (const r of rows) {
    if (scopeAreas && !scopeAreas.has(r.area)) continue;
    const g = canonicalKey(r.disaggregation);
    keys.set(keyOf({ ...r, disaggregation: g }), { i: r.indicator, a: r.area, p: r.period, g });
  }
  const found = new Map<string, CurrentVersion>();
  const all = [...keys.values()];
  for (let i = 0; i < all.length; i += 10_000) {
    const part = all.slice(i, i + 10_000);
    const r = await sql<CurrentVersion>`SELECT d.indicator_code, d.area_id, d.period, d.disaggregation, d.value::text AS value,
        d.value_text, d.comment, d.status
      FROM data_values d
      JOIN jsonb_to_recordset(${JSON.stringify(part)}::jsonb) AS k(i text, a text, p text, g text)
        ON d.indicator_code = k.i AND d.area_id = k.a AND d.period = k.p AND d.disaggregation = k.g
      WHERE d.indicator_code = ANY(${[...new Set(part.map((k) => k.i))]}::text[]) AND d.superseded_at IS NULL`.execute(db);
    for (const v of r.rows)
      found.set(keyOf({ indicator: v.indicator_code, area: v.area_id, period: v.period, disaggregation: v.disaggregation }), v);
  }
  return found;
}

const canonicalKey = (text: string) => {
  const parsed = parseDisaggregation(text);
  return parsed.ok ? parsed.key : text;
};

/**
 * Values the strategy leaves alone, counted as ignored (DHIS2): CREATE skips keys that have a value,
 * UPDATE keys that have none, a deletion a key already without a value; and a value equal to the published
 * one is unchanged (an approved figure sent back as it is stays approved). Only keys the caller may read
 * are looked at: the others go to the validation, which refuses them by scope.
 */
async function setAside(
  db: Kysely<Schema>,
  rows: IncomingRow[],
  meta: Dhis2Metadata,
  strategy: ImportStrategy,
  status: "draft" | "submitted",
  scopeAreas: Set<string> | null,
) {
  const current = await currentVersions(db, rows, scopeAreas);
  const kept: IncomingRow[] = [];
  let ignored = 0;
  for (const r of rows) {
    const inScope = !scopeAreas || scopeAreas.has(r.area);
    const cur = inScope ? current.get(keyOf({ ...r, disaggregation: canonicalKey(r.disaggregation) })) : undefined;
    let skip = false;
    if (inScope) {
      if (r.action === "delete") skip = !cur;
      else if (strategy === "CREATE") skip = cur !== undefined;
      else if (strategy === "UPDATE") skip = cur === undefined;
      if (
        !skip &&
        r.action === "upsert" &&
        cur &&
        status === "submitted" &&
        (cur.status === "submitted" || cur.status === "approved")
      ) {
        const textual = meta.dataElement(r.indicator)?.valueType === "text";
        const sameValue = textual
          ? cur.value_text === r.valueText
          : cur.value !== null && r.value !== null && r.valueProblem === undefined && Number(cur.value) === r.value;
        skip = sameValue && cur.comment === r.comment;
      }
    }
    if (skip) ignored++;
    else kept.push(r);
  }
  return { kept, ignored };
}

type Service = ReturnType<typeof dataValueService>;

/** What the route answers: the HTTP status and DHIS2's WebMessage. */
export interface ImportAnswer {
  statusCode: 200 | 403 | 409;
  body: WebMessage;
}

export async function importDataValueSet(
  db: Kysely<Schema>,
  service: Service,
  ctx: RequestContext,
  set: RawSet,
  options: Dhis2ImportOptions,
): Promise<ImportAnswer> {
  const principal = ctx.principal;
  if (!principal) throw new UnauthorizedError();
  const meta = await dhis2Metadata(db);
  const strategy = set.importStrategy !== undefined ? parseStrategy(set.importStrategy, "Thuộc tính") : options.strategy;
  // A dry run asked anywhere (query or payload) is a dry run: never written for real by mistake.
  const dryRun = options.dryRun || set.dryRun === true;
  const schemes = schemesOf(set, options.idSchemes);
  const total = set.values.length;
  const csv = set.format === "csv";
  const place = (row: number) => (csv ? `Dòng ${row}` : `Giá trị thứ ${row}`);
  const index = (row: number) => (csv ? row - 2 : row - 1);
  const summary = (partial: Partial<ImportSummary> & Pick<ImportSummary, "status" | "description">): ImportSummary => ({
    responseType: "ImportSummary",
    importCount: { imported: 0, updated: 0, ignored: total, deleted: 0 },
    conflicts: [],
    rejectedIndexes: [],
    dataSetComplete: "false",
    importOptions: {
      dryRun,
      importStrategy: strategy,
      idSchemes: {
        dataElementIdScheme: schemes.dataElement,
        orgUnitIdScheme: schemes.orgUnit,
        categoryOptionComboIdScheme: schemes.combo,
        dataSetIdScheme: schemes.dataSet,
      },
    },
    warnings: [],
    ...partial,
  });

  const converted = convert(set, meta, schemes, strategy);
  const objectOf = (e: RowError) => {
    const v = converted.raw.get(e.row);
    if (!v) return undefined;
    const f = e.field;
    const text =
      f === "indicator"
        ? v.dataElement
        : f === "area"
          ? (v.orgUnit ?? set.orgUnit)
          : f === "period"
            ? (v.period ?? set.period)
            : f === "disaggregation"
              ? (v.categoryOptionCombo ?? (v.categories ? JSON.stringify(v.categories) : undefined))
              : f === "attributeOptionCombo"
                ? (v.attributeOptionCombo ?? set.attributeOptionCombo)
                : f === "dataSet"
                  ? (v.dataSet ?? set.dataSet)
                  : f === "value"
                    ? v.value === undefined
                      ? undefined
                      : String(v.value)
                    : undefined;
    return text;
  };
  const refused = (e: BatchError | ConflictError | InvalidInputError, statusCode: 403 | 409): ImportAnswer => {
    const errors = e instanceof BatchError ? e.errors : [{ row: 0, field: e.field ?? "body", message: e.message }];
    const conflicts = errors.map((x) => conflictOf(x, objectOf(x), place, index));
    const errorCount = e instanceof BatchError ? e.errorCount : errors.length;
    const rejected = [...new Set(conflicts.flatMap((c) => c.indexes ?? []))].sort((a, b) => a - b);
    return {
      statusCode,
      body: webMessage(
        summary({
          status: "ERROR",
          description:
            `${e.message}. Hệ thống nhận cả tệp hoặc không nhận giá trị nào: không ghi giá trị nào` +
            (errorCount > conflicts.length ? ` (liệt kê ${conflicts.length} trong ${errorCount} lỗi)` : ""),
          conflicts,
          rejectedIndexes: rejected,
        }),
        statusCode,
      ),
    };
  };

  try {
    let rows = converted.rows;
    let ignored = 0;
    if (converted.errors.length === 0 && rows.length > 0) {
      const scopeAreas = principal.scope.areaId ? await scopeChecker(db).subtree(principal.scope.areaId) : null;
      const aside = await setAside(db, rows, meta, strategy, options.status, scopeAreas);
      rows = aside.kept;
      ignored = aside.ignored;
    }
    const skipped = converted.warnings;
    if (rows.length === 0 && converted.errors.length === 0) {
      return {
        statusCode: 200,
        body: webMessage(
          summary({
            status: "SUCCESS",
            description: total === 0 ? "Không có giá trị nào trong tệp" : "Không có giá trị nào cần ghi: mọi giá trị được bỏ qua",
            warnings: skipped,
          }),
          200,
        ),
      };
    }
    const result = await service.ingest(ctx, {
      rows,
      readErrors: converted.errors,
      status: options.status,
      channel: "dhis2",
      dryRun,
      fileName: options.fileName ?? null,
      fileSha256: options.fileSha256,
    });
    const warnings = [...skipped, ...result.warnings].sort((a, b) => a.row - b.row);
    return {
      statusCode: 200,
      body: webMessage(
        summary({
          status: "SUCCESS",
          description: dryRun
            ? "Chạy thử (dryRun): đã kiểm tra, không ghi gì"
            : result.batchId
              ? `Đã ghi thành lô ${result.batchId}`
              : "Không có thay đổi",
          importCount: {
            imported: result.created,
            updated: result.updated,
            deleted: result.deleted,
            ignored: result.unchanged + ignored + skipped.length,
          },
          warnings,
        }),
        200,
      ),
    };
  } catch (e) {
    if (e instanceof BatchError) return refused(e, e.statusCode === 403 ? 403 : 409);
    if (e instanceof ConflictError) return refused(e, 409);
    if (e instanceof InvalidInputError) return refused(e, 409);
    throw e;
  }
}
