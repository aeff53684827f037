import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { acquireDataDirLock, LOCK_FILE } from "./data-dir-lock";
import type { Database } from "./database";

/**
 * Backup and restore of the embedded database (PGlite). A backup is PGlite's own archive of its data
 * directory (dumpDataDir), taken by the process that has the database open — the server while it runs
 * (through the command line's administration channel), otherwise the command line holding the lock — so
 * it is consistent. PostgreSQL is backed up with pg_dump / pg_restore (README, "Sao lưu và khôi phục").
 */

/** Files of a running process kept in the data directory, which a restored directory must not inherit. */
export const RUNTIME_ENTRIES = [LOCK_FILE, `${LOCK_FILE}.takeover`];

export async function writeBackup(database: Database, file: string, cwd: string): Promise<{ file: string; bytes: number }> {
  if (!database.dumpDataDir) {
    throw new Error(
      "Cơ sở dữ liệu là PostgreSQL: sao lưu bằng pg_dump, khôi phục bằng pg_restore (xem README, mục Sao lưu và khôi phục).",
    );
  }
  const target = path.resolve(cwd, file);
  if (existsSync(target)) throw new Error(`Tệp ${target} đã có; chọn tên khác (bản sao lưu không ghi đè tệp cũ).`);
  const archive = Buffer.from(await (await database.dumpDataDir()).arrayBuffer());
  // Written aside and renamed: a backup interrupted half-way never looks like a complete one.
  const partial = `${target}.dang-ghi`;
  writeFileSync(partial, archive, { mode: 0o600 });
  renameSync(partial, target);
  return { file: target, bytes: archive.length };
}

/**
 * Restores a backup into `dataDir`, which must hold no database unless `replace` is set; then the current
 * contents are first moved to `<dataDir>.truoc-khoi-phuc-<time>` (nothing is deleted). Holds the directory's
 * lock throughout, so it refuses while a server or another command uses the directory.
 */
export async function restoreBackup(
  archiveFile: string,
  dataDir: string,
  replace: boolean,
): Promise<{ movedTo: string | null; migrations: number }> {
  const archive = readFileSync(archiveFile);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lock = acquireDataDirLock(dataDir, "dòng lệnh (khôi phục)");
  try {
    const entries = readdirSync(dataDir).filter((e) => !RUNTIME_ENTRIES.includes(e));
    let movedTo: string | null = null;
    if (entries.length > 0) {
      if (!replace) {
        throw new Error(
          `Thư mục dữ liệu ${dataDir} đã có dữ liệu. Thêm --replace để chuyển dữ liệu hiện có sang thư mục bên cạnh rồi khôi phục.`,
        );
      }
      movedTo = `${dataDir}.truoc-khoi-phuc-${new Date().toISOString().replace(/[:.]/g, "-")}`;
      mkdirSync(movedTo, { mode: 0o700 });
      for (const e of entries) renameSync(path.join(dataDir, e), path.join(movedTo, e));
    }
    const pglite = await PGlite.create({
      dataDir,
      loadDataDir: new Blob([archive], { type: "application/x-gzip" }),
    });
    let migrations: number;
    try {
      // Opening it proves the archive is a database; the count is shown to the operator.
      const r = await pglite.query<{ n: number }>("SELECT count(*)::int AS n FROM schema_migrations");
      migrations = r.rows[0]?.n ?? 0;
    } finally {
      await pglite.close();
    }
    // The archive carries the lock of the process that took it; it means nothing here.
    rmSync(path.join(dataDir, `${LOCK_FILE}.takeover`), { force: true });
    lock.setAdminSocket(null);
    return { movedTo, migrations };
  } finally {
    lock.release();
  }
}
