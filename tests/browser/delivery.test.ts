/// <reference lib="dom" />
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { BrowserContext, CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, TEST_PASSWORD } from "../../server/src/testing/auth";
import { SCREENSHOTS, startHarness, type Harness } from "./harness";

/**
 * How the web UI travels (issue 12, "first page ≤ 600 KiB transferred"): a leader signs in on a fresh browser
 * profile and lands on the overview; every byte Chromium receives for that is counted from the DevTools
 * protocol (Network.loadingFinished's encodedDataLength: headers and body as they came over the wire). The
 * build's files come precompressed with a year's immutable cache, the app shell is revalidated, a reload
 * downloads no file again, and the map's chart library arrives only when the map is opened.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ sampleData: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  await createUser(h.database, "leader", { username: "lanhdao-tai" });
}, 1_500_000);

afterAll(async () => {
  await h?.close();
});

interface Request {
  id: string;
  url: string;
  status?: number;
  headers: Record<string, string>;
  /** Bytes over the wire (headers + body); null while unfinished (the live event stream). */
  bytes: number | null;
  fromCache: boolean;
}

/** Records every request of a page through the DevTools protocol. */
async function recorder(context: BrowserContext, page: Page) {
  const cdp: CDPSession = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const requests = new Map<string, Request>();
  const order: string[] = [];
  cdp.on("Network.requestWillBeSent", (e) => {
    // A redirect reuses the id: the later request replaces the earlier one.
    requests.set(e.requestId, { id: e.requestId, url: e.request.url, headers: {}, bytes: null, fromCache: false });
    order.push(e.requestId);
  });
  cdp.on("Network.requestServedFromCache", (e) => {
    const r = requests.get(e.requestId);
    if (r) r.fromCache = true;
  });
  cdp.on("Network.responseReceived", (e) => {
    const r = requests.get(e.requestId);
    if (!r) return;
    r.status = e.response.status;
    r.headers = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
    if (e.response.fromDiskCache || e.response.fromPrefetchCache) r.fromCache = true;
  });
  cdp.on("Network.loadingFinished", (e) => {
    const r = requests.get(e.requestId);
    if (r) r.bytes = e.encodedDataLength;
  });
  return {
    cdp,
    /** The requests since `mark` (an index from `mark()`), in the order they were sent. */
    since: (mark = 0) => [...new Set(order.slice(mark))].map((id) => requests.get(id)!),
    mark: () => order.length,
    body: async (id: string) => {
      const b = (await cdp.send("Network.getResponseBody", { requestId: id })) as { body: string; base64Encoded: boolean };
      return b.base64Encoded ? Buffer.from(b.body, "base64").toString("utf8") : b.body;
    },
  };
}

const isAsset = (url: string) => new URL(url).pathname.startsWith("/assets/");
const kib = (n: number) => Math.round((n / 1024) * 10) / 10;

/** The overview fully drawn: every tile's value and sparkline, and the reporting tile. */
async function overviewShown(page: Page) {
  await page.getByTestId("tile-value-QG.A.II.1").waitFor();
  await page.getByTestId("tile-completeness").waitFor();
  await expect.poll(() => page.locator(".ioc-tile svg.sparkline").count()).toBeGreaterThanOrEqual(4);
}

describe("web delivery", () => {
  it("a leader's first page — sign-in, then the overview — is at most 600 KiB over the wire, compressed and cached", async () => {
    const context = await h.browser.newContext({ viewport: { width: 1366, height: 900 }, locale: "vi-VN" });
    const page = await context.newPage();
    const rec = await recorder(context, page);

    await page.goto(`${h.base}/`);
    await page.getByTestId("login-username").fill("lanhdao-tai");
    await page.getByTestId("login-password").fill(TEST_PASSWORD);
    await page.getByTestId("login-submit").click();
    await page.waitForURL(`${h.base}/dieu-hanh`);
    await overviewShown(page);

    const first = rec.since();
    const finished = first.filter((r) => r.bytes !== null);
    const total = finished.reduce((s, r) => s + r.bytes!, 0);
    const assets = finished.filter((r) => isAsset(r.url));
    const report = finished
      .map((r) => `${kib(r.bytes!)} KiB ${r.headers["content-encoding"] ?? "-"} ${new URL(r.url).pathname}`)
      .join("\n");
    console.log(
      `first page: ${first.length} requests, ${kib(total)} KiB transferred (${assets.length} files ${kib(assets.reduce((s, r) => s + r.bytes!, 0))} KiB)\n${report}`,
    );
    expect(total, report).toBeLessThanOrEqual(600 * 1024);
    expect(assets.length).toBeGreaterThan(3);
    expect(assets.filter((r) => r.bytes! > 10 * 1024).every((r) => r.headers["content-encoding"] === "br")).toBe(true);

    // Every script and style sheet of the build: compressed (but those under 1 KiB, where it gains nothing),
    // kept a year, and cache keys on the encoding. The large ones are what the build makes them: brotli.
    for (const r of assets) {
      const where = new URL(r.url).pathname;
      expect(r.status, where).toBe(200);
      if (r.headers["content-encoding"] === undefined) expect(Number(r.headers["content-length"]), where).toBeLessThan(1024);
      else expect(r.headers["content-encoding"], where).toMatch(/^(br|gzip)$/);
      expect(r.headers["cache-control"], where).toBe("public, max-age=31536000, immutable");
      expect(r.headers["vary"], where).toMatch(/accept-encoding/i);
    }
    // The app shell is revalidated on every load, so a new deploy is picked up.
    const shell = first.find((r) => new URL(r.url).pathname === "/")!;
    expect(shell.headers["cache-control"]).toBe("no-cache");
    // The API's larger answers are compressed too (the tiles' answer is several KiB of JSON).
    const tiles = finished.find((r) => new URL(r.url).pathname === "/api/analytics/latest")!;
    expect(tiles.headers["content-encoding"]).toMatch(/^(br|gzip)$/);
    // The live event stream is open and not buffered by the compression (it is never finished, never encoded).
    const events = first.find((r) => new URL(r.url).pathname === "/api/events");
    if (events) expect(events.headers["content-encoding"]).toBeUndefined();

    // Neither the chart library nor the schema library is on the first page.
    for (const r of assets.filter((a) => a.url.endsWith(".js"))) {
      const code = await rec.body(r.id);
      expect(code.includes("_echarts_instance_"), `echarts in ${r.url}`).toBe(false);
      expect(code.includes("ZodError"), `zod in ${r.url}`).toBe(false);
    }

    // A reload downloads no file again: every asset comes from the cache.
    const beforeReload = rec.mark();
    await page.reload();
    await overviewShown(page);
    const again = rec.since(beforeReload);
    const reloadedAssets = again.filter((r) => isAsset(r.url));
    expect(reloadedAssets.length).toBeGreaterThan(3);
    for (const r of reloadedAssets) expect(r.fromCache, `downloaded again: ${r.url}`).toBe(true);
    // The app shell itself is asked for again (no-cache: a new deploy is seen at once) and is small; its 304 on
    // an unchanged ETag is proven in server/src/http/delivery.test.ts.
    const reloadedShell = again.find((r) => new URL(r.url).pathname === "/dieu-hanh")!;
    expect(reloadedShell.headers["cache-control"]).toBe("no-cache");
    expect(reloadedShell.bytes!).toBeLessThan(4 * 1024);

    // The map still works when opened: its chunk (with the chart library) loads then.
    const beforeMap = rec.mark();
    await page.locator(`a[href="/dieu-hanh/ban-do"]`).click();
    const map = page.getByTestId("choropleth");
    await map.locator("svg").waitFor();
    await expect.poll(async () => (await map.locator("svg text").allTextContents()).join("|")).toContain("Quần đảo Hoàng Sa");
    const mapScripts = rec.since(beforeMap).filter((r) => isAsset(r.url) && r.url.endsWith(".js") && r.bytes !== null);
    let echarts = 0;
    for (const r of mapScripts) if ((await rec.body(r.id)).includes("_echarts_instance_")) echarts++;
    expect(echarts).toBe(1);
    await context.close();
  }, 600_000);

  it("shows the overview on a phone (390×844) with readable tiles and sparklines", async () => {
    const context = await h.browser.newContext({
      viewport: { width: 390, height: 844 },
      locale: "vi-VN",
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    const page = await context.newPage();
    await page.goto(`${h.base}/`);
    await page.getByTestId("login-username").fill("lanhdao-tai");
    await page.getByTestId("login-password").fill(TEST_PASSWORD);
    await page.getByTestId("login-submit").click();
    await overviewShown(page);
    // No sideways scrolling; each sparkline spans its tile and reads its values in Vietnamese.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    const spark = page.getByTestId("tile-QG.A.II.1").locator("svg.sparkline");
    const label = (await spark.getAttribute("aria-label"))!;
    expect(label).toMatch(/^Diễn biến \d+ kỳ: Tháng \d+\/\d{4} /);
    expect(label).toMatch(/\d{1,3}(\.\d{3})*(,\d+)? /); // 1.234,5 — dots for thousands, a comma for decimals
    const box = (await spark.boundingBox())!;
    const tile = (await page.getByTestId("tile-QG.A.II.1").boundingBox())!;
    expect(box.width).toBeGreaterThan(tile.width * 0.8);
    await page.screenshot({ path: path.join(SCREENSHOTS, "delivery-overview-phone-390.png"), fullPage: true });
    await context.close();
  }, 600_000);
});
