import { useQueryClient, type Query, type QueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { apiGet } from "../api/client";
import type { JsonOf } from "../api/types";

/**
 * What the server says changed (GET /api/events, event "data"): the published figures of some indicators,
 * areas and periods. `null`: any (a change too large to name, or everything after the server lost track).
 */
export interface DataChange {
  indicators: string[] | null;
  areas: string[] | null;
  periods: string[] | null;
  at: string;
}

/** Changes arriving within this long of each other are applied together (a large import writes in parts). */
export const LIVE_DEBOUNCE_MS = 400;
/** …but a steady stream of changes is applied at least this often. */
const LIVE_MAX_WAIT_MS = 1_500;

type Latest = JsonOf<"/api/analytics/latest", "get">;

/** What a query shows: its indicators and the periods (or years) its figures come from; undefined: any. */
interface Reads {
  indicators?: string[];
  periods?: string[];
  years?: [number, number];
}

const csv = (x: unknown) =>
  typeof x === "string"
    ? x
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
const yearOf = (period: string) => Number(period.slice(0, 4));

/**
 * What a dashboard query reads, from its key: tiles (["analytics", "latest", area, codes]), the wall's
 * candidates (["analytics", "map-candidates", area, period, codes]), an analytics query object
 * (["analytics", { indicators, from, to, … }]: comparisons read the year before too), completeness
 * (["completeness", period, …]). Null: not a dashboard query.
 */
export function readsOf(key: readonly unknown[]): Reads | null {
  if (key[0] === "completeness") return typeof key[1] === "string" ? { periods: [key[1]] } : {};
  if (key[0] !== "analytics") return null;
  if (key[1] === "latest") return { indicators: csv(key[3]) };
  if (key[1] === "map-candidates") return { indicators: csv(key[4]), periods: typeof key[3] === "string" ? [key[3]] : undefined };
  const q = key[1] as { indicators?: unknown; from?: unknown; to?: unknown } | undefined;
  if (q && typeof q === "object") {
    const from = typeof q.from === "string" ? yearOf(q.from) : NaN;
    const to = typeof q.to === "string" ? yearOf(q.to) : NaN;
    return {
      indicators: csv(q.indicators),
      years: Number.isFinite(from) && Number.isFinite(to) ? [from - 1, to] : undefined,
    };
  }
  return {};
}

/** The indicators of `reads` a change touches ([] when none); null: the change touches all it reads. */
export function touched(change: DataChange, reads: Reads): string[] | null {
  if (change.periods !== null) {
    if (reads.periods && !reads.periods.some((p) => change.periods!.includes(p))) return [];
    if (reads.years) {
      const [from, to] = reads.years;
      if (!change.periods.some((p) => yearOf(p) >= from && yearOf(p) <= to)) return [];
    }
  }
  if (change.indicators === null || !reads.indicators) return null;
  return reads.indicators.filter((c) => change.indicators!.includes(c));
}

function merge(a: DataChange | null, b: DataChange): DataChange {
  if (!a) return b;
  const union = (x: string[] | null, y: string[] | null) => (x === null || y === null ? null : [...new Set([...x, ...y])]);
  return {
    indicators: union(a.indicators, b.indicators),
    areas: union(a.areas, b.areas),
    periods: union(a.periods, b.periods),
    at: a.at > b.at ? a.at : b.at,
  };
}

/**
 * Applies a change to the open dashboard's queries: only those reading a named indicator (and period) are
 * refreshed. Tiles fetch again only the tiles touched, merged into the ones shown; the rest are untouched.
 */
export function applyChange(queryClient: QueryClient, change: DataChange): void {
  for (const query of queryClient.getQueryCache().getAll()) {
    const reads = readsOf(query.queryKey);
    if (!reads) continue;
    const codes = touched(change, reads);
    if (codes !== null && codes.length === 0) continue;
    const key = query.queryKey;
    // Tiles: only the touched ones fetched again, when fewer than all.
    if (key[1] === "latest" && codes && codes.length < (reads.indicators?.length ?? 0) && query.state.data) {
      void refreshTiles(queryClient, query as Query<Latest>, codes);
      continue;
    }
    void queryClient.invalidateQueries({ queryKey: key, exact: true });
  }
}

async function refreshTiles(queryClient: QueryClient, query: Query<Latest>, codes: string[]) {
  const area = String(query.queryKey[2]);
  try {
    const fresh = await apiGet<Latest>("/api/analytics/latest", { indicators: codes.join(","), area });
    queryClient.setQueryData<Latest>(query.queryKey, (old) =>
      old
        ? { ...old, items: old.items.map((item) => fresh.items.find((f) => f.indicator.code === item.indicator.code) ?? item) }
        : old,
    );
  } catch {
    // The tiles as shown stay; the whole query is fetched again instead.
    void queryClient.invalidateQueries({ queryKey: query.queryKey, exact: true });
  }
}

/**
 * Keeps open dashboards fresh: the server pushes an event naming the indicators, areas and periods whose
 * published figures changed (/api/events); after a short pause (bursts gathered, LIVE_DEBOUNCE_MS) only the
 * tiles, charts and completeness that read them are fetched again. Returns when the last change arrived.
 */
export function useLiveData(): string | null {
  const queryClient = useQueryClient();
  const [last, setLast] = useState<string | null>(null);
  useEffect(() => {
    const source = new EventSource("/api/events");
    let pending: DataChange | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let firstAt = 0;
    const flush = () => {
      timer = null;
      const change = pending;
      pending = null;
      if (change) {
        setLast(change.at);
        applyChange(queryClient, change);
      }
    };
    source.addEventListener("data", (e) => {
      const change = JSON.parse((e as MessageEvent<string>).data) as DataChange;
      if (!pending) firstAt = Date.now();
      pending = merge(pending, change);
      if (timer) clearTimeout(timer);
      timer = setTimeout(flush, Math.max(0, Math.min(LIVE_DEBOUNCE_MS, firstAt + LIVE_MAX_WAIT_MS - Date.now())));
    });
    return () => {
      if (timer) clearTimeout(timer);
      source.close();
    };
  }, [queryClient]);
  return last;
}
