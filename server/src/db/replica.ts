import type pg from "pg";

/**
 * Dashboard reads on a PostgreSQL hot standby (DATABASE_READ_URL), never stale after a change and never
 * down because the standby is.
 *
 * - Writes never go there: only `readDb` (the analytics routes) routes through this pool; the primary's
 *   `db` is untouched.
 * - Read-your-writes: a standby replays the primary's WAL a little later. When this process commits a
 *   transaction, or hears a change announced by any process (events/bus.ts: a notification is delivered
 *   only after its transaction committed), the next read first asks the primary for its WAL position
 *   (`pg_current_wal_lsn()`, then at or past that commit) and waits until the standby's
 *   `pg_last_wal_replay_lsn()` reaches it — at most `maxWaitMs` (1 s), after which it reads from the primary
 *   and says so in the log. Until the standby has caught up, later reads needing that position go straight
 *   to the primary instead of waiting again.
 * - A standby that refuses connections (stopped, restarting) is left aside for `retryMs` and reads go to the
 *   primary; a statement the standby cancels (a conflict with recovery) or a connection it drops outside a
 *   transaction is run again on the primary.
 */
export interface ReplicaOptions {
  /** Longest a read waits for the standby to replay a change before reading from the primary (ms). */
  maxWaitMs?: number;
  /** How long a standby that refused a connection is left aside before it is tried again (ms). */
  retryMs?: number;
  log?: (level: "info" | "warn", message: string) => void;
  isConnectionError: (e: unknown) => boolean;
}

/** What /api/health tells about the standby. */
export interface ReplicaStatus {
  state: "ok" | "down";
  /** The standby is in recovery (a hot standby), as it must be; false once promoted. */
  inRecovery: boolean | null;
  /** Bytes of the primary's WAL the standby has not replayed yet. */
  lagBytes: number | null;
  /** Seconds since the last transaction the standby replayed was committed on the primary. */
  lastReplayAgeSeconds: number | null;
  /** Reads answered since start: by the standby, by the primary instead (standby behind or down). */
  reads: { standby: number; primary: number };
  message?: string;
}

type Client = pg.PoolClient;
interface Pool {
  connect(): Promise<Client>;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  end(): Promise<void>;
}

/** "16/B374D848" → a number to compare (WAL positions are 64-bit). */
export function parseLsn(text: string | null | undefined): bigint | null {
  if (!text) return null;
  const m = /^([0-9A-F]+)\/([0-9A-F]+)$/i.exec(text);
  return m ? (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`) : null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const RECOVERY_CONFLICT = "40001"; // "canceling statement due to conflict with recovery" (also serialization failures: safe to rerun)

export class ReadReplica {
  /** Longest a read waits for the standby to replay what it must see (ms). */
  maxWaitMs: number;
  /** How long a standby that refused a connection is left aside (ms). */
  retryMs: number;
  private readonly log: (level: "info" | "warn", message: string) => void;
  /** A commit or a change was heard since the last time the primary's position was asked. */
  private dirty = false;
  /** The latest ask of the primary's position (reads join it). */
  private asking: Promise<void> | null = null;
  /** The position every read must see (the primary's, after the latest commit or change heard). */
  private required = 0n;
  /** The standby's replay position, as last seen. */
  private replayed = 0n;
  /** A position the standby did not reach within maxWaitMs: reads needing it go to the primary meanwhile. */
  private behind: bigint | null = null;
  private polling: Promise<void> | null = null;
  private downSince: number | null = null;
  private primaryUnknown = false;
  readonly reads = { standby: 0, primary: 0 };
  /** Reads waiting now for the standby to replay a change. */
  waiting = 0;

  constructor(
    private readonly primary: Pool,
    private readonly standby: Pool,
    private readonly options: ReplicaOptions,
  ) {
    this.maxWaitMs = options.maxWaitMs ?? 1_000;
    this.retryMs = options.retryMs ?? 5_000;
    this.log = options.log ?? ((level, m) => (level === "warn" ? console.warn(m) : console.log(m)));
  }

  /** A transaction committed on the primary, or a change was announced: the next read must see it. */
  changed(): void {
    this.dirty = true;
  }

  /** The pool Kysely's PostgresDialect is given for `readDb`: each connection from the standby when it may answer. */
  get pool(): { connect(): Promise<Client>; end(): Promise<void> } {
    return { connect: () => this.connect(), end: () => this.standby.end() };
  }

  private fromPrimary(): Promise<Client> {
    this.reads.primary++;
    return this.primary.connect();
  }

  private markDown(e: unknown): void {
    if (this.downSince === null)
      this.log(
        "warn",
        `Bản sao chỉ đọc (DATABASE_READ_URL) không kết nối được: ${e instanceof Error ? e.message : String(e)}; bảng điều khiển đọc từ cơ sở dữ liệu chính`,
      );
    this.downSince = Date.now();
  }

  private markUp(): void {
    if (this.downSince !== null)
      this.log("info", "Bản sao chỉ đọc (DATABASE_READ_URL) trả lời lại; bảng điều khiển đọc từ bản sao");
    this.downSince = null;
  }

  /**
   * The primary's position after everything committed or heard so far (asked once per burst of changes).
   * A primary that cannot be asked (down) leaves the standby answering as it is: nothing newer can be
   * committed meanwhile, and the dashboards keep working; it is asked again by the next read.
   */
  private async requiredPosition(): Promise<bigint> {
    if (this.dirty) {
      this.dirty = false;
      const ask = this.primary.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn").then(
        (r) => {
          const lsn = parseLsn(r.rows[0]?.lsn);
          if (lsn !== null && lsn > this.required) this.required = lsn;
          this.primaryUnknown = false;
        },
        (e: unknown) => {
          this.dirty = true;
          if (!this.primaryUnknown)
            this.log(
              "warn",
              `Không hỏi được vị trí WAL của cơ sở dữ liệu chính (${e instanceof Error ? e.message : String(e)}); bảng điều khiển đọc bản sao như hiện có`,
            );
          this.primaryUnknown = true;
        },
      );
      this.asking = ask;
      void ask.finally(() => {
        if (this.asking === ask) this.asking = null;
      });
    }
    if (this.asking) await this.asking;
    return this.required;
  }

  /** One shared look at the standby's replay position. */
  private poll(): Promise<void> {
    this.polling ??= this.standby
      .query<{ lsn: string | null }>("SELECT pg_last_wal_replay_lsn()::text AS lsn")
      .then((r) => {
        const lsn = parseLsn(r.rows[0]?.lsn);
        if (lsn !== null && lsn > this.replayed) this.replayed = lsn;
        if (this.behind !== null && this.replayed >= this.behind) {
          this.log("info", "Bản sao chỉ đọc đã theo kịp; bảng điều khiển đọc lại từ bản sao");
          this.behind = null;
        }
      })
      .finally(() => (this.polling = null));
    return this.polling;
  }

  /** Waits (at most maxWaitMs) until the standby has replayed `need`. */
  private async caughtUp(need: bigint): Promise<boolean> {
    const deadline = Date.now() + this.maxWaitMs;
    this.waiting++;
    try {
      for (;;) {
        await this.poll();
        if (this.replayed >= need) return true;
        if (Date.now() >= deadline) return false;
        await sleep(5);
      }
    } finally {
      this.waiting--;
    }
  }

  private async connect(): Promise<Client> {
    if (this.downSince !== null && Date.now() - this.downSince < this.retryMs) return this.fromPrimary();
    try {
      const need = await this.requiredPosition();
      if (need > this.replayed) {
        if (this.behind !== null && need >= this.behind) {
          // Known to be behind: no new wait, but a look so that reads come back once it has caught up.
          await this.poll();
          if (need > this.replayed) return this.fromPrimary();
        } else {
          if (!(await this.caughtUp(need))) {
            this.behind = need;
            this.log(
              "warn",
              `Bản sao chỉ đọc chậm hơn ${this.maxWaitMs} ms so với cơ sở dữ liệu chính (cần vị trí WAL ${formatLsn(need)}, mới đến ${formatLsn(this.replayed)}); đọc từ cơ sở dữ liệu chính cho đến khi bản sao theo kịp`,
            );
            return this.fromPrimary();
          }
        }
      }
      const client = await this.standby.connect();
      this.markUp();
      this.reads.standby++;
      return this.withFallback(client);
    } catch (e) {
      if (!this.options.isConnectionError(e)) throw e;
      this.markDown(e);
      return this.fromPrimary();
    }
  }

  /**
   * The standby's connection, whose statements are run again on the primary when the standby cancels them
   * (conflict with recovery) or drops the connection — only outside a transaction, where rerunning is safe.
   */
  private withFallback(client: Client): Client {
    let current: Client = client;
    let onPrimary = false;
    let inTransaction = false;
    const query = async (...args: unknown[]): Promise<unknown> => {
      const text = typeof args[0] === "string" ? args[0] : null;
      if (text !== null && /^\s*(begin|start\s+transaction)\b/i.test(text)) inTransaction = true;
      try {
        return await (current.query as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (e) {
        const code = (e as { code?: string }).code;
        const lost = this.options.isConnectionError(e);
        if (onPrimary || inTransaction || text === null || !(lost || code === RECOVERY_CONFLICT)) throw e;
        if (lost) this.markDown(e);
        else this.log("warn", `Bản sao chỉ đọc hủy một truy vấn (${(e as Error).message}); chạy lại trên cơ sở dữ liệu chính`);
        current.release(lost ? (e as Error) : undefined);
        current = await this.fromPrimary();
        onPrimary = true;
        return (current.query as (...a: unknown[]) => Promise<unknown>)(...args);
      } finally {
        if (text !== null && /^\s*(commit|rollback|end|abort)\b/i.test(text)) inTransaction = false;
      }
    };
    return new Proxy(client, {
      get: (_target, prop) => {
        if (prop === "query") return query;
        if (prop === "release") return (err?: Error | boolean) => current.release(err);
        const value = Reflect.get(current, prop) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(current) : value;
      },
    });
  }

  /** The standby's state, asked now (for /api/health), within `timeoutMs`. */
  async status(timeoutMs = 2_000): Promise<ReplicaStatus> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`không trả lời trong ${timeoutMs / 1000} giây`)), timeoutMs);
    });
    try {
      const s = await Promise.race([
        this.standby.query<{ recovery: boolean; lsn: string | null; age: number | null }>(
          "SELECT pg_is_in_recovery() AS recovery, pg_last_wal_replay_lsn()::text AS lsn, " +
            "extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS age",
        ),
        timeout,
      ]);
      const row = s.rows[0]!;
      const replayed = parseLsn(row.lsn);
      if (replayed !== null && replayed > this.replayed) this.replayed = replayed;
      let lagBytes: number | null = null;
      if (row.lsn) {
        const p = await Promise.race([
          this.primary.query<{ lag: number }>("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::float8 AS lag", [
            row.lsn,
          ]),
          timeout,
        ]).catch(() => null);
        lagBytes = p ? Math.max(0, Number(p.rows[0]!.lag)) : null;
      }
      this.markUp();
      return {
        state: "ok",
        inRecovery: row.recovery,
        lagBytes,
        lastReplayAgeSeconds: row.age === null ? null : Math.max(0, Math.round(row.age * 10) / 10),
        reads: { ...this.reads },
      };
    } catch (e) {
      if (this.options.isConnectionError(e)) this.markDown(e);
      return {
        state: "down",
        inRecovery: null,
        lagBytes: null,
        lastReplayAgeSeconds: null,
        reads: { ...this.reads },
        message: `Không kết nối được bản sao chỉ đọc: ${e instanceof Error ? e.message : String(e)}`,
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/**
 * Tells `onCommit` after each COMMIT a pooled connection of the primary runs (Kysely's transactions end so),
 * so that this process's next dashboard read waits for the standby to replay it.
 */
export function noticeCommits(client: { query: (...args: unknown[]) => unknown }, onCommit: () => void): void {
  const query = client.query.bind(client);
  client.query = (...args: unknown[]) => {
    const result = query(...args);
    if (typeof args[0] === "string" && /^\s*commit\b/i.test(args[0]) && result instanceof Promise)
      result.then(onCommit, () => undefined);
    return result;
  };
}
