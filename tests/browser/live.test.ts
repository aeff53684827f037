/// <reference lib="dom" />
import { formatNumber } from "@dieuhanh/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, login } from "../../server/src/testing/auth";
import { storeFigures } from "../../server/src/testing/figures";
import { signedIn, startHarness, type Harness } from "./harness";

/**
 * Targeted live updates in Chromium: a figure submitted elsewhere reaches the open overview, which fetches
 * again only the tile of the indicator the event names — never the other tiles.
 */
let h: Harness;
const today = new Date();
const lastMonth = new Date(Date.UTC(today.getFullYear(), today.getMonth() - 1, 1));
const PERIOD = `${lastMonth.getUTCFullYear()}M${String(lastMonth.getUTCMonth() + 1).padStart(2, "0")}`;

beforeAll(async () => {
  h = await startHarness();
  await createUser(h.database, "leader", { username: "lanhdao-live" });
  await createUser(h.database, "admin", { username: "quantri-live" });
  // Cần Thơ's budget revenue and spending for last month, as published figures.
  await storeFigures(
    h.database,
    [
      { indicator: "QG.A.II.1", area: "92", period: PERIOD, value: 1_234 },
      { indicator: "QG.A.II.3", area: "92", period: PERIOD, value: 987 },
    ],
    { status: "submitted" },
  );
}, 240_000);

afterAll(async () => {
  await h?.close();
});

describe("live updates of the overview in Chromium", () => {
  it("reloads only the tile whose indicator a submitted figure changed", async () => {
    const page = await signedIn(h, "lanhdao-live");
    const tileRequests: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/api/analytics/latest")) tileRequests.push(new URL(r.url()).searchParams.get("indicators") ?? "");
    });
    await page.goto(`${h.base}/dieu-hanh?area=92`);
    const tile = page.getByTestId("tile-value-QG.A.II.1");
    await expect.poll(() => tile.innerText(), { timeout: 30_000 }).toBe(formatNumber(1_234, 2));
    // The first load asks for every tile at once.
    expect(tileRequests).toHaveLength(1);
    expect(tileRequests[0]!.split(",")).toEqual(expect.arrayContaining(["QG.A.II.1", "QG.A.II.3", "QG.A.I.1"]));
    const other = await page.getByTestId("tile-value-QG.A.II.3").innerText();

    const admin = await login(h.app, "quantri-live");
    const res = await h.app.inject({
      method: "POST",
      url: "/api/data-values",
      headers: admin.headers(true),
      payload: { status: "submitted", values: [{ indicator: "QG.A.II.1", area: "92", period: PERIOD, value: 98_765.4 }] },
    });
    expect(res.statusCode, res.body).toBe(200);
    await expect.poll(() => tile.innerText(), { timeout: 15_000, interval: 100 }).toBe(formatNumber(98_765.4, 2));
    // Only the changed tile was fetched again; the others kept what they showed.
    expect(tileRequests.slice(1)).toEqual(["QG.A.II.1"]);
    expect(await page.getByTestId("tile-value-QG.A.II.3").innerText()).toBe(other);
    expect(await page.getByTestId("live-updated").count()).toBe(1);

    // A change of an indicator no tile shows fetches nothing.
    const elsewhere = await h.app.inject({
      method: "POST",
      url: "/api/data-values",
      headers: admin.headers(true),
      payload: { status: "submitted", values: [{ indicator: "QG.A.V.1", area: "92", period: PERIOD, value: 104.2 }] },
    });
    expect(elsewhere.statusCode, elsewhere.body).toBe(200);
    // A later change of the shown indicator proves the page heard the one before (events arrive in order).
    const again = await h.app.inject({
      method: "POST",
      url: "/api/data-values",
      headers: admin.headers(true),
      payload: { status: "submitted", values: [{ indicator: "QG.A.II.1", area: "92", period: PERIOD, value: 98_000 }] },
    });
    expect(again.statusCode, again.body).toBe(200);
    await expect.poll(() => tile.innerText(), { timeout: 15_000, interval: 100 }).toBe(formatNumber(98_000, 2));
    expect(tileRequests.slice(1).every((r) => r === "QG.A.II.1")).toBe(true);
    await page.context().close();
  });
});
