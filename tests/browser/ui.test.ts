/// <reference lib="dom" />
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../server/src/db/database";
import { createUser, TEST_PASSWORD } from "../../server/src/testing/auth";
import { startHarness, type Harness } from "./harness";

let h: Harness;
let database: Database;
let browser: Browser;
let page: Page;
let base: string;

beforeAll(async () => {
  h = await startHarness();
  ({ database, browser, base } = h);
  page = await browser.newPage({ viewport: { width: 1366, height: 900 }, locale: "vi-VN" });
  await createUser(database, "admin", { username: "quantri" });
  await createUser(database, "viewer", { username: "nguoixem" });
});

async function signIn(p: Page, username: string, password = TEST_PASSWORD) {
  await p.goto(`${base}/`);
  await p.getByTestId("login-username").fill(username);
  await p.getByTestId("login-password").fill(password);
  await p.getByTestId("login-submit").click();
}

afterAll(async () => {
  await h?.close();
});

describe("web UI in Chromium", () => {
  it("asks for a login, refuses a wrong password in Vietnamese, and hides what a viewer cannot do", async () => {
    const viewerPage = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await signIn(viewerPage, "nguoixem", "sai-mat-khau-1");
    expect(await viewerPage.getByTestId("login-error").innerText()).toContain("Tên đăng nhập hoặc mật khẩu không đúng");
    await signIn(viewerPage, "nguoixem");
    await viewerPage.getByTestId("current-user").waitFor();
    expect(await viewerPage.getByTestId("current-user").innerText()).toContain("Người xem");
    expect(await viewerPage.getByRole("menuitem", { name: "Bộ chỉ số" }).count()).toBe(1);
    expect(await viewerPage.getByRole("menuitem", { name: "Người dùng" }).count()).toBe(0);
    expect(await viewerPage.getByRole("menuitem", { name: "Nhật ký" }).count()).toBe(0);
    await viewerPage.close();

    await signIn(page, "quantri");
    await page.getByTestId("current-user").waitFor();
    expect(await page.getByRole("menuitem", { name: "Người dùng" }).count()).toBe(1);
    expect(await page.getByRole("menuitem", { name: "Nhật ký" }).count()).toBe(1);
  });

  it("shows the four catalogues on the overview with their counts", async () => {
    await page.goto(`${base}/`);
    await page.getByTestId("catalogue-card-qd1012").waitFor();
    const national = await page.getByTestId("catalogue-card-qd1012").innerText();
    expect(national).toContain("1012/QĐ-TTg");
    expect(national).toContain("Nhóm A: 76");
    expect(await page.getByTestId("catalogue-card-kontum").innerText()).toContain("Kon Tum");
    expect(await page.getByText("3.321").count()).toBeGreaterThan(0); // Vietnamese thousands separator
  });

  it("browses the national catalogue, searches without diacritics and opens an indicator's source", async () => {
    await page.goto(`${base}/chi-so/qd1012`);
    await page.getByText("104 dòng").waitFor();
    await page.getByTestId("indicator-search").locator("input").fill("chi so gia tieu dung");
    await page.getByTestId("indicator-search").locator("input").press("Enter");
    await page.getByText(/^[1-9] dòng$/).waitFor();
    const names = await page.getByTestId("indicator-name").allInnerTexts();
    expect(names).toContain("Chỉ số giá tiêu dùng tháng");
    expect(names.every((n) => n.toLowerCase().includes("chỉ số giá tiêu dùng"))).toBe(true);
    await page.getByTestId("indicator-name").filter({ hasText: "Chỉ số giá tiêu dùng tháng" }).click();
    const detail = page.getByTestId("indicator-detail");
    await detail.waitFor();
    expect(await detail.innerText()).toContain("Chi số giá tiêu dùng tháng (so với tháng trước"); // as written, typo kept
    expect(await page.getByTestId("indicator-source").innerText()).toContain("Phụ lục II, 1012/QĐ-TTg ngày 20/09/2024");
    expect(await detail.innerText()).toContain("Bộ Kế hoạch và Đầu tư → Bộ Tài chính");
  });

  it("draws the map of 34 provinces with Hoàng Sa and Trường Sa, and lists a clicked province's communes", async () => {
    await page.goto(`${base}/ban-do`);
    const map = page.getByTestId("province-map");
    await map.locator("svg").waitFor();
    await expect.poll(async () => (await map.locator("svg text").allTextContents()).join("|")).toContain("Quần đảo Hoàng Sa");
    expect((await map.locator("svg text").allTextContents()).join("|")).toContain("Quần đảo Trường Sa");
    expect(await map.locator("svg path").count()).toBeGreaterThanOrEqual(34);

    // A real mouse click inside Gia Lai's territory.
    type Charts = { __charts: Record<string, { convertToPixel(finder: object, value: number[]): number[] }> };
    const point = await page.evaluate(() =>
      (window as unknown as Charts).__charts["province-map"]!.convertToPixel({ geoIndex: 0 }, [108.2, 13.9]),
    );
    const box = (await map.boundingBox())!;
    await page.mouse.click(box.x + point[0]!, box.y + point[1]!);
    await expect.poll(() => page.getByTestId("commune-panel-title").innerText()).toMatch(/^Tỉnh Gia Lai: \d+ đơn vị cấp xã$/);
    const communes = await page.getByTestId("commune-table").innerText();
    expect(communes).toMatch(/Phường|Xã/);
  });

  it("lists the tasks with their deadlines in dd/mm/yyyy", async () => {
    await page.goto(`${base}/nhiem-vu`);
    const table = page.getByTestId("task-table");
    await table.getByText("72 nhiệm vụ").waitFor();
    const text = await table.innerText();
    expect(text).toContain("Ban hành các chỉ số phục vụ công tác chỉ đạo, điều hành");
    expect(text).toContain("28/02/2025");
    expect(text).toContain("Thường xuyên");
  });

  it("lets the administrator create a user whose one-time password must be changed at first sign-in", async () => {
    await page.goto(`${base}/nguoi-dung`);
    await page.getByRole("button", { name: "Thêm người dùng" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Tên đăng nhập").fill("le.van.c");
    await dialog.getByLabel("Họ tên").fill("Lê Văn C");
    await dialog.getByRole("button", { name: "Tạo" }).click();
    const secret = (await page.getByTestId("one-time-secret").innerText()).trim();
    expect(secret).toMatch(/^\w{4}-\w{4}-\w{4}-\w{4}$/);
    await page.locator(".ant-table").getByText("Lê Văn C").waitFor(); // the list refreshes after the creation

    const newcomer = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await signIn(newcomer, "le.van.c", secret);
    await newcomer.getByText("Bạn đang dùng mật khẩu dùng một lần").waitFor();
    await newcomer.getByLabel("Mật khẩu hiện tại").fill(secret);
    await newcomer.getByLabel("Mật khẩu mới", { exact: true }).fill("mat-khau-rieng-789");
    await newcomer.getByLabel("Nhập lại mật khẩu mới").fill("mat-khau-rieng-789");
    await newcomer.getByRole("button", { name: "Đổi mật khẩu" }).click();
    await newcomer.getByTestId("current-user").waitFor();
    expect(await newcomer.getByTestId("current-user").innerText()).toContain("Lê Văn C");
    await newcomer.close();
  });

  it("shows the administrator the audit trail with the sign-ins", async () => {
    await page.goto(`${base}/nhat-ky`);
    await page.getByText("auth.login").first().waitFor();
    const text = await page.locator(".ant-table").innerText();
    expect(text).toContain("quantri");
    expect(text).toContain("Thất bại"); // the viewer's wrong password
    expect(text).toContain("user.create");
  });
});
