import type pg from "pg";
import { sql } from "kysely";
import type { Database } from "../db/database";
import { CHANNEL_SQL } from "./change";

export interface ChangeListenerHandlers {
  /** A notification's payload (a JSON DataChanged). */
  message(payload: string): void;
  /** Notifications may have been missed (the connection was lost and is back): everything may have changed. */
  resync(): void;
  log(level: "info" | "warn", message: string): void;
}

export interface ChangeListener {
  /** Resolves once the first LISTEN is in place (or failed: it keeps retrying). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** How often the LISTEN connection is asked whether it is still there. */
const HEARTBEAT_MS = 30_000;

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Listens on the schema's notification channel of the database, so that changes announced by any server
 * process (or the command line) reach this one:
 * - PostgreSQL: LISTEN on a dedicated connection outside the pool; a dropped connection (restart,
 *   failover, pg_terminate_backend) is logged and opened again with a growing wait (0.2 s … 10 s), and
 *   since notifications sent meanwhile are lost, `resync` says everything may have changed;
 * - PGlite: its own listen (one process per data directory: the notifications of its own writes).
 */
export function listenForChanges(database: Database, handlers: ChangeListenerHandlers): ChangeListener {
  if (database.pglite) {
    const pglite = database.pglite;
    let unlisten: (() => Promise<void>) | null = null;
    const ready = (async () => {
      const channel = (await sql<{ ch: string }>`SELECT ${CHANNEL_SQL} AS ch`.execute(database.db)).rows[0]!.ch;
      unlisten = await pglite.listen(quoteIdent(channel), (payload) => handlers.message(payload));
    })().catch((e: unknown) => handlers.log("warn", `Không nghe được kênh sự kiện của PGlite: ${String(e)}`));
    return {
      ready,
      close: async () => {
        await ready;
        await unlisten?.().catch(() => undefined); // the database may be closed already
      },
    };
  }
  const newClient = database.newClient;
  if (!newClient) return { ready: Promise.resolve(), close: async () => undefined };

  let closed = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  let wait = 200;
  let everConnected = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const schedule = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = null;
      void connect();
    }, wait);
    retry.unref();
    wait = Math.min(wait * 2, 10_000);
  };

  async function connect() {
    if (closed) return;
    const c = newClient!();
    client = c;
    let lost = false;
    let heartbeat: NodeJS.Timeout | null = null;
    const onLost = (why: string) => {
      if (lost) return;
      lost = true;
      if (heartbeat) clearInterval(heartbeat);
      if (client === c) client = null;
      c.removeAllListeners("notification");
      void c.end().catch(() => undefined);
      if (closed) return;
      handlers.log("warn", `Mất kết nối nghe sự kiện số liệu (LISTEN) tới PostgreSQL: ${why}; đang kết nối lại`);
      schedule();
    };
    c.on("error", (e) => onLost(e.message));
    c.on("end", () => onLost("kết nối bị đóng"));
    c.on("notification", (m) => {
      if (m.payload) handlers.message(m.payload);
    });
    try {
      await c.connect();
      // This connection must not keep a process alive on its own (the HTTP server does that).
      (c as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
      const channel = (await c.query<{ ch: string }>(`SELECT left('dieu_hanh_data_' || current_schema(), 63) AS ch`)).rows[0]!.ch;
      await c.query(`LISTEN ${quoteIdent(channel)}`);
      if (closed) {
        await c.end().catch(() => undefined);
        return;
      }
      wait = 200;
      // A connection cut without a word (a half-open TCP connection) is found by asking it something now and then.
      heartbeat = setInterval(() => {
        const timeout = setTimeout(() => onLost("không trả lời trong 10 giây"), 10_000);
        c.query("SELECT 1").then(
          () => clearTimeout(timeout),
          (e: unknown) => {
            clearTimeout(timeout);
            onLost(e instanceof Error ? e.message : String(e));
          },
        );
      }, HEARTBEAT_MS);
      heartbeat.unref();
      if (everConnected) {
        handlers.log("info", "Đã kết nối lại kênh sự kiện số liệu (LISTEN); các bảng điều khiển tải lại toàn bộ");
        handlers.resync();
      }
      everConnected = true;
      markReady();
    } catch (e) {
      onLost(e instanceof Error ? e.message : String(e));
      markReady(); // the caller does not wait for a database that is down: it keeps retrying
    }
  }
  void connect();
  return {
    ready,
    close: async () => {
      closed = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}
