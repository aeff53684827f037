/// <reference lib="dom" />
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../../server/src/testing/auth";
import { signedIn, startHarness, type Harness } from "./harness";

/**
 * The task journey in a real browser: the office assigns a task to Sở Tài chính Cần Thơ, the department
 * reports it done, the office accepts, and the scorecard counts it — its number opening the task list.
 */
let h: Harness;
const dueYear = new Date().getFullYear() + 1;

beforeAll(async () => {
  h = await startHarness();
  await createUser(h.database, "office_specialist", { username: "vanphong" });
  await createUser(h.database, "reporter", { username: "so-tai-chinh", scopeAgencies: ["CT.STC"], scopeAreaId: "92" });
});

afterAll(async () => {
  await h?.close();
});

const api = <T>(page: Page, url: string) =>
  page.evaluate(async (u) => (await (await fetch(u)).json()) as unknown, url) as Promise<T>;

describe("task journey in Chromium", () => {
  let code = "";

  it("lists the national tasks with statuses that match the API, and filters the overdue ones", async () => {
    const page = await signedIn(h, "vanphong");
    await page.goto(`${h.base}/nhiem-vu?source=qd1012&status=overdue`);
    await page.getByTestId("task-table").locator("tbody tr.ant-table-row").first().waitFor();
    const fromApi = await api<{ total: number; items: { code: string }[] }>(page, "/api/tasks?source=qd1012&status=overdue");
    const shown = await page.getByTestId("task-table").locator("[data-status=overdue]").count();
    expect(shown).toBe(fromApi.total);
    expect(fromApi.total).toBeGreaterThan(0);
    expect(await page.getByText(`${fromApi.total} nhiệm vụ`).count()).toBe(1);
    await page.close();
  });

  it("the office assigns a task to Sở Tài chính Cần Thơ", async () => {
    const page = await signedIn(h, "vanphong");
    await page.goto(`${h.base}/nhiem-vu`);
    await page.getByRole("button", { name: "Giao nhiệm vụ" }).click();
    const modal = page.locator(".ant-modal");
    await modal.getByLabel("Nhiệm vụ", { exact: true }).fill("Báo cáo tình hình giải ngân vốn đầu tư công hằng tháng");
    await modal.locator("#dueDate").click();
    await modal.locator("#dueDate").fill(`30/06/${dueYear}`);
    await modal.locator("#dueDate").press("Enter");
    await modal.locator("#leadAgencies").click();
    await modal.locator("#leadAgencies").fill("Sở Tài chính thành phố Cần Thơ");
    await page.locator(`.ant-select-item-option[title="Sở Tài chính thành phố Cần Thơ"]`).click();
    await modal.getByRole("button", { name: "Giao" }).click();
    await page.waitForURL(/\/nhiem-vu\/NV-\d{4}-\d{4}$/);
    code = page.url().split("/").pop()!;
    await page.getByText("Đang thực hiện").first().waitFor();
    const task = await api<{ leadAgencies: { code: string }[]; dueDate: string; status: string }>(page, `/api/tasks/${code}`);
    expect(task).toMatchObject({ leadAgencies: [{ code: "CT.STC" }], dueDate: `${dueYear}-06-30`, status: "in_progress" });
    await page.close();
  });

  it("the department reports it done; the office accepts; the scorecard counts it", async () => {
    const dept = await signedIn(h, "so-tai-chinh");
    await dept.goto(`${h.base}/nhiem-vu/${code}`);
    await dept.getByLabel("Nội dung báo cáo").fill("Đã gửi báo cáo giải ngân đầy đủ, cập nhật hằng tháng trên hệ thống");
    await dept.getByText("Báo cáo hoàn thành nhiệm vụ").click();
    await dept.getByRole("button", { name: "Gửi báo cáo" }).click();
    await dept.getByText("Chờ Văn phòng xem xét").waitFor();
    await dept.close();

    const office = await signedIn(h, "vanphong");
    await office.goto(`${h.base}/nhiem-vu/${code}`);
    await office.getByRole("button", { name: "Công nhận hoàn thành" }).click();
    await office.getByText("Hoàn thành đúng hạn").first().waitFor();
    expect(await office.locator(".ant-timeline-item").count()).toBe(3);

    await office.goto(`${h.base}/ket-qua-nhiem-vu`);
    const cell = office.getByTestId("score-CT.STC-done_on_time");
    await cell.waitFor();
    expect(await cell.innerText()).toBe("1");
    await cell.click();
    await office.waitForURL(/status=done_on_time/);
    await office.getByRole("link", { name: code }).waitFor();
    expect(await office.getByTestId("task-table").locator("tbody tr.ant-table-row").count()).toBe(1);
    await office.close();
  });
});
