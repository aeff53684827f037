import { EventEmitter } from "node:events";
import { seriesLinks } from "../catalogue/series";
import type { Database } from "../db/database";
import { announce, changeOf, settleAnnounced, type ChangedKey, type DataChanged } from "./change";
import { listenForChanges, type ChangeListener } from "./listen";

export type { DataChanged } from "./change";

/** How long the push channel gathers changes into one message (a large import writes many parts). */
const COALESCE_MS = 100;

/** How long the links between provincial rows and national indicators are reused (they change with reference data). */
const SERIES_LINKS_MS = 10 * 60_000;

/** Merges changes: the union of what each names, `null` (any) winning. */
export function mergeChanges(a: DataChanged, b: DataChanged): DataChanged {
  const union = (x: string[] | null, y: string[] | null) => (x === null || y === null ? null : [...new Set([...x, ...y])].sort());
  return {
    indicators: union(a.indicators, b.indicators),
    areas: union(a.areas, b.areas),
    periods: union(a.periods, b.periods),
    at: a.at > b.at ? a.at : b.at,
  };
}

const isChange = (x: unknown): x is DataChanged => {
  const ok = (v: unknown) => v === null || (Array.isArray(v) && v.every((s) => typeof s === "string"));
  const o = x as Partial<DataChanged> | null;
  return !!o && ok(o.indicators) && ok(o.areas) && ok(o.periods) && typeof o.at === "string";
};

/**
 * The app's event bus: what leaders see changed. Writes announce their PUBLISHED changes through the
 * database inside their transaction (events/change.ts), so a change is heard once committed, by every
 * server process on the database (events/listen.ts); without a database (some tests) the bus is in-process.
 * Two kinds of listeners: `onChange` hears each change at once (the dashboard cache), `onData` hears them
 * gathered over 100 ms (the push channel to open dashboards, which would otherwise get one message per part
 * of a large import).
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private listener: ChangeListener | null = null;
  private pending: DataChanged | null = null;
  private flush: NodeJS.Timeout | null = null;
  private partners: { at: number; map: Promise<Map<string, string[]>> } | null = null;

  constructor(
    private readonly database?: Database,
    private readonly log: (level: "info" | "warn", message: string) => void = (level, m) =>
      level === "warn" ? console.warn(m) : undefined,
  ) {
    this.emitter.setMaxListeners(10_000);
    if (database && (database.pglite || database.newClient))
      this.listener = listenForChanges(database, {
        message: (payload) => {
          settleAnnounced(payload);
          try {
            const parsed: unknown = JSON.parse(payload);
            if (isChange(parsed)) this.deliver(parsed);
          } catch {
            this.log("warn", `Sự kiện số liệu không đọc được: ${payload.slice(0, 200)}`);
          }
        },
        resync: () => this.deliver({ indicators: null, areas: null, periods: null, at: new Date().toISOString() }),
        log: this.log,
      });
  }

  /** Resolves once the bus listens on the database (tests wait for it before writing). */
  get ready(): Promise<void> {
    return this.listener?.ready ?? Promise.resolve();
  }

  /**
   * The change naming, beside each indicator, the other name of its series (a provincial row and the national
   * indicator it implements are one series, docs/decisions/0009): a tile of either shows the changed figure.
   */
  private async withPartners(change: DataChanged): Promise<DataChanged> {
    if (change.indicators === null) return change;
    return { ...change, indicators: await this.seriesOf(change.indicators) };
  }

  /** The indicators with the other names of their series (links reused for 10 minutes). */
  async seriesOf(indicators: readonly string[]): Promise<string[]> {
    if (!this.database) return [...indicators];
    const now = Date.now();
    if (!this.partners || now - this.partners.at > SERIES_LINKS_MS) {
      const map = seriesLinks(this.database.db).then((links) => {
        const m = new Map<string, string[]>();
        for (const l of links) {
          m.set(l.code, [...(m.get(l.code) ?? []), l.nationalCode]);
          m.set(l.nationalCode, [...(m.get(l.nationalCode) ?? []), l.code]);
        }
        return m;
      });
      this.partners = { at: now, map };
      map.catch(() => (this.partners = null));
    }
    const links = await this.partners.map.catch(() => new Map<string, string[]>());
    const codes = new Set(indicators);
    for (const c of indicators) for (const p of links.get(c) ?? []) codes.add(p);
    return codes.size === indicators.length ? [...indicators] : [...codes].sort();
  }

  /** A change heard (from the database, or in-process without one): to the cache at once, to the push channel gathered. */
  private deliver(change: DataChanged) {
    this.emitter.emit("change", change);
    void this.withPartners(change).then((e) => this.gather(e));
  }

  private gather(change: DataChanged) {
    this.pending = this.pending ? mergeChanges(this.pending, change) : change;
    if (!this.flush) {
      this.flush = setTimeout(() => {
        this.flush = null;
        const e = this.pending;
        this.pending = null;
        if (e) this.emitter.emit("data", e);
      }, COALESCE_MS);
      this.flush.unref();
    }
  }

  /**
   * Announces that some keys' published figures changed (tests, and writers outside `writeRows`); the
   * writer announces its own inside its transaction.
   */
  dataChanged(rows: readonly ChangedKey[]): void {
    const change = changeOf(rows);
    if (!change) return;
    this.announce(change);
  }

  /** Announces a change through the database (in-process without one). */
  announce(change: DataChanged): void {
    if (!this.listener || !this.database) {
      this.deliver(change);
      return;
    }
    void announce(this.database.db, change).catch((e: unknown) =>
      this.log("warn", `Không gửi được sự kiện số liệu: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  /** Each change as soon as it is heard, as announced (the dashboard cache, whose answers know their series). */
  onChange(listener: (e: DataChanged) => void): () => void {
    this.emitter.on("change", listener);
    return () => this.emitter.off("change", listener);
  }

  /** Changes gathered over 100 ms (the push channel). */
  onData(listener: (e: DataChanged) => void): () => void {
    this.emitter.on("data", listener);
    return () => this.emitter.off("data", listener);
  }

  async close(): Promise<void> {
    if (this.flush) clearTimeout(this.flush);
    this.flush = null;
    await this.listener?.close();
  }
}
