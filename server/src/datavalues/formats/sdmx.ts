import { fromSdmxPeriod, parseDisaggregation, parsePeriod, toSdmxPeriod, type Period } from "@dieuhanh/core";
import type { RowError } from "../../errors";
import {
  FREQ_OF,
  SDMX_AGENCY,
  SDMX_DSD,
  SDMX_FLOW,
  SDMX_STRUCTURE_ID,
  SDMX_TOTAL,
  SDMX_VERSION,
  dimensionId,
  indicatorCode,
  indicatorId,
  type SdmxCodes,
} from "../../exchange/sdmx/codes";
import { locate, type IncomingRow, type RowLocator } from "../validation";
import { isMarkedSample, readDelimited, readValueCell, sampleWarning, writeCsv } from "./csv";
import { ErrorList } from "./limits";
import { readText, safeCell, type ReadResult } from "./text";

export { SDMX_STRUCTURE_ID };

/**
 * SDMX-CSV for the product's dataflow VN_DH:DF_DIEUHANH(1.0) (data structure VN_DH:DSD_DIEUHANH(1.0); the
 * structures are published at /api/sdmx/structure/…, exchange/sdmx/structure.ts). Written (2.0.0):
 *   STRUCTURE,STRUCTURE_ID,ACTION,FREQ,INDICATOR,REF_AREA,<one column per disaggregation dimension>,TIME_PERIOD,
 *   OBS_VALUE,UNIT_MEASURE,OBS_STATUS,SAMPLE,COMMENT
 *   dataflow,VN_DH:DF_DIEUHANH(1.0),M,M,CT_A_I_3,92,_T,…,_T,2025-10,1234.5,TY_DONG,A,false,
 * Codes are SDMX identifiers (exchange/sdmx/codes.ts): `CT_A_I_3` for the indicator CT.A.I.3, `_T` for a
 * dimension's total, the unit's code. ACTION is M (merge) for a figure, D for a figure withdrawn (an export
 * asked with updatedAfter); the deprecated I is never written.
 *
 * Read as the SDMX-CSV field guide (2.0/2.1) and SDMX 3.0 (Section 3A, "Part IV Data": omitted and present
 * components per action) define, and SDMX-CSV 1.0 (a first DATAFLOW column, no ACTION: merge):
 * - STRUCTURE dataflow (VN_DH:DF_DIEUHANH with or without its version 1.0) or datastructure
 *   (VN_DH:DSD_DIEUHANH); dataprovision is refused (the product has no provision agreement).
 * - labels=both: "ID: name" in headers and coded cells (the ID is taken); labels=name (STRUCTURE_NAME and
 *   name columns) is refused.
 * - M (and A, and the deprecated I, read as M): an empty or absent OBS_VALUE or COMMENT keeps the stored
 *   one; R: an empty or absent one is replaced by nothing (COMMENT becomes null; a figure without a value
 *   is withdrawn); `NaN` in OBS_VALUE is an intentionally missing value: the figure is withdrawn.
 * - D: empty or absent dimensions are wildcards (expanded to the stored figures by `expandWildcards`,
 *   exchange/sdmx/wildcards.ts; the indicator must be given); a D row with a non-empty OBS_VALUE (e.g. "-")
 *   or no value at all deletes the figure, one with only COMMENT "-" deletes the comment.
 * - The legacy DISAGGREGATION column (the product's key "sex=F", `_T` for the total) is read too.
 * - FREQ must be the period's; UNIT_MEASURE (a code of the unit list, or the unit as written) must be the
 *   indicator's (validation.ts); UNIT_MULT other than 0 is refused (the product does not scale values).
 * - One measure: a second measure column (OBS_VALUE2, MEASURE_…) is refused, naming the column.
 * SAMPLE is the dataflow's attribute marking the system's sample figures (true): such rows are left out
 * on import, with a warning.
 */

/** A D row with wildcards: every stored figure matching it is to be deleted. */
export interface WildcardDelete {
  at: RowLocator;
  indicator: string;
  area: string | null;
  period: string | null;
  /** The legacy DISAGGREGATION cell when given (the exact key; "" = total), else null. */
  disaggregation: string | null;
  /** The dimension columns given: option, "" for the total; a dimension absent here is a wildcard. */
  parts: Record<string, string>;
}

export interface SdmxReadResult extends ReadResult {
  wildcards: WildcardDelete[];
}

const columnsOf = {
  indicator: "INDICATOR",
  area: "REF_AREA",
  period: "TIME_PERIOD",
  disaggregation: "DISAGGREGATION",
  value: "OBS_VALUE",
  comment: "COMMENT",
  action: "ACTION",
  structure: "STRUCTURE_ID",
  unit: "UNIT_MEASURE",
  unitMultiplier: "UNIT_MULT",
  frequency: "FREQ",
  sample: "SAMPLE",
};
/** Other names of columns, as national statistics offices write them (Eurostat's geo, unit). */
const ALIASES: Record<string, string> = { GEO: "REF_AREA", UNIT: "UNIT_MEASURE", COMMENT_OBS: "COMMENT" };
const NAN = new Set(["NaN", "NAN", "nan", "#N/A"]);

/** A header cell's component id: "INDICATOR: Chỉ số" (labels=both) and "STRUCTURE[;]" give their id. */
const headerId = (h: string) => {
  const id = h
    .split(": ")[0]!
    .trim()
    .replace(/\[.*\]$/, "")
    .toUpperCase();
  return ALIASES[id] ?? id;
};
/** A coded cell's id: "CT_A_I_3: Tên chỉ số" (labels=both) gives CT_A_I_3. */
const codeOf = (cell: string) => cell.split(": ")[0]!.trim();

/** Reads the structure reference of a row; null when it is the product's dataflow, else the problem. */
function structureProblem(kind: string, id: string): string | null {
  const type = kind.trim().toLowerCase() || "dataflow";
  if (type === "dataprovision" || type === "provisionagreement")
    return `STRUCTURE '${kind}': hệ thống chưa có thỏa thuận cung cấp dữ liệu (dataprovision); gửi theo dataflow ${SDMX_STRUCTURE_ID}`;
  if (type !== "dataflow" && type !== "datastructure")
    return `STRUCTURE '${kind}' không hợp lệ (dataflow, datastructure hoặc dataprovision)`;
  const m = /^(?:([A-Za-z0-9_@$-]+):)?([A-Za-z0-9_@$-]+)(?:\(([0-9.+~*]+)\))?$/.exec(id);
  const expected = type === "datastructure" ? SDMX_DSD : SDMX_FLOW;
  const versionOk = (v: string | undefined) => v === undefined || v === SDMX_VERSION || v === `${SDMX_VERSION}.0`;
  if (m && (m[1] === undefined || m[1] === SDMX_AGENCY) && m[2] === expected) {
    if (versionOk(m[3])) return null;
    return `Phiên bản '${m[3]}' của ${SDMX_AGENCY}:${m[2]} không có (có ${SDMX_VERSION})`;
  }
  return `${type === "datastructure" ? "Cấu trúc dữ liệu" : "Luồng dữ liệu"} '${id}' không phải ${SDMX_AGENCY}:${expected}(${SDMX_VERSION})`;
}

/** The period type of each SDMX frequency code. */
const periodTypeOfFreq = Object.fromEntries(Object.entries(FREQ_OF).map(([type, f]) => [f, type])) as Record<
  string,
  Period["type"]
>;

export async function readSdmxCsv(body: Buffer | string | AsyncIterable<Buffer>, codes: SdmxCodes): Promise<SdmxReadResult> {
  const rows: IncomingRow[] = [];
  const wildcards: WildcardDelete[] = [];
  const errors = new ErrorList();
  const warnings: ReadResult["warnings"] = [];
  let header: string[] = [];
  const index = new Map<string, number>();
  const dimensionColumns = new Map<string, string>(); // SDMX id → product dimension code
  for (const d of codes.dimensions) dimensionColumns.set(dimensionId(d), d);
  const has = (name: string) => index.has(name);
  const problem = await readDelimited(body, {
    header(names) {
      header = names.map(headerId);
      const duplicate = header.find((h, i) => h !== "" && header.indexOf(h) !== i);
      if (duplicate) return `Cột ${duplicate} xuất hiện hai lần`;
      header.forEach((h, i) => index.set(h, i));
      if (has("STRUCTURE_NAME"))
        return "SDMX-CSV labels=name (cột STRUCTURE_NAME và cột tên) không được nhận: gửi labels=id hoặc labels=both";
      const measures = header.filter((h) => /^OBS_VALUE.+|^MEASURE(_.*)?$|^MEAS_.+/.test(h));
      if (measures.length)
        return `Cột ${measures.join(", ")}: luồng dữ liệu ${SDMX_STRUCTURE_ID} chỉ có một đo lường, OBS_VALUE (mỗi chỉ số một dòng, mã ở cột INDICATOR)`;
      if (!has("STRUCTURE_ID") && !has("DATAFLOW"))
        return "Không phải SDMX-CSV: thiếu cột STRUCTURE, STRUCTURE_ID (SDMX-CSV 2.0) hoặc DATAFLOW (SDMX-CSV 1.0)";
      if (has("DISAGGREGATION") && [...dimensionColumns.keys()].some(has))
        return "Dùng cột DISAGGREGATION hoặc các cột chiều phân tổ (SEX, …), không dùng cả hai";
      return null;
    },
    record(rec, row) {
      const at = { row, columns: columnsOf };
      const raw = (name: string) => (has(name) ? (rec[index.get(name)!] ?? "") : "");
      const cell = (name: string) => raw(name).trim();
      if (rec.length !== header.length) {
        errors.add(locate(at, "file", `Dòng có ${rec.length} cột, dòng tiêu đề có ${header.length} cột`));
        return;
      }
      if (isMarkedSample(cell("SAMPLE"))) {
        warnings.push(sampleWarning(row));
        return;
      }
      const rowErrors: RowError[] = [];
      const fail = (field: string, message: string) => rowErrors.push(locate(at, field, message));
      const structure = has("STRUCTURE_ID") ? codeOf(cell("STRUCTURE_ID")) : codeOf(cell("DATAFLOW"));
      const structureProblem_ = structure
        ? structureProblem(has("STRUCTURE") ? cell("STRUCTURE") : "dataflow", structure)
        : `Thiếu mã luồng dữ liệu (${SDMX_STRUCTURE_ID})`;
      if (structureProblem_) fail("structure", structureProblem_);
      // SDMX-CSV 1.0 and a file without ACTION: merge. A (append) and the deprecated I (information): merge.
      const actionCode = (cell("ACTION") || "M").toUpperCase();
      if (!["I", "A", "M", "R", "D"].includes(actionCode))
        fail("action", `ACTION '${actionCode}' không hợp lệ (M gộp, R thay thế, D xóa; A và I đọc như M)`);
      const action = actionCode === "D" ? "D" : actionCode === "R" ? "R" : "M";
      const multiplier = cell("UNIT_MULT");
      if (multiplier !== "" && multiplier !== "0")
        fail(
          "unitMultiplier",
          `UNIT_MULT '${multiplier}': giá trị phải ghi đủ theo đơn vị của chỉ số (UNIT_MULT 0), hệ thống không nhân hệ số`,
        );

      // The key: empty cells are wildcards in D rows, and must be given otherwise (a disaggregation
      // dimension left empty in M or R is its total).
      const indicatorCell = codeOf(cell("INDICATOR"));
      const indicator = indicatorCell ? indicatorCode(indicatorCell) : "";
      const area = codeOf(cell("REF_AREA"));
      const periodCell = codeOf(cell("TIME_PERIOD"));
      const period = periodCell ? fromSdmxPeriod(periodCell) : null;
      if (periodCell && !period)
        fail("period", `TIME_PERIOD '${periodCell}' không hợp lệ (ví dụ 2025, 2025-S1, 2025-Q3, 2025-07, 2025-W31, 2025-07-15)`);
      const freq = codeOf(cell("FREQ")).toUpperCase();
      if (freq && !periodTypeOfFreq[freq]) fail("frequency", `FREQ '${freq}' không hợp lệ (A, S, Q, M, W hoặc D)`);
      else if (freq && period && periodTypeOfFreq[freq] !== period.type)
        fail("frequency", `FREQ '${freq}' không khớp kỳ ${periodCell} (kỳ này có FREQ ${FREQ_OF[period.type]})`);
      const parts: Record<string, string> = {};
      for (const [id, dim] of dimensionColumns) {
        if (!has(id)) continue;
        const option = codeOf(cell(id));
        if (option) parts[dim] = option === SDMX_TOTAL ? "" : option;
      }
      const legacy = has("DISAGGREGATION") ? cell("DISAGGREGATION") : null;
      const keyOfParts = () =>
        legacy !== null
          ? legacy === SDMX_TOTAL
            ? ""
            : legacy
          : Object.entries(parts)
              .filter(([, o]) => o !== "")
              .map(([d, o]) => `${d}=${o}`)
              .join(";");

      const unitCell = codeOf(cell("UNIT_MEASURE"));
      const unit = unitCell ? (codes.unitText(unitCell) ?? unitCell) : null;
      const obs = raw("OBS_VALUE");
      const obsGiven = obs.trim() !== "";
      const commentCell = raw("COMMENT");
      const comment = readText(commentCell);

      if (action === "D") {
        // The legacy DISAGGREGATION column always keys the disaggregation (empty or _T: the total).
        // A dimension the indicator does not use is always its total: only its own dimensions can be wildcards.
        const own = codes.dimensionsOf(indicator) ?? codes.dimensions;
        const dimensionsMissing = legacy === null && own.some((d) => parts[d] === undefined);
        const fullKey = !!area && !!period && !dimensionsMissing;
        // To be deleted values are marked non-empty, e.g. "-": read as markers, never as text.
        const onlyComment = !obsGiven && commentCell.trim() !== "";
        if (!indicator) fail("indicator", "Dòng D cần mã chỉ số (INDICATOR): không xóa hàng loạt mọi chỉ số của luồng dữ liệu");
        if (rowErrors.length) return void errors.add(...rowErrors);
        if (onlyComment) {
          if (!fullKey)
            return void errors.add(
              locate(at, "comment", "Xóa ghi chú (COMMENT '-') cần đủ khóa: chỉ số, địa bàn, kỳ và phân tổ"),
            );
          rows.push({
            at,
            indicator,
            area,
            period: period!.code,
            disaggregation: keyOfParts(),
            value: null,
            valueText: null,
            comment: null,
            action: "upsert",
            keep: ["value"],
            unit,
          });
          return;
        }
        if (fullKey) {
          rows.push({
            at,
            indicator,
            area,
            period: period!.code,
            disaggregation: keyOfParts(),
            value: null,
            valueText: null,
            comment: null,
            action: "delete",
            unit,
          });
          return;
        }
        wildcards.push({
          at,
          indicator,
          area: area || null,
          period: period?.code ?? null,
          disaggregation: legacy === null ? null : keyOfParts(),
          parts,
        });
        return;
      }

      if (comment.problem) fail("comment", comment.problem);
      if (!indicator) fail("indicator", "Thiếu mã chỉ số (INDICATOR)");
      if (!area) fail("area", "Thiếu mã địa bàn (REF_AREA)");
      if (!periodCell) fail("period", "Thiếu kỳ (TIME_PERIOD)");
      const missing = NAN.has(obs.trim());
      // SDMX never groups thousands: "12,4" (a locale's decimal comma, the field guide's ";" example) is 12.4.
      const decimal = /^\s*-?\d+,\d+\s*$/.test(obs) ? obs.replace(",", ".") : obs;
      const value = obsGiven && !missing ? readValueCell(decimal, "machine") : null;
      if (value?.textProblem) fail("value", value.textProblem);
      if (rowErrors.length) return void errors.add(...rowErrors);
      const base = { at, indicator, area, period: period!.code, disaggregation: keyOfParts(), unit };
      // An intentionally missing value (NaN), or none in a replacement: the figure has no value any more.
      if (missing || (action === "R" && !obsGiven)) {
        rows.push({ ...base, value: null, valueText: null, comment: null, action: "delete" });
        return;
      }
      const keep: ("value" | "comment")[] = [];
      if (action === "M" && !obsGiven) keep.push("value");
      if (action === "M" && commentCell.trim() === "") keep.push("comment");
      rows.push({
        ...base,
        value: value?.value ?? null,
        valueText: value?.valueText ?? null,
        valueProblem: value?.valueProblem,
        comment: comment.text.trim() ? comment.text : null,
        action: "upsert",
        ...(keep.length ? { keep } : {}),
      });
    },
  });
  if (problem) return { rows: [], wildcards: [], errors: [problem], errorCount: 1 };
  return { rows, wildcards, errors: errors.items, errorCount: errors.count, warnings };
}

/** One exported figure, with the exact decimal text of its value. */
export interface ExportedValue {
  indicator: string;
  area: string;
  period: string;
  disaggregation: string;
  /** Plain decimal text of the stored number (never an exponent), or null. */
  value: string | null;
  valueText: string | null;
  comment: string | null;
  status: string;
  version: number;
  source: string;
  recordedAt: string;
  flags: string[];
  sample: boolean;
  /**
   * A withdrawal (an export asked with updatedAfter): the figure published before was deleted or withdrawn
   * since, with no published figure in its place. Written as a tombstone: SDMX-CSV D, CSV deleted=true,
   * DHIS2 "deleted": true.
   */
  deleted: boolean;
  /** includeHistory: when this version was published, and until when (null: it stands). */
  validFrom?: string | null;
  validTo?: string | null;
}

const statusCodes: Record<string, string> = { draft: "P", submitted: "A", approved: "A", returned: "P" };

/** The indicator facts an SDMX-CSV writer needs: its unit. */
export type UnitOf = (indicator: string) => string | null;

/** Writes the product's SDMX-CSV 2.0: the header, then figures page by page. */
export function sdmxCsvWriter(
  codes: SdmxCodes,
  unitOf: UnitOf,
  options: {
    labels?: "id" | "both";
    history?: boolean;
    /** labels=both: the name of a column's component, and of a code in a column. */
    names?: { column(id: string): string | undefined; code(column: string, id: string): string | undefined };
  } = {},
) {
  const dims = codes.dimensions;
  const names = options.labels === "both" ? options.names : undefined;
  const label = (column: string, id: string) => {
    const name = id === "" ? undefined : names?.code(column, id);
    return name ? `${id}: ${name}` : id;
  };
  const columns = [
    "STRUCTURE",
    "STRUCTURE_ID",
    "ACTION",
    "FREQ",
    "INDICATOR",
    "REF_AREA",
    ...dims.map(dimensionId),
    "TIME_PERIOD",
    "OBS_VALUE",
    "UNIT_MEASURE",
    "OBS_STATUS",
    "SAMPLE",
    "COMMENT",
    ...(options.history ? ["VALID_FROM", "VALID_TO"] : []),
  ];
  const headerCells = columns.map((c) => {
    const name = names?.column(c);
    return name ? `${c}: ${name}` : c;
  });
  return {
    columns,
    header: () => writeCsv([], headerCells),
    rows(values: ExportedValue[]): string {
      if (values.length === 0) return "";
      return writeCsv(
        values.map((v) => {
          const period = parsePeriod(v.period)!;
          const parts = parseDisaggregation(v.disaggregation);
          const split = parts.ok ? parts.parts : {};
          const deleted = v.deleted;
          return [
            "dataflow",
            SDMX_STRUCTURE_ID,
            deleted ? "D" : "M",
            label("FREQ", FREQ_OF[period.type]),
            label("INDICATOR", indicatorId(v.indicator)),
            label("REF_AREA", v.area),
            ...dims.map((d) => label(dimensionId(d), split[d] ?? SDMX_TOTAL)),
            toSdmxPeriod(period),
            deleted ? "" : (v.value ?? safeCell(v.valueText)),
            deleted ? "" : label("UNIT_MEASURE", codes.unitId(unitOf(v.indicator))),
            deleted ? "" : label("OBS_STATUS", statusCodes[v.status] ?? ""),
            deleted ? "" : v.sample ? "true" : "false",
            deleted ? "" : safeCell(v.comment),
            ...(options.history ? [v.validFrom ?? "", v.validTo ?? ""] : []),
          ];
        }),
      );
    },
  };
}
