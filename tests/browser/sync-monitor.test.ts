/// <reference lib="dom" />
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notifyLateLinks } from "../../server/src/sync/puller";
import { createUser, login, type TestSession } from "../../server/src/testing/auth";
import { SCREENSHOTS, signedIn, startHarness, type Harness } from "./harness";

/**
 * "Giám sát liên thông" (issue #13 item 2): every link to another install with its state, last successful
 * sync, lag, changes and last error. Seeded through the API: a link to an address nobody answers (pulled,
 * so it records its error), links to this very server with a real token (pulled successfully; one then made
 * 3 hours late in the database, which raises the administrators' notification), and a paused one.
 * Administrators add, pull and remove links and manage outgoing webhooks; a leader and a provincial office
 * specialist read the page only; a reporter is told they may not open it.
 */
let h: Harness;
let admin: TestSession;
const shots = path.join(SCREENSHOTS, "sync-monitor");
let indicatorName = "";

async function api(method: "GET" | "POST" | "DELETE", url: string, payload?: unknown) {
  const res = await h.app.inject({ method, url, headers: admin.headers(method !== "GET"), ...(payload ? { payload } : {}) });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json() as Record<string, unknown>;
}

const newLink = (id: string, name: string, peerUrl: string, token: string, extra: Record<string, unknown> = {}) =>
  api("POST", "/api/sync/links", { id, name, peerUrl, token, indicators: null, areaId: null, webhookSecret: null, ...extra });

beforeAll(async () => {
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  h = await startHarness();
  await createUser(h.database, "admin", { username: "quantri-lt" });
  await createUser(h.database, "leader", { username: "lanhdao-qg" });
  await createUser(h.database, "office_specialist", { username: "chuyenvien-ct", scopeAreaId: "92" });
  await createUser(h.database, "reporter", { username: "baocao-ct", scopeAreaId: "92", scopeAgencies: ["CT.STC"] });
  admin = await login(h.app, "quantri-lt");
  indicatorName = (
    await h.database.db.selectFrom("indicators").select("name").where("code", "=", "CT.A.I.3").executeTakeFirstOrThrow()
  ).name;

  // Nobody answers on port 9: the pull records its error.
  await newLink("can-tho", "Hệ thống thành phố Cần Thơ", "http://127.0.0.1:9/", "khoa-thu-cua-can-tho", {
    areaId: "92",
    indicators: ["CT.A.I.3"],
  });
  await api("POST", "/api/sync/links/can-tho/pull");

  // This server itself, with a read-only token it issued: the pulls succeed.
  const { secret } = (await api("POST", "/api/tokens", { name: "Liên thông thử", canWrite: false })) as { secret: string };
  await newLink("quoc-gia", "Hệ thống quốc gia", h.base, secret);
  await api("POST", "/api/sync/links/quoc-gia/pull");
  await newLink("dong-thap", "Tỉnh Đồng Tháp", h.base, secret);
  await api("POST", "/api/sync/links/dong-thap/pull");
  await newLink("tam-dung", "Kết nối tạm dừng", h.base, secret);

  const db = h.database.db;
  const threeHoursAgo = new Date(Date.now() - 3 * 3600_000);
  await db
    .updateTable("sync_links")
    .set({ last_success_at: threeHoursAgo, created_at: threeHoursAgo })
    .where("id", "=", "quoc-gia")
    .execute();
  await db
    .updateTable("sync_links")
    .set({
      applied_changes: "1234",
      skipped_changes: "5",
      // The peer's catalogue has two indicators this install lacks (what refreshPeerMetadata records).
      peer_metadata: JSON.stringify({
        checkedAt: new Date().toISOString(),
        summary: {},
        differentParts: ["indicators"],
        unknownIndicators: ["DT.A.1", "DT.A.2"],
      }),
    })
    .where("id", "=", "dong-thap")
    .execute();
  await db.updateTable("sync_links").set({ enabled: false }).where("id", "=", "tam-dung").execute();
  // The puller's lateness check: the administrators are told.
  expect(await notifyLateLinks(db, 10 * 60_000)).toBe(1);
});

afterAll(async () => {
  await h?.close();
});

const shot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage });

/** What no page may show a person. */
async function problems(page: Page): Promise<string[]> {
  const text = await page.locator("body").innerText();
  return ["undefined", "NaN", "Invalid Date", "[object Object]", '{"', "Không tìm thấy trang"].filter((b) => text.includes(b));
}

/** The table row (or phone card) of a link. */
const row = (page: Page, name: string) => page.locator(".ant-table-row").filter({ hasText: name });

async function openMonitor(page: Page) {
  await page.locator('.ant-layout-sider .ant-menu a[href="/lien-thong"]').click();
  await page.getByRole("heading", { name: "Giám sát liên thông" }).waitFor();
  await page.getByTestId("link-status-can-tho").waitFor();
}

describe("an administrator", () => {
  let page: Page;
  beforeAll(async () => {
    page = await signedIn(h, "quantri-lt");
  });
  afterAll(async () => {
    await page?.context().close();
  });

  it("is told by the bell, in red, that a link is late, and the notification opens the monitor", async () => {
    await page.getByTestId("notifications").click();
    const item = page.getByTestId("notification-list").locator(".ant-list-item").filter({ hasText: "Hệ thống quốc gia" });
    await item.waitFor();
    const text = item.locator(".ant-typography").first();
    expect(await text.innerText()).toMatch(
      /^Liên thông "Hệ thống quốc gia" chậm: chưa đồng bộ được từ \d\d\/\d\d\/\d{4} \d\d:\d\d$/,
    );
    expect(await text.getAttribute("class")).toContain("ant-typography-danger");
    await page.waitForTimeout(400); // the popover's fade-in
    await shot(page, "admin-bell");
    await item.click();
    await page.waitForURL((u) => u.pathname === "/lien-thong");
    await page.getByTestId("link-status-can-tho").waitFor();
  });

  it("sees every link with its state, last sync, lag, changes and last error", async () => {
    await page.goto(`${h.base}/`);
    await openMonitor(page);
    expect(await page.getByTestId("install-name").innerText()).toMatch(/^Hệ thống này: \S/);
    const status = (id: string) => page.getByTestId(`link-status-${id}`).innerText();
    expect(await status("can-tho")).toBe("Lỗi");
    expect(await status("quoc-gia")).toBe("Chậm");
    expect(await status("dong-thap")).toBe("Đang đồng bộ");
    expect(await status("tam-dung")).toBe("Tạm dừng");
    expect(await page.getByTestId("link-status-can-tho").getAttribute("class")).toContain("ant-tag-orange");
    expect(await page.getByTestId("link-status-quoc-gia").getAttribute("class")).toContain("ant-tag-red");

    const canTho = row(page, "Hệ thống thành phố Cần Thơ");
    const canThoText = await canTho.innerText();
    expect(canThoText).toContain("http://127.0.0.1:9/");
    expect(canThoText).toContain("Thành phố Cần Thơ");
    // The indicator by its name, not its code.
    expect(canThoText).toContain(indicatorName.slice(0, 30));
    expect(canThoText).toContain("Chưa lần nào");
    expect(await page.getByTestId("link-error-can-tho").innerText()).toContain("Không lấy được dữ liệu từ http://127.0.0.1:9/");

    expect(await page.getByTestId("link-metadata-dong-thap").innerText()).toBe(
      "Danh mục khác với hệ thống kia: bộ chỉ số (2 chỉ số chưa có tại đây: DT.A.1, DT.A.2)",
    );

    const late = await row(page, "Hệ thống quốc gia").innerText();
    expect(late).toMatch(/\d\d\/\d\d\/\d{4} \d\d:\d\d/);
    expect(late).toMatch(/(3 giờ|2 giờ 59 phút) trước/);
    expect(late).toContain("cả nước");
    expect(late).toContain("tất cả");

    const fine = await row(page, "Tỉnh Đồng Tháp").innerText();
    expect(fine).toContain("0 giây");
    expect(fine).toContain("1.234");
    expect(fine).toMatch(/vừa xong|giây trước|phút trước/);
    expect(fine).toContain("Không có");

    expect(await page.locator(".ant-layout-content").innerText()).toMatch(
      /4 kết nối · 1 đang đồng bộ · 1 chậm · 1 lỗi · 1 tạm dừng/,
    );
    expect(await problems(page)).toEqual([]);
    await shot(page, "admin-links", true);
  });

  it("adds a link through the form, told in Vietnamese what is missing or wrong", async () => {
    await page.getByRole("button", { name: "Thêm kết nối" }).click();
    const dialog = page.locator(".ant-modal");
    await dialog.getByRole("button", { name: "Thêm kết nối" }).click();
    for (const m of ["Nhập tên kết nối", "Nhập mã kết nối", "Nhập địa chỉ của hệ thống kia", "Nhập khóa API của hệ thống kia"])
      await dialog.getByText(m).waitFor();
    await dialog.getByLabel("Tên kết nối").fill("Tỉnh Đồng Tháp (thử)");
    // The code follows the name.
    expect(await dialog.getByLabel("Mã kết nối").inputValue()).toBe("tinh-dong-thap-thu");
    await dialog.getByLabel("Địa chỉ hệ thống kia").fill("không phải địa chỉ");
    await dialog.getByLabel("Khóa API do hệ thống kia cấp").fill("ngan");
    await dialog.getByLabel("Khóa ký webhook (không bắt buộc)").fill("abc");
    await dialog.getByRole("button", { name: "Thêm kết nối" }).click();
    await dialog.getByText("Địa chỉ không hợp lệ: nhập đầy đủ, ví dụ https://dieuhanh.cantho.gov.vn/").waitFor();
    await dialog.getByText("Khóa API có ít nhất 8 ký tự").waitFor();
    await dialog.getByText("Khóa ký webhook có dạng whsec_…", { exact: false }).waitFor();
    await shot(page, "admin-add-link-errors");

    await dialog.getByLabel("Địa chỉ hệ thống kia").fill("http://127.0.0.1:9/dong-thap/");
    await dialog.getByLabel("Khóa API do hệ thống kia cấp").fill("khoa-cua-dong-thap");
    await dialog.getByLabel("Khóa ký webhook (không bắt buộc)").fill("");
    // An indicator the catalogue does not have: the server's refusal is shown under the field.
    const indicators = dialog.getByLabel("Mã chỉ số do hệ thống kia quản lý (để trống: mọi chỉ số)");
    await indicators.fill("XX.KHONG.CO,");
    await dialog.getByRole("button", { name: "Thêm kết nối" }).click();
    await dialog.getByText("Không có chỉ số mã XX.KHONG.CO trong danh mục").waitFor();
    await dialog.locator(".ant-select-selection-item-remove").click();
    await indicators.fill("CT.A.I.3,");
    await dialog.getByRole("button", { name: "Thêm kết nối" }).click();
    await page.getByText('Đã thêm kết nối "Tỉnh Đồng Tháp (thử)"').waitFor();
    await dialog.waitFor({ state: "hidden" });
    const added = row(page, "Tỉnh Đồng Tháp (thử)");
    await added.waitFor();
    expect(await page.getByTestId("link-status-tinh-dong-thap-thu").innerText()).toBe("Chờ đồng bộ");
    expect(await added.innerText()).toContain(indicatorName.slice(0, 30));
    await shot(page, "admin-link-added");
  });

  it("pulls a link now: a failing one says why, a late one catches up", async () => {
    await row(page, "Hệ thống thành phố Cần Thơ").getByRole("button", { name: "Đồng bộ ngay" }).click();
    await page.getByText('Chưa đồng bộ được "Hệ thống thành phố Cần Thơ"', { exact: false }).waitFor();
    await expect.poll(() => row(page, "Hệ thống thành phố Cần Thơ").innerText()).toContain("2 lần liên tiếp");

    await row(page, "Hệ thống quốc gia").getByRole("button", { name: "Đồng bộ ngay" }).click();
    await page.getByText('Đã đồng bộ "Hệ thống quốc gia"').waitFor();
    await expect.poll(() => page.getByTestId("link-status-quoc-gia").innerText()).toBe("Đang đồng bộ");
    // A paused link is not pulled.
    expect(await row(page, "Kết nối tạm dừng").getByRole("button", { name: "Đồng bộ ngay" }).isDisabled()).toBe(true);
    await shot(page, "admin-pulled");
  });

  it("removes a link after confirming", async () => {
    await row(page, "Tỉnh Đồng Tháp (thử)").getByRole("button", { name: "Xóa kết nối" }).click();
    await page.locator(".ant-popconfirm").getByText("Số liệu đã đồng bộ được giữ lại", { exact: false }).waitFor();
    await shot(page, "admin-delete-confirm");
    await page.locator(".ant-popconfirm").getByRole("button", { name: "Xóa" }).click();
    await page.getByText('Đã xóa kết nối "Tỉnh Đồng Tháp (thử)"').waitFor();
    await expect.poll(() => row(page, "Tỉnh Đồng Tháp (thử)").count()).toBe(0);
  });

  it("adds an outgoing webhook, sees its signing secret once with a copy button, and revokes it", async () => {
    const section = page.getByTestId("webhooks");
    await section.getByRole("button", { name: "Thêm webhook" }).click();
    await section.getByText("Nhập địa chỉ nhận webhook").waitFor();
    await section.getByLabel("Địa chỉ nhận").fill("https://dieuhanh.cantho.gov.vn/api/sync/links/quoc-gia/webhook");
    await section.getByRole("button", { name: "Thêm webhook" }).click();
    const secret = section.getByTestId("one-time-secret");
    await secret.waitFor();
    expect(await secret.innerText()).toMatch(/^whsec_/);
    expect(await section.locator(".ant-typography-copy").count()).toBe(1);
    const hook = section.locator(".ant-table-row").filter({ hasText: "dieuhanh.cantho.gov.vn" });
    await hook.waitFor();
    await shot(page, "admin-webhook-secret", true);
    // Shown once: gone after a reload.
    await page.reload();
    await page.getByTestId("link-status-can-tho").waitFor();
    await hook.waitFor();
    expect(await page.getByTestId("one-time-secret").count()).toBe(0);
    await hook.getByRole("button", { name: "Thu hồi" }).click();
    await page.locator(".ant-popconfirm").getByRole("button", { name: "Thu hồi" }).click();
    await page.getByText("Đã thu hồi webhook").waitFor();
    await expect.poll(() => hook.count()).toBe(0);
  });

  it("reloads /lien-thong and gets the page again", async () => {
    const res = await page.goto(`${h.base}/lien-thong`);
    expect(res?.headers()["content-type"]).toContain("text/html");
    await page.getByTestId("link-status-can-tho").waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "Giám sát liên thông" }).waitFor();
    await page.getByTestId("link-status-quoc-gia").waitFor();
    expect(await problems(page)).toEqual([]);
  });
});

describe("read-only for the other roles with the audit permission", () => {
  for (const [username, label] of [
    ["lanhdao-qg", "a national leader"],
    ["chuyenvien-ct", "a provincial office specialist"],
  ] as const)
    it(`${label} sees the links but cannot add, pull or remove them`, async () => {
      const page = await signedIn(h, username);
      await openMonitor(page);
      expect(await page.getByTestId("link-status-can-tho").innerText()).toBe("Lỗi");
      expect(await page.getByTestId("link-error-can-tho").innerText()).toContain("Không lấy được dữ liệu");
      for (const b of ["Thêm kết nối", "Đồng bộ ngay", "Xóa kết nối", "Thêm webhook"])
        expect(await page.getByRole("button", { name: b }).count()).toBe(0);
      expect(await page.getByTestId("webhooks").count()).toBe(0);
      expect(await problems(page)).toEqual([]);
      await shot(page, `readonly-${username}`, true);
      await page.context().close();
    });
});

describe("a reporter", () => {
  it("has no menu entry, and the address shows the app's no-permission page (not a JSON 404)", async () => {
    const page = await signedIn(h, "baocao-ct");
    expect(await page.locator('.ant-layout-sider .ant-menu a[href="/lien-thong"]').count()).toBe(0);
    const res = await page.goto(`${h.base}/lien-thong`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()["content-type"]).toContain("text/html");
    await page.getByText("Bạn không có quyền xem trang này").waitFor();
    await page.getByTestId("current-user").waitFor();
    const text = await page.locator("body").innerText();
    expect(text).not.toContain('"statusCode"');
    expect(text).not.toContain("Hệ thống thành phố Cần Thơ");
    await shot(page, "reporter-no-permission");
    await page.context().close();
  });
});

describe("on a phone (390×844)", () => {
  const phone = { viewport: { width: 390, height: 844 }, isMobile: true };
  for (const username of ["quantri-lt", "chuyenvien-ct"])
    it(`${username} reads every link as a card, without sideways scrolling`, async () => {
      const page = await signedIn(h, username, phone);
      await page.goto(`${h.base}/lien-thong`);
      const card = page.getByTestId("link-card-can-tho");
      await card.waitFor();
      const text = await card.innerText();
      expect(text).toContain("Hệ thống thành phố Cần Thơ");
      expect(text).toContain("Lỗi");
      expect(text).toContain("Không lấy được dữ liệu");
      expect(await page.locator("[data-testid^=link-card-]").count()).toBe(4);
      // Everything fits the screen's width: the state tag and the error are on screen.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      for (const l of [page.getByTestId("link-status-can-tho"), page.getByTestId("link-error-can-tho")]) {
        const box = (await l.boundingBox())!;
        expect(box.x + box.width).toBeLessThanOrEqual(390);
      }
      expect(await problems(page)).toEqual([]);
      await shot(page, `phone-${username}`, true);
      await page.context().close();
    });
});
