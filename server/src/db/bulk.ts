import { sql, type Kysely, type Transaction } from "kysely";
import type { Schema } from "./schema";

export type Executor = Kysely<Schema> | Transaction<Schema>;

/**
 * Inserts many rows with one statement per chunk: the rows travel as one JSON parameter and
 * `jsonb_populate_recordset` turns them into typed records of the target table. Works the same on
 * PGlite and PostgreSQL and keeps every value parameterised.
 */
export async function insertJsonRows(
  db: Executor,
  table: keyof Schema & string,
  rows: readonly Record<string, unknown>[],
  chunkSize = 2000,
): Promise<void> {
  if (!/^[a-z_]+$/.test(table)) throw new Error(`Invalid table name ${table}`);
  for (let i = 0; i < rows.length; i += chunkSize) {
    const chunk = rows.slice(i, i + chunkSize);
    const columns = Object.keys(chunk[0] ?? {});
    if (columns.length === 0) continue;
    const columnList = sql.raw(columns.map((c) => `"${c}"`).join(", "));
    await sql`INSERT INTO ${sql.table(table)} (${columnList})
      SELECT ${columnList} FROM jsonb_populate_recordset(NULL::${sql.table(table)}, ${JSON.stringify(chunk)}::jsonb)`.execute(db);
  }
}

/** A value as COPY's text format takes it. Arrays are PostgreSQL array literals (text[], int[]). */
export type CopyValue = string | number | boolean | Date | null | undefined | readonly (string | number | null)[];

/** Escapes text for COPY's text format: backslash, tab, newline and carriage return. */
function copyText(s: string): string {
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : s;
}
const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** An array literal: every element double-quoted, `"` and `\` escaped inside the quotes. */
function arrayLiteral(values: readonly (string | number | null)[]): string {
  return `{${values.map((v) => (v === null ? "NULL" : `"${String(v).replace(/["\\]/g, (c) => `\\${c}`)}"`)).join(",")}}`;
}

function copyField(v: CopyValue): string {
  if (v === null || v === undefined) return "\\N";
  if (typeof v === "string") return copyText(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`COPY: số không hữu hạn ${v}`);
    return String(v);
  }
  if (typeof v === "boolean") return v ? "t" : "f";
  if (v instanceof Date) return v.toISOString();
  return copyText(arrayLiteral(v));
}

/** Rows in COPY's text format: fields separated by tabs, one row per line, NULL as \N. */
export function copyTextOf(rows: readonly (readonly CopyValue[])[]): string {
  let out = "";
  for (const row of rows) {
    let line = "";
    for (let i = 0; i < row.length; i++) line += (i ? "\t" : "") + copyField(row[i]);
    out += line + "\n";
  }
  return out;
}

/** Payloads of COPY statements in flight, by the id their statement carries (see `enableCopy`). */
const copyPayloads = new Map<string, string>();
let copyCounter = 0;
const COPY_MARK = /^COPY [^;]* FROM STDIN \/\* bulk:(\d+) \*\/$/;

/**
 * Writes rows with COPY — the fastest way into a table on both engines: `COPY … FROM STDIN` on
 * PostgreSQL, `COPY … FROM '/dev/blob'` on PGlite (its equivalent; PGlite cannot take COPY's wire
 * protocol). Runs on the executor's connection, so inside its transaction like any other statement:
 * the statement carries an id, and the connection (prepared by `enableCopy` when the pool opened it)
 * sends the rows. A connection not prepared so (none in this product) falls back to `insertJsonRows`.
 * Values are written as COPY's text format; constraints, defaults and triggers apply as for INSERT.
 */
export async function copyRows(
  db: Executor,
  table: keyof Schema & string,
  columns: readonly string[],
  rows: readonly (readonly CopyValue[])[],
): Promise<number> {
  if (rows.length === 0) return 0;
  if (!/^[a-z_]+$/.test(table) || !columns.every((c) => /^[a-z_]+$/.test(c))) throw new Error(`Invalid COPY target ${table}`);
  const id = String(++copyCounter);
  copyPayloads.set(id, copyTextOf(rows));
  try {
    const r = await sql`${sql.raw(`COPY ${table} (${columns.join(", ")}) FROM STDIN /* bulk:${id} */`)}`.execute(db);
    return Number(r.numAffectedRows ?? rows.length);
  } catch (e) {
    // Still here: the connection never took the statement as a COPY (not prepared by enableCopy).
    if (!copyPayloads.has(id)) throw e;
    copyPayloads.delete(id);
    await insertJsonRows(
      db,
      table,
      rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] instanceof Date ? (r[i] as Date).toISOString() : r[i]]))),
    );
    return rows.length;
  } finally {
    copyPayloads.delete(id);
  }
}

interface QueryingClient {
  query: (...args: unknown[]) => unknown;
}

/** The engine of a PGlite connection: its `query` takes COPY's rows as a blob. */
interface BlobEngine {
  query(text: string, params: unknown[], options: { blob: Blob }): Promise<{ affectedRows?: number }>;
}

/**
 * Prepares a pooled connection (pg.Client) for `copyRows`: a statement marked as a bulk COPY is sent with
 * its rows — COPY's wire protocol on PostgreSQL, a blob on PGlite (`engine`, which shares the session).
 * Every other statement goes through unchanged.
 */
export function enableCopy(client: QueryingClient, engine?: BlobEngine): void {
  const query = client.query.bind(client);
  client.query = (...args: unknown[]) => {
    const text = typeof args[0] === "string" ? args[0] : "";
    const mark = text.startsWith("COPY ") ? COPY_MARK.exec(text) : null;
    const payload = mark ? copyPayloads.get(mark[1]!) : undefined;
    if (payload === undefined) return query(...args);
    copyPayloads.delete(mark![1]!);
    const done = (rowCount: number) => ({ command: "COPY", rowCount, rows: [], fields: [] });
    if (engine)
      return engine
        .query(text.replace(/ FROM STDIN /, " FROM '/dev/blob' "), [], { blob: new Blob([payload]) })
        .then((r) => done(r.affectedRows ?? 0));
    return new Promise((resolve, reject) => {
      query(new CopyIn(text, payload, (e, n) => (e ? reject(e) : resolve(done(n)))));
    });
  };
}

/**
 * COPY … FROM STDIN as node-postgres' "submittable": sent when the connection's turn comes, then the rows
 * in chunks when the server asks for them (CopyInResponse); done at ReadyForQuery.
 */
class CopyIn {
  private rowCount = 0;
  private finished = false;
  constructor(
    private readonly text: string,
    private readonly payload: string,
    private readonly done: (error: unknown, rowCount: number) => void,
  ) {}
  submit(connection: { query(text: string): void }) {
    connection.query(this.text);
  }
  handleCopyInResponse(connection: { sendCopyFromChunk(b: Buffer): void; endCopyFrom(): void }) {
    const bytes = Buffer.from(this.payload);
    for (let i = 0; i < bytes.length; i += COPY_CHUNK) connection.sendCopyFromChunk(bytes.subarray(i, i + COPY_CHUNK));
    connection.endCopyFrom();
  }
  handleCommandComplete(msg: { text?: string }) {
    this.rowCount = Number(/(\d+)$/.exec(msg.text ?? "")?.[1] ?? 0);
  }
  /** A refused row, or a lost connection (no ReadyForQuery follows then): answered at once. */
  handleError(error: unknown) {
    this.finish(error);
  }
  handleReadyForQuery() {
    this.finish(null);
  }
  private finish(error: unknown) {
    if (this.finished) return;
    this.finished = true;
    this.done(error, this.rowCount);
  }
  handleEmptyQuery() {}
  handleRowDescription() {}
  handleDataRow() {}
  handleCopyData() {}
  handlePortalSuspended() {}
}
const COPY_CHUNK = 64 * 1024;
