import { request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";
import { importLimits } from "./formats/limits";

/**
 * CSV uploads are read as they arrive (formats/stream.ts), never held whole (issue 12, item 3): over a real
 * connection, a file found too long is refused while the client is still sending it, and a file whose
 * Content-Length is over the limit is refused before its body is sent. Buffered, both answers would wait
 * for the whole body.
 */
let database: Database;
let app: App;
let admin: TestSession;
let base: string;
const defaults = { ...importLimits };

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock: () => new Date("2025-11-05T03:00:00Z") });
  admin = await login(app, (await createUser(database, "admin")).username);
  await app.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterEach(() => {
  Object.assign(importLimits, defaults);
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

/** Starts an upload of `declared` bytes, sends `first`, and waits up to 20 s for an answer without sending more. */
function partialUpload(declared: number, first: Buffer) {
  const headers = admin.headers(true) as Record<string, string>;
  return new Promise<{ status: number; body: string; sentBytes: number }>((resolve, reject) => {
    const req = httpRequest(`${base}/api/data-values/import?format=csv&fileName=dai.csv`, {
      method: "POST",
      headers: { ...headers, "content-type": "text/csv", "content-length": String(declared) },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error("no answer while the upload was incomplete: the server waited for the whole body"));
    }, 20_000);
    req.on("response", (res: IncomingMessage) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString("utf8")));
      res.on("end", () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body, sentBytes: first.length });
      });
    });
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.write(first);
  });
}

describe(`streamed CSV uploads on ${testEngine}`, () => {
  it("refuses a file with too many rows while it is still being sent, naming the limit, and writes nothing", async () => {
    importLimits.maxRows = 2_000;
    const lines = ["indicator,area,period,value"];
    for (let i = 0; i < 3_000; i++) lines.push(`CT.A.I.3,92,2025M10,${i}`);
    const first = Buffer.from(lines.join("\n") + "\n");
    // Announced as 40 MB; only the first ~80 KB are ever sent.
    const answer = await partialUpload(40 * 1024 * 1024, first);
    expect(answer.status, answer.body).toBe(413);
    expect(JSON.parse(answer.body).message).toMatch(/Tệp có hơn 2\.000 dòng số liệu/);
    const stored = await database.db
      .selectFrom("data_values")
      .select((e) => e.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(0);
  });

  it("refuses a file announced over 50 MB before its body is sent", async () => {
    const answer = await partialUpload(60 * 1024 * 1024, Buffer.from("indicator,area,period,value\n"));
    expect(answer.status, answer.body).toBe(413);
    expect(answer.body.length).toBeLessThan(10_000);
  });

  it("still imports a whole file sent in small pieces, with its hash recorded on the batch", async () => {
    const csv = Buffer.from("indicator;area;period;value\nCT.A.I.3;92;2025M10;1.234,5\nCT.A.I.3;92;2025M09;1.200,0\n");
    const headers = admin.headers(true) as Record<string, string>;
    const res = await fetch(`${base}/api/data-values/import?format=csv&fileName=nho.csv`, {
      method: "POST",
      headers: { ...headers, "content-type": "text/csv" },
      // A stream of 5-byte pieces: the delimiter is found on a first line that arrives in parts.
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < csv.length; i += 5) controller.enqueue(csv.subarray(i, i + 5));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ created: 2 });
    const batch = await database.db
      .selectFrom("data_batches")
      .select(["file_sha256", "file_name"])
      .where("file_name", "=", "nho.csv")
      .executeTakeFirstOrThrow();
    const { createHash } = await import("node:crypto");
    expect(batch.file_sha256).toBe(createHash("sha256").update(csv).digest("hex"));
  });

  it("counts only reading time against the read limit: a file arriving slowly over the network is read whole", async () => {
    importLimits.maxReadSeconds = 1;
    const csv = Buffer.from("indicator,area,period,value\nCT.A.I.3,92,2025M08,1500\nCT.A.I.3,92,2025M07,1490\n");
    const headers = admin.headers(true) as Record<string, string>;
    const res = await fetch(`${base}/api/data-values/import?format=csv&fileName=cham.csv`, {
      method: "POST",
      headers: { ...headers, "content-type": "text/csv" },
      // Half now, the rest 2.5 s later: longer than the limit, all of it waiting.
      body: new ReadableStream({
        async start(controller) {
          controller.enqueue(csv.subarray(0, 40));
          await new Promise((r) => setTimeout(r, 2_500));
          controller.enqueue(csv.subarray(40));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ created: 2 });
  });
});
