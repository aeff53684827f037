import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createDeflateRaw, crc32, deflateRawSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../paths";

/**
 * Uploads against the real server process (`server/src/bin/serve.ts` on a fresh PGlite data directory):
 * a zip bomb dressed as .xlsx, three at once, and a 40 MB CSV while /api/health is polled. What is
 * measured is what an operator sees: the process stays up, its memory stays bounded, health answers
 * within 1 s, and the answer to the upload is small.
 */
const PASSWORD = "Mật-khẩu-thử-nghiệm-2026!";
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

let dataDir: string;
let server: ChildProcess;
let output = "";
let base: string;
let session: { cookie: string; csrf: string };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Peak and current resident memory of the server process, in MB (Linux). */
function memoryMb(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

const alive = () => server.exitCode === null && server.signalCode === null;

async function health(): Promise<{ status: number; ms: number }> {
  const t = Date.now();
  const res = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(5000) });
  await res.text();
  return { status: res.status, ms: Date.now() - t };
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "dieuhanh-uploads-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    DATABASE_URL: "",
    DATABASE_SCHEMA: "",
    DEMO_DATA: "false",
    INITIAL_ADMIN_PASSWORD: PASSWORD,
    LOG_LEVEL: "silent",
  };
  delete env.VITEST;
  delete env.VITEST_WORKER_ID;
  delete env.NODE_OPTIONS;
  server = spawn(process.execPath, ["--import", "tsx", "server/src/bin/serve.ts"], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout!.on("data", (c: Buffer) => (output += c.toString("utf8")));
  server.stderr!.on("data", (c: Buffer) => (output += c.toString("utf8")));
  const until = Date.now() + 150_000;
  while (!/Điều hành đang chạy/.test(output)) {
    if (!alive()) throw new Error(`the server ended:\n${output}`);
    if (Date.now() > until) throw new Error(`the server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const res = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  session = {
    cookie: res.headers
      .getSetCookie()
      .find((c) => c.startsWith("dh_session="))!
      .split(";")[0]!,
    csrf: ((await res.json()) as { csrfToken: string }).csrfToken,
  };
}, 180_000);

afterAll(async () => {
  if (server && alive()) {
    const exited = new Promise((r) => server.once("exit", r));
    server.kill("SIGTERM");
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const upload = (url: string, type: string, body: Buffer) =>
  fetch(`${base}${url}`, {
    method: "POST",
    headers: { cookie: session.cookie, "x-csrf-token": session.csrf, "content-type": type },
    body: new Uint8Array(body),
  });

/** Deflates `size` bytes of a repeated row of sheet XML without ever holding them: the compressed stream only. */
async function deflatedSheet(size: number): Promise<{ data: Buffer; crc: number }> {
  const row = Buffer.from('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'.repeat(20_000));
  const deflate = createDeflateRaw({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on("data", (c: Buffer) => parts.push(c));
  const done = new Promise((r) => deflate.on("end", r));
  let crc = 0;
  const head = Buffer.from('<?xml version="1.0"?><worksheet><sheetData>');
  deflate.write(head);
  crc = crc32(head, crc);
  for (let written = head.length; written < size; written += row.length) {
    crc = crc32(row, crc);
    if (!deflate.write(row)) await new Promise((r) => deflate.once("drain", r));
  }
  deflate.end();
  await done;
  return { data: Buffer.concat(parts), crc };
}

/** A zip (what an .xlsx is) of the given parts, each already deflated. */
function zip(entries: { name: string; data: Buffer; crc: number; size: number }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(Math.min(e.size, 0xfffffffe), 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(e.crc >>> 0, 16);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(Math.min(e.size, 0xfffffffe), 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    centrals.push(central, name);
    offset += 30 + name.length + e.data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

describe("uploads cannot take the server down (real process, PGlite)", () => {
  it("refuses an .xlsx zip bomb (a small file inflating to 1 GB) with a clear 4xx; three at once too; memory stays bounded", async () => {
    const inflated = 1024 * 1024 * 1024;
    const sheet = await deflatedSheet(inflated);
    const small = (text: string) => {
      const data = Buffer.from(text);
      return { data: deflateRawSync(data), crc: crc32(data), size: data.length };
    };
    const bomb = zip([
      { name: "[Content_Types].xml", ...small('<?xml version="1.0"?><Types/>') },
      { name: "xl/workbook.xml", ...small('<?xml version="1.0"?><workbook/>') },
      { name: "xl/worksheets/sheet1.xml", ...sheet, size: inflated },
    ]);
    expect(bomb.length).toBeLessThan(3 * 1024 * 1024);

    // Resident memory sampled while the bombs are read: it must not grow by anything like what they inflate to.
    const before = memoryMb(server.pid!).rss;
    let highest = before;
    const sampler = setInterval(() => (highest = Math.max(highest, memoryMb(server.pid!).rss)), 10);
    const first = await upload("/api/reports/upload", XLSX, bomb);
    expect(first.status).toBe(400);
    const body = (await first.json()) as { message: string; errors: { field: string; message: string }[] };
    expect(body.errors[0]).toMatchObject({ field: "file", message: expect.stringContaining("khi giải nén lớn hơn 40 MB") });

    const three = await Promise.all([1, 2, 3].map(() => upload("/api/reports/upload", XLSX, bomb)));
    expect(three.map((r) => r.status)).toEqual([400, 400, 400]);
    await Promise.all(three.map((r) => r.text()));

    clearInterval(sampler);
    expect(alive()).toBe(true);
    expect((await health()).status).toBe(200);
    // The old reader inflated every part whole (1 GB each, 3 GB for three at once).
    expect(highest - before, `RSS ${before.toFixed(0)} MB before, ${highest.toFixed(0)} MB at most`).toBeLessThan(400);
  }, 60_000);

  it("keeps /api/health answering within 1 s while a 40 MB CSV is uploaded, and answers it briefly", async () => {
    const lines = ["indicator,area,period,value,comment"];
    let size = 0;
    for (let i = 0; size < 40 * 1024 * 1024; i++) {
      const line = `CT.A.I.3,92,2025M10,${i % 1000}.5,dòng số ${i}`;
      lines.push(line);
      size += Buffer.byteLength(line) + 1;
    }
    const csv = Buffer.from(lines.join("\n"));
    expect(csv.length).toBeGreaterThanOrEqual(40 * 1024 * 1024);

    const delays: number[] = [];
    let uploading = true;
    const poll = (async () => {
      while (uploading) {
        const h = await health();
        expect(h.status).toBe(200);
        delays.push(h.ms);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const started = Date.now();
    const res = await upload("/api/data-values/import?format=csv", "text/csv", csv);
    const answer = await res.text();
    const took = Date.now() - started;
    uploading = false;
    await poll;

    expect(res.status).toBe(413);
    expect(answer.length).toBeLessThan(10_000);
    expect(JSON.parse(answer).message).toContain("hơn 100.000 dòng số liệu");
    expect(delays.length).toBeGreaterThan(0);
    expect(Math.max(...delays), `health delays ${delays.join(",")} during an upload of ${took} ms`).toBeLessThan(1000);
    expect(alive()).toBe(true);
  }, 60_000);
});
