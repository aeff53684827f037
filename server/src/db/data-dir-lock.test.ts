import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { acquireDataDirLock, DataDirLockedError, LOCK_FILE, lockOwner, type LockOwner } from "./data-dir-lock";
import { openDatabase } from "./database";

const root = mkdtempSync(path.join(tmpdir(), "dieuhanh-lock-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function dir(): string {
  return mkdtempSync(path.join(root, `d${n++}-`));
}

function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function writeOwner(d: string, owner: Partial<LockOwner> & { pid: number }): void {
  const full: LockOwner = {
    hostname: hostname(),
    processStart: null,
    startedAt: new Date().toISOString(),
    role: "máy chủ",
    adminSocket: null,
    ...owner,
  };
  writeFileSync(path.join(d, LOCK_FILE), JSON.stringify(full));
}

// PGlite only: run on the PGlite pass of the suite.
describe.skipIf(Boolean(process.env.DATABASE_URL))("the data directory lock", () => {
  it("refuses a second open in the same process and frees the directory on close", async () => {
    const d = dir();
    const first = await openDatabase({ dataDir: d, role: "thử" });
    await expect(openDatabase({ dataDir: d })).rejects.toBeInstanceOf(DataDirLockedError);
    await first.close();
    expect(existsSync(path.join(d, LOCK_FILE))).toBe(false);
    const again = await openDatabase({ dataDir: d });
    await again.close();
  });

  it("refuses while another live process holds it, naming the process", () => {
    const d = dir();
    const other = spawn("sleep", ["30"]);
    try {
      writeOwner(d, { pid: other.pid!, processStart: startTime(other.pid!) });
      expect(lockOwner(d)?.pid).toBe(other.pid);
      expect(() => acquireDataDirLock(d, "thử")).toThrow(`đang được dùng bởi tiến trình ${other.pid} (máy chủ`);
    } finally {
      other.kill();
    }
  });

  it("takes over a lock left by a process that died", () => {
    const d = dir();
    const dead = spawnSync(process.execPath, ["-e", "process.pid"]).pid;
    writeOwner(d, { pid: dead });
    expect(lockOwner(d)).toBeNull();
    const lock = acquireDataDirLock(d, "thử");
    expect((JSON.parse(readFileSync(path.join(d, LOCK_FILE), "utf8")) as LockOwner).pid).toBe(process.pid);
    lock.release();
  });

  it("takes over a lock whose pid now belongs to another program (pid reused after a restart)", () => {
    const d = dir();
    const other = spawn("sleep", ["30"]);
    try {
      writeOwner(d, { pid: other.pid!, processStart: "1" });
      const lock = acquireDataDirLock(d, "thử");
      lock.release();
    } finally {
      other.kill();
    }
  });

  it("takes over a torn lock file and its own pid from a previous life", () => {
    const d = dir();
    writeFileSync(path.join(d, LOCK_FILE), "{");
    acquireDataDirLock(d, "thử").release();
    writeOwner(d, { pid: process.pid }); // a container restarted with the same pid
    acquireDataDirLock(d, "thử").release();
  });
});
