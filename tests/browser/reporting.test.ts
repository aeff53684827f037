/// <reference lib="dom" />
import { parsePeriod, previousPeriod } from "@dieuhanh/core";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../../server/src/testing/auth";
import { signedIn, startHarness, type Harness } from "./harness";

/**
 * The monthly journey in a real browser: a reporter of Sở Tài chính Cần Thơ fills last month's form,
 * meets the errors next to the cells, saves a draft and submits; the approver approves; the history and
 * the completeness page show it, and the API agrees with the screen.
 */
let h: Harness;

const now = new Date();
const lastMonth = previousPeriod(parsePeriod(`${now.getFullYear()}M${String(now.getMonth() + 1).padStart(2, "0")}`)!).code;
const formUrl = () => `${h.base}/nhap-so-lieu?agency=CT.STC&area=92&period=${lastMonth}`;

beforeAll(async () => {
  h = await startHarness();
  await createUser(h.database, "reporter", { username: "canbo-stc", scopeAgencies: ["CT.STC"], scopeAreaId: "92" });
  await createUser(h.database, "approver", { username: "duyet-stc", scopeAgencies: ["CT.STC"], scopeAreaId: "92" });
});

afterAll(async () => {
  await h?.close();
});

const cell = (page: Page, indicator: string) => page.getByLabel(`Giá trị ${indicator}`);
const rowOf = (page: Page, indicator: string) => page.locator("tr", { has: page.getByLabel(`Giá trị ${indicator}`) });
async function apiValue(page: Page, indicator: string) {
  return page.evaluate(
    // status=all: the current version whatever its status, drafts included (the reporter's own view).
    async ([i, p]) =>
      (await (await fetch(`/api/data-values?indicator=${i}&area=92&period=${p}&status=all`)).json()).items[0] ?? null,
    [indicator, lastMonth] as const,
  );
}

describe("reporting journey in Chromium", () => {
  it("a reporter fills the month's form, sees errors by the cells, saves a draft and submits", async () => {
    const page = await signedIn(h, "canbo-stc");
    await page.getByRole("menuitem", { name: "Nhập số liệu" }).click();
    await page.waitForURL(/\/nhap-so-lieu/);
    await page.goto(formUrl());
    await cell(page, "CT.A.I.3").waitFor();
    expect(await page.getByText("Sở Tài chính thành phố Cần Thơ · Cần Thơ").count()).toBe(1);

    // Typed the English way: refused in the cell before anything is sent.
    await cell(page, "CT.A.I.3").fill("1234.5");
    await page.getByRole("button", { name: "Gửi báo cáo" }).click();
    await rowOf(page, "CT.A.I.3").locator(".cell-error").waitFor();
    expect(await rowOf(page, "CT.A.I.3").locator(".cell-error").innerText()).toContain("1.234,5");

    // A negative amount: the server refuses the whole form and the message lands by the cell.
    await cell(page, "CT.A.I.3").fill("1.234,5");
    await cell(page, "CT.A.I.4").fill("-980");
    await page.getByRole("button", { name: "Gửi báo cáo" }).click();
    await rowOf(page, "CT.A.I.4").locator(".cell-error").waitFor();
    expect(await rowOf(page, "CT.A.I.4").locator(".cell-error").innerText()).toContain("Giá trị âm");
    expect(await page.getByTestId("form-problem").innerText()).toContain("không ghi dòng nào");
    expect(await apiValue(page, "CT.A.I.3")).toBeNull();

    await cell(page, "CT.A.I.4").fill("980");
    await page.getByLabel("Ghi chú CT.A.I.4").fill("Tạm tính");
    await page.getByRole("button", { name: "Lưu nháp" }).click();
    await page.getByText("Đã lưu nháp").waitFor();
    await rowOf(page, "CT.A.I.3").getByText("Nháp").waitFor();
    expect(await apiValue(page, "CT.A.I.3")).toMatchObject({ value: 1234.5, status: "draft", source: "form" });

    await page.getByRole("button", { name: "Gửi báo cáo" }).click();
    await page.getByText("Đã gửi báo cáo").waitFor();
    await rowOf(page, "CT.A.I.4").getByText("Đã gửi").waitFor();
    expect(await apiValue(page, "CT.A.I.4")).toMatchObject({ value: 980, comment: "Tạm tính", status: "submitted", version: 2 });
    await page.close();
  });

  it("the approver approves; the figures lock, their history and the completeness page show it", async () => {
    const page = await signedIn(h, "duyet-stc");
    await page.goto(formUrl());
    await page.getByRole("button", { name: "Duyệt tất cả (2)" }).click();
    await page.getByText("Đã duyệt 2 số liệu").waitFor();
    await rowOf(page, "CT.A.I.3").getByText("Đã duyệt").waitFor();
    expect(await cell(page, "CT.A.I.3").isDisabled()).toBe(true);
    expect(await apiValue(page, "CT.A.I.3")).toMatchObject({ status: "approved", version: 3 });

    await page.getByLabel("Lịch sử CT.A.I.3").click();
    const drawer = page.locator(".ant-drawer");
    await drawer.getByText("Phê duyệt").waitFor();
    const versions = await drawer.locator("tbody tr.ant-table-row").allInnerTexts();
    expect(versions).toHaveLength(3);
    expect(versions.map((v) => v.split("\t")[2])).toEqual(["Nháp", "Đã gửi", "Đã duyệt"]);
    expect(versions[0]).toContain("1.234,5");

    await page.goto(`${h.base}/tinh-hinh-bao-cao?period=${lastMonth}`);
    const shown = page.getByTestId("completeness-CT.STC-92");
    await shown.waitFor();
    const api = await page.evaluate(
      async (p) => (await (await fetch(`/api/reports/completeness?period=${p}&agency=CT.STC`)).json()).items[0],
      lastMonth,
    );
    expect(api).toMatchObject({ submitted: 2, approved: 2 });
    expect(await shown.innerText()).toBe(`2/${api.expected}`);
    await page.close();
  });
});
