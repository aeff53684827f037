/**
 * What the web UI costs to open (issue 12: "first page ≤ 600 KiB transferred"). A leader signs in on a fresh
 * Chromium profile and lands on the overview, served by the real server on the sample figures; Chromium's own
 * count of bytes over the wire (DevTools Network.loadingFinished: headers and body) is printed, then every GET
 * of that page is fetched again with Accept-Encoding brotli, gzip and none, so the three columns compare the same
 * requests. Then the build's largest chunks, each as it is, brotli and gzip. Prints figures; asserts nothing.
 *
 *   WEB_DIST=/tmp/dist-web npm run build:web
 *   WEB_DIST=/tmp/dist-web npx tsx bench/web.ts
 */
import { readdirSync, statSync } from "node:fs";
import { request as httpRequest } from "node:http";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { TEST_PASSWORD, createUser } from "../server/src/testing/auth";
import { webDist } from "../server/src/paths";
import { startHarness } from "../tests/browser/harness";

const kib = (n: number) => `${(n / 1024).toLocaleString("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 })} KiB`;
const pad = (s: string, n: number) => s.padStart(n);

interface Seen {
  id: string;
  url: string;
  method: string;
  bytes: number | null;
  encoding?: string;
}

/** One GET as the browser would make it, with this Accept-Encoding: bytes of the status line, headers and body. */
function fetchBytes(url: string, cookie: string, accept: string): Promise<{ wire: number; body: number; encoding?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { cookie, "accept-encoding": accept } }, (res) => {
      let body = 0;
      res.on("data", (c: Buffer) => (body += c.length));
      res.on("end", () => {
        let head = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n`.length + 2;
        for (let i = 0; i < res.rawHeaders.length; i += 2) head += res.rawHeaders[i]!.length + res.rawHeaders[i + 1]!.length + 4;
        resolve({ wire: head + body, body, encoding: res.headers["content-encoding"] });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const started = performance.now();
const h = await startHarness({ sampleData: true });
try {
  await createUser(h.database, "leader", { username: "lanhdao-bench" });
  console.log(
    `server with the sample figures ready in ${((performance.now() - started) / 1000).toFixed(0)} s; build: ${webDist}`,
  );

  const context = await h.browser.newContext({ viewport: { width: 1366, height: 900 }, locale: "vi-VN" });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const seen = new Map<string, Seen>();
  cdp.on("Network.requestWillBeSent", (e) =>
    seen.set(e.requestId, { id: e.requestId, url: e.request.url, method: e.request.method, bytes: null }),
  );
  cdp.on("Network.responseReceived", (e) => {
    const s = seen.get(e.requestId);
    if (s) s.encoding = (e.response.headers["content-encoding"] ?? e.response.headers["Content-Encoding"]) as string | undefined;
  });
  cdp.on("Network.loadingFinished", (e) => {
    const s = seen.get(e.requestId);
    if (s) s.bytes = e.encodedDataLength;
  });

  const t0 = performance.now();
  await page.goto(`${h.base}/`);
  await page.getByTestId("login-username").fill("lanhdao-bench");
  await page.getByTestId("login-password").fill(TEST_PASSWORD);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("tile-value-QG.A.II.1").waitFor();
  await page.getByTestId("tile-completeness").waitFor();
  const shownMs = performance.now() - t0;
  const requests = [...seen.values()];
  const finished = requests.filter((r) => r.bytes !== null);
  const browserTotal = finished.reduce((s, r) => s + r.bytes!, 0);
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");

  // The same requests again, per encoding (the sign-in POST and the open event stream as the browser counted them).
  const columns = { br: 0, gzip: 0, identity: 0, uncompressedBodies: 0 };
  const rows: string[] = [];
  for (const r of finished) {
    const pathname = new URL(r.url).pathname;
    if (r.method !== "GET") {
      for (const k of ["br", "gzip", "identity"] as const) columns[k] += r.bytes!;
      rows.push(`${pad(kib(r.bytes!), 11)} ${pad("", 11)} ${pad("", 11)}  ${r.method} ${pathname}`);
      continue;
    }
    const [br, gz, id] = await Promise.all([
      fetchBytes(r.url, cookie, "br"),
      fetchBytes(r.url, cookie, "gzip"),
      fetchBytes(r.url, cookie, "identity"),
    ]);
    columns.br += br.wire;
    columns.gzip += gz.wire;
    columns.identity += id.wire;
    columns.uncompressedBodies += id.body;
    rows.push(
      `${pad(kib(br.wire), 11)} ${pad(kib(gz.wire), 11)} ${pad(kib(id.wire), 11)}  ${pathname}${br.encoding ? "" : " (sent as it is)"}`,
    );
  }
  const open = requests.length - finished.length;
  console.log(
    `\nFirst page (sign-in, then a leader's overview): ${requests.length} requests (${open} still open: the live event stream), shown in ${(shownMs / 1000).toFixed(1)} s`,
  );
  const encodings = new Map<string, number>();
  for (const r of finished) encodings.set(r.encoding ?? "none", (encodings.get(r.encoding ?? "none") ?? 0) + 1);
  const byEncoding = [...encodings].map(([e, n]) => `${e} ×${n}`).join(", ");
  console.log(`  as Chromium received it: ${kib(browserTotal)} (${byEncoding})`);
  console.log(`  ${pad("brotli", 11)} ${pad("gzip", 11)} ${pad("identity", 11)}`);
  console.log(rows.map((r) => `  ${r}`).join("\n"));
  console.log(
    `  ${pad(kib(columns.br), 11)} ${pad(kib(columns.gzip), 11)} ${pad(kib(columns.identity), 11)}  total transferred (goal ≤ 600 KiB); bodies uncompressed ${kib(columns.uncompressedBodies)}`,
  );
  await context.close();

  // The build: largest chunks and totals.
  const files: { file: string; size: number; br: number | null; gz: number | null }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (!/\.(br|gz)$/.test(e.name)) {
        const size = statSync(full).size;
        const sizeOf = (f: string) => {
          try {
            return statSync(f).size;
          } catch {
            return null;
          }
        };
        files.push({ file: path.relative(webDist, full), size, br: sizeOf(`${full}.br`), gz: sizeOf(`${full}.gz`) });
      }
    }
  };
  walk(webDist);
  files.sort((a, b) => b.size - a.size);
  const firstPage = new Set(finished.map((r) => new URL(r.url).pathname.slice(1)));
  console.log(`\nBuild: ${files.length} files`);
  console.log(`  ${pad("as it is", 11)} ${pad("brotli", 11)} ${pad("gzip", 11)}`);
  for (const f of files.slice(0, 12))
    console.log(
      `  ${pad(kib(f.size), 11)} ${pad(kib(f.br ?? f.size), 11)} ${pad(kib(f.gz ?? f.size), 11)}  ${f.file}${firstPage.has(f.file) ? "  (first page)" : ""}`,
    );
  const sum = (k: (f: (typeof files)[number]) => number) => files.reduce((s, f) => s + k(f), 0);
  console.log(
    `  ${pad(kib(sum((f) => f.size)), 11)} ${pad(kib(sum((f) => f.br ?? f.size)), 11)} ${pad(kib(sum((f) => f.gz ?? f.size)), 11)}  whole build`,
  );
} finally {
  await h.close();
}
