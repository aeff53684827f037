import { parsePeriod, type Period } from "./period";

/**
 * Period codes of the exchange formats, to and from the canonical codes (docs/decisions/0004):
 *   canonical  2025   2025S1    2025Q3    2025M07   2025W31    20250715
 *   SDMX       2025   2025-S1   2025-Q3   2025-07   2025-W31   2025-07-15
 *   DHIS2      2025   2025S1    2025Q3    202507    2025W31    20250715
 */
export function toSdmxPeriod(p: Period): string {
  switch (p.type) {
    case "year":
      return p.code;
    case "half_year":
      return `${p.year}-S${p.index}`;
    case "quarter":
      return `${p.year}-Q${p.index}`;
    case "month":
      return p.start.slice(0, 7);
    case "week":
      return `${p.year}-W${String(p.index).padStart(2, "0")}`;
    case "day":
      return p.start;
  }
}

export function fromSdmxPeriod(text: string): Period | null {
  const t = text.trim();
  let m = /^(\d{4})$/.exec(t);
  if (m) return parsePeriod(t);
  m = /^(\d{4})-S([12])$/.exec(t) ?? /^(\d{4})-Q([1-4])$/.exec(t);
  if (m) return parsePeriod(t.replace("-", ""));
  m = /^(\d{4})-(\d{2})$/.exec(t) ?? /^(\d{4})-M(\d{2})$/.exec(t);
  if (m) return parsePeriod(`${m[1]}M${m[2]}`);
  m = /^(\d{4})-W(\d{2})$/.exec(t);
  if (m) return parsePeriod(`${m[1]}W${m[2]}`);
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (m) return parsePeriod(`${m[1]}${m[2]}${m[3]}`);
  return null;
}

export function toDhis2Period(p: Period): string {
  return p.type === "month" ? p.start.slice(0, 7).replace("-", "") : p.code;
}

export function fromDhis2Period(text: string): Period | null {
  const t = text.trim();
  const month = /^(\d{4})(\d{2})$/.exec(t);
  if (month) return parsePeriod(`${month[1]}M${month[2]}`);
  return /^(\d{4})(S[12]|Q[1-4]|W\d{2}|\d{4})?$/.test(t) ? parsePeriod(t) : null;
}
