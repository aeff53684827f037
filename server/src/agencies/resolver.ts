import { agencyNameKey, type AgencyRecord } from "@dieuhanh/core";

/**
 * Resolves agency names as written in a document to registry codes. The same short name
 * ("Sở Tài chính") is used by several provinces, so a name is looked up among the agencies of the
 * document's own province first (agency codes carry the province prefix: "KT.", "DN.", "CT."), then
 * among agencies without a province prefix (central bodies and collectives).
 */
export class AgencyResolver {
  private readonly byKey = new Map<string, AgencyRecord[]>();
  private readonly byCode: Map<string, AgencyRecord>;

  constructor(readonly agencies: readonly AgencyRecord[]) {
    this.byCode = new Map(agencies.map((a) => [a.code, a]));
    for (const agency of agencies) {
      const keys = new Set([agency.name, ...agency.aliases].map(agencyNameKey));
      for (const key of keys) {
        const list = this.byKey.get(key) ?? [];
        list.push(agency);
        this.byKey.set(key, list);
      }
    }
  }

  /** The agency code for `asWritten` in a document whose codes start with `prefix` (e.g. "KT"). */
  resolve(asWritten: string, prefix: string): { code: string } | { error: string } {
    const candidates = this.byKey.get(agencyNameKey(asWritten)) ?? [];
    if (candidates.length === 0) return { error: `không có trong danh mục cơ quan` };
    if (candidates.length === 1) return { code: candidates[0]!.code };
    const own = candidates.filter((a) => a.code.startsWith(prefix + "."));
    if (own.length === 1) return { code: own[0]!.code };
    const unprefixed = candidates.filter((a) => !a.code.includes("."));
    if (own.length === 0 && unprefixed.length === 1) return { code: unprefixed[0]!.code };
    return { error: `mơ hồ giữa ${candidates.map((a) => a.code).join(", ")}` };
  }

  /** Follows successors to the agency that exists today ("Bộ Kế hoạch và Đầu tư" → "Bộ Tài chính"). */
  current(code: string): AgencyRecord | undefined {
    let agency = this.byCode.get(code);
    const seen = new Set<string>();
    while (agency?.successorCode && !seen.has(agency.code)) {
      seen.add(agency.code);
      agency = this.byCode.get(agency.successorCode);
    }
    return agency;
  }
}

/** Checks the registry's own consistency: unique codes, successors exist, no succession cycles. */
export function checkAgencyRegistry(agencies: readonly AgencyRecord[]): string[] {
  const errors: string[] = [];
  const byCode = new Map<string, AgencyRecord>();
  for (const a of agencies) {
    if (byCode.has(a.code)) errors.push(`Mã cơ quan trùng: ${a.code}`);
    byCode.set(a.code, a);
  }
  for (const a of agencies) {
    if (a.successorCode && !byCode.has(a.successorCode))
      errors.push(`${a.code}: cơ quan kế thừa ${a.successorCode} không có trong danh mục`);
    if (a.successorCode && !a.dissolvedOn) errors.push(`${a.code}: có cơ quan kế thừa nhưng thiếu ngày chấm dứt`);
    const seen = new Set<string>();
    let cur: AgencyRecord | undefined = a;
    while (cur?.successorCode) {
      if (seen.has(cur.code)) {
        errors.push(`${a.code}: chuỗi kế thừa lặp vòng`);
        break;
      }
      seen.add(cur.code);
      cur = byCode.get(cur.successorCode);
    }
  }
  return errors;
}
