/// <reference lib="dom" />
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, TEST_PASSWORD } from "../../server/src/testing/auth";
import { SCREENSHOTS, signedIn, startHarness, type Harness } from "./harness";

/**
 * Reaching the app: over plain HTTP by a name other than localhost (HOST=0.0.0.0 on a LAN), and by deep
 * links to pages whose codes end in ".<digit>", opened from a shared address and reloaded.
 */
let h: Harness;
let lan: Browser;

beforeAll(async () => {
  h = await startHarness();
  await createUser(h.database, "leader", { username: "lanhdao-ct", scopeAreaId: "92" });
  // A browser that reaches the server by a LAN-style host name: not "potentially trustworthy" like localhost.
  lan = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP dieuhanh.test 127.0.0.1"],
  });
});

afterAll(async () => {
  await lan?.close();
  await h?.close();
});

const port = () => new URL(h.base).port;

/** The page shows the app (the signed-in shell), not a raw JSON answer. */
async function expectAppPage(page: Page) {
  await page.getByTestId("current-user").waitFor();
  const text = await page.locator("body").innerText();
  expect(text).not.toContain('"statusCode"');
  expect(text).not.toContain("Không tìm thấy trang");
}

describe("plain HTTP on a LAN host name", () => {
  it("shows the login page and signs in at http://dieuhanh.test (no upgrade to HTTPS)", async () => {
    const context = await lan.newContext({ locale: "vi-VN", viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    const failed: string[] = [];
    page.on("requestfailed", (r) => failed.push(r.url()));
    const res = await page.goto(`http://dieuhanh.test:${port()}/`);
    expect(res?.status()).toBe(200);
    expect(String(res?.headers()["content-security-policy"])).not.toContain("upgrade-insecure-requests");
    await page.getByTestId("login-username").waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, "access-lan-login.png") });
    expect(failed.filter((u) => u.startsWith("https:"))).toEqual([]);
    await page.getByTestId("login-username").fill("lanhdao-ct");
    await page.getByTestId("login-password").fill(TEST_PASSWORD);
    await page.getByTestId("login-submit").click();
    await page.getByTestId("current-user").waitFor();
    await context.close();
  });
});

describe("deep links", () => {
  it("opens an indicator page and a task page by their address, and again after a reload", async () => {
    const page = await signedIn(h, "lanhdao-ct");
    const names = await page.evaluate(async () => ({
      indicator: ((await (await fetch("/api/indicators/QG.A.II.1")).json()) as { name: string }).name,
      task: ((await (await fetch("/api/tasks/CT.NV.II.4")).json()) as { name: string }).name,
    }));
    for (const [url, name, shot] of [
      // As shared from the page, with the area it showed (the page's default area is item 3's concern).
      ["/dieu-hanh/chi-so/QG.A.II.1?area=92", names.indicator, "access-deep-link-indicator.png"],
      ["/nhiem-vu/CT.NV.II.4", names.task, "access-deep-link-task.png"],
    ] as const) {
      const res = await page.goto(`${h.base}${url}`);
      expect(res?.headers()["content-type"]).toContain("text/html");
      await expectAppPage(page);
      await page.getByText(name.slice(0, 40)).first().waitFor();
      const again = await page.reload();
      expect(again?.headers()["content-type"]).toContain("text/html");
      await expectAppPage(page);
      await page.getByText(name.slice(0, 40)).first().waitFor();
      await page.screenshot({ path: path.join(SCREENSHOTS, shot) });
    }
    await page.close();
  });

  it("serves the app shell for every client route with a code in its address", async () => {
    const page = await signedIn(h, "lanhdao-ct");
    for (const url of [
      "/dieu-hanh/nhom/A-I?area=92",
      "/chi-so/cantho-256",
      "/chi-so/qd1012",
      "/dieu-hanh/chi-so/CT.A.I.3",
      "/nhiem-vu/QG.NV.I.1",
      "/bang-dieu-khien/00000000-0000-0000-0000-000000000000",
    ]) {
      const res = await page.goto(`${h.base}${url}`);
      expect(res?.status(), url).toBe(200);
      expect(res?.headers()["content-type"], url).toContain("text/html");
      await page.getByTestId("current-user").waitFor();
    }
    // A missing file stays a 404, not the app.
    const missing = await page.goto(`${h.base}/assets/khong-co.js`);
    expect(missing?.status()).toBe(404);
    await page.close();
  });
});
