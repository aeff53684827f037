import { useQuery } from "@tanstack/react-query";
import { apiGet, type Page } from "../api/client";
import type { Agency, Area, Scope } from "../api/types";

export type { Scope };

/** Every agency by code (154 of them, dissolved ones included: an old scope may still name one). */
export function useAgencyNames(): Map<string, string> {
  const q = useQuery({
    queryKey: ["agencies", "all-names"],
    staleTime: Infinity,
    queryFn: () => apiGet<Page<Agency>>("/api/agencies", { includeDissolved: "true", limit: 1000 }),
  });
  return new Map((q.data?.items ?? []).map((a) => [a.code, a.name]));
}

/** Area names by id, for the ids asked (each fetched once and kept). */
export function useAreaNames(ids: (string | null)[]): Map<string, string> {
  const wanted = [...new Set(ids.filter((x): x is string => !!x))].sort();
  const q = useQuery({
    queryKey: ["area-names", wanted.join(",")],
    enabled: wanted.length > 0,
    staleTime: Infinity,
    queryFn: async () => Promise.all(wanted.map((id) => apiGet<Area>(`/api/areas/${encodeURIComponent(id)}`).catch(() => null))),
  });
  return new Map((q.data ?? []).filter((a): a is Area => !!a).map((a) => [a.id, a.fullName]));
}

/**
 * A scope as people read it: "Sở Y tế thành phố Cần Thơ; Thành phố Cần Thơ" — names, never codes
 * (a code is shown only while its name loads, or for a code the registry does not know).
 */
export function scopeText(scope: Scope, agencies: Map<string, string>, areas: Map<string, string>): string {
  const who = scope.agencies ? scope.agencies.map((c) => agencies.get(c) ?? c).join(", ") : "mọi cơ quan";
  const where = scope.areaId ? (areas.get(scope.areaId) ?? scope.areaId) : "cả nước";
  return `${who}; ${where}`;
}
