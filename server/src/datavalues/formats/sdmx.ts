import { fromSdmxPeriod, parsePeriod, toSdmxPeriod } from "@dieuhanh/core";
import type { RowError } from "../../errors";
import { locate, type IncomingRow } from "../validation";
import { isMarkedSample, readDelimited, readValueCell, sampleWarning, writeCsv } from "./csv";
import { ErrorList } from "./limits";
import { readText, safeCell, type ReadResult } from "./text";

/**
 * SDMX-CSV (version 2.0, and 1.0 with a DATAFLOW column) for the product's dataflow:
 *   STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,DISAGGREGATION,OBS_VALUE,OBS_STATUS,SAMPLE,COMMENT
 *   dataflow,VN_DH:DF_DIEUHANH(1.0),M,CT.A.I.3,92,2025-10,_T,1234.5,A,false,
 * ACTION: I or A or M (add or update), R (replace: the same for single observations), D (delete).
 * DISAGGREGATION holds the product's key ("sex=F"), or _T for the total. OBS_VALUE uses a dot decimal
 * (or holds the text of a textual indicator). SAMPLE is the dataflow's attribute marking the system's
 * sample figures (true): such rows are left out on import, with a warning. UNIT_MULT, when present,
 * must be 0: the product does not scale values, and a value in thousands taken as units would be wrong.
 */
export const SDMX_STRUCTURE_ID = "VN_DH:DF_DIEUHANH(1.0)";
export const SDMX_COLUMNS = [
  "STRUCTURE",
  "STRUCTURE_ID",
  "ACTION",
  "INDICATOR",
  "REF_AREA",
  "TIME_PERIOD",
  "DISAGGREGATION",
  "OBS_VALUE",
  "OBS_STATUS",
  "SAMPLE",
  "COMMENT",
];
const statusCodes: Record<string, string> = { draft: "P", submitted: "A", approved: "A", returned: "P" };
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
  sample: "SAMPLE",
};

export async function readSdmxCsv(body: Buffer | string | AsyncIterable<Buffer>): Promise<ReadResult> {
  const rows: IncomingRow[] = [];
  const errors = new ErrorList();
  const warnings: ReadResult["warnings"] = [];
  let header: string[] = [];
  const col = (name: string) => header.indexOf(name);
  const problem = await readDelimited(body, {
    header(names) {
      header = names.map((h) => h.split(": ")[0]!.trim().toUpperCase());
      const missing = ["INDICATOR", "REF_AREA", "TIME_PERIOD"].filter((c) => col(c) < 0);
      if (col("STRUCTURE_ID") < 0 && col("DATAFLOW") < 0) missing.unshift("STRUCTURE_ID (hoặc DATAFLOW)");
      return missing.length ? `Không phải SDMX-CSV của hệ thống: thiếu cột ${missing.join(", ")}` : null;
    },
    record(rec, row) {
      const at = { row, columns: columnsOf };
      const raw = (name: string) => (col(name) < 0 ? "" : (rec[col(name)] ?? ""));
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
      const structure = cell("STRUCTURE_ID") || cell("DATAFLOW");
      if (structure && structure !== SDMX_STRUCTURE_ID && structure !== "DF_DIEUHANH")
        rowErrors.push(locate(at, "structure", `Luồng dữ liệu '${structure}' không phải ${SDMX_STRUCTURE_ID}`));
      const actionCode = (cell("ACTION") || "M").toUpperCase();
      if (!["I", "A", "M", "R", "D"].includes(actionCode))
        rowErrors.push(locate(at, "action", `ACTION '${actionCode}' không hợp lệ (I, A, M, R hoặc D)`));
      const multiplier = cell("UNIT_MULT");
      if (multiplier !== "" && multiplier !== "0")
        rowErrors.push(
          locate(
            at,
            "unitMultiplier",
            `UNIT_MULT '${multiplier}': giá trị phải ghi đủ theo đơn vị của chỉ số (UNIT_MULT 0), hệ thống không nhân hệ số`,
          ),
        );
      const period = fromSdmxPeriod(cell("TIME_PERIOD"));
      if (!period)
        rowErrors.push(
          locate(
            at,
            "period",
            `TIME_PERIOD '${cell("TIME_PERIOD")}' không hợp lệ (ví dụ 2025, 2025-S1, 2025-Q3, 2025-07, 2025-W31, 2025-07-15)`,
          ),
        );
      const action = actionCode === "D" ? "delete" : "upsert";
      const value =
        action === "delete" && cell("OBS_VALUE") === ""
          ? { value: null, valueText: null, valueProblem: undefined, textProblem: null }
          : readValueCell(raw("OBS_VALUE"), "machine");
      if (value.textProblem) rowErrors.push(locate(at, "value", value.textProblem));
      const comment = readText(raw("COMMENT"));
      if (comment.problem) rowErrors.push(locate(at, "comment", comment.problem));
      if (rowErrors.length) {
        errors.add(...rowErrors);
        return;
      }
      const disaggregation = cell("DISAGGREGATION");
      rows.push({
        at,
        indicator: cell("INDICATOR"),
        area: cell("REF_AREA"),
        period: period!.code,
        disaggregation: disaggregation === "_T" ? "" : disaggregation,
        value: value.value,
        valueText: value.valueText,
        valueProblem: value.valueProblem,
        comment: comment.text.trim() ? comment.text : null,
        action,
        unit: cell("UNIT_MEASURE") || null,
      });
    },
  });
  if (problem) return { rows: [], errors: [problem], errorCount: 1 };
  return { rows, errors: errors.items, errorCount: errors.count, warnings };
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
}

export const sdmxHeader = () => writeCsv([], SDMX_COLUMNS);

export function sdmxRows(values: ExportedValue[]): string {
  if (values.length === 0) return "";
  return writeCsv(
    values.map((v) => [
      "dataflow",
      SDMX_STRUCTURE_ID,
      "I",
      v.indicator,
      v.area,
      toSdmxPeriod(parsePeriod(v.period)!),
      v.disaggregation || "_T",
      v.value ?? safeCell(v.valueText),
      statusCodes[v.status] ?? "",
      v.sample ? "true" : "false",
      safeCell(v.comment),
    ]),
  );
}
