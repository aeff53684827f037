import { fromSdmxPeriod, parseNumber, parsePeriod, toSdmxPeriod } from "@dieuhanh/core";
import type { RowError } from "../../errors";
import type { PresentedDataValue } from "../repository";
import { locate, type IncomingRow } from "../validation";
import { parseCsvTable, writeCsv } from "./csv";
import { checkText, safeCell, type ReadResult } from "./text";

/**
 * SDMX-CSV (version 2.0, and 1.0 with a DATAFLOW column) for the product's dataflow:
 *   STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,DISAGGREGATION,OBS_VALUE,OBS_STATUS,COMMENT
 *   dataflow,VN_DH:DF_DIEUHANH(1.0),M,CT.A.I.3,92,2025-10,_T,1234.5,,
 * ACTION: I or A or M (add or update), R (replace: the same for single observations), D (delete).
 * DISAGGREGATION holds the product's key ("sex=F"), or _T for the total. OBS_VALUE uses a dot decimal.
 */
export const SDMX_STRUCTURE_ID = "VN_DH:DF_DIEUHANH(1.0)";
const columns = [
  "STRUCTURE",
  "STRUCTURE_ID",
  "ACTION",
  "INDICATOR",
  "REF_AREA",
  "TIME_PERIOD",
  "DISAGGREGATION",
  "OBS_VALUE",
  "OBS_STATUS",
  "COMMENT",
];
const statusCodes: Record<string, string> = { draft: "P", submitted: "A", approved: "A", returned: "P" };

export function readSdmxCsv(text: string): ReadResult {
  const table = parseCsvTable(text);
  if ("error" in table) return { rows: [], errors: [{ row: 0, field: "file", message: table.error }] };
  const header = table.header.map((h) => h.split(": ")[0]!.trim().toUpperCase());
  const col = (name: string) => header.indexOf(name);
  const missing = ["INDICATOR", "REF_AREA", "TIME_PERIOD"].filter((c) => col(c) < 0);
  if (col("STRUCTURE_ID") < 0 && col("DATAFLOW") < 0) missing.unshift("STRUCTURE_ID (hoặc DATAFLOW)");
  if (missing.length)
    return {
      rows: [],
      errors: [{ row: 1, field: "header", message: `Không phải SDMX-CSV của hệ thống: thiếu cột ${missing.join(", ")}` }],
    };
  const rows: IncomingRow[] = [];
  const errors: RowError[] = [];
  table.records.forEach((rec, i) => {
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
    };
    const at = { row: i + 2, columns: columnsOf };
    const cell = (name: string) => (col(name) < 0 ? "" : (rec[col(name)] ?? "").trim());
    const rowErrors: RowError[] = [];
    const structure = cell("STRUCTURE_ID") || cell("DATAFLOW");
    if (structure && structure !== SDMX_STRUCTURE_ID && structure !== "DF_DIEUHANH")
      rowErrors.push(locate(at, "structure", `Luồng dữ liệu '${structure}' không phải ${SDMX_STRUCTURE_ID}`));
    const actionCode = (cell("ACTION") || "M").toUpperCase();
    if (!["I", "A", "M", "R", "D"].includes(actionCode))
      rowErrors.push(locate(at, "action", `ACTION '${actionCode}' không hợp lệ (I, A, M, R hoặc D)`));
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
    const n = action === "delete" && cell("OBS_VALUE") === "" ? null : parseNumber(cell("OBS_VALUE"), "machine");
    if (n && !n.ok) rowErrors.push(locate(at, "value", n.message));
    const comment = cell("COMMENT");
    const textProblem = checkText(comment);
    if (textProblem) rowErrors.push(locate(at, "comment", textProblem));
    if (rowErrors.length) {
      errors.push(...rowErrors);
      return;
    }
    const disaggregation = cell("DISAGGREGATION");
    rows.push({
      at,
      indicator: cell("INDICATOR"),
      area: cell("REF_AREA"),
      period: period!.code,
      disaggregation: disaggregation === "_T" ? "" : disaggregation,
      value: n && n.ok ? n.value : null,
      valueText: null,
      comment: comment || null,
      action,
      unit: cell("UNIT_MEASURE") || null,
    });
  });
  return { rows, errors };
}

export function writeSdmxCsv(values: PresentedDataValue[]): string {
  return writeCsv(
    values.map((v) => [
      "dataflow",
      SDMX_STRUCTURE_ID,
      "I",
      v.indicator,
      v.area,
      toSdmxPeriod(parsePeriod(v.period)!),
      v.disaggregation || "_T",
      v.value,
      statusCodes[v.status] ?? "",
      safeCell(v.comment),
    ]),
    columns,
  );
}
