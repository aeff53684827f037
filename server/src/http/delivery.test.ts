import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import path from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { precompressDir } from "../../../web/precompress";
import type { Database } from "../db/database";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";
import { buildApp, type App } from "./app";
import { chooseEncoding, isCompressible } from "./compress";
import { isHashedAsset, staticCacheHeaders } from "./spa";

// A build of its own (the server reads WEB_DIST when it loads): an app shell, a hashed script, a small file.
const dist = await vi.hoisted(async () => {
  const fs = await import("node:fs");
  const os = await import("node:os");
  const p = await import("node:path");
  const dir = fs.mkdtempSync(p.join(os.tmpdir(), "dist-delivery-"));
  process.env.WEB_DIST = dir;
  return dir;
});

const script = `export const rows = [${Array.from({ length: 400 }, (_, i) => `{ "ma": "QG.A.${i}", "ten": "Chỉ số số ${i}" }`).join(",")}];\n`;
const shell = `<!doctype html><html lang="vi"><head><title>Điều hành</title><script type="module" src="/assets/index-AbC_12-z.js"></script></head><body><div id="root"></div>${"<!-- … -->".repeat(200)}</body></html>`;

let database: Database;
let app: App;
let session: TestSession;

beforeAll(async () => {
  mkdirSync(path.join(dist, "assets"), { recursive: true });
  writeFileSync(path.join(dist, "index.html"), shell);
  writeFileSync(path.join(dist, "assets", "index-AbC_12-z.js"), script);
  writeFileSync(path.join(dist, "assets", "tiny-Zz9_xx0Q.js"), "export const a = 1;\n");
  writeFileSync(path.join(dist, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  await precompressDir(dist);
  database = await createTestDatabase();
  app = await buildApp({ database, serveWeb: true });
  session = await login(app, (await createUser(database, "viewer")).username);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await database?.close();
  rmSync(dist, { recursive: true, force: true });
});

const decode = (encoding: string | undefined, body: Buffer) =>
  (encoding === "br" ? brotliDecompressSync(body) : encoding === "gzip" ? gunzipSync(body) : body).toString("utf8");

describe("choosing an encoding", () => {
  it("prefers brotli, then gzip, and honours q=0 and *", () => {
    expect(chooseEncoding("gzip, deflate, br, zstd")).toBe("br");
    expect(chooseEncoding("gzip, deflate")).toBe("gzip");
    expect(chooseEncoding("br;q=0, gzip;q=0.5")).toBe("gzip");
    expect(chooseEncoding("*")).toBe("br");
    expect(chooseEncoding("*, br;q=0")).toBe("gzip");
    expect(chooseEncoding("identity")).toBeNull();
    expect(chooseEncoding("")).toBeNull();
    expect(chooseEncoding(undefined)).toBeNull();
  });

  it("compresses text answers only: never the event stream nor spreadsheets", () => {
    expect(isCompressible("application/json; charset=utf-8")).toBe(true);
    expect(isCompressible("text/csv; charset=utf-8")).toBe(true);
    expect(isCompressible("application/geo+json")).toBe(true);
    expect(isCompressible("text/event-stream; charset=utf-8")).toBe(false);
    expect(isCompressible("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")).toBe(false);
    expect(isCompressible("application/pdf")).toBe(false);
  });

  it("caches files named by their content for a year and revalidates the rest", () => {
    expect(isHashedAsset("/srv/dist/assets/index-AbC_12-z.js")).toBe(true);
    expect(isHashedAsset("/srv/dist/assets/index-AbC_12-z.js.br")).toBe(true);
    expect(isHashedAsset("/srv/dist/index.html")).toBe(false);
    expect(isHashedAsset("/srv/dist/favicon.svg")).toBe(false);
    expect(staticCacheHeaders("/srv/dist/index.html.br")["cache-control"]).toBe("no-cache");
  });
});

describe(`serving the built UI on ${testEngine}`, () => {
  it("sends a hashed script as brotli, gzip or as it is, per Accept-Encoding, cached for a year", async () => {
    for (const [accept, encoding] of [
      ["gzip, deflate, br, zstd", "br"],
      ["gzip, deflate", "gzip"],
      [undefined, undefined],
    ] as const) {
      const res = await app.inject({
        method: "GET",
        url: "/assets/index-AbC_12-z.js",
        headers: accept ? { "accept-encoding": accept } : {},
      });
      expect(res.statusCode, accept).toBe(200);
      expect(res.headers["content-encoding"], accept).toBe(encoding);
      expect(res.headers["content-type"], accept).toMatch(/javascript/);
      expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect(res.headers["vary"]).toMatch(/accept-encoding/i);
      expect(decode(encoding, res.rawPayload)).toBe(script);
      if (encoding) expect(res.rawPayload.length).toBeLessThan(Buffer.byteLength(script) / 4);
    }
  });

  it("sends files under 1 KiB as they are", async () => {
    const res = await app.inject({ method: "GET", url: "/assets/tiny-Zz9_xx0Q.js", headers: { "accept-encoding": "br" } });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-encoding"]).toBeUndefined();
    expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
  });

  it("revalidates the app shell at / and at deep links (304 when unchanged), compressed", async () => {
    for (const url of ["/", "/dieu-hanh/chi-so/QG.A.II.1"]) {
      const res = await app.inject({ method: "GET", url, headers: { "accept-encoding": "br" } });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["cache-control"], url).toBe("no-cache");
      expect(res.headers["content-encoding"], url).toBe("br");
      expect(res.headers["content-type"], url).toMatch(/text\/html/);
      expect(decode("br", res.rawPayload)).toBe(shell);
      const again = await app.inject({
        method: "GET",
        url,
        headers: { "accept-encoding": "br", "if-none-match": String(res.headers["etag"]) },
      });
      expect(again.statusCode, url).toBe(304);
    }
  });

  it("keeps a missing asset a 404", async () => {
    const res = await app.inject({ method: "GET", url: "/assets/index-00000000.js", headers: { "accept-encoding": "br" } });
    expect(res.statusCode).toBe(404);
  });
});

describe(`compressing the API's answers on ${testEngine}`, () => {
  it("compresses a large JSON answer to the same JSON, with Vary", async () => {
    const plain = await app.inject({ method: "GET", url: "/api/openapi.json", headers: session.headers() });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.rawPayload.length).toBeGreaterThan(10_000);
    for (const encoding of ["br", "gzip"] as const) {
      const res = await app.inject({
        method: "GET",
        url: "/api/openapi.json",
        headers: { ...session.headers(), "accept-encoding": encoding },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-encoding"]).toBe(encoding);
      expect(res.headers["vary"]).toMatch(/accept-encoding/i);
      expect(Number(res.headers["content-length"])).toBe(res.rawPayload.length);
      expect(res.rawPayload.length).toBeLessThan(plain.rawPayload.length / 4);
      expect(JSON.parse(decode(encoding, res.rawPayload))).toEqual(plain.json());
    }
  });

  it("leaves small answers as they are", async () => {
    const res = await app.inject({ method: "GET", url: "/api/health", headers: { "accept-encoding": "br" } });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-encoding"]).toBeUndefined();
  });

  it("never buffers the live event stream: its first event arrives uncompressed while it stays open", async () => {
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const first = await new Promise<{ headers: Record<string, unknown>; chunk: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: "127.0.0.1", port, path: "/api/events", headers: { ...session.headers(), "accept-encoding": "br, gzip" } },
        (res) => {
          res.once("data", (chunk: Buffer) => {
            resolve({ headers: res.headers, chunk: chunk.toString("utf8") });
            req.destroy();
          });
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(first.headers["content-type"]).toMatch(/text\/event-stream/);
    expect(first.headers["content-encoding"]).toBeUndefined();
    expect(first.chunk).toContain("event: ready");
  });
});
