/// <reference lib="dom" />
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { parsePeriod, previousPeriod } from "@dieuhanh/core";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../../server/src/testing/auth";
import { mirrorFigures } from "../../server/src/testing/mirror";
import { SCREENSHOTS, signedIn, startHarness, type Harness } from "./harness";

/**
 * Issue #13: "mirrored figures are read-only on the other side and show where they came from". Cần Thơ's
 * install mirrors last month's public investment disbursement (CT.A.I.5) from the national install, which owns
 * it (a link over CT.A.I.5 × area 92 and one page of its feed applied by the real applyPage). Sở Tài chính's
 * reporter sees that row disabled with "Đồng bộ từ Hệ thống quốc gia — chỉ đọc" and saves and submits the
 * other rows; the figure's history names its origin; a national leader sees the same; on a phone too.
 */
let h: Harness;
const shots = path.join(SCREENSHOTS, "mirrored");
const now = new Date();
const lastMonth = previousPeriod(parsePeriod(`${now.getFullYear()}M${String(now.getMonth() + 1).padStart(2, "0")}`)!).code;
const formUrl = () => `${h.base}/nhap-so-lieu?agency=CT.STC&area=92&period=${lastMonth}`;
const LABEL = "Đồng bộ từ Hệ thống quốc gia";
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true };

beforeAll(async () => {
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  h = await startHarness();
  await createUser(h.database, "reporter", { username: "baocao-stc", scopeAgencies: ["CT.STC"], scopeAreaId: "92" });
  await createUser(h.database, "leader", { username: "lanhdao-qg" });
  const applied = await mirrorFigures(
    h.database.db,
    { id: "quoc-gia", name: "Hệ thống quốc gia", indicators: ["CT.A.I.5"], areaId: "92" },
    [{ indicator: "CT.A.I.5", area: "92", period: lastMonth, value: 812.4, comment: "Số của Kho bạc", status: "approved" }],
  );
  expect(applied).toMatchObject({ applied: true, created: 1, refused: 0 });
});

afterAll(async () => {
  await h?.close();
});

const cell = (page: Page, indicator: string) => page.getByLabel(`Giá trị ${indicator}`);
const rowOf = (page: Page, indicator: string) => page.locator("tr", { has: page.getByLabel(`Giá trị ${indicator}`) });
async function apiValue(page: Page, indicator: string) {
  return page.evaluate(
    async ([i, p]) =>
      (await (await fetch(`/api/data-values?indicator=${i}&area=92&period=${p}&status=all`)).json()).items[0] ?? null,
    [indicator, lastMonth] as const,
  );
}

/** The owned row: both cells disabled, the value shown, the tag naming the install. */
async function expectReadOnlyRow(page: Page) {
  await cell(page, "CT.A.I.5").waitFor();
  expect(await cell(page, "CT.A.I.5").isDisabled()).toBe(true);
  expect(await page.getByLabel("Ghi chú CT.A.I.5").isDisabled()).toBe(true);
  expect(await cell(page, "CT.A.I.5").inputValue()).toBe("812,4");
  expect(await page.getByTestId("mirrored-CT.A.I.5").innerText()).toBe(`${LABEL} — chỉ đọc`);
  // Only that row.
  expect(await page.locator("[data-testid^=mirrored-CT]").count()).toBe(1);
}

async function expectHistoryNamesOrigin(page: Page, shot: string) {
  await page.getByLabel("Lịch sử CT.A.I.5").click();
  const drawer = page.locator(".ant-drawer");
  await drawer.getByTestId("origin-1").waitFor();
  expect(await drawer.getByTestId("origin-1").innerText()).toBe(LABEL);
  const versions = await drawer.locator("tbody tr.ant-table-row").allInnerTexts();
  expect(versions).toHaveLength(1);
  expect(versions[0]).toContain("812,4");
  expect(versions[0]).not.toMatch(/\bsync\b/);
  // Whole on screen once the drawer has slid in, a phone's too (no sideways scrolling to read the origin).
  const right = async () => {
    const b = (await drawer.getByTestId("origin-1").boundingBox())!;
    return b.x + b.width;
  };
  await expect.poll(right, { timeout: 3000 }).toBeLessThanOrEqual(page.viewportSize()!.width);
  await page.waitForTimeout(300); // the rest of the slide-in, for the screenshot
  await page.screenshot({ path: path.join(shots, shot) });
  await drawer.locator(".ant-drawer-close").click();
  await drawer.locator(".ant-drawer-content").waitFor({ state: "hidden" });
}

describe("mirrored figures in Chromium", () => {
  it("the reporter sees the owned row read-only with its origin, and saves and submits the others", async () => {
    const page = await signedIn(h, "baocao-stc");
    await page.goto(formUrl());
    await expectReadOnlyRow(page);
    expect(await page.getByTestId("mirrored-note").innerText()).toContain("Hệ thống quốc gia");
    await page.getByTestId("mirrored-CT.A.I.5").hover();
    await page.getByRole("tooltip").getByText("sửa tại hệ thống đó").waitFor();
    await page.screenshot({ path: path.join(shots, "form-reporter.png"), fullPage: true });

    await cell(page, "CT.A.I.3").fill("1.234,5");
    await cell(page, "CT.A.I.4").fill("980");
    await page.getByRole("button", { name: "Lưu nháp" }).click();
    await page.getByText("Đã lưu nháp: 2 số liệu thay đổi").waitFor();
    await rowOf(page, "CT.A.I.3").getByText("Nháp").waitFor();
    await page.getByRole("button", { name: "Gửi báo cáo" }).click();
    await page.getByText("Đã gửi báo cáo: 2 số liệu thay đổi").waitFor();
    await rowOf(page, "CT.A.I.4").getByText("Đã gửi").waitFor();
    expect(await page.getByTestId("form-problem").count()).toBe(0);
    expect(await apiValue(page, "CT.A.I.3")).toMatchObject({ value: 1234.5, status: "submitted", source: "form", origin: null });
    // The mirrored figure stands as its owner sent it.
    expect(await apiValue(page, "CT.A.I.5")).toMatchObject({
      value: 812.4,
      status: "approved",
      source: "sync",
      version: 1,
      origin: { name: "Hệ thống quốc gia" },
    });
    await expectReadOnlyRow(page);
    await expectHistoryNamesOrigin(page, "history-reporter.png");
    await page.context().close();
  });

  it("on a phone: the owned row is read-only with its label, and its history names the origin", async () => {
    const page = await signedIn(h, "baocao-stc", PHONE);
    await page.goto(formUrl());
    await expectReadOnlyRow(page);
    await rowOf(page, "CT.A.I.5").scrollIntoViewIfNeeded();
    const tag = await page.getByTestId("mirrored-CT.A.I.5").boundingBox();
    expect(tag!.x + tag!.width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(shots, "form-phone.png") });
    await expectHistoryNamesOrigin(page, "history-phone.png");
    await page.context().close();
  });

  it("a leader with national scope sees the figure labelled the same way, on a laptop and a phone", async () => {
    for (const [device, suffix] of [
      [{}, "leader"],
      [PHONE, "leader-phone"],
    ] as const) {
      const page = await signedIn(h, "lanhdao-qg", device);
      await page.goto(formUrl());
      await expectReadOnlyRow(page);
      // A leader reads the form: nothing to save.
      expect(await page.getByRole("button", { name: "Lưu nháp" }).count()).toBe(0);
      await page.screenshot({ path: path.join(shots, `form-${suffix}.png`), fullPage: suffix === "leader" });
      await expectHistoryNamesOrigin(page, `history-${suffix}.png`);
      await page.context().close();
    }
  });
});
