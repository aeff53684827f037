/// <reference lib="dom" />
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { parsePeriod, previousPeriod, roles, type Role } from "@dieuhanh/core";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../../server/src/testing/auth";
import { SCREENSHOTS, signedIn, startHarness, type Harness } from "./harness";

/**
 * The product from each user's seat: every role, with a national scope and with Cần Thơ's (92, its
 * agencies), signs in on the sample data and opens every page its menu offers. No page may show an error,
 * an "outside your scope" refusal, raw JSON, "undefined"/"NaN"/"Invalid Date", or an agency's bare code
 * where its name belongs; each page's main content must render. One deep link per role survives a reload,
 * and a provincial leader and reporter use it on a phone.
 */
let h: Harness;
const shots = path.join(SCREENSHOTS, "roles");
/** Agency codes (e.g. "CT.STC", "BTC"): a person reads agencies by name. */
let agencyCodes: string[] = [];

type ScopeKind = "national" | "province";
const scopeOf = (role: Role, kind: ScopeKind) => {
  const agencyBound = role === "reporter" || role === "approver";
  if (kind === "national") return { scopeAgencies: agencyBound ? ["BTC"] : null, scopeAreaId: null };
  return { scopeAgencies: agencyBound ? ["CT.STC"] : null, scopeAreaId: "92" };
};
/** Last month: over, so its figures are submitted and approved. */
const lastMonth = previousPeriod(
  parsePeriod(`${new Date().getFullYear()}M${String(new Date().getMonth() + 1).padStart(2, "0")}`)!,
).code;
const username = (role: Role, kind: ScopeKind) => `${role.replace(/_/g, "-")}-${kind === "national" ? "qg" : "ct"}`;

beforeAll(async () => {
  // This run's screenshots only: a page no longer visited leaves no stale picture behind.
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  h = await startHarness({ sampleData: true });
  for (const role of roles)
    for (const kind of ["national", "province"] as const)
      await createUser(h.database, role, { username: username(role, kind), ...scopeOf(role, kind) });
  agencyCodes = (await h.database.db.selectFrom("agencies").select("code").execute()).map((a) => a.code);
});

afterAll(async () => {
  await h?.close();
});

/** Waits until the page's main content has rendered: no spinner or skeleton left, some text or a chart. */
async function settled(page: Page) {
  const content = page.locator(".ant-layout-content");
  await content.waitFor();
  await expect
    .poll(
      async () =>
        (await content.locator(".ant-spin-spinning, .ant-skeleton-active").count()) === 0 &&
        (await content.innerText()).trim().length > 40,
      { timeout: 20_000 },
    )
    .toBe(true);
  // A second look: a query that starts after the first one settles (dependent queries) shows a spinner again.
  await page.waitForTimeout(250);
  await expect.poll(async () => content.locator(".ant-spin-spinning, .ant-skeleton-active").count(), { timeout: 20_000 }).toBe(0);
}

/** What no page may show a person. Returns the problems found (empty when the page is clean). */
async function problems(page: Page, options: { codesAllowed?: boolean } = {}): Promise<string[]> {
  const found: string[] = [];
  const text = await page.locator("body").innerText();
  const errors = await page.locator(".ant-alert-error, .ant-result-error, .ant-result-403, .ant-result-404").allInnerTexts();
  for (const e of errors) found.push(`error shown: ${e.slice(0, 160)}`);
  for (const bad of [
    "nằm ngoài phạm vi",
    "Không tìm thấy trang",
    '"statusCode"',
    '{"',
    "undefined",
    "NaN",
    "Invalid Date",
    "[object Object]",
  ])
    if (text.includes(bad))
      found.push(`text "${bad}": …${text.slice(Math.max(0, text.indexOf(bad) - 60), text.indexOf(bad) + 60)}…`);
  if (!options.codesAllowed) {
    // A code in brackets after its name ("Sở Tài chính (CT.STC)") is fine; "BHXH" is also the documents' own abbreviation.
    const words = new Set(text.replace(/\([^()]*\)/g, " ").split(/[\s,;:[\]/"'–—·]+/));
    words.delete("BHXH");
    const codes = agencyCodes.filter((c) => words.has(c));
    if (codes.length > 0) found.push(`agency codes where a name belongs: ${codes.slice(0, 8).join(", ")}`);
  }
  return found;
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`) });
const slug = (url: string) => url.replace(/^\//, "").replace(/[/?=&]+/g, "_") || "tong-quan";

/** The menu's entries as the signed-in person sees them (link targets). */
async function menuLinks(page: Page): Promise<string[]> {
  return page.locator(".ant-layout-sider .ant-menu a").evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""));
}

/** Pages whose content does not depend on the role, only on the scope: the viewer visits them for everyone. */
const sameForEveryRole = new Set(["/chi-so", "/ban-do", "/van-ban", "/ket-qua-nhiem-vu", "/don-vi-hanh-chinh", "/co-quan"]);

/** Pages that show agency codes on purpose (a code column beside the name). */
const codesShownOnPurpose = new Set(["/co-quan", "/nhat-ky", "/khoa-api"]);

/** One deep link per role, reloaded: a page the role works on. */
const deepLinks: Record<Role, (kind: ScopeKind) => string> = {
  admin: () => "/nguoi-dung",
  leader: (k) => (k === "province" ? "/dieu-hanh/chi-so/CT.A.I.3" : "/dieu-hanh/chi-so/QG.A.II.1"),
  office_specialist: (k) => (k === "province" ? "/nhiem-vu/CT.NV.II.4" : "/nhiem-vu/QG.NV.I.1"),
  reporter: () => "/nhap-so-lieu",
  approver: () => "/tinh-hinh-bao-cao",
  viewer: () => "/chi-so/qd1012",
};

describe("each role and scope sees its pages whole", () => {
  for (const role of roles)
    for (const kind of ["national", "province"] as const)
      it(`${role} (${kind})`, async () => {
        const page = await signedIn(h, username(role, kind));
        const report: Record<string, string[]> = {};
        const links = await menuLinks(page);
        expect(links.length).toBeGreaterThan(5);
        for (const link of links.filter((l) => role === "viewer" || !sameForEveryRole.has(l))) {
          await page.locator(`.ant-layout-sider .ant-menu a[href="${link}"]`).click();
          await page.waitForURL((u) => u.pathname.startsWith(link === "/" ? "/" : link));
          await settled(page);
          await shot(page, `${role}-${kind}-${slug(link)}`);
          const found = await problems(page, { codesAllowed: codesShownOnPurpose.has(link) });
          if (found.length) report[link] = found;
        }
        const deep = deepLinks[role](kind);
        await page.goto(`${h.base}${deep}`);
        await settled(page);
        const before = await page
          .locator(".ant-layout-content h1, .ant-layout-content h2, .ant-layout-content h3, .ant-layout-content h4")
          .first()
          .innerText();
        await page.reload();
        await settled(page);
        const after = await page
          .locator(".ant-layout-content h1, .ant-layout-content h2, .ant-layout-content h3, .ant-layout-content h4")
          .first()
          .innerText();
        expect(after).toBe(before);
        expect(new URL(page.url()).pathname).toBe(deep.split("?")[0]);
        await shot(page, `${role}-${kind}-reloaded-${slug(deep)}`);
        const found = await problems(page);
        if (found.length) report[`${deep} (reloaded)`] = found;
        await page.context().close();
        expect(report).toEqual({});
      }, 120_000);
});

/** The page does not scroll sideways: everything fits the window's width. */
const pageOverflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe("what a demanding user complained about", () => {
  it("a task's page says how many days it is overdue, fits the page and names the reporting agency", async () => {
    const page = await signedIn(h, username("office_specialist", "province"));
    await page.goto(`${h.base}/nhiem-vu/CT.NV.II.4`);
    const days = page.getByTestId("task-days-left");
    await days.waitFor();
    // Due 31/12/2025 and not done: overdue, said so, not "còn -335 ngày".
    expect((await days.innerText()).trim()).toMatch(/^\(quá hạn \d{1,3}(\.\d{3})* ngày\)$/);
    expect(await page.locator(".ant-layout-content").innerText()).not.toMatch(/còn -\d/);
    const details = (await page.getByTestId("task-details").boundingBox())!;
    const content = (await page.locator(".ant-layout-content").boundingBox())!;
    expect(details.x + details.width).toBeLessThanOrEqual(content.x + content.width);
    expect(await pageOverflow(page)).toBeLessThanOrEqual(0);
    // The reporting agency by its name, not "CT.SKHCN".
    const agency = await page.locator(".ant-form-item").filter({ hasText: "Cơ quan báo cáo" }).first().innerText();
    expect(agency).toContain("Sở Khoa học và Công nghệ thành phố Cần Thơ");
    expect(agency).not.toContain("CT.SKHCN");
    await shot(page, "fix-task-overdue");

    // The list says it the same way.
    await page.goto(`${h.base}/nhiem-vu?q=CT.NV.II.4`);
    await settled(page);
    expect(await page.locator(".ant-table").innerText()).not.toMatch(/(^|\s)-\d+(\s|$)/);
    await page.context().close();
  });

  it("an office specialist's own progress report is not offered to them for acceptance (four eyes)", async () => {
    const page = await signedIn(h, username("office_specialist", "province"));
    await page.goto(`${h.base}/nhiem-vu/CT.NV.II.4`);
    await page.getByLabel("Nội dung báo cáo").fill("Đã hoàn thành nâng cấp nền tảng LGSP, đưa vào vận hành");
    await page.getByText("Báo cáo hoàn thành nhiệm vụ").click();
    await page.getByRole("button", { name: "Gửi báo cáo" }).click();
    await page.getByTestId("own-report").waitFor();
    expect(await page.getByRole("button", { name: "Công nhận hoàn thành" }).count()).toBe(0);
    await shot(page, "fix-task-own-report");
    await page.context().close();
    // A colleague is offered it.
    const other = await signedIn(h, username("office_specialist", "national"));
    await other.goto(`${h.base}/nhiem-vu/CT.NV.II.4`);
    await other.getByRole("button", { name: "Công nhận hoàn thành" }).waitFor();
    await other.context().close();
  });

  it("an approver is not offered to approve the figures they sent themselves (four eyes), and approves the others", async () => {
    const page = await signedIn(h, username("approver", "province"));
    await page.goto(`${h.base}/nhap-so-lieu?agency=CT.STC&area=92&period=${lastMonth}`);
    const cell = page.getByLabel("Giá trị CT.A.I.4");
    await cell.waitFor();
    const approveAll = page.getByRole("button", { name: /^Duyệt tất cả \(\d+\)$/ });
    const before = Number((await approveAll.innerText()).match(/\((\d+)\)/)![1]);
    await cell.fill("3.900");
    await page.getByRole("button", { name: "Gửi báo cáo" }).click();
    await page.getByText("Đã gửi báo cáo").waitFor();
    await page.getByTestId("own-CT.A.I.4").waitFor();
    expect(await page.getByTestId("four-eyes").innerText()).toContain("1 số liệu do chính bạn gửi");
    expect(await approveAll.innerText()).toBe(`Duyệt tất cả (${before - 1})`);
    await shot(page, "fix-report-four-eyes");
    await approveAll.click();
    await page.getByText(`Đã duyệt ${before - 1} số liệu`).waitFor();
    // Nothing refused; one's own figure still waits for a colleague.
    expect(await page.locator(".ant-message-error").count()).toBe(0);
    await page.getByTestId("own-CT.A.I.4").waitFor();
    expect(await page.getByRole("button", { name: "Duyệt tất cả (0)" }).isDisabled()).toBe(true);
    await page.context().close();
  });

  it("a national reporter's form opens on the whole country; the indicator page puts a space before the unit", async () => {
    const page = await signedIn(h, username("reporter", "national"));
    await page.goto(`${h.base}/nhap-so-lieu`);
    await settled(page);
    expect(await page.locator(".ant-select").filter({ hasText: "Toàn quốc" }).count()).toBe(1);
    await page.getByText(/Bộ Tài chính · Toàn quốc|Bộ Tài chính · Việt Nam|Bộ Tài chính · Cả nước/).waitFor();
    await page.context().close();

    const leader = await signedIn(h, username("leader", "province"));
    await leader.goto(`${h.base}/dieu-hanh/chi-so/CT.A.I.3`);
    const line = leader.getByTestId("indicator-value-line");
    await line.waitFor();
    expect(await line.innerText()).toMatch(/\d tỷ đồng/);
    await leader.context().close();
  });
});

describe("the audit trail in words", () => {
  it("names the action and the account, not codes and identifiers", async () => {
    const page = await signedIn(h, username("admin", "national"));
    await page.goto(`${h.base}/nhat-ky`);
    await page.locator(".ant-table-row").first().waitFor();
    const text = await page.locator(".ant-table").innerText();
    expect(text).toContain("Đăng nhập");
    expect(text).toContain("Tạo người dùng");
    expect(text).toMatch(/Người dùng leader-ct/);
    expect(text).not.toMatch(/user [0-9a-f]{8}-[0-9a-f]{4}/);
    await shot(page, "fix-audit-words");
    await page.context().close();
  });
});

describe("on a phone", () => {
  const phone = { viewport: { width: 390, height: 844 }, isMobile: true };
  const pages: Record<"leader" | "reporter", string[]> = {
    leader: ["/dieu-hanh", "/tinh-hinh-bao-cao", "/nhiem-vu", "/nhiem-vu/CT.NV.II.4", "/dieu-hanh/chi-so/CT.A.I.3"],
    reporter: ["/nhap-so-lieu", "/nhiem-vu", "/nhiem-vu/CT.NV.II.4", "/tinh-hinh-bao-cao"],
  };
  for (const role of ["leader", "reporter"] as const)
    it(`a provincial ${role} reads every page without sideways scrolling, and after a reload`, async () => {
      const page = await signedIn(h, username(role, "province"), phone);
      const report: Record<string, string[]> = {};
      for (const url of pages[role]) {
        await page.goto(`${h.base}${url}`);
        await settled(page);
        const found = await problems(page);
        const overflow = await pageOverflow(page);
        if (overflow > 0) found.push(`page ${overflow}px wider than the phone`);
        // What the person came for is on screen without scrolling the table sideways.
        const needed =
          url === "/nhap-so-lieu"
            ? page.getByLabel("Giá trị CT.A.I.3")
            : url === "/tinh-hinh-bao-cao"
              ? page.locator(".ant-table-row").first().locator(".ant-tag")
              : null;
        if (needed) {
          const box = await needed.boundingBox();
          if (!box || box.x + box.width > 390) found.push(`${url}: the value/state is off screen (${JSON.stringify(box)})`);
        }
        if (found.length) report[url] = found;
        await page.screenshot({ path: path.join(shots, `phone-${role}-${slug(url)}.png`), fullPage: true });
      }
      // The menu opens over the page and closes on a choice.
      await page.locator(".ant-layout-sider-zero-width-trigger").click();
      await page.locator(".ant-layout-sider .ant-menu a").first().waitFor();
      await shot(page, `phone-${role}-menu`);
      // A tap beside the menu (on the mask over the page) closes it.
      await page.locator(".ant-layout-sider .ant-menu").waitFor();
      await page.mouse.click(370, 600);
      await expect.poll(() => page.locator(".app-sider-mask").count()).toBe(0);
      const deep = pages[role].at(-1)!;
      await page.goto(`${h.base}${deep}`);
      await settled(page);
      await page.reload();
      await settled(page);
      expect(new URL(page.url()).pathname).toBe(deep);
      await page.context().close();
      expect(report).toEqual({});
    }, 120_000);
});
