import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";
import { publishTaskIndicator, runReminders } from "./reminders";

/** 27 March 2025, 10:00 in Hà Nội: January's and February's deadlines have passed, March's are 4 days away. */
const TODAY = "2025-03-27";
let clockAt = Date.parse(`${TODAY}T03:00:00Z`);
let database: Database;
let app: App;
let office: TestSession;
let finance: TestSession; // Sở Tài chính Cần Thơ, reporter
let health: TestSession; // Sở Y tế Cần Thơ, reporter
let interior: TestSession; // Sở Nội vụ Cần Thơ, reporter

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock: () => new Date(clockAt) });
  office = await login(app, (await createUser(database, "office_specialist", { scopeAreaId: "92" })).username);
  finance = await login(app, (await createUser(database, "reporter", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" })).username);
  health = await login(app, (await createUser(database, "reporter", { scopeAgencies: ["CT.SYT"], scopeAreaId: "92" })).username);
  interior = await login(
    app,
    (await createUser(database, "reporter", { scopeAgencies: ["CT.SNV"], scopeAreaId: "92" })).username,
  );
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

const get = (s: TestSession, url: string) => app.inject({ url, headers: s.headers() });
const post = (s: TestSession, url: string, payload: object) =>
  app.inject({ method: "POST", url, headers: s.headers(true), payload });
const patch = (s: TestSession, url: string, payload: object) =>
  app.inject({ method: "PATCH", url, headers: s.headers(true), payload });
const statusCounts = async (source: string) => {
  const items = (await get(office, `/api/tasks?source=${source}&limit=200`)).json().items as { status: string }[];
  const counts: Record<string, number> = {};
  for (const t of items) counts[t.status] = (counts[t.status] ?? 0) + 1;
  return { total: items.length, counts };
};

describe(`tasks of the documents on a given day, on ${testEngine}`, () => {
  it("gives the 28 national, 23 Cần Thơ and 21 Kon Tum tasks their statuses for 27/03/2025", async () => {
    // National: due January (III.4) and February (I.1, II.7, II.10) have passed; five due end of March are 4 days away.
    expect(await statusCounts("qd1012")).toEqual({ total: 28, counts: { overdue: 4, due_soon: 5, in_progress: 19 } });
    // Cần Thơ: January (III.3) and February (I.1) passed; March: I.2 and IV.1–5.
    expect(await statusCounts("cantho-256")).toEqual({ total: 23, counts: { overdue: 2, due_soon: 6, in_progress: 15 } });
    // Kon Tum: the one dated task is due end of April; the rest are recurring or "when asked".
    expect(await statusCounts("kontum")).toEqual({ total: 21, counts: { in_progress: 21 } });
    const one = (await get(office, "/api/tasks/QG.NV.I.1")).json();
    expect(one).toMatchObject({
      status: "overdue",
      statusLabel: "Quá hạn",
      dueDate: "2025-02-28",
      daysLeft: -27,
      assignedBy: "Thủ tướng Chính phủ",
      document: { number: "1012/QĐ-TTg", kind: "decision" },
    });
    const soon = (await get(office, "/api/tasks?source=qd1012&status=due_soon&sort=due")).json();
    expect(soon.items.map((t: { code: string; daysLeft: number }) => [t.code, t.daysLeft])).toEqual([
      ["QG.NV.IV.1", 4],
      ["QG.NV.IV.2", 4],
      ["QG.NV.IV.3", 4],
      ["QG.NV.IV.4", 4],
      ["QG.NV.IV.5", 4],
    ]);
  });

  it("computes the same statuses for another day (deterministic for a date)", async () => {
    clockAt = Date.parse("2025-01-25T03:00:00Z");
    try {
      // 25/01/2025: only January's task is within 7 days; nothing has passed yet.
      expect(await statusCounts("qd1012")).toEqual({ total: 28, counts: { due_soon: 1, in_progress: 27 } });
    } finally {
      clockAt = Date.parse(`${TODAY}T03:00:00Z`);
    }
  });
});

describe(`tasks of an area on ${testEngine}`, () => {
  type Item = { code: string; taskListId: string | null; leadAgencies: { code: string; current: { code: string } }[] };
  const codesOf = async (url: string) => {
    const res = await get(office, url);
    expect(res.statusCode).toBe(200);
    return (res.json().items as Item[]).map((t) => t.code).sort();
  };

  it("lists only Cần Thơ's tasks for area 92, every task for VN, and refuses an unknown area", async () => {
    const all = await codesOf("/api/tasks?limit=5000");
    const cantho = await codesOf("/api/tasks?source=cantho-256&limit=5000");
    const kontum = await codesOf("/api/tasks?source=kontum&limit=5000");
    const inCantho = await codesOf("/api/tasks?area=92&limit=5000");
    expect(cantho.length).toBe(23);
    expect(inCantho).toEqual(expect.arrayContaining(cantho));
    // Beyond Cần Thơ's own plan only tasks its agencies lead; nothing of Kon Tum's, nothing national.
    const agencies = new Map(
      ((await get(office, "/api/agencies?limit=5000")).json().items as { code: string; provinceCode: string | null }[]).map(
        (a) => [a.code, a.provinceCode],
      ),
    );
    const detail = (await get(office, "/api/tasks?area=92&limit=5000")).json().items as Item[];
    for (const t of detail.filter((t) => !cantho.includes(t.code)))
      expect(t.leadAgencies.some((a) => agencies.get(a.current.code) === "92" || agencies.get(a.code) === "92")).toBe(true);
    expect(inCantho.some((c) => kontum.includes(c))).toBe(false);
    expect(await codesOf("/api/tasks?area=VN&limit=5000")).toEqual(all);
    // The overdue panel of the wall: Cần Thơ's two overdue tasks, not the country's.
    const overdue = await codesOf("/api/tasks?area=92&status=overdue&limit=50");
    expect(overdue.length).toBe(2);
    expect(overdue.every((c) => cantho.includes(c))).toBe(true);
    expect((await codesOf("/api/tasks?status=overdue&limit=50")).length).toBeGreaterThan(2);
    const unknown = await get(office, "/api/tasks?area=XX9&limit=5");
    expect(unknown.statusCode).toBe(404);
  });
});

describe(`the task journey on ${testEngine}`, () => {
  let documentId: string;
  let code: string;

  it("assigns a task from a document to a lead and a coordinating agency, with a sub-task", async () => {
    const doc = await post(office, "/api/documents", {
      kind: "conclusion_notice",
      number: "45/TB-VP",
      issuedOn: "2025-03-20",
      issuer: "Văn phòng UBND thành phố Cần Thơ",
      title: "Thông báo kết luận của Chủ tịch UBND thành phố tại cuộc họp về chuyển đổi số",
    });
    expect(doc.statusCode).toBe(200);
    documentId = doc.json().id;
    const created = await post(office, "/api/tasks", {
      documentId,
      name: "Hoàn thành kết nối dữ liệu ngân sách với hệ thống điều hành",
      expectedResult: "Số liệu thu, chi cập nhật hằng ngày",
      deadline: { kind: "date", dueDate: "2025-04-30" },
      leadAgencies: ["CT.STC"],
      coordinatingAgencies: ["CT.SYT"],
      priority: "high",
      indicators: ["CT.A.I.3"],
    });
    expect(created.statusCode).toBe(200);
    code = created.json().code;
    expect(code).toBe("NV-2025-0001");
    const sub = await post(office, "/api/tasks", {
      documentId,
      name: "Cung cấp số liệu chi sự nghiệp y tế",
      deadline: { kind: "date", dueDate: "2025-04-15" },
      leadAgencies: ["CT.SYT"],
      parentCode: code,
    });
    expect(sub.statusCode).toBe(200);
    const task = (await get(office, `/api/tasks/${code}`)).json();
    expect(task).toMatchObject({
      status: "in_progress",
      assignedBy: "Văn phòng UBND thành phố Cần Thơ",
      priority: "high",
      document: { number: "45/TB-VP" },
      indicators: [{ code: "CT.A.I.3" }],
      subTasks: [{ code: sub.json().code, leadAgencies: [expect.objectContaining({ code: "CT.SYT" })] }],
    });
  });

  it("refuses a deadline already past, an unknown agency, and a sub-task for an agency not on the task", async () => {
    const base = { name: "Nhiệm vụ kiểm tra dữ liệu đầu vào", leadAgencies: ["CT.STC"] };
    const past = await post(office, "/api/tasks", { ...base, deadline: { kind: "date", dueDate: "2025-03-01" } });
    expect(past.statusCode).toBe(400);
    expect(past.json()).toMatchObject({ field: "deadline", message: "Thời hạn 01/03/2025 đã qua" });
    const unknown = await post(office, "/api/tasks", {
      ...base,
      deadline: { kind: "date", dueDate: "2025-12-31" },
      leadAgencies: ["CT.KHONGCO"],
    });
    expect(unknown.json()).toMatchObject({ field: "leadAgencies", message: "Không có cơ quan mã 'CT.KHONGCO'" });
    const wrongSub = await post(office, "/api/tasks", {
      ...base,
      deadline: { kind: "date", dueDate: "2025-04-10" },
      leadAgencies: ["CT.SNV"],
      parentCode: code,
    });
    expect(wrongSub.json().message).toContain("CT.SNV không thuộc");
    expect((await post(finance, "/api/tasks", { ...base, deadline: { kind: "date", dueDate: "2025-12-31" } })).statusCode).toBe(
      403,
    );
  });

  it("takes progress from the lead and the coordinator, refuses an agency not in charge", async () => {
    const outsider = await post(interior, `/api/tasks/${code}/reports`, {
      agency: "CT.SNV",
      body: "Sở Nội vụ xin báo cáo",
      percent: 10,
    });
    expect(outsider.statusCode).toBe(403);
    expect(outsider.json().message).toBe(`Cơ quan CT.SNV không chủ trì hay phối hợp nhiệm vụ ${code}: không nhận báo cáo`);
    const notMine = await post(health, `/api/tasks/${code}/reports`, {
      agency: "CT.STC",
      body: "Báo cáo thay Sở Tài chính",
      percent: 10,
    });
    expect(notMine.statusCode).toBe(403);
    expect(
      (await post(health, `/api/tasks/${code}/reports`, { agency: "CT.SYT", body: "Đã gửi số liệu chi y tế quý I", percent: 30 }))
        .statusCode,
    ).toBe(200);
    const claimByCoordinator = await post(health, `/api/tasks/${code}/reports`, {
      agency: "CT.SYT",
      body: "Xong phần việc",
      claimsCompletion: true,
    });
    expect(claimByCoordinator.json().message).toBe("Chỉ cơ quan chủ trì báo cáo hoàn thành nhiệm vụ");

    // A file that claims to be a PDF but is not is refused; a real one is attached.
    const fake = await app.inject({
      method: "POST",
      url: "/api/attachments?fileName=bien-ban.pdf",
      headers: { ...finance.headers(true), "content-type": "application/octet-stream" },
      payload: Buffer.from("MZ not a pdf"),
    });
    expect(fake.json().message).toContain("không phải PDF");
    const file = await app.inject({
      method: "POST",
      url: "/api/attachments?fileName=bien-ban.pdf",
      headers: { ...finance.headers(true), "content-type": "application/octet-stream" },
      payload: Buffer.from("%PDF-1.7\nbiên bản nghiệm thu"),
    });
    expect(file.statusCode).toBe(200);
    const done = await post(finance, `/api/tasks/${code}/reports`, {
      agency: "CT.STC",
      body: "Đã kết nối, số liệu cập nhật hằng ngày từ 25/3",
      claimsCompletion: true,
      attachmentIds: [file.json().id],
    });
    expect(done.json()).toMatchObject({ status: "in_progress" }); // until the office accepts it
    expect((await get(office, `/api/tasks/${code}`)).json()).toMatchObject({ pendingReports: 1, lastPercent: 100 });
  });

  it("the office accepts the completion: done on time; an edit then needs a reason", async () => {
    const task = (await get(office, `/api/tasks/${code}`)).json();
    const claim = task.reports.find((r: { claimsCompletion: boolean }) => r.claimsCompletion);
    expect((await post(finance, `/api/tasks/${code}/reports/${claim.id}/review`, { action: "accept" })).statusCode).toBe(403);
    const accepted = await post(office, `/api/tasks/${code}/reports/${claim.id}/review`, { action: "accept" });
    expect(accepted.json()).toEqual({ status: "done_on_time" });
    const after = (await get(office, `/api/tasks/${code}`)).json();
    expect(after).toMatchObject({ status: "done_on_time", completedOn: TODAY, version: 2 });
    expect(after.events.map((e: { kind: string }) => e.kind)).toEqual(["created", "report", "report", "accepted"]);

    const noReason = await patch(office, `/api/tasks/${code}`, { name: "Tên mới của nhiệm vụ đã xong", version: 2 });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json()).toMatchObject({ field: "reason", message: expect.stringContaining("sửa cần ghi lý do") });
    const stale = await patch(office, `/api/tasks/${code}`, {
      name: "Tên mới của nhiệm vụ đã xong",
      version: 1,
      reason: "Sửa tên cho đúng thông báo",
    });
    expect(stale.statusCode).toBe(409);
    expect(
      (
        await patch(office, `/api/tasks/${code}`, {
          name: "Tên mới của nhiệm vụ đã xong",
          version: 2,
          reason: "Sửa tên cho đúng thông báo",
        })
      ).json(),
    ).toEqual({ code, version: 3 });
    const late = await post(finance, `/api/tasks/${code}/reports`, { agency: "CT.STC", body: "Báo cáo thêm sau khi xong" });
    expect(late.json().message).toContain("đã được công nhận hoàn thành");
    const audit = await database.db
      .selectFrom("audit_log")
      .select(["action", "reason"])
      .where("entity_id", "=", code)
      .orderBy("id")
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      "task.create",
      "task.report",
      "task.report",
      "task.report_accept",
      "task.update",
    ]);
  });

  it("extends a deadline on an accepted request, and judges completion against it", async () => {
    const sub = (await get(office, `/api/tasks/${code}`)).json().subTasks[0].code;
    const ask = await post(health, `/api/tasks/${sub}/reports`, {
      agency: "CT.SYT",
      body: "Đề nghị gia hạn do chờ số liệu quyết toán",
      proposedDeadline: "2025-05-15",
    });
    const reportId = ask.json().id;
    expect(
      (await post(office, `/api/tasks/${sub}/reports/${reportId}/review`, { action: "return", comment: "" })).statusCode,
    ).toBe(400);
    expect((await post(office, `/api/tasks/${sub}/reports/${reportId}/review`, { action: "accept" })).statusCode).toBe(200);
    clockAt = Date.parse("2025-05-10T03:00:00Z");
    try {
      const t = (await get(office, `/api/tasks/${sub}`)).json();
      expect(t).toMatchObject({ extendedTo: "2025-05-15", dueDate: "2025-05-15", status: "due_soon" });
      const claim = await post(health, `/api/tasks/${sub}/reports`, {
        agency: "CT.SYT",
        body: "Đã cung cấp đủ số liệu",
        claimsCompletion: true,
      });
      await post(office, `/api/tasks/${sub}/reports/${claim.json().id}/review`, { action: "accept" });
      expect((await get(office, `/api/tasks/${sub}`)).json().status).toBe("done_on_time");
    } finally {
      clockAt = Date.parse(`${TODAY}T03:00:00Z`);
    }
  });

  it("cancels only with a reason and adjusts only by a document", async () => {
    const t = await post(office, "/api/tasks", {
      name: "Nhiệm vụ sẽ được điều chỉnh",
      deadline: { kind: "date", dueDate: "2025-06-30" },
      leadAgencies: ["CT.SNV"],
    });
    const c = t.json().code;
    expect((await post(office, `/api/tasks/${c}/close`, { as: "adjusted", reason: "Theo thông báo mới" })).json().field).toBe(
      "documentId",
    );
    expect(
      (await post(office, `/api/tasks/${c}/close`, { as: "adjusted", documentId, reason: "Theo thông báo mới" })).json(),
    ).toEqual({ status: "adjusted" });
    expect((await get(office, `/api/tasks/${c}`)).json()).toMatchObject({
      status: "adjusted",
      statusLabel: "Đã điều chỉnh",
      closedReason: "Theo thông báo mới",
    });
  });
});

describe(`scorecards, reminders and the task indicator on ${testEngine}`, () => {
  it("scores each lead agency with numbers that match the task list behind them", async () => {
    const card = (await get(office, "/api/tasks/scorecard?by=agency&source=qd1012")).json();
    expect(card.totals).toMatchObject({ assigned: 28, overdue: 4, inProgress: 24, doneOnTime: 0 });
    for (const row of card.items as { key: string; assigned: number; overdue: number; inProgress: number; tasks: string[] }[]) {
      const list = (await get(office, `/api/tasks?source=qd1012&agency=${row.key}&role=lead&topLevel=true&limit=200`)).json();
      expect(list.total, row.key).toBe(row.assigned);
      expect(list.items.filter((t: { status: string }) => t.status === "overdue").length, row.key).toBe(row.overdue);
      expect([...row.tasks].sort()).toEqual(list.items.map((t: { code: string }) => t.code).sort());
    }
    const vpcp = card.items.find((i: { key: string }) => i.key === "VPCP");
    expect(vpcp).toBeDefined();
    const byAuthority = (await get(office, "/api/tasks/scorecard?by=authority&source=qd1012")).json();
    expect(byAuthority.items).toEqual([
      expect.objectContaining({ key: "Thủ tướng Chính phủ", assigned: 28, overdue: 4, onTimeRate: 0 }),
    ]);
    const xlsx = await get(office, "/api/tasks/scorecard/export?by=agency");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    expect(wb.getWorksheet("Kết quả")!.getRow(3).values).toEqual(
      expect.arrayContaining(["Được giao", "Hoàn thành đúng hạn", "Tỷ lệ đúng hạn (%)"]),
    );
  });

  it("reminds the lead agency's reporters once per due date, one digest per person a day", async () => {
    const first = await runReminders(database.db, TODAY);
    expect(first.notifications).toBeGreaterThan(0);
    expect(await runReminders(database.db, TODAY)).toEqual({ notifications: 0, digests: 0 });
    // Sở Y tế leads CT.NV.IV.4, due 31/03/2025.
    const mine = (await get(health, "/api/notifications")).json();
    expect(mine.items.every((n: { agency: string }) => n.agency === "CT.SYT")).toBe(true);
    expect(mine.items.find((n: { taskCode: string }) => n.taskCode === "CT.NV.IV.4").message).toContain(
      "Nhiệm vụ CT.NV.IV.4 sắp đến hạn 31/03/2025 (còn 4 ngày)",
    );
    expect(mine.unread).toBe(mine.items.length);
    await post(health, `/api/notifications/${mine.items[0].id}/read`, {});
    expect((await get(health, "/api/notifications")).json().unread).toBe(mine.items.length - 1);
  });

  it("feeds the scorecard into indicator QG.A.XIII.7, parts adding up to the total", async () => {
    const r = await publishTaskIndicator(database.db, "2025M03", TODAY);
    expect(r.values).toBeGreaterThan(0);
    const national = await login(app, (await createUser(database, "viewer")).username);
    const res = await get(national, "/api/data-values?indicator=QG.A.XIII.7&area=VN&period=2025M03&limit=500");
    expect(res.statusCode, res.body).toBe(200);
    const values = res.json().items as { disaggregation: string; value: number }[];
    const total = values.find((v) => v.disaggregation === "")!.value;
    const parts = values.filter((v) => /^task_status=/.test(v.disaggregation)).reduce((s, v) => s + v.value, 0);
    expect(total).toBe(parts);
    expect(values.find((v) => v.disaggregation === "task_status=OVERDUE")!.value).toBe(4);
    expect((await publishTaskIndicator(database.db, "2025M03", TODAY)).created).toBe(0); // nothing changed, nothing written
  });
});

describe(`targets on ${testEngine}`, () => {
  it("loads group B and Cần Thơ's group D as targets to fill, and shows progress from reported figures", async () => {
    const all = (await get(office, "/api/targets?year=2025")).json();
    expect(all.items.filter((t: { catalogueId: string }) => t.catalogueId === "qd1012").length).toBeGreaterThanOrEqual(15);
    expect(all.items.some((t: { indicator: string; area: string }) => t.indicator === "CT.D.I.4" && t.area === "92")).toBe(true);
    const cpi = all.items.find((t: { indicator: string }) => t.indicator === "QG.B.4");
    expect(cpi).toMatchObject({ operator: "<=", targetValue: null, status: "no_target" });

    // The national target is set by the Government Office; Cần Thơ's office may not (its area is 92).
    const govOffice = await login(app, (await createUser(database, "office_specialist")).username);
    expect((await patch(govOffice, `/api/targets/${cpi.id}`, { targetValue: 4.5 })).statusCode).toBe(400); // no reason
    const reasoned = { targetValue: 4.5, reason: "Theo Nghị quyết 01/NQ-CP năm 2025" };
    expect((await patch(office, `/api/targets/${cpi.id}`, reasoned)).statusCode).toBe(403);
    expect((await patch(govOffice, `/api/targets/${cpi.id}`, reasoned)).statusCode).toBe(200);
    const admin = await login(app, (await createUser(database, "admin")).username);
    // A figure is submitted once its period is over: March's on 2 April (as the administrator, past the lock).
    clockAt = Date.parse("2025-04-02T03:00:00Z");
    await post(admin, "/api/data-values", {
      values: [1, 2, 3].map((m) => ({ indicator: "QG.B.4", area: "VN", period: `2025M0${m}`, value: 3.2 + m * 0.05 })),
    });
    clockAt = Date.parse(`${TODAY}T03:00:00Z`);
    const after = (await get(office, "/api/targets?indicator=QG.B.4")).json().items[0];
    expect(after).toMatchObject({
      targetValue: 4.5,
      measured: 3.35,
      measuredAs: "latest",
      monthsReported: 3,
      status: "on_track",
      statusLabel: "Dự báo đạt",
    });

    const investment = all.items.find((t: { indicator: string }) => t.indicator === "CT.D.I.4");
    await patch(office, `/api/targets/${investment.id}`, { targetValue: 60000, reason: "Nghị quyết HĐND thành phố" });
    // The year's figure, submitted once the year is over.
    clockAt = Date.parse("2026-01-05T03:00:00Z");
    const annual = await post(admin, "/api/data-values", {
      values: [{ indicator: "CT.D.I.4", area: "92", period: "2025", value: 58000 }],
    });
    clockAt = Date.parse(`${TODAY}T03:00:00Z`);
    expect(annual.statusCode, annual.body).toBe(200);
    const inv = (await get(office, `/api/targets?indicator=CT.D.I.4`)).json().items[0];
    expect(inv).toMatchObject({ measured: 58000, measuredAs: "annual", percentOfTarget: 96.7, status: "off_track" });
  });

  it("lists the national target programmes of group C, and takes their projects", async () => {
    const saved = await post(office, "/api/projects", {
      code: "NTM-92-01",
      programme: "CT-MTQG-1",
      name: "Đường giao thông nông thôn xã Thới Lai",
      area: "92",
      capitalPlan: 120,
      physicalProgress: 40,
    });
    expect(saved.statusCode).toBe(200);
    const list = (await get(office, "/api/programmes?year=2025")).json();
    expect(list.items.map((p: { code: string; kind: string }) => [p.code, p.kind])).toEqual([
      ["CT-MTQG-1", "national_target_programme"],
      ["CT-MTQG-2", "national_target_programme"],
      ["CT-MTQG-3", "national_target_programme"],
      ["CT-MTQG-4", "key_projects"],
    ]);
    expect(list.items[0].byArea).toEqual([expect.objectContaining({ area: "92", plan: 120 })]);
  });
});
