import { fromDhis2Period, parseNumber, parsePeriod, toDhis2Period } from "@dieuhanh/core";
import { z } from "zod";
import type { RowError } from "../../errors";
import type { PresentedDataValue } from "../repository";
import { locate, type IncomingRow } from "../validation";
import { checkText, type ReadResult } from "./text";

/**
 * DHIS2 dataValueSets JSON: dataElement = indicator code, orgUnit = area code, period in DHIS2 form
 * (202507 for July 2025), categoryOptionCombo = the product's disaggregation key (absent, or DHIS2's
 * default combo, for the total); value is a string with a dot decimal; `deleted: true` deletes.
 * Set-level dataSet/period/orgUnit fill in what the values leave out, as in DHIS2.
 */
export const DHIS2_DEFAULT_COMBO = "HllvX50cXC0";

export const Dhis2DataValueSet = z.object({
  dataSet: z.string().optional(),
  period: z.string().optional(),
  orgUnit: z.string().optional(),
  completeDate: z.string().optional(),
  dataValues: z
    .array(
      z.object({
        dataElement: z.string(),
        period: z.string().optional(),
        orgUnit: z.string().optional(),
        categoryOptionCombo: z.string().optional(),
        attributeOptionCombo: z.string().optional(),
        value: z.union([z.string(), z.number()]).optional(),
        comment: z.string().nullable().optional(),
        deleted: z.boolean().optional(),
      }),
    )
    .max(100_000),
});
export type Dhis2DataValueSet = z.infer<typeof Dhis2DataValueSet>;

export function readDhis2(set: Dhis2DataValueSet, strategy: "CREATE_AND_UPDATE" | "DELETE" = "CREATE_AND_UPDATE"): ReadResult {
  const rows: IncomingRow[] = [];
  const errors: RowError[] = [];
  set.dataValues.forEach((dv, i) => {
    const at = {
      row: i + 1,
      columns: {
        indicator: "dataElement",
        area: "orgUnit",
        period: "period",
        disaggregation: "categoryOptionCombo",
        value: "value",
        comment: "comment",
      },
    };
    const rowErrors: RowError[] = [];
    const periodText = dv.period ?? set.period ?? "";
    const period = fromDhis2Period(periodText);
    if (!period)
      rowErrors.push(
        locate(at, "period", `period '${periodText}' không hợp lệ (ví dụ 2025, 2025S1, 2025Q3, 202507, 2025W31, 20250715)`),
      );
    const orgUnit = dv.orgUnit ?? set.orgUnit;
    if (!orgUnit) rowErrors.push(locate(at, "area", "Thiếu orgUnit"));
    const action = dv.deleted || strategy === "DELETE" ? "delete" : "upsert";
    const n = action === "delete" && dv.value === undefined ? null : parseNumber(String(dv.value ?? ""), "machine");
    if (n && !n.ok) rowErrors.push(locate(at, "value", n.message));
    const comment = dv.comment ?? "";
    const problem = checkText(comment);
    if (problem) rowErrors.push(locate(at, "comment", problem));
    if (rowErrors.length) {
      errors.push(...rowErrors);
      return;
    }
    const combo = dv.categoryOptionCombo ?? "";
    rows.push({
      at,
      indicator: dv.dataElement,
      area: orgUnit!,
      period: period!.code,
      disaggregation: combo === DHIS2_DEFAULT_COMBO ? "" : combo,
      value: n && n.ok ? n.value : null,
      valueText: null,
      comment: comment || null,
      action,
    });
  });
  return { rows, errors };
}

export function writeDhis2(values: PresentedDataValue[]) {
  return {
    dataValues: values.map((v) => ({
      dataElement: v.indicator,
      period: toDhis2Period(parsePeriod(v.period)!),
      orgUnit: v.area,
      categoryOptionCombo: v.disaggregation || DHIS2_DEFAULT_COMBO,
      attributeOptionCombo: DHIS2_DEFAULT_COMBO,
      value: v.value === null ? (v.valueText ?? "") : String(v.value),
      comment: v.comment ?? undefined,
      storedBy: v.source,
      lastUpdated: v.recordedAt,
      followup: v.flags.includes("outlier"),
    })),
  };
}
