import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { repoRoot } from "../paths";

/**
 * Real processes for process-level tests: the server (`server/src/bin/serve.ts`) and the command line
 * (`server/src/bin/cli.ts`) run exactly as an operator runs them, through tsx.
 */
const tsxArgs = ["--import", "tsx"];

/** Every child started here, killed when the test process ends so that a failed test leaves no server behind. */
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** The environment of a child: this process's minus the test database settings, plus `env`. */
function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  // DATABASE_READ_URL (CI's hot standby) only when a test gives it: it replicates the database of DATABASE_URL alone.
  const base: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_LEVEL: "silent",
    DATABASE_URL: "",
    DATABASE_SCHEMA: "",
    DATABASE_READ_URL: "",
  };
  delete base.VITEST;
  delete base.VITEST_WORKER_ID;
  delete base.NODE_OPTIONS;
  return { ...base, ...env };
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** Resolves when the output matches `pattern`; rejects if the process exits first or after `ms`. */
  waitForOutput(pattern: RegExp, ms?: number): Promise<void>;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string>;
  alive(): boolean;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<number | string>;
}

export function startServer(env: Record<string, string | undefined>, port: number): ServerProcess {
  const child = spawn(process.execPath, [...tsxArgs, "server/src/bin/serve.ts"], {
    cwd: repoRoot,
    env: childEnv({ PORT: String(port), HOST: "127.0.0.1", ...env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let text = "";
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString("utf8");
    for (const l of listeners) l();
  };
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  let ended = false;
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => {
      ended = true;
      for (const l of listeners) l();
      resolve(code ?? signal ?? -1);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    port,
    url,
    output: () => text,
    exited,
    alive: () => !ended,
    waitForOutput(pattern, ms = 180_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(text)) return done(resolve);
          if (ended) return done(() => reject(new Error(`process ended before ${pattern}:\n${text}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no ${pattern} within ${ms} ms:\n${text}`))), ms);
        const done = (f: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          f();
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (!ended) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** Starts a server and waits until it listens. */
export async function startReadyServer(env: Record<string, string | undefined>): Promise<ServerProcess> {
  const server = startServer(env, await freePort());
  await server.waitForOutput(/Điều hành đang chạy/);
  return server;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `npm run cli -- …args` as a process and collects its output. */
export function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...tsxArgs, "server/src/bin/cli.ts", ...args], {
      cwd: repoRoot,
      env: childEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A cookie session against a running server. */
export interface HttpSession {
  cookie: string;
  csrfToken: string;
}

export async function signIn(baseUrl: string, username: string, password: string): Promise<HttpSession> {
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in of ${username} failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .find((c) => c.startsWith("dh_session="))!
    .split(";")[0]!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { cookie, csrfToken };
}

export async function api(
  baseUrl: string,
  session: HttpSession | null,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = {};
  if (session) {
    headers.cookie = session.cookie;
    if (method !== "GET") headers["x-csrf-token"] = session.csrfToken;
  }
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${baseUrl}${url}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, json };
}

/** Polls `check` until it returns true (every 200 ms, at most `ms`). */
export async function eventually(check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
