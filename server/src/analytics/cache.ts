import { LRUCache } from "lru-cache";
import type { Principal } from "../auth/principal";
import { pendingChanges, type DataChanged } from "../events/change";

/** What an answer depends on: its indicators (the series partners included) and the years of its periods. */
export interface AnswerDeps {
  indicators: readonly string[];
  /** First and last year whose figures the answer reads; null: any year (the latest figure of a series). */
  years: readonly [number, number] | null;
}

interface Entry {
  body: string;
  indicators: ReadonlySet<string>;
  years: readonly [number, number] | null;
}

export interface AnswerCacheOptions {
  /** Most answers kept (least recently used go first). */
  max?: number;
  /** Most bytes of answers kept. */
  maxBytes?: number;
  /**
   * Longest an answer is kept: a backstop only (figures, targets, split weights and reference data that
   * change without an event). Changes of published figures invalidate at once.
   */
  ttlMs?: number;
}

const yearOf = (period: string) => Number(period.slice(0, 4));

/** Does a change touch an answer with these dependencies? */
export function touches(change: DataChanged, deps: { indicators: ReadonlySet<string>; years: readonly [number, number] | null }) {
  if (change.indicators !== null && !change.indicators.some((c) => deps.indicators.has(c))) return false;
  if (change.periods === null || deps.years === null) return true;
  const [from, to] = deps.years;
  return change.periods.some((p) => {
    const y = yearOf(p);
    return !Number.isFinite(y) || (y >= from && y <= to);
  });
}

/**
 * The server's cache of dashboard answers (/api/analytics, /api/analytics/latest): the answer's JSON, keyed
 * by the normalised query AND the caller's scope (an answer is never served to another scope), bounded in
 * count and bytes (least recently used go first), and invalidated by the events of published changes
 * (events/bus.ts) for the indicators and years they name — in every server process, since events come
 * through the database.
 *
 * No stale answer is ever stored: a computation that was under way when a change arrived is given to its
 * own callers but neither kept nor shared with later ones, so the first answer computed after an event
 * holds the change; and a change this process announces empties the answers it touches at once, before
 * the database's notification comes back (events/change.ts `pendingChanges`). Identical requests arriving together share one computation (50 dashboards opening at
 * once cost one query).
 */
export class AnswerCache {
  private readonly lru: LRUCache<string, Entry>;
  private readonly inflight = new Map<string, { generation: number; promise: Promise<string> }>();
  /** Bumped by every change heard: a computation started under an older generation is not kept. */
  private generation = 0;
  hits = 0;
  misses = 0;

  constructor(options: AnswerCacheOptions = {}) {
    this.lru = new LRUCache<string, Entry>({
      max: options.max ?? 2_000,
      maxSize: options.maxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (e) => e.body.length * 2 + 200,
      ttl: options.ttlMs ?? 10 * 60_000,
    });
  }

  /** The cache key: route, scope (area and agencies) and the normalised query. */
  static key(route: string, principal: Principal, query: Record<string, unknown>): string {
    const agencies = principal.scope.agencies ? [...principal.scope.agencies].sort() : null;
    const normalised = Object.keys(query)
      .sort()
      .filter((k) => query[k] !== undefined)
      .map((k) => [k, query[k]]);
    return JSON.stringify([route, principal.scope.areaId ?? null, agencies, normalised]);
  }

  /** A change heard: drop the answers it touches, and let no computation under way be kept. */
  invalidate(change: DataChanged): void {
    this.generation++;
    this.inflight.clear();
    if (change.indicators === null && change.periods === null) {
      this.lru.clear();
      return;
    }
    for (const [key, entry] of this.lru.entries()) if (touches(change, entry)) this.lru.delete(key);
  }

  clear(): void {
    this.generation++;
    this.inflight.clear();
    this.lru.clear();
  }

  get size(): number {
    return this.lru.size;
  }

  /** The answer's JSON: from the cache, or computed (once for simultaneous identical requests) and kept. */
  async get(key: string, deps: AnswerDeps, compute: () => Promise<string>): Promise<{ body: string; hit: boolean }> {
    const cached = this.lru.get(key);
    if (cached) {
      this.hits++;
      return { body: cached.body, hit: true };
    }
    this.misses++;
    const running = this.inflight.get(key);
    if (running && running.generation === this.generation) return { body: await running.promise, hit: false };
    const generation = this.generation;
    const promise = compute();
    this.inflight.set(key, { generation, promise });
    try {
      const body = await promise;
      const entry = { body, indicators: new Set(deps.indicators), years: deps.years ? ([...deps.years] as const) : null };
      // Kept only when no change arrived meanwhile, and none this process announced is still on its way.
      if (this.generation === generation && !pendingChanges().some((c) => touches(c, entry))) this.lru.set(key, entry);
      return { body, hit: false };
    } finally {
      if (this.inflight.get(key)?.promise === promise) this.inflight.delete(key);
    }
  }
}
