import { EventEmitter } from "node:events";

/** What changed: the figures of some indicators, areas and periods. */
export interface DataChanged {
  indicators: string[];
  areas: string[];
  periods: string[];
  at: string;
}

/**
 * The app's event bus: writes announce what they changed, the push channel (/api/events) tells open
 * dashboards, which fetch again. One bus per app instance.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(10_000);
  }

  dataChanged(rows: { indicator: string; area: string; period: string }[]): void {
    if (rows.length === 0) return;
    const uniq = (xs: string[]) => [...new Set(xs)].slice(0, 200);
    this.emitter.emit("data", {
      indicators: uniq(rows.map((r) => r.indicator)),
      areas: uniq(rows.map((r) => r.area)),
      periods: uniq(rows.map((r) => r.period)),
      at: new Date().toISOString(),
    } satisfies DataChanged);
  }

  onData(listener: (e: DataChanged) => void): () => void {
    this.emitter.on("data", listener);
    return () => this.emitter.off("data", listener);
  }
}
