import { closeSync, fsyncSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";

/**
 * An exclusive lock on a PGlite data directory. PGlite is a whole PostgreSQL in the process that opens
 * it, with no shared memory between processes: two processes opening one directory each believe they
 * own it, and their writes overwrite each other's pages (lost rows, indexes pointing at the wrong row).
 *
 * The lock is a file created with O_EXCL holding the owner's pid, host and process start time, like
 * PostgreSQL's own postmaster.pid. A lock whose process is gone (crash, kill -9, a container restarted
 * with the same pid) is stale and taken over. proper-lockfile was considered and not used: it detects
 * staleness by a timer refreshing the file's mtime, and PGlite's queries run on the event loop and can
 * block it for longer than any sensible staleness period, which would make a live server lose its lock.
 */
export const LOCK_FILE = "dieu-hanh.lock";

export interface LockOwner {
  pid: number;
  hostname: string;
  /** The kernel's start time of the process (Linux), to tell a reused pid from the owner. */
  processStart: string | null;
  startedAt: string;
  /** What the process is: "máy chủ" or the command line. */
  role: string;
  /** The server's administration socket (see bin/admin-channel.ts), when the owner is a server. */
  adminSocket: string | null;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `Thư mục dữ liệu ${dataDir} đang được dùng bởi tiến trình ${owner.pid} (${owner.role}, máy ${owner.hostname}, ` +
        `từ ${owner.startedAt}). Cơ sở dữ liệu nhúng (PGlite) chỉ được một tiến trình mở tại một thời điểm.`,
    );
    this.name = "DataDirLockedError";
  }
}

export interface DataDirLock {
  file: string;
  owner: LockOwner;
  /** Records the administration socket in the lock file, so the command line can find the server. */
  setAdminSocket(socket: string | null): void;
  release(): void;
}

/** Locks held by this process, so that a second open in the same process is refused as well. */
const held = new Map<string, DataDirLock>();

function processStartTime(pid: number): string | null {
  try {
    // Field 22 of /proc/<pid>/stat, counted after the command name (which may contain spaces).
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function readOwner(file: string): { raw: string; owner: LockOwner | null } | null {
  let raw: string;
  try {
    raw = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  try {
    const owner = JSON.parse(raw) as LockOwner;
    return { raw, owner: Number.isInteger(owner.pid) ? owner : null };
  } catch {
    return { raw, owner: null }; // torn or foreign content: treated as stale
  }
}

/** Whether the process named in a lock still runs (on another host we cannot tell, so it counts as alive). */
export function isOwnerAlive(owner: LockOwner, file?: string): boolean {
  if (owner.hostname !== hostname()) return true;
  if (owner.pid === process.pid) return file !== undefined && held.has(file);
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const start = processStartTime(owner.pid);
  return !(start && owner.processStart && start !== owner.processStart);
}

/** The live owner of a data directory's lock, or null when it is free (or the lock is stale). */
export function lockOwner(dataDir: string): LockOwner | null {
  const file = path.join(dataDir, LOCK_FILE);
  const found = readOwner(file);
  return found?.owner && isOwnerAlive(found.owner, file) ? found.owner : null;
}

function writeLock(file: string, owner: LockOwner, flags: string): void {
  const fd = openSync(file, flags, 0o600);
  try {
    writeSync(fd, JSON.stringify(owner, null, 2) + "\n");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Removes a stale lock, unless someone replaced it meanwhile (a second lock file guards the takeover). */
function breakStale(file: string, staleRaw: string): void {
  const guard = `${file}.takeover`;
  try {
    writeLock(guard, ownerFor("gỡ khóa"), "wx");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    const other = readOwner(guard);
    if (!other?.owner || !isOwnerAlive(other.owner)) unlinkSafe(guard);
    return;
  }
  try {
    if (readOwner(file)?.raw === staleRaw) unlinkSafe(file);
  } finally {
    unlinkSafe(guard);
  }
}

function unlinkSafe(file: string): void {
  try {
    unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}

function ownerFor(role: string): LockOwner {
  return {
    pid: process.pid,
    hostname: hostname(),
    processStart: processStartTime(process.pid),
    startedAt: new Date().toISOString(),
    role,
    adminSocket: null,
  };
}

/** Takes the lock of `dataDir` (which must exist) or throws DataDirLockedError naming the owner. */
export function acquireDataDirLock(dataDir: string, role: string): DataDirLock {
  const file = path.join(path.resolve(dataDir), LOCK_FILE);
  const mine = held.get(file);
  if (mine) throw new DataDirLockedError(dataDir, mine.owner);
  const owner = ownerFor(role);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeLock(file, owner, "wx");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const found = readOwner(file);
      if (found?.owner && isOwnerAlive(found.owner, file)) throw new DataDirLockedError(dataDir, found.owner);
      if (found) breakStale(file, found.raw);
      continue;
    }
    const lock: DataDirLock = {
      file,
      owner,
      setAdminSocket(socket) {
        owner.adminSocket = socket;
        writeLock(file, owner, "w");
      },
      release() {
        if (held.get(file) !== lock) return;
        held.delete(file);
        if (readOwner(file)?.owner?.pid === process.pid) unlinkSafe(file);
      },
    };
    held.set(file, lock);
    return lock;
  }
  throw new Error(`Không lấy được khóa thư mục dữ liệu ${dataDir}: tệp ${LOCK_FILE} liên tục bị thay đổi.`);
}

// A process that exits without closing its database (an uncaught error, process.exit) leaves no lock behind.
process.on("exit", () => {
  for (const lock of [...held.values()]) lock.release();
});
