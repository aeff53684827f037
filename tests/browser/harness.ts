/// <reference lib="dom" />
import { existsSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import type { Database } from "../../server/src/db/database";
import { buildApp, type App } from "../../server/src/http/app";
import { repoRoot, webDist } from "../../server/src/paths";
import { loadSampleData } from "../../server/src/demo/load";
import { loadReferenceData } from "../../server/src/reference/load";
import { TEST_PASSWORD } from "../../server/src/testing/auth";
import { createTestDatabase } from "../../server/src/testing/database";

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** The built web UI served by the real server on a fresh database with the reference data, and Chromium. */
export interface Harness {
  database: Database;
  app: App;
  browser: Browser;
  base: string;
  close(): Promise<void>;
}

export async function startHarness(options: { sampleData?: boolean } = {}): Promise<Harness> {
  if (!existsSync(path.join(webDist, "index.html")))
    throw new Error(`Build the web UI first: npm run build:web (looked in ${webDist})`);
  const database = await createTestDatabase();
  await loadReferenceData(database.db);
  if (options.sampleData) await loadSampleData(database.db);
  const app = await buildApp({ database, serveWeb: true });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
  return {
    database,
    app,
    browser,
    base,
    async close() {
      await browser.close();
      await app.close();
      await database.close();
    },
  };
}

/** Signs in through the login page, in a new browser context (its own cookies). */
export async function signedIn(
  h: Harness,
  username: string,
  device: { viewport?: { width: number; height: number }; isMobile?: boolean } = {},
): Promise<Page> {
  const context = await h.browser.newContext({
    viewport: device.viewport ?? { width: 1366, height: 900 },
    locale: "vi-VN",
    ...(device.isMobile ? { isMobile: true, hasTouch: true } : {}),
  });
  const page = await context.newPage();
  await page.goto(`${h.base}/`);
  await page.getByTestId("login-username").fill(username);
  await page.getByTestId("login-password").fill(TEST_PASSWORD);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("current-user").waitFor();
  return page;
}

/** Where browser tests leave their screenshots (kept by CI as artefacts). */
export const SCREENSHOTS = path.join(repoRoot, "test-artifacts", "screenshots");
