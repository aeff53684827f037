import { foldVietnamese, type Period } from "@dieuhanh/core";
import type { ReferenceData } from "../../datavalues/reference-cache";

/**
 * The product's dataflow as SDMX sees it, and the mapping of its codes to SDMX identifiers.
 *
 * SDMX identifiers (IDType) are `[A-Za-z0-9_@$-]+`: no dot. Indicator codes are `CT.A.I.3` (a letter prefix
 * and dot-separated parts, never an underscore — core/src/catalogue/schemas.ts), so an indicator's SDMX code
 * is its code with `_` for `.` (`CT_A_I_3`), and back: reversible. Area ids (`92`, `31997`), disaggregation
 * options (`[A-Z0-9_]{1,12}`) are valid identifiers as they are. Units are text ("tỷ đồng", "%"): each gets
 * a code folded from it (`TY_DONG`, `PCT`), unique within the UNIT_MEASURE code list.
 * A disaggregation dimension `sex` is the SDMX dimension `SEX`; its total is `_T`.
 */
export const SDMX_AGENCY = "VN_DH";
export const SDMX_FLOW = "DF_DIEUHANH";
export const SDMX_DSD = "DSD_DIEUHANH";
export const SDMX_VERSION = "1.0";
export const SDMX_STRUCTURE_ID = `${SDMX_AGENCY}:${SDMX_FLOW}(${SDMX_VERSION})`;
export const SDMX_TOTAL = "_T";

/** SDMX frequency codes (code list CL_FREQ) of the product's period types. */
export const FREQ_OF: Record<Period["type"], string> = {
  year: "A",
  half_year: "S",
  quarter: "Q",
  month: "M",
  week: "W",
  day: "D",
};

export const indicatorId = (code: string) => code.replaceAll(".", "_");
/** The product's indicator code of an SDMX code (`CT_A_I_3`) or of the code as the product writes it. */
export const indicatorCode = (id: string) => id.replaceAll("_", ".");
/** An SDMX dimension id of a disaggregation dimension, and back. */
export const dimensionId = (code: string) => code.toUpperCase();

export interface SdmxCodes {
  /** The disaggregation dimensions, in the data structure's order (by code). */
  dimensions: string[];
  /** The UNIT_MEASURE code of a unit ("" for none). */
  unitId(unit: string | null): string;
  /** The unit text of a UNIT_MEASURE code; undefined when it is no code of the list (then read as text). */
  unitText(id: string): string | undefined;
  /** The UNIT_MEASURE code list: code → unit text. */
  units: Map<string, string>;
  /** The disaggregation dimensions an indicator uses (any other is always its total, _T); undefined: no such indicator. */
  dimensionsOf(indicator: string): string[] | undefined;
}

function foldedUnit(unit: string): string {
  const special: Record<string, string> = { "%": "PCT", "‰": "PERMILLE" };
  if (special[unit.trim()]) return special[unit.trim()]!;
  const id = foldVietnamese(unit)
    .replace(/%/g, " PCT ")
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return id || "UNIT";
}

const cache = new WeakMap<ReferenceData, SdmxCodes>();

/** The codes of the dataflow for one revision of the reference data (kept with it). */
export function sdmxCodes(ref: ReferenceData): SdmxCodes {
  const known = cache.get(ref);
  if (known) return known;
  const unitTexts = [...new Set([...ref.indicators.values()].map((i) => i.unit).filter((u): u is string => !!u))].sort();
  const units = new Map<string, string>();
  const byText = new Map<string, string>();
  for (const text of unitTexts) {
    const base = foldedUnit(text);
    let id = base;
    for (let n = 2; units.has(id); n++) id = `${base}_${n}`;
    units.set(id, text);
    byText.set(text, id);
  }
  const codes: SdmxCodes = {
    dimensions: [...ref.dimensions.keys()].sort(),
    unitId: (unit) => (unit ? (byText.get(unit) ?? foldedUnit(unit)) : ""),
    unitText: (id) => units.get(id),
    units,
    dimensionsOf: (indicator) => ref.indicators.get(indicator)?.dimensions,
  };
  cache.set(ref, codes);
  return codes;
}
