import { createHash } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import {
  defaultDeadlineDays,
  entryLockDate,
  formatDate,
  parsePeriod,
  previousPeriod,
  reportDeadline,
  type Period,
} from "@dieuhanh/core";
import { sql, type Kysely } from "kysely";
import { recordAudit } from "../audit/service";
import type { RequestContext } from "../auth/principal";
import type { Database } from "../db/database";
import type { Schema } from "../db/schema";

/**
 * Closed years to cheaper storage (docs/decisions/0012). The versions (`data_values`) and the read model
 * (`figure_facts`, `figure_rollup`) are partitioned by year; a CLOSED year's partitions can be moved to a
 * tablespace on cheaper disk (reads unchanged: the same tables answer) and its versions exported as
 * compressed CSV with a SHA-256 for cold storage. Nothing is ever deleted here.
 */

/** The year-partitioned tables whose partition of year Y is named `<table>_y<Y>`. */
export const YEAR_PARTITIONED = ["data_values", "figure_facts", "figure_rollup"] as const;

const addDays = (isoDate: string, days: number) => {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};

/** The last period of a type within `year` (the period before the first one of the next year). */
export function lastPeriodOfYear(type: Period["type"], year: number): Period {
  const next = year + 1;
  const first: Record<Period["type"], string> = {
    year: `${next}`,
    half_year: `${next}S1`,
    quarter: `${next}Q1`,
    month: `${next}M01`,
    week: `${next}W01`,
    day: `${next}0101`,
  };
  return previousPeriod(parsePeriod(first[type])!);
}

export interface YearClosure {
  year: number;
  closed: boolean;
  /** The first day the year counts as closed (the latest lock date of its last periods). */
  closesOn: string;
  /** The period, and why, that keeps the year open (Vietnamese), when it is open. */
  reason: string | null;
}

/**
 * A year is CLOSED on `today` (Vietnam date) when every period of it is over and past its entry lock date:
 * for each active reporting obligation, the lock date of its last period of the year (`entryLockDate`; an
 * obligation that never locks counts from the day after its deadline — later entries are late, and still
 * land, on the cheaper disk); for figures of a period type no obligation covers, the day after the default
 * deadline. And no report of the year is reopened for correction at the moment.
 */
export async function yearClosure(db: Kysely<Schema>, year: number, today: string): Promise<YearClosure> {
  const from = String(year);
  const to = String(year + 1);
  const obligations = await db
    .selectFrom("reporting_obligations")
    .select(["period_type", sql<number>`max(deadline_days)`.as("deadline"), sql<number | null>`max(lock_after_days)`.as("lock")])
    .select(sql<boolean>`bool_or(lock_after_days IS NULL)`.as("unlocked"))
    .where("active", "=", true)
    .groupBy("period_type")
    .execute();
  const stored = await sql<{ period_type: Period["type"] }>`SELECT DISTINCT period_type FROM data_values
    WHERE period >= ${from} AND period < ${to}`.execute(db);
  let closesOn = addDays(`${year}-12-31`, 1);
  let reason: string | null = `năm ${year} chưa kết thúc`;
  const later = (day: string, why: string) => {
    if (day > closesOn) {
      closesOn = day;
      reason = why;
    }
  };
  for (const o of obligations) {
    const last = lastPeriodOfYear(o.period_type as Period["type"], year);
    const deadline = Number(o.deadline);
    const locked = entryLockDate(last, deadline, o.lock === null ? null : Number(o.lock));
    if (locked) later(locked, `kỳ ${last.code} khóa nhập từ ngày ${formatDate(locked)}`);
    if (o.unlocked) {
      const due = addDays(reportDeadline(last, deadline), 1);
      later(due, `kỳ ${last.code} còn hạn báo cáo đến hết ngày ${formatDate(reportDeadline(last, deadline))}`);
    }
  }
  for (const s of stored.rows) {
    if (obligations.some((o) => o.period_type === s.period_type)) continue;
    const last = lastPeriodOfYear(s.period_type, year);
    const due = reportDeadline(last, defaultDeadlineDays[s.period_type]);
    later(addDays(due, 1), `kỳ ${last.code} còn hạn báo cáo đến hết ngày ${formatDate(due)}`);
  }
  if (today < closesOn) return { year, closed: false, closesOn, reason };
  const reopened = await db
    .selectFrom("entry_reopenings")
    .select(["period", "area_id", "agency_code", "open_until"])
    .where("period", ">=", from)
    .where("period", "<", to)
    .where("open_until", ">", new Date(`${today}T00:00:00+07:00`))
    .orderBy("open_until", "desc")
    .executeTakeFirst();
  if (reopened)
    return {
      year,
      closed: false,
      closesOn,
      reason: `báo cáo kỳ ${reopened.period} của ${reopened.agency_code} (${reopened.area_id}) đang được mở lại để sửa`,
    };
  return { year, closed: true, closesOn, reason: null };
}

/** Refused: the year is not closed, or the engine cannot do what was asked. */
export class ArchiveRefusal extends Error {}

/** A CSV field as PostgreSQL's COPY … CSV reads it back: NULL unquoted and empty, text quoted when needed. */
function csvField(v: string | null): string {
  if (v === null) return "";
  return v === "" || /[",\r\n]/.test(v) || v.trim() !== v ? `"${v.replace(/"/g, '""')}"` : v;
}

export interface YearExport {
  file: string;
  sha256File: string;
  sha256: string;
  rows: number;
  bytes: number;
}

/**
 * Writes every version of the year's figures (every column of `data_values`, in PostgreSQL's text form) as
 * gzip-compressed CSV with a header — loadable with `COPY data_values FROM PROGRAM 'gunzip -c …' CSV HEADER`
 * — and `<file>.sha256` beside it (the `sha256sum -c` format). Read in pages of 5,000 in the table's key
 * order, so that an embedded database keeps serving between pages; a closed year takes no writes, and the
 * rows counted at the end must equal those written. Deletes nothing.
 */
export async function exportYear(db: Kysely<Schema>, year: number, target: string): Promise<YearExport> {
  const file = resolve(target);
  if (existsSync(file)) throw new ArchiveRefusal(`Tệp ${file} đã có: chọn tên khác (không ghi đè bản xuất cũ)`);
  const partial = `${file}.partial`;
  const from = String(year);
  const to = String(year + 1);
  const columns = (
    await sql<{ column_name: string }>`SELECT column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'data_values' ORDER BY ordinal_position`.execute(db)
  ).rows.map((c) => c.column_name);
  const select = sql.join(columns.map((c) => sql`${sql.ref(c)}::text AS ${sql.ref(c)}`));
  const hash = createHash("sha256");
  let bytes = 0;
  let rows = 0;
  async function* lines() {
    yield `${columns.map(csvField).join(",")}\n`;
    // Keyset over the versions' unique key (indicator, area, period, disaggregation, version).
    let after: [string, string, string, string, number] | null = null;
    for (;;) {
      const page: { rows: Record<string, string | null>[] } = await sql<Record<string, string | null>>`
        SELECT ${select} FROM data_values
        WHERE period >= ${from} AND period < ${to}
          ${after ? sql`AND (indicator_code, area_id, period, disaggregation, version) > (${after[0]}, ${after[1]}, ${after[2]}, ${after[3]}, ${after[4]})` : sql``}
        ORDER BY indicator_code, area_id, period, disaggregation, version LIMIT 5000`.execute(db);
      if (page.rows.length === 0) return;
      rows += page.rows.length;
      yield page.rows.map((r) => `${columns.map((c) => csvField(r[c] ?? null)).join(",")}\n`).join("");
      const last = page.rows[page.rows.length - 1]!;
      after = [last.indicator_code!, last.area_id!, last.period!, last.disaggregation!, Number(last.version)];
    }
  }
  const measure = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(lines(), createGzip({ level: 9 }), measure, createWriteStream(partial, { flags: "wx" }));
    const counted = await sql<{ n: number }>`SELECT count(*)::int AS n FROM data_values
      WHERE period >= ${from} AND period < ${to}`.execute(db);
    if (Number(counted.rows[0]!.n) !== rows)
      throw new Error(`Số dòng năm ${year} thay đổi trong lúc xuất (${rows} → ${counted.rows[0]!.n}); hãy xuất lại`);
    await rename(partial, file);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
  const sha256 = hash.digest("hex");
  const sha256File = `${file}.sha256`;
  await writeFile(sha256File, `${sha256}  ${basename(file)}\n`);
  return { file, sha256File, sha256, rows, bytes };
}

export interface MovedPartition {
  table: string;
  indexes: string[];
  bytes: number;
  /** Already in the tablespace before this run (nothing to do). */
  already: boolean;
}

/** The year's partitions of the year-partitioned tables present in the current schema. */
export async function yearPartitions(db: Kysely<Schema>, year: number) {
  const r = await sql<{ name: string; tablespace: string | null; bytes: number }>`
    SELECT c.relname AS name, t.spcname AS tablespace, pg_total_relation_size(c.oid)::bigint AS bytes
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_class p ON p.oid = i.inhparent
    JOIN pg_namespace n ON n.oid = p.relnamespace AND n.nspname = current_schema()
    LEFT JOIN pg_tablespace t ON t.oid = c.reltablespace
    WHERE p.relname = ANY(${[...YEAR_PARTITIONED]}::text[]) AND c.relname = p.relname || '_y' || ${String(year)}
    ORDER BY c.relname`.execute(db);
  return r.rows.map((x) => ({ ...x, bytes: Number(x.bytes) }));
}

/**
 * Moves the year's partitions and their indexes to `tablespace` (PostgreSQL) in one transaction: each
 * partition is rewritten onto the tablespace's disk under an exclusive lock of that partition (queries
 * that need it wait for the move; other years are read as usual). The tables stay where they are in the
 * schema, so every read is unchanged.
 */
export async function moveYear(db: Kysely<Schema>, year: number, tablespace: string): Promise<MovedPartition[]> {
  const exists = await sql`SELECT 1 FROM pg_tablespace WHERE spcname = ${tablespace}`.execute(db);
  if (exists.rows.length === 0)
    throw new ArchiveRefusal(
      `Không có tablespace '${tablespace}'. Người quản trị PostgreSQL tạo trước: ` +
        `CREATE TABLESPACE ${tablespace} LOCATION '/duong/dan/o-dia-re' (thư mục trống, thuộc người dùng postgres)`,
    );
  const partitions = await yearPartitions(db, year);
  if (partitions.length === 0)
    throw new ArchiveRefusal(
      `Năm ${year} chưa có phân vùng riêng (data_values_y${year}): số liệu của năm nằm trong phân vùng mặc định; ` +
        "không có gì để chuyển",
    );
  return db.transaction().execute(async (trx) => {
    const moved: MovedPartition[] = [];
    for (const p of partitions) {
      const indexes = (
        await sql<{ name: string; tablespace: string | null }>`
          SELECT ic.relname AS name, t.spcname AS tablespace FROM pg_index x
          JOIN pg_class ic ON ic.oid = x.indexrelid
          JOIN pg_class c ON c.oid = x.indrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
          LEFT JOIN pg_tablespace t ON t.oid = ic.reltablespace
          WHERE c.relname = ${p.name} ORDER BY ic.relname`.execute(trx)
      ).rows;
      const already = p.tablespace === tablespace && indexes.every((i) => i.tablespace === tablespace);
      if (p.tablespace !== tablespace)
        await sql`ALTER TABLE ${sql.table(p.name)} SET TABLESPACE ${sql.id(tablespace)}`.execute(trx);
      for (const i of indexes)
        if (i.tablespace !== tablespace)
          await sql`ALTER INDEX ${sql.table(i.name)} SET TABLESPACE ${sql.id(tablespace)}`.execute(trx);
      moved.push({ table: p.name, indexes: indexes.map((i) => i.name), bytes: p.bytes, already });
    }
    return moved;
  });
}

export interface ArchiveOptions {
  year: number;
  today: string;
  /** Where to write the year's versions (compressed CSV); relative to `cwd`. */
  exportFile?: string;
  cwd?: string;
  /** The tablespace on cheaper disk (ARCHIVE_TABLESPACE); PostgreSQL only. */
  tablespace?: string;
}

export interface ArchiveResult {
  closure: YearClosure;
  exported: YearExport | null;
  moved: MovedPartition[] | null;
  /** Said to the person (the engine's limits). */
  notes: string[];
}

/**
 * `archive-year`: refuses a year that is not closed (audited as denied); else exports the year's versions
 * when asked, and on PostgreSQL moves its partitions to the archive tablespace. On PGlite (one data
 * directory, no tablespaces) only the export is possible, and it says so. Audited.
 */
export async function archiveYear(database: Database, ctx: RequestContext, o: ArchiveOptions): Promise<ArchiveResult> {
  const db = database.db;
  if (!Number.isInteger(o.year) || o.year < 1900 || o.year > 9999) throw new ArchiveRefusal(`Năm không hợp lệ: ${o.year}`);
  const closure = await yearClosure(db, o.year, o.today);
  const audit = (outcome: "success" | "denied", after: unknown, reason: string | null) =>
    recordAudit(db, ctx, {
      action: "storage.archive_year",
      outcome,
      entityType: "data_year",
      entityId: String(o.year),
      after,
      reason,
    });
  if (!closure.closed) {
    const message =
      `Năm ${o.year} chưa khép lại (${closure.reason}); chỉ lưu trữ được năm đã kết thúc, ` +
      `mọi kỳ đã qua ngày khóa nhập — sớm nhất từ ngày ${formatDate(closure.closesOn)}`;
    await audit("denied", { closesOn: closure.closesOn }, message);
    throw new ArchiveRefusal(message);
  }
  const notes: string[] = [];
  if (database.engine === "pglite") {
    notes.push(
      "Cơ sở dữ liệu nhúng (PGlite) chỉ có một thư mục dữ liệu, không có tablespace: không chuyển được năm sang ổ lưu trữ. " +
        "Chỉ xuất được số liệu của năm (--export <tệp>) để lưu trữ lạnh; muốn tách ổ lưu trữ, dùng PostgreSQL (DATABASE_URL).",
    );
    if (!o.exportFile) throw new ArchiveRefusal(notes[0]!);
  } else if (!o.tablespace && !o.exportFile)
    throw new ArchiveRefusal(
      "Chưa chỉ định tablespace lưu trữ: đặt biến ARCHIVE_TABLESPACE (hoặc --tablespace <tên>), hoặc chỉ xuất bằng --export <tệp>",
    );
  const exported = o.exportFile ? await exportYear(db, o.year, resolve(o.cwd ?? process.cwd(), o.exportFile)) : null;
  const moved = database.engine === "postgres" && o.tablespace ? await moveYear(db, o.year, o.tablespace) : null;
  await audit(
    "success",
    {
      tablespace: moved ? o.tablespace : null,
      partitions: moved?.map((m) => ({ table: m.table, bytes: m.bytes, already: m.already })) ?? null,
      export: exported ? { file: exported.file, rows: exported.rows, bytes: exported.bytes, sha256: exported.sha256 } : null,
    },
    null,
  );
  return { closure, exported, moved, notes };
}
