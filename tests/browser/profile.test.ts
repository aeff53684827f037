/// <reference lib="dom" />
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { profileService } from "../../server/src/profile/service";
import { createUser } from "../../server/src/testing/auth";
import { SCREENSHOTS, signedIn, startHarness, type Harness } from "./harness";

/**
 * Whom the install serves, and the caller's own area (issue 11, items 2, 3 and 20), in Chromium on the
 * sample figures: a leader scoped to Cần Thơ on a national install opens every page on Cần Thơ (overview,
 * a sector page, the map, wall mode without ?area, a new dashboard; on a phone too, and after reloading a
 * deep link) with no scope error; then the install becomes Cần Thơ's and both a provincial and a national
 * leader see Cần Thơ's own indicators with figures.
 */
let h: Harness;
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true };
const SCOPE_ERROR = /nằm ngoài phạm vi/;

beforeAll(async () => {
  h = await startHarness({ sampleData: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  await createUser(h.database, "leader", { username: "lanhdao-cantho", scopeAreaId: "92" });
  await createUser(h.database, "leader", { username: "lanhdao-quocgia" });
  await createUser(h.database, "admin", { username: "quantri-hoso" });
}, 600_000);

afterAll(async () => {
  await h?.close();
});

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
const text = (page: Page) => page.locator("body").innerText();
/** The area picker's current choice. */
const areaShown = (page: Page) =>
  page.locator(".ant-select", { has: page.getByRole("combobox", { name: "Địa bàn" }) }).innerText();
/** The tiles shown and how many carry a figure. */
async function tiles(page: Page) {
  await page.locator("[data-testid^=tile-value-]").first().waitFor();
  const codes = await page
    .locator(".ioc-tile")
    .evaluateAll((els) => els.map((e) => e.getAttribute("data-testid")!.replace(/^tile-/, "")));
  const withValue = await page.locator("[data-testid^=tile-value-]").count();
  return { codes, withValue };
}

describe("a leader of Cần Thơ on a national install", () => {
  it("lands on the operations dashboard of Cần Thơ, with every tile filled and help on how to read it", async () => {
    const page = await signedIn(h, "lanhdao-cantho");
    await page.waitForURL(/\/dieu-hanh$/);
    const t = await tiles(page);
    expect(t.codes).toContain("QG.A.II.1");
    // CPI and retail are reported for the city in its own catalogue: one series with the national indicator.
    await page.getByTestId("tile-value-QG.A.I.1").waitFor();
    await page.getByTestId("tile-value-QG.A.IX.1").waitFor();
    expect(t.withValue).toBe(t.codes.length);
    expect(await areaShown(page)).toContain("Cần Thơ");
    expect(await text(page)).not.toMatch(SCOPE_ERROR);
    await page.getByTestId("help-QG.A.II.1").hover();
    const help = await page.getByTestId("help-QG.A.II.1-content").innerText();
    expect(help).toMatch(/Cộng dồn a\/b: .*34\/34/);
    expect(help).toMatch(/Ước tính: /);
    for (const term of ["So kỳ trước", "So cùng kỳ năm trước", "So với tháng 12 năm trước", "Lũy kế từ đầu năm", "So kế hoạch"])
      expect(help).toContain(term);
    await shot(page, "profile-cantho-leader-overview");
    await page.close();
  });

  it("opens a sector page, the map and the wall without ?area on Cần Thơ", async () => {
    const page = await signedIn(h, "lanhdao-cantho");
    await page.goto(`${h.base}/dieu-hanh/nhom/A-II`);
    await page.getByTestId("group-card-QG.A.II.1").locator("svg").waitFor();
    expect(await text(page)).not.toMatch(SCOPE_ERROR);

    await page.goto(`${h.base}/dieu-hanh/ban-do`);
    // The city's communes, not the country's provinces (outside the leader's scope).
    await page.getByTestId("commune-map").locator("svg, canvas").first().waitFor();
    await expect.poll(async () => page.getByTestId("map-title").innerText()).toMatch(/Cần Thơ/);
    await expect.poll(async () => page.getByTestId("map-coverage").innerText()).toMatch(/^[1-9]/);
    expect(await text(page)).not.toMatch(SCOPE_ERROR);
    // Beyond the tiles, the indicators that have figures for the city's communes (here through Cần Thơ's own rows).
    const picker = page.getByRole("combobox", { name: "Chỉ số" });
    await picker.click();
    await picker.fill("Thuế, phí");
    await page.locator(".ant-select-item-option", { hasText: "Thuế, phí, lệ phí" }).first().click();
    await expect.poll(async () => page.getByTestId("map-title").innerText()).toMatch(/Thuế, phí/);
    await expect.poll(async () => page.getByTestId("map-coverage").innerText()).toMatch(/^[1-9]/);
    await shot(page, "profile-cantho-leader-map");

    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.goto(`${h.base}/man-hinh-lon`);
    await expect.poll(async () => page.getByTestId("wall-title").innerText()).toMatch(/Cần Thơ/);
    await page.locator("[data-testid^=tile-value-]").first().waitFor();
    expect(await page.locator("[data-testid^=tile-value-]").count()).toBeGreaterThanOrEqual(6);
    expect(await text(page)).not.toMatch(SCOPE_ERROR);
    await shot(page, "profile-cantho-leader-wall");
    await page.close();
  });

  it("creates a new dashboard on Cần Thơ that loads its figures", async () => {
    const page = await signedIn(h, "lanhdao-cantho");
    await page.goto(`${h.base}/bang-dieu-khien`);
    await page.getByRole("button", { name: "Tạo bảng" }).click();
    await page.waitForURL(/\/bang-dieu-khien\/[0-9a-f-]{36}/);
    await page.locator("[data-testid^=tile-value-]").first().waitFor();
    expect(await page.locator("[data-testid^=tile-value-]").count()).toBe(4);
    expect(await areaShown(page)).toContain("Cần Thơ");
    expect(await text(page)).not.toMatch(SCOPE_ERROR);
    await shot(page, "profile-cantho-leader-dashboard");
    // A dashboard the office saved for every leader, for the whole country, opens on the leader's own area.
    const id = randomUUID();
    await h.database.db
      .insertInto("dashboards")
      .values({
        id,
        name: "Bảng của lãnh đạo",
        owner_user_id: null,
        for_role: "leader",
        shared: false,
        area_id: "VN",
        tiles: JSON.stringify([{ indicator: "QG.A.II.1", area: null, chart: "tile", periods: 12 }]),
      })
      .execute();
    await page.goto(`${h.base}/bang-dieu-khien/${id}`);
    await page.getByTestId("tile-value-QG.A.II.1").waitFor();
    expect(await areaShown(page)).toContain("Cần Thơ");
    expect(await text(page)).not.toMatch(SCOPE_ERROR);
    await page.close();
  });

  it("works on a phone and after reloading a deep link", async () => {
    const page = await signedIn(h, "lanhdao-cantho", PHONE);
    await page.waitForURL(/\/dieu-hanh$/);
    await page.getByTestId("tile-value-QG.A.II.1").waitFor();
    expect(await text(page)).not.toMatch(SCOPE_ERROR);
    await shot(page, "profile-cantho-leader-phone");
    await page.goto(`${h.base}/dieu-hanh/nhom/A-II`);
    await page.getByTestId("group-card-QG.A.II.1").locator("svg").waitFor();
    await page.reload();
    await page.getByTestId("group-card-QG.A.II.1").locator("svg").waitFor();
    await page.goto(`${h.base}/dieu-hanh/ban-do?period=${await lastMonth(page)}`);
    await page.reload();
    await page.getByTestId("commune-map").locator("svg, canvas").first().waitFor();
    expect(await text(page)).not.toMatch(SCOPE_ERROR);
    await shot(page, "profile-cantho-leader-phone-map");
    // A link shared from the whole country's pages opens on the leader's own area.
    await page.goto(`${h.base}/dieu-hanh/chi-so/QG.A.II.1?area=VN`);
    await page.getByTestId("indicator-latest").waitFor();
    await page.goto(`${h.base}/dieu-hanh?area=VN`);
    await page.getByTestId("tile-value-QG.A.II.1").waitFor();
    expect(await areaShown(page)).toContain("Cần Thơ");
    expect(await text(page)).not.toMatch(SCOPE_ERROR);
    await page.close();
  });
});

async function lastMonth(page: Page) {
  return page.evaluate(() => {
    const d = new Date();
    d.setUTCDate(1);
    d.setUTCMonth(d.getUTCMonth() - 1);
    return `${d.getUTCFullYear()}M${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
  });
}

describe("a Cần Thơ install (profile: province 92, Cần Thơ's catalogue)", () => {
  beforeAll(async () => {
    const current = await profileService(h.database.db).get();
    await profileService(h.database.db).update(
      { principal: null, ip: null, userAgent: "test" },
      { kind: "province", areaId: "92", version: current.version },
    );
  });

  for (const username of ["lanhdao-cantho", "lanhdao-quocgia"]) {
    it(`shows ${username} Cần Thơ's own indicators on the overview, with figures`, async () => {
      const page = await signedIn(h, username);
      await page.waitForURL(/\/dieu-hanh$/);
      const t = await tiles(page);
      expect(t.codes.length).toBeGreaterThanOrEqual(6);
      expect(t.codes.every((c) => c.startsWith("CT."))).toBe(true);
      // Cần Thơ's CPI, budget revenue and retail sales.
      for (const code of ["CT.A.I.1", "CT.A.I.3", "CT.A.I.27"]) await page.getByTestId(`tile-value-${code}`).waitFor();
      expect(t.withValue).toBe(t.codes.length);
      expect(await areaShown(page)).toContain("Cần Thơ");
      expect(await text(page)).not.toMatch(SCOPE_ERROR);
      await shot(page, `profile-cantho-install-${username}`);
      // The sector pages and the indicator list open on the city's catalogue.
      await page.goto(`${h.base}/dieu-hanh/nhom/A-I`);
      await page.getByTestId("group-card-CT.A.I.3").locator("svg").waitFor();
      await page.goto(`${h.base}/chi-so`);
      await page.locator(".ant-table-row", { hasText: "CT.A.I.3" }).first().waitFor();
      // And the targets page on the city's own plan.
      await page.goto(`${h.base}/chi-tieu`);
      await page.getByText("Nhóm D — Nghị quyết HĐND thành phố Cần Thơ").first().waitFor();
      await page.close();
    });
  }

  it("lets the administrator read and change the profile on its page, recorded in the audit trail", async () => {
    const page = await signedIn(h, "quantri-hoso");
    await page.getByRole("menuitem", { name: "Hồ sơ triển khai" }).click();
    const current = page.getByTestId("profile-current");
    await expect.poll(async () => current.innerText()).toContain("Ủy ban nhân dân thành phố Cần Thơ");
    expect(await current.innerText()).toMatch(/Cần Thơ/);
    await page.getByRole("textbox", { name: "Tên đơn vị" }).fill("Văn phòng UBND thành phố Cần Thơ");
    await page.getByTestId("profile-save").click();
    await expect.poll(async () => current.innerText()).toContain("Văn phòng UBND thành phố Cần Thơ");
    const stored = await profileService(h.database.db).get();
    expect(stored).toMatchObject({
      name: "Văn phòng UBND thành phố Cần Thơ",
      area: { id: "92" },
      catalogue: { id: "cantho-256" },
    });
    const audit = await h.database.db
      .selectFrom("audit_log")
      .select(["actor_username", "action"])
      .where("entity_type", "=", "install_profile")
      .orderBy("at", "desc")
      .executeTakeFirstOrThrow();
    expect(audit).toEqual({ actor_username: "quantri-hoso", action: "install_profile.update" });
    await shot(page, "profile-admin-page");
    await page.close();
  });
});
