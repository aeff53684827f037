import { userInfo } from "node:os";
import { readConfig } from "../config";
import { restoreBackup } from "../db/backup";
import { DataDirLockedError, lockOwner, type LockOwner } from "../db/data-dir-lock";
import type { Database } from "../db/database";
import { forwardToServer } from "./admin-channel";
import { buildProgram, commanderExitCode, type RunOptions } from "./commands";
import { describeDatabase, openConfiguredDatabase, openUnmigratedDatabase } from "./open";

/**
 * Command line: the same services as the HTTP routes, on the database the environment configures. On the
 * embedded database while a server runs, the command is sent to that server (which alone may open the
 * data directory) and runs there; commands that would replace the database under it are refused.
 */
const osUser = (() => {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "?";
  }
})();
const argv = process.argv.slice(2);

/** Thrown to end the process with the exit code a forwarded command ended with. */
class ForwardedExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

async function inUse(owner: LockOwner, options: RunOptions | undefined): Promise<never> {
  const config = readConfig();
  if (owner.adminSocket && !options?.exclusive) {
    const code = await forwardToServer(
      owner.adminSocket,
      { argv, cwd: process.cwd(), user: osUser },
      (line) => console.log(line),
      (line) => console.error(line),
    );
    throw new ForwardedExit(code);
  }
  const what = options?.exclusive ?? "chạy lệnh này";
  const hint = owner.adminSocket
    ? `Dừng máy chủ (tiến trình ${owner.pid}) trước khi ${what}.`
    : `Chờ tiến trình ${owner.pid} (${owner.role}) kết thúc rồi chạy lại.`;
  throw new Error(`Thư mục dữ liệu ${config.dataDir} đang được dùng bởi tiến trình ${owner.pid} (${owner.role}). ${hint}`);
}

async function run(action: (database: Database) => Promise<void>, options?: RunOptions): Promise<void> {
  const config = readConfig();
  if (!config.databaseUrl) {
    const owner = lockOwner(config.dataDir);
    if (owner) await inUse(owner, options);
  }
  let database: Database;
  try {
    const open = options?.migrated === false ? openUnmigratedDatabase : openConfiguredDatabase;
    database = await open(config, `dòng lệnh: ${argv.join(" ")}`);
  } catch (e) {
    // A server started between the check above and the open.
    if (e instanceof DataDirLockedError) return inUse(e.owner, options);
    throw e;
  }
  try {
    await action(database);
  } finally {
    await database.close();
  }
}

const program = buildProgram(
  { print: (line) => console.log(line), cwd: process.cwd(), userAgent: `dòng lệnh (${osUser})` },
  run,
  (p) =>
    p
      .command("restore <file>")
      .description("Khôi phục cơ sở dữ liệu nhúng (PGlite) từ một bản sao lưu; máy chủ phải dừng")
      .option("--replace", "chuyển dữ liệu hiện có sang thư mục bên cạnh (không xóa) rồi khôi phục", false)
      .action(async (file: string, opts: { replace: boolean }) => {
        const config = readConfig();
        if (config.databaseUrl) {
          throw new Error("Cơ sở dữ liệu là PostgreSQL: khôi phục bằng pg_restore (xem README, mục Sao lưu và khôi phục).");
        }
        const owner = lockOwner(config.dataDir);
        if (owner) await inUse(owner, { exclusive: "khôi phục bản sao lưu" });
        const r = await restoreBackup(file, config.dataDir, opts.replace);
        if (r.movedTo) console.log(`Dữ liệu cũ đã được chuyển sang ${r.movedTo}.`);
        console.log(`Đã khôi phục ${describeDatabase(config)} từ ${file} (${r.migrations} migration).`);
      }),
);

try {
  await program.parseAsync();
} catch (e) {
  if (e instanceof ForwardedExit) process.exitCode = e.code;
  else if (commanderExitCode(e) === null) {
    console.error(`Lỗi: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}
