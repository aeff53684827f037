import type { AgencyRow } from "./repository";

/** Follows successors from `code` to the agency that exists today. */
export function currentAgency(code: string, byCode: Map<string, AgencyRow>): AgencyRow | undefined {
  let agency = byCode.get(code);
  const seen = new Set<string>();
  while (agency?.successor_code && !seen.has(agency.code)) {
    seen.add(agency.code);
    const next = byCode.get(agency.successor_code);
    if (!next) break;
    agency = next;
  }
  return agency;
}

/** `code` and every agency whose succession chain leads to it: filtering by BTC also finds BKHDT's rows. */
export function withPredecessors(code: string, agencies: readonly AgencyRow[]): string[] {
  const result = new Set([code]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const a of agencies) {
      if (a.successor_code && result.has(a.successor_code) && !result.has(a.code)) {
        result.add(a.code);
        grew = true;
      }
    }
  }
  return [...result];
}

export interface AgencyLinkRow {
  code: string;
  name: string;
  as_written: string;
  dissolved_on: string | null;
}

/** An agency as a document names it, with the agency that carries its functions today. */
export function presentAgencyLink(link: AgencyLinkRow, byCode: Map<string, AgencyRow>) {
  const current = currentAgency(link.code, byCode);
  return {
    code: link.code,
    name: link.name,
    asWritten: link.as_written,
    dissolvedOn: link.dissolved_on,
    current: current ? { code: current.code, name: current.name } : { code: link.code, name: link.name },
  };
}
export type AgencyLink = ReturnType<typeof presentAgencyLink>;
