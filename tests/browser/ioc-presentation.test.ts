/// <reference lib="dom" />
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { profileService } from "../../server/src/profile/service";
import { createUser, login } from "../../server/src/testing/auth";
import { SCREENSHOTS, signedIn, startHarness, type Harness } from "./harness";

/**
 * How the operations dashboard presents itself, on the sample figures, to a national leader and to the
 * leader of Cần Thơ (province 92): the wall screen at 1920×1080, names rather than codes, Vietnamese
 * numbers and dates, "Mẫu" on sample figures, the commune choropleth, empty charts, the phone menu.
 * Screenshots go to test-artifacts/screenshots/.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ sampleData: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  await createUser(h.database, "leader", { username: "lanhdao-tw" });
  await createUser(h.database, "leader", { username: "lanhdao-ct", scopeAreaId: "92" });
  await createUser(h.database, "admin", { username: "quantri-tv" });
  await createUser(h.database, "reporter", { username: "baocao-stc", scopeAgencies: ["CT.STC"], scopeAreaId: "92" });
}, 240_000);

afterAll(async () => {
  await h?.close();
});

const api = <T>(page: Page, url: string) =>
  page.evaluate(async (u) => (await (await fetch(u)).json()) as unknown, url) as Promise<T>;
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
const WALL = { viewport: { width: 1920, height: 1080 } };
/** dd/mm/yyyy, the way every Vietnamese screen writes a date. */
const DAY = /\b\d{2}\/\d{2}\/\d{4}\b/;

/** The indicator codes of the tiles on the page. */
const tileCodes = async (page: Page) =>
  (await page.locator("[data-testid^=tile-value-]").evaluateAll((els) => els.map((e) => e.getAttribute("data-testid")!)))
    .map((id) => id.replace("tile-value-", ""))
    .join(",");

async function fitsScreen(page: Page) {
  return page.evaluate(() => ({
    x: document.scrollingElement!.scrollWidth <= window.innerWidth,
    y: document.scrollingElement!.scrollHeight <= window.innerHeight,
  }));
}

/** The wall's panels are all there and on screen, nothing overflowing. */
async function checkWall(page: Page) {
  const wall = page.getByTestId("wall");
  await wall.locator(".tile-value").first().waitFor();
  await page.getByTestId("wall-choropleth").locator("svg path").first().waitFor();
  await page.getByTestId("wall-completeness").getByText("số liệu đã gửi").waitFor();
  await page.getByTestId("wall-overdue").locator("li").first().waitFor();
  expect(await fitsScreen(page)).toEqual({ x: true, y: true });
  for (const id of ["wall-map", "wall-tiles", "wall-completeness", "wall-overdue"]) {
    const box = (await page.getByTestId(id).boundingBox())!;
    expect(box.y + box.height, id).toBeLessThanOrEqual(1080);
    expect(box.x + box.width, id).toBeLessThanOrEqual(1920);
    expect(box.height, id).toBeGreaterThan(150);
  }
  // Readable from across the room.
  const size = await wall.evaluate((el) => parseFloat(getComputedStyle(el.querySelector(".tile-value")!).fontSize));
  expect(size).toBeGreaterThanOrEqual(40);
  expect(await wall.locator(".ioc-tile").count()).toBe(8);
}

describe("wall mode at 1920×1080", () => {
  it("shows the map, the key figures, the month's reporting and overdue tasks on one screen, for the nation", async () => {
    const page = await signedIn(h, "lanhdao-tw", WALL);
    await page.goto(`${h.base}/man-hinh-lon`);
    await checkWall(page);
    expect(await page.getByTestId("wall-title").innerText()).toContain("Cả nước");
    const clock = await page.getByTestId("wall-clock").innerText();
    expect(clock).toMatch(DAY);
    expect(clock).not.toMatch(/\b\d\/\d{1,2}\/\d{4}\b/);
    // The 34 provinces, Hoàng Sa and Trường Sa on the map.
    const labels = (await page.getByTestId("wall-choropleth").locator("svg text").allTextContents()).join("|");
    expect(labels).toContain("Quần đảo Hoàng Sa");
    expect(labels).toContain("Quần đảo Trường Sa");
    // A total of only some provinces is never compared with a full one (no "−96,9%" from missing reports).
    const latest = await api<{
      items: { indicator: { code: string }; latest: { coverage?: { reported: number; expected: number } } | null }[];
    }>(page, `/api/analytics/latest?indicators=${await tileCodes(page)}&area=VN`);
    for (const t of latest.items) {
      const c = t.latest?.coverage;
      if (!c || c.reported === c.expected) continue;
      const tile = page.getByTestId(`tile-${t.indicator.code}`);
      expect(await tile.getByTestId(`tile-partial-${t.indicator.code}`).innerText()).toContain(`${c.reported}/${c.expected}`);
      expect(await tile.innerText()).not.toContain("so kỳ trước");
    }
    await shot(page, "wall-1920x1080");
    await page.context().close();
  });

  it("names the province, not its code, and draws its communes, for the leader of Cần Thơ", async () => {
    const page = await signedIn(h, "lanhdao-ct", WALL);
    await page.goto(`${h.base}/man-hinh-lon`);
    await checkWall(page);
    const title = await page.getByTestId("wall-title").innerText();
    expect(title).toContain("Thành phố Cần Thơ");
    expect(title).not.toMatch(/\b92\b/);
    // The overdue panel lists Cần Thơ's overdue tasks, not the country's.
    type TaskPage = { total: number; items: { code: string; name: string }[] };
    const ours = await api<TaskPage>(page, "/api/tasks?status=overdue&sort=due&limit=5&area=92");
    const nation = await api<TaskPage>(page, "/api/tasks?status=overdue&limit=5000");
    const plan = await api<TaskPage>(page, "/api/tasks?source=cantho-256&limit=5000");
    expect(ours.total).toBeGreaterThan(0);
    expect(ours.total).toBeLessThan(nation.total);
    const overdue = page.getByTestId("wall-overdue");
    await expect.poll(() => overdue.locator(".wall-count").innerText()).toBe(String(ours.total));
    const listed = await overdue.locator("li .wall-ellipsis").evaluateAll((els) => els.map((e) => e.firstChild!.textContent!));
    expect(listed).toEqual(ours.items.map((t) => t.name));
    const planNames = new Set(plan.items.map((t) => t.name));
    expect(listed.some((n) => planNames.has(n))).toBe(true);
    await shot(page, "wall-1920x1080-can-tho");
    await page.context().close();
  });

  it("marks sample figures «Mẫu» on the tiles and the map", async () => {
    const page = await signedIn(h, "lanhdao-tw", WALL);
    await page.goto(`${h.base}/man-hinh-lon`);
    await page.getByTestId("wall").locator(".tile-value").first().waitFor();
    const latest = await api<{ items: { indicator: { code: string }; latest: { sample?: boolean } | null }[] }>(
      page,
      "/api/analytics/latest?indicators=QG.A.II.1&area=VN",
    );
    expect(latest.items[0]!.latest?.sample).toBe(true);
    await expect.poll(() => page.getByTestId("tile-QG.A.II.1").locator(".sample-mark").count()).toBe(1);
    await expect.poll(() => page.getByTestId("wall-map").locator(".sample-mark").count()).toBe(1);
    await page.context().close();
  });
});

describe("the map", () => {
  it("lists indicators by name and writes the legend the Vietnamese way", async () => {
    const page = await signedIn(h, "lanhdao-tw");
    await page.goto(`${h.base}/dieu-hanh/ban-do?indicator=QG.A.II.1`);
    const map = page.getByTestId("choropleth");
    await map.locator("svg text").first().waitFor();
    await expect.poll(async () => (await map.locator("svg text").allTextContents()).join("|")).toContain("Quần đảo Hoàng Sa");
    // The picker shows the indicator's name, not its code.
    const picked = await page.getByLabel("Chỉ số").locator("xpath=ancestor::div[contains(@class,'ant-select')][1]").innerText();
    expect(picked).toContain("Thu ngân sách");
    expect(picked).not.toContain("QG.A.II.1");
    // Legend classes like "1.234 – 5.678": thousands with dots, never "1234" or "1,234".
    const texts = await map.locator("svg text").allTextContents();
    const legend = texts.filter((t) => t.includes(" – "));
    expect(legend.length).toBeGreaterThanOrEqual(3);
    for (const t of legend) expect(t, t).toMatch(/^-?\d{1,3}(\.\d{3})*(,\d+)? – -?\d{1,3}(\.\d{3})*(,\d+)?$/);
    expect(legend.some((t) => /\d\.\d{3}/.test(t))).toBe(true);
    expect(await page.locator(".sample-mark").count()).toBeGreaterThan(0);
    await shot(page, "map-provinces");
    await page.close();
  });

  it("drills down to a real choropleth of Cần Thơ's communes, one region per commune, names on hover", async () => {
    const page = await signedIn(h, "lanhdao-tw");
    await page.goto(`${h.base}/dieu-hanh/ban-do?indicator=CT.A.I.3`);
    const map = page.getByTestId("choropleth");
    await map.locator("svg path").first().waitFor();
    type Charts = { __charts: Record<string, { convertToPixel(finder: object, value: number[]): number[] }> };
    await expect.poll(() => page.evaluate(() => !!(window as unknown as Charts).__charts?.["choropleth"])).toBe(true);
    const point = await page.evaluate(() =>
      (window as unknown as Charts).__charts["choropleth"]!.convertToPixel({ geoIndex: 0 }, [105.75, 10.0]),
    );
    const box = (await map.boundingBox())!;
    await page.mouse.click(box.x + point[0]!, box.y + point[1]!);
    await page.waitForURL(/province=92/);
    const communes = await api<{ total: number }>(page, "/api/areas?parent=92&limit=1");
    const regions = await countRegions(page, "commune-map");
    expect(regions).toBe(communes.total);
    expect(await page.getByTestId("map-title").innerText()).toContain("Thành phố Cần Thơ");
    expect(await page.getByTestId("map-coverage").innerText()).toMatch(/\d+\/103 xã, phường, đặc khu có số liệu/);
    // Hovering a commune names it.
    const cai = await page.evaluate(() =>
      (window as unknown as Charts).__charts["commune-map"]!.convertToPixel({ geoIndex: 0 }, [105.78, 10.035]),
    );
    const mbox = (await page.getByTestId("commune-map").boundingBox())!;
    await page.mouse.move(mbox.x + cai[0]!, mbox.y + cai[1]!);
    await expect
      .poll(async () =>
        page
          .getByTestId("commune-map")
          .locator("div")
          .filter({ hasText: /Phường|Xã/ })
          .count(),
      )
      .toBeGreaterThan(0);
    await shot(page, "map-communes-can-tho");
    await page.getByRole("button", { name: "Cả nước" }).click();
    await map.locator("svg").waitFor();
    await page.close();
  });

  it("opens on Cần Thơ's communes for its leader", async () => {
    const page = await signedIn(h, "lanhdao-ct");
    await page.goto(`${h.base}/dieu-hanh/ban-do?indicator=CT.A.I.3`);
    expect(await countRegions(page, "commune-map")).toBe(103);
    expect(await page.getByRole("button", { name: "Cả nước" }).count()).toBe(0);
    await page.close();
  });
});

describe("a leader whose scope is one commune", () => {
  type GeoOption = { geo: { map: string; regions?: { name: string; itemStyle?: { borderWidth?: number } }[] }[] };
  type Charts = { __charts: Record<string, { getOption(): GeoOption }> };
  let commune: { id: string; full_name: string };

  beforeAll(async () => {
    // A ward of Cần Thơ with figures: the first of the province's communes.
    commune = await h.database.db
      .selectFrom("areas")
      .select(["id", "full_name"])
      .where("parent_id", "=", "92")
      .where("level", "=", "commune")
      .orderBy("id")
      .executeTakeFirstOrThrow();
    await createUser(h.database, "leader", { username: "lanhdao-xa", scopeAreaId: commune.id });
  });

  const highlighted = (page: Page, testId: string) =>
    page.evaluate(
      // The regions drawn with an outline of their own (ECharts lists every region in its merged option).
      (id) =>
        ((window as unknown as Charts).__charts[id]!.getOption().geo[0]!.regions ?? [])
          .filter((r) => (r.itemStyle?.borderWidth ?? 0) > 1)
          .map((r) => r.name),
      testId,
    );

  it("opens the map on the province's communes with their own commune picked out, not an error", async () => {
    const page = await signedIn(h, "lanhdao-xa");
    await page.goto(`${h.base}/dieu-hanh/ban-do?indicator=CT.A.I.3`);
    expect(await countRegions(page, "commune-map")).toBe(103);
    expect(await page.getByText("Không tải được ranh giới").count()).toBe(0);
    expect(await highlighted(page, "commune-map")).toEqual([commune.id]);
    await expect.poll(() => page.getByTestId("map-title").innerText()).toContain(commune.full_name);
    expect(await page.getByTestId("map-coverage").innerText()).toMatch(/^[01]\/1 xã, phường, đặc khu có số liệu/);
    await shot(page, "map-one-commune");
    await page.close();
  });

  it("draws the wall's map the same way", async () => {
    const page = await signedIn(h, "lanhdao-xa", WALL);
    await page.goto(`${h.base}/man-hinh-lon`);
    expect(await countRegions(page, "wall-choropleth")).toBe(103);
    expect(await page.getByText("Không tải được ranh giới").count()).toBe(0);
    expect(await highlighted(page, "wall-choropleth")).toEqual([commune.id]);
    expect(await page.getByTestId("wall-title").innerText()).toContain(commune.full_name);
    await shot(page, "wall-one-commune");
    await page.context().close();
  });
});

/** The regions ECharts drew for a map: one per feature of its registered map. */
async function countRegions(page: Page, testId: string): Promise<number> {
  await page.getByTestId(testId).locator("svg path").first().waitFor();
  type Charts = {
    __charts: Record<string, { getModel(): { getComponent(t: string): { coordinateSystem: { regions: unknown[] } } } }>;
  };
  await expect.poll(() => page.evaluate((id) => !!(window as unknown as Charts).__charts?.[id], testId)).toBe(true);
  const regions = await page.evaluate(
    (id) => (window as unknown as Charts).__charts[id]!.getModel().getComponent("geo").coordinateSystem.regions.length,
    testId,
  );
  // What is drawn: one filled path (a compound path for a multi-part commune) per region.
  const paths = await page.getByTestId(testId).locator("svg path[fill]").count();
  expect(paths).toBeGreaterThanOrEqual(regions);
  return regions;
}

describe("names, numbers and dates", () => {
  it("writes changes with their unit (% or điểm %) in the sector table", async () => {
    const page = await signedIn(h, "lanhdao-tw");
    await page.goto(`${h.base}/dieu-hanh/nhom/A-II`);
    await page.locator(".ant-table").last().waitFor();
    const table = page.locator(".ant-table").last();
    await table.getByText("Thu ngân sách").waitFor();
    const cells = await table.locator("tbody tr.ant-table-row").first().locator("td").allInnerTexts();
    const changes = cells.filter((c) => /^[+-−]?\d/.test(c) && /%$/.test(c));
    expect(changes.length).toBeGreaterThanOrEqual(1);
    // Bars start at zero: last year's revenue as bars on an axis cut at 1.800 would lie about their size.
    type Charts = {
      __charts: Record<string, { getModel(): { getComponent(t: string): { axis: { scale: { getExtent(): number[] } } } } }>;
    };
    await page.getByTestId("group-chart-QG.A.II.1").locator("svg").waitFor();
    const extent = await page.evaluate(() =>
      (window as unknown as Charts).__charts["group-chart-QG.A.II.1"]!.getModel().getComponent("yAxis").axis.scale.getExtent(),
    );
    expect(extent[0]).toBeLessThanOrEqual(0);
    // Sample figures are marked on the sector's charts and in its table too.
    expect(await page.getByTestId("group-card-QG.A.II.1").locator(".sample-mark").count()).toBe(1);
    expect(await table.locator("tr.ant-table-row").first().locator(".sample-mark").count()).toBe(1);
    await page.close();
  });
});

describe("names and dates for the administrator", () => {
  it("lists scopes by agency and area name, and audit times as dd/mm/yyyy HH:mm:ss", async () => {
    const page = await signedIn(h, "quantri-tv");
    await page.goto(`${h.base}/nguoi-dung`);
    const row = page.locator("tr.ant-table-row", { hasText: "baocao-stc" });
    await expect.poll(() => row.innerText(), { timeout: 10_000 }).toContain("Sở Tài chính thành phố Cần Thơ; Thành phố Cần Thơ");
    expect(await row.innerText()).not.toContain("CT.STC");
    // A new account's area is chosen by name (typed without diacritics), not typed as a code.
    await page.getByRole("button", { name: "Thêm người dùng" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Tên đăng nhập").fill("lanhdao.moi");
    await dialog.getByLabel("Họ tên").fill("Lãnh đạo mới");
    await dialog.getByLabel("Địa bàn (tỉnh hoặc xã; để trống: cả nước)").fill("can tho");
    await page.locator(".ant-select-item-option", { hasText: "Thành phố Cần Thơ" }).first().click();
    await dialog.getByRole("button", { name: "Tạo" }).click();
    await page.getByTestId("one-time-secret").waitFor();
    const created = page.locator("tr.ant-table-row", { hasText: "lanhdao.moi" });
    await expect.poll(() => created.innerText(), { timeout: 10_000 }).toContain("mọi cơ quan; Thành phố Cần Thơ");
    await page.goto(`${h.base}/nhat-ky`);
    const first = page.locator("tr.ant-table-row").first();
    await first.waitFor();
    const cells = (await first.locator("td").allInnerTexts()).map((c) => c.trim());
    expect(
      cells.some((c) => /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}$/.test(c)),
      cells.join(" | "),
    ).toBe(true);
    await page.close();
  });
});

describe("charts", () => {
  it("say «Chưa có số liệu» instead of drawing bare axes", async () => {
    const page = await signedIn(h, "lanhdao-tw");
    // A month long before the sample figures: nothing to draw.
    await page.goto(`${h.base}/dieu-hanh/chi-so/QG.A.II.1?to=2001M12`);
    await page.getByTestId("indicator-series-empty").waitFor();
    expect(await page.getByTestId("indicator-series-empty").innerText()).toMatch(/chưa có số liệu/i);
    expect(await page.getByTestId("indicator-series").locator("svg text").count()).toBe(0);
    await page.close();
  });
});

describe("a phone at 390×844", () => {
  it("opens the menu over the page without squeezing it", async () => {
    const page = await signedIn(h, "lanhdao-tw", { viewport: { width: 390, height: 844 }, isMobile: true });
    await page.goto(`${h.base}/dieu-hanh`);
    await page.getByTestId("tile-value-QG.A.II.1").waitFor();
    const before = (await page.locator(".ant-layout-content").boundingBox())!;
    await page.locator(".ant-layout-sider-zero-width-trigger").click();
    await page.getByRole("menuitem", { name: "Bản đồ" }).first().waitFor();
    await page.waitForTimeout(400); // the menu's slide-in transition
    const after = (await page.locator(".ant-layout-content").boundingBox())!;
    expect(after.x).toBe(before.x);
    expect(after.width).toBe(before.width);
    expect((await fitsScreen(page)).x).toBe(true);
    await shot(page, "overview-phone-390-menu");
    // A tap beside the menu closes it.
    await page.mouse.click(360, 600);
    await page.getByRole("menuitem", { name: "Bản đồ" }).first().waitFor({ state: "hidden" });
    await page.waitForTimeout(400);
    await shot(page, "overview-phone-390");
    await page.context().close();
  });

  it("shows Cần Thơ's communes on a phone without sideways scrolling", async () => {
    const page = await signedIn(h, "lanhdao-ct", { viewport: { width: 390, height: 844 }, isMobile: true });
    await page.goto(`${h.base}/dieu-hanh/ban-do?indicator=CT.A.I.3`);
    expect(await countRegions(page, "commune-map")).toBe(103);
    expect((await fitsScreen(page)).x).toBe(true);
    const title = (await page.getByTestId("map-title").boundingBox())!;
    expect(title.x + title.width).toBeLessThanOrEqual(390);
    await shot(page, "map-phone-390");
    await page.context().close();
  });

  it("fills the screen with the page's background and the menu on a short page", async () => {
    const page = await signedIn(h, "lanhdao-tw", { viewport: { width: 1366, height: 900 } });
    await page.goto(`${h.base}/doi-mat-khau`);
    await page.locator(".ant-layout-content form").first().waitFor();
    const bottoms = await page.evaluate(() => ({
      layout: document.querySelector(".ant-layout")!.getBoundingClientRect().bottom,
      menu: document.querySelector(".ant-layout-sider")!.getBoundingClientRect().bottom,
    }));
    expect(bottoms.layout).toBeGreaterThanOrEqual(900);
    expect(bottoms.menu).toBeGreaterThanOrEqual(900);
    await page.context().close();
  });

  it("shows the user's scope by name in the user menu", async () => {
    const page = await signedIn(h, "lanhdao-ct");
    await page.getByTestId("current-user").hover();
    const menu = page.locator(".ant-dropdown-menu");
    await menu.waitFor();
    const text = await menu.innerText();
    expect(text).toContain("Thành phố Cần Thơ");
    expect(text).not.toMatch(/\b92\b/);
    await page.close();
  });
});

// Last: it changes the install profile for the rest of the file.
describe("on a Cần Thơ install (profile: province 92, Cần Thơ's catalogue)", () => {
  beforeAll(async () => {
    const profiles = profileService(h.database.db);
    const current = await profiles.get();
    await profiles.update(
      { principal: null, ip: null, userAgent: "test" },
      { kind: "province", areaId: "92", version: current.version },
    );
    // This year's budget revenue of the city, month by month, and two of its parts ("trong đó").
    const admin = await login(h.app, "quantri-tv");
    const year = new Date().getFullYear();
    const months = Array.from({ length: new Date().getMonth() }, (_, i) => `${year}M${String(i + 1).padStart(2, "0")}`);
    const v = (indicator: string, period: string, value: number) => ({ indicator, area: "92", period, value });
    const res = await h.app.inject({
      method: "POST",
      url: "/api/data-values",
      headers: admin.headers(true),
      payload: {
        values: months.flatMap((m, i) => [
          v("CT.D.I.5.1", m, 2_000 + 10 * i),
          v("CT.D.I.5.1.td1", m, 1_200 + 5 * i),
          v("CT.D.I.5.1.td2", m, 300 + i),
        ]),
      },
    });
    expect(res.statusCode, res.body).toBe(200);
  });

  it("stacks only the parts of a whole on the sector page, never the whole with its parts", async () => {
    const page = await signedIn(h, "lanhdao-ct");
    await page.goto(`${h.base}/dieu-hanh/nhom/D-I`);
    const stacked = page.getByTestId("group-stacked");
    await stacked.locator("svg").waitFor();
    type Charts = { __charts: Record<string, { getOption(): { series: { name: string; stack?: string; type: string }[] } }> };
    const series = await page.evaluate(() => (window as unknown as Charts).__charts["group-stacked"]!.getOption().series);
    const parts = series.filter((x) => x.stack);
    const whole = series.filter((x) => !x.stack);
    expect(parts.length).toBeGreaterThanOrEqual(2);
    expect(parts.every((x) => x.type === "bar")).toBe(true);
    // The whole is a line beside its parts, not one more block on the stack.
    expect(whole).toHaveLength(1);
    expect(whole[0]!.type).toBe("line");
    await page.locator(".ant-table").last().scrollIntoViewIfNeeded();
    await stacked.scrollIntoViewIfNeeded();
    await shot(page, "sector-can-tho-structure");
    await page.close();
  });
});
