import { useQuery } from "@tanstack/react-query";
import { apiGet } from "../api/client";
import type { InstallProfile } from "../api/types";
import { useAuth } from "./auth";

/** GET /api/profile: whom the install serves (server/src/profile/service.ts). */
export type { InstallProfile };

/** The Government Office's tiles, for the rare case the profile cannot be read. */
const NATIONAL_TILES = ["QG.A.I.1", "QG.A.II.1", "QG.A.II.3", "QG.A.IV.1", "QG.A.IV.6", "QG.A.IX.1", "QG.A.IX.3", "QG.A.XI.4"];

export function useProfile() {
  return useQuery({ queryKey: ["profile"], queryFn: () => apiGet<InstallProfile>("/api/profile"), staleTime: 300_000 });
}

export interface HomeDefaults {
  /** False until the profile has loaded: pages wait rather than open on the wrong area. */
  ready: boolean;
  profile: InstallProfile | undefined;
  /** The area every page opens on: the install's home area narrowed to the caller's scope. */
  area: string;
  /** The catalogue the sector pages, pickers and lists start from. */
  catalogueId: string;
  /** The indicators the overview, the wall, the map and a new dashboard open with. */
  tiles: string[];
  /** The area a page shows for its `?area`: the home area without one; the caller's own for a country-wide link. */
  areaFor(requested: string | null): string;
}

/**
 * What every page opens with (docs/decisions/0009): the install profile's home catalogue, area and tiles,
 * and the area the caller may see — a leader scoped to Cần Thơ opens on Cần Thơ even on a national install,
 * since the whole country is outside their scope.
 */
export function useHomeDefaults(): HomeDefaults {
  const { me } = useAuth();
  const profile = useProfile();
  const p = profile.data;
  // A scope is always the narrower of the two: the profile's area is a province or the nation.
  const area = me.scope.areaId ?? p?.area.id ?? "VN";
  return {
    // An unreadable profile must not leave pages blank: they fall back to the national defaults.
    ready: profile.isSuccess || profile.isError,
    profile: p,
    area,
    catalogueId: p?.catalogue.id ?? "qd1012",
    tiles: p?.defaultTiles ?? (profile.isError ? NATIONAL_TILES : []),
    // A link shared from the whole country's page opens on a province leader's own area, not on a refusal.
    areaFor: (requested) => (!requested ? area : requested === "VN" && me.scope.areaId ? me.scope.areaId : requested),
  };
}
