/**
 * A value's disaggregation (phân tổ) as one canonical key: `dimension=OPTION` pairs sorted by dimension
 * and joined by ";" — "sex=F", "sex=F;urban_rural=U". The empty key is the total (tổng số).
 */
export type Disaggregation = Record<string, string>;

export const TOTAL = "";

const pairPattern = /^([a-z][a-z0-9_]*)=([A-Z0-9_]{1,12})$/;

export function disaggregationKey(parts: Disaggregation): string {
  return Object.keys(parts)
    .sort()
    .map((d) => `${d}=${parts[d]}`)
    .join(";");
}

export type ParsedDisaggregation = { ok: true; parts: Disaggregation; key: string } | { ok: false; message: string };

/** Parses a key in any order ("urban_rural=U;sex=F") to its parts and canonical form. */
export function parseDisaggregation(text: string | null | undefined): ParsedDisaggregation {
  const trimmed = (text ?? "").trim();
  if (trimmed === "" || trimmed.toUpperCase() === "TOTAL" || trimmed === "_T") return { ok: true, parts: {}, key: TOTAL };
  const parts: Disaggregation = {};
  for (const piece of trimmed.split(";")) {
    const m = pairPattern.exec(piece.trim());
    if (!m) return { ok: false, message: `Phân tổ '${piece}' không đúng dạng chiều=MÃ (ví dụ sex=F)` };
    const [, dim, option] = m as unknown as [string, string, string];
    if (parts[dim]) return { ok: false, message: `Chiều phân tổ '${dim}' lặp lại` };
    parts[dim] = option;
  }
  return { ok: true, parts, key: disaggregationKey(parts) };
}
