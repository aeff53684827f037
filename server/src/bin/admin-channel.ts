import { chmodSync, mkdirSync, rmSync, statSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DataDirLock } from "../db/data-dir-lock";
import type { Database } from "../db/database";
import { buildProgram, commanderExitCode } from "./commands";

/**
 * The local administration channel of a server on the embedded database. PGlite lets one process open a data
 * directory, so while the server runs the command line cannot open it; instead it sends its arguments over
 * this Unix socket and the server runs the very same command on its own database, sending the output back.
 *
 * Authentication is by file permissions: the socket lives in a directory only the server's operating-system
 * user may enter (0700, checked to be theirs) and is itself 0600, so only that user (and root) can connect. The socket's path is
 * recorded in the data directory's lock file, where the command line looks for it.
 *
 * Protocol: one JSON line from the client ({ argv, cwd, user }), then JSON lines from the server:
 * { out: "…" } for each line of output and finally { exit: code, error?: "…" }.
 */
export interface AdminRequest {
  argv: string[];
  cwd: string;
  user: string;
}

type Reply = { out: string } | { exit: number; error?: string };

/**
 * The socket lives outside the data directory (PGlite's backup walks that directory and cannot archive a
 * socket), in a directory of the user's own under the temp directory, named after the data directory.
 */
function socketPathFor(dataDir: string): { dir: string; socket: string } {
  const uid = process.getuid?.() ?? 0;
  const dir = path.join(tmpdir(), `dieu-hanh-${uid}`);
  const name = createHash("sha256").update(path.resolve(dataDir)).digest("hex").slice(0, 24);
  return { dir, socket: path.join(dir, `${name}.sock`) };
}

/** A directory only this user may enter; refuses one that someone else made. */
function privateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const info = statSync(dir);
  if (process.getuid && info.uid !== process.getuid()) {
    throw new Error(`Thư mục ${dir} thuộc người dùng khác; không mở kênh quản trị ở đó.`);
  }
  chmodSync(dir, 0o700);
}

export async function startAdminChannel(
  database: Database,
  lock: DataDirLock,
  dataDir: string,
  log: (line: string) => void,
): Promise<{ close(): Promise<void> }> {
  const { dir, socket } = socketPathFor(dataDir);
  privateDirectory(dir);
  rmSync(socket, { force: true }); // left by a server that was killed (we hold the data directory's lock)
  // One command at a time: they are administration, not traffic, and their outputs must not interleave.
  let queue: Promise<void> = Promise.resolve();
  const server: Server = createServer((conn) => {
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      const newline = buffer.indexOf("\n");
      if (newline < 0) {
        if (buffer.length > 1_000_000) conn.destroy();
        return;
      }
      conn.off("data", onData);
      const line = buffer.slice(0, newline);
      queue = queue.then(() => serve(conn, line, database, log)).catch(() => {});
    };
    conn.on("data", onData);
    conn.on("error", () => {}); // a client that went away
  });
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socket, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(socket, 0o600);
  lock.setAdminSocket(socket);
  return {
    close: async () => {
      lock.setAdminSocket(null);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(socket, { force: true });
    },
  };
}

async function serve(conn: Socket, line: string, database: Database, log: (line: string) => void): Promise<void> {
  const send = (reply: Reply) => {
    if (!conn.destroyed) conn.write(JSON.stringify(reply) + "\n");
  };
  let request: AdminRequest;
  try {
    request = JSON.parse(line) as AdminRequest;
    if (!Array.isArray(request.argv) || request.argv.some((a) => typeof a !== "string")) throw new Error("argv");
  } catch {
    send({ exit: 2, error: "Yêu cầu không hợp lệ." });
    conn.end();
    return;
  }
  log(`dòng lệnh qua máy chủ (${request.user}): ${request.argv.join(" ")}`);
  const print = (text: string) => send({ out: text });
  const program = buildProgram(
    { print, cwd: request.cwd, userAgent: `dòng lệnh (${request.user}) qua máy chủ` },
    async (action, options) => {
      if (options?.exclusive) {
        throw new Error(`Máy chủ đang chạy trên thư mục dữ liệu này: dừng máy chủ trước khi ${options.exclusive}.`);
      }
      await action(database);
    },
  );
  for (const command of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)]) {
    command.exitOverride();
    command.configureOutput({ writeOut: (s) => print(s.trimEnd()), writeErr: (s) => print(s.trimEnd()) });
  }
  try {
    await program.parseAsync(request.argv, { from: "user" });
    send({ exit: 0 });
  } catch (e) {
    const code = commanderExitCode(e);
    if (code !== null) send({ exit: code });
    else send({ exit: 1, error: e instanceof Error ? e.message : String(e) });
  } finally {
    conn.end();
  }
}

/** Sends a command line to the server at `socket`; prints its output and resolves with its exit code. */
export function forwardToServer(
  socket: string,
  request: AdminRequest,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(socket);
    let buffer = "";
    let code: number | null = null;
    conn.on("connect", () => conn.write(JSON.stringify(request) + "\n"));
    conn.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const reply = JSON.parse(buffer.slice(0, newline)) as Reply;
        buffer = buffer.slice(newline + 1);
        if ("out" in reply) out(reply.out);
        else {
          if (reply.error) err(`Lỗi: ${reply.error}`);
          code = reply.exit;
        }
      }
    });
    conn.on("error", reject);
    conn.on("close", () =>
      code === null ? reject(new Error("Máy chủ đóng kết nối quản trị trước khi trả lời (xem nhật ký máy chủ).")) : resolve(code),
    );
  });
}
