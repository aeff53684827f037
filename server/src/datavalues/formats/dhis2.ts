import { fromDhis2Period, parsePeriod, toDhis2Period } from "@dieuhanh/core";
import { z } from "zod";
import type { RowError } from "../../errors";
import { locate, type IncomingRow } from "../validation";
import { readValueCell, sampleWarning } from "./csv";
import { plainDecimal } from "./numbers";
import { ErrorList, importLimits, readDeadline, tooManyRows, yieldToEventLoop } from "./limits";
import type { ExportedValue } from "./sdmx";
import { readText, safeCell, type ReadResult } from "./text";

/**
 * DHIS2 dataValueSets JSON: dataElement = indicator code, orgUnit = area code, period in DHIS2 form
 * (202507 for July 2025), categoryOptionCombo = the product's disaggregation key (absent, or DHIS2's
 * default combo, for the total); value is a string with a dot decimal (or the text of a textual
 * indicator); `deleted: true` deletes. Set-level dataSet/period/orgUnit fill in what the values leave out.
 *
 * attributeOptionCombo: the product keeps one figure per key, so only DHIS2's default combo is taken;
 * any other is refused by row and field rather than stored as the total (which would silently merge
 * figures of different attribute options, e.g. funding sources). The exception is the product's own
 * `SAMPLE` combo, which marks its sample figures on export: those rows are left out, with a warning.
 */
export const DHIS2_DEFAULT_COMBO = "HllvX50cXC0";
export const DHIS2_SAMPLE_COMBO = "SAMPLE";

const DataValue = z
  .object({
    dataElement: z.string(),
    period: z.string().optional(),
    orgUnit: z.string().optional(),
    categoryOptionCombo: z.string().optional(),
    attributeOptionCombo: z.string().optional(),
    value: z.union([z.string(), z.number()]).optional(),
    comment: z.string().nullable().optional(),
    deleted: z.boolean().optional(),
    // Written by DHIS2 (and by this product's export); informative only.
    storedBy: z.string().optional(),
    created: z.string().optional(),
    lastUpdated: z.string().optional(),
    followup: z.boolean().optional(),
  })
  // A field this reader does not know might change what the value means: refused, never ignored.
  .strict();

export const Dhis2DataValueSet = z
  .object({
    dataSet: z.string().optional(),
    period: z.string().optional(),
    orgUnit: z.string().optional(),
    completeDate: z.string().optional(),
    attributeOptionCombo: z.string().optional(),
    // How many values one file may carry is checked by the reader (413 naming the limit).
    dataValues: z.array(DataValue),
  })
  .strict();
export type Dhis2DataValueSet = z.infer<typeof Dhis2DataValueSet>;

/** Rows between two yields to the event loop. */
const ROWS_PER_SLICE = 2000;

export async function readDhis2(
  set: Dhis2DataValueSet,
  strategy: "CREATE_AND_UPDATE" | "DELETE" = "CREATE_AND_UPDATE",
): Promise<ReadResult> {
  const rows: IncomingRow[] = [];
  const errors = new ErrorList();
  const warnings: ReadResult["warnings"] = [];
  if (set.dataValues.length > importLimits.maxRows) throw tooManyRows(set.dataValues.length);
  const checkTime = readDeadline();
  for (let i = 0; i < set.dataValues.length; i++) {
    if (i % ROWS_PER_SLICE === ROWS_PER_SLICE - 1) {
      await yieldToEventLoop();
      checkTime();
    }
    const dv = set.dataValues[i]!;
    const at = {
      row: i + 1,
      columns: {
        indicator: "dataElement",
        area: "orgUnit",
        period: "period",
        disaggregation: "categoryOptionCombo",
        attributeOptionCombo: "attributeOptionCombo",
        value: "value",
        comment: "comment",
      },
    };
    const combo = dv.attributeOptionCombo ?? set.attributeOptionCombo ?? DHIS2_DEFAULT_COMBO;
    if (combo === DHIS2_SAMPLE_COMBO) {
      warnings.push(sampleWarning(at.row, "attributeOptionCombo"));
      continue;
    }
    const rowErrors: RowError[] = [];
    if (combo !== DHIS2_DEFAULT_COMBO)
      rowErrors.push(
        locate(
          at,
          "attributeOptionCombo",
          `attributeOptionCombo '${combo}' không được hỗ trợ: hệ thống chỉ nhận tổ hợp mặc định (${DHIS2_DEFAULT_COMBO}); ` +
            "không ghi số liệu này thành tổng số",
        ),
      );
    const periodText = dv.period ?? set.period ?? "";
    const period = fromDhis2Period(periodText);
    if (!period)
      rowErrors.push(
        locate(at, "period", `period '${periodText}' không hợp lệ (ví dụ 2025, 2025S1, 2025Q3, 202507, 2025W31, 20250715)`),
      );
    const orgUnit = dv.orgUnit ?? set.orgUnit;
    if (!orgUnit) rowErrors.push(locate(at, "area", "Thiếu orgUnit"));
    const action = dv.deleted || strategy === "DELETE" ? "delete" : "upsert";
    const value =
      action === "delete" && dv.value === undefined
        ? { value: null, valueText: null, valueProblem: undefined, textProblem: null }
        : typeof dv.value === "number" // a JSON number, however written (1e-7): taken as it is
          ? { value: dv.value, valueText: plainDecimal(dv.value), valueProblem: undefined, textProblem: null }
          : readValueCell(dv.value ?? "", "machine");
    if (value.textProblem) rowErrors.push(locate(at, "value", value.textProblem));
    const comment = readText(dv.comment ?? "");
    if (comment.problem) rowErrors.push(locate(at, "comment", comment.problem));
    if (rowErrors.length) {
      errors.add(...rowErrors);
      continue;
    }
    const disaggregation = dv.categoryOptionCombo ?? "";
    rows.push({
      at,
      indicator: dv.dataElement,
      area: orgUnit!,
      period: period!.code,
      disaggregation: disaggregation === DHIS2_DEFAULT_COMBO ? "" : disaggregation,
      value: value.value,
      valueText: value.valueText,
      valueProblem: value.valueProblem,
      comment: comment.text.trim() ? comment.text : null,
      action,
    });
  }
  return { rows, errors: errors.items, errorCount: errors.count, warnings };
}

/** One data value as DHIS2 writes it; sample figures carry the `SAMPLE` attribute option combo. */
export function dhis2Value(v: ExportedValue) {
  return {
    dataElement: v.indicator,
    period: toDhis2Period(parsePeriod(v.period)!),
    orgUnit: v.area,
    categoryOptionCombo: v.disaggregation || DHIS2_DEFAULT_COMBO,
    attributeOptionCombo: v.sample ? DHIS2_SAMPLE_COMBO : DHIS2_DEFAULT_COMBO,
    value: v.value ?? safeCell(v.valueText) ?? "",
    ...(v.comment !== null ? { comment: safeCell(v.comment)! } : {}),
    storedBy: v.source,
    lastUpdated: v.recordedAt,
    followup: v.flags.includes("outlier"),
    ...(v.deleted ? { deleted: true } : {}),
  };
}
