import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { runReminders } from "../tasks/reminders";
import { createUser, login, type TestSession } from "../testing/auth";
import { countDataValueRows, createTestDatabase, testEngine } from "../testing/database";
import { freePort, startSmtpServer } from "../testing/smtp";
import { deliverOutbox, smtpTransport } from "./mailer";

/** 5 November 2025, 10:00 in Hà Nội: October's figures may be submitted. */
const clockAt = Date.parse("2025-11-05T03:00:00Z");
let database: Database;
let app: App;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let reporter: TestSession; // Sở Tài chính Cần Thơ
let approver: TestSession; // approver of Sở Tài chính Cần Thơ
let otherApprover: TestSession; // approver of Sở Y tế Cần Thơ
let office: TestSession; // office specialist of Cần Thơ
let leader92: TestSession;
let successor: TestSession; // reporter of Bộ Khoa học và Công nghệ (successor of Bộ Thông tin và Truyền thông)
const KEY = { agency: "CT.STC", area: "92", period: "2025M10" };
const FROM = "Điều hành <dieuhanh@vpcp.test>";

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock: () => new Date(clockAt) });
  smtp = await startSmtpServer();
  const user = async (role: Parameters<typeof createUser>[1], options: Parameters<typeof createUser>[2], email: string) => {
    const u = await createUser(database, role, options);
    await database.db.updateTable("users").set({ email }).where("id", "=", u.id).execute();
    return login(app, u.username);
  };
  reporter = await user("reporter", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" }, "bao-cao.stc@cantho.test");
  approver = await user("approver", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" }, "duyet.stc@cantho.test");
  otherApprover = await user("approver", { scopeAgencies: ["CT.SYT"], scopeAreaId: "92" }, "duyet.syt@cantho.test");
  office = await user("office_specialist", { scopeAreaId: "92" }, "van-phong@cantho.test");
  leader92 = await user("leader", { scopeAreaId: "92" }, "lanh-dao@cantho.test");
  successor = await user("reporter", { scopeAgencies: ["BKHCN"] }, "bao-cao@most.test");
});

afterAll(async () => {
  await app?.close();
  await smtp?.close();
  await database?.close();
});

const get = (s: TestSession, url: string) => app.inject({ url, headers: s.headers() });
const send = (s: TestSession, method: "POST" | "PUT", url: string, payload: object = {}) =>
  app.inject({ method, url, headers: s.headers(true), payload });
type Item = { id: string; kind: string; taskCode: string | null; message: string; link: string | null; read: boolean };
const mine = async (s: TestSession) =>
  (await get(s, "/api/notifications?limit=500")).json() as { items: Item[]; total: number; unread: number };
const deliver = (now = new Date()) => deliverOutbox(database.db, smtpTransport(smtp.url), { from: FROM, now });
const mailTo = (address: string) => smtp.received.filter((m) => m.to.includes(address));

describe(`notifications to the persons who must act, in the app and by e-mail, on ${testEngine}`, () => {
  it("routes reminders to the successor of a dissolved lead agency and by the person's area", async () => {
    const r = await runReminders(database.db, "2025-03-27");
    expect(r.notifications).toBeGreaterThan(0);
    // QG.NV.II.10 is led by Bộ Thông tin và Truyền thông, merged into Bộ Khoa học và Công nghệ on 1/3/2025.
    const theirs = await mine(successor);
    expect(theirs.items.map((n) => n.taskCode)).toContain("QG.NV.II.10");
    expect((theirs.items.find((n) => n.taskCode === "QG.NV.II.10") as Item & { agency: string }).agency).toBe("BKHCN");
    expect(theirs.items.find((n) => n.taskCode === "QG.NV.II.10")!.message).toContain("quá hạn từ 28/02/2025");
    // A leader of Cần Thơ hears of Cần Thơ's overdue tasks only, never of the nation's or another province's.
    const lead = await mine(leader92);
    expect(lead.total).toBeGreaterThan(0);
    expect(lead.items.every((n) => n.taskCode?.startsWith("CT.") && n.kind === "overdue")).toBe(true);
    // Sở Tài chính's reporter: only tasks Sở Tài chính Cần Thơ leads.
    const leads = await database.db
      .selectFrom("task_agencies")
      .select("task_code")
      .where("agency_code", "=", "CT.STC")
      .where("role", "=", "lead")
      .execute();
    const own = new Set(leads.map((l) => l.task_code));
    expect((await mine(reporter)).items.every((n) => own.has(n.taskCode!))).toBe(true);
    // One digest per person with an address, delivered by SMTP.
    expect(r.digests).toBeGreaterThan(0);
    expect(await runReminders(database.db, "2025-03-27")).toEqual({ notifications: 0, digests: 0 });
    await deliver();
    const digest = mailTo("bao-cao@most.test");
    expect(digest).toHaveLength(1);
    expect(digest[0]!.subject).toBe("[Điều hành] Nhiệm vụ cần đôn đốc ngày 27/03/2025: " + `${theirs.total} nhiệm vụ`);
    expect(digest[0]!.text).toContain("QG.NV.II.10");
    expect(mailTo("lanh-dao@cantho.test")[0]!.text).not.toContain("QG.NV");
  });

  it("asks the approvers in scope to review submitted figures, and tells the reporter row by row", async () => {
    const figures = [
      { indicator: "CT.A.I.3", value: 1234.5 },
      { indicator: "CT.A.I.4", value: 980 },
      { indicator: "CT.A.I.5", value: 310.25 },
    ];
    const submitted = await send(reporter, "POST", "/api/reports/form", { ...KEY, status: "submitted", values: figures });
    expect(submitted.statusCode, submitted.body).toBe(200);
    const waiting = (await mine(approver)).items.filter((n) => n.kind === "figures_submitted");
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.message).toContain("3 số liệu chờ duyệt");
    expect(waiting[0]!.link).toBe("/nhap-so-lieu?agency=CT.STC&area=92&period=2025M10");
    expect((await mine(otherApprover)).items.filter((n) => n.kind === "figures_submitted")).toHaveLength(0);
    await deliver();
    const asked = mailTo("duyet.stc@cantho.test").filter((m) => m.subject.includes("chờ duyệt"));
    expect(asked).toHaveLength(1);
    expect(asked[0]!.subject).toBe(
      "[Điều hành] Số liệu chờ duyệt: Sở Tài chính thành phố Cần Thơ · Thành phố Cần Thơ · Tháng 10/2025",
    );
    expect(asked[0]!.text).toContain("CT.A.I.4");
    expect(mailTo("duyet.syt@cantho.test").filter((m) => m.subject.includes("chờ duyệt"))).toHaveLength(0);

    // A return without its reason is refused, naming the row, and changes nothing.
    const before = await countDataValueRows(database);
    const noReason = await send(approver, "POST", "/api/reports/review", {
      ...KEY,
      decisions: [
        { indicator: "CT.A.I.3", action: "approve" },
        { indicator: "CT.A.I.4", action: "return", comment: " " },
      ],
    });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().message).toBe("Dòng 2 (CT.A.I.4): trả lại cần ghi rõ lý do (ít nhất 5 ký tự)");
    expect(await countDataValueRows(database)).toBe(before);

    // One row returned with its own reason, the others approved.
    const review = await send(approver, "POST", "/api/reports/review", {
      ...KEY,
      decisions: [
        { indicator: "CT.A.I.3", action: "approve" },
        { indicator: "CT.A.I.4", action: "return", comment: "Chi thường xuyên chưa khớp sổ kế toán" },
        { indicator: "CT.A.I.5", action: "approve" },
      ],
    });
    expect(review.statusCode, review.body).toBe(200);
    expect(review.json()).toMatchObject({ action: "mixed", values: 3, approved: 2, returned: 1 });
    const told = (await mine(reporter)).items.find((n) => n.kind === "report_returned")!;
    expect(told.message).toContain("Chi thường xuyên chưa khớp sổ kế toán");
    await deliver();
    const mail = mailTo("bao-cao.stc@cantho.test").filter((m) => m.subject.includes("trả lại"));
    expect(mail).toHaveLength(1);
    expect(mail[0]!.subject).toBe(
      "[Điều hành] Số liệu bị trả lại: Sở Tài chính thành phố Cần Thơ · Thành phố Cần Thơ · Tháng 10/2025",
    );
    expect(mail[0]!.text).toMatch(/TRẢ LẠI: .+ \[CT\.A\.I\.4\] — lý do: Chi thường xuyên chưa khớp sổ kế toán/);
    expect(mail[0]!.text).toMatch(/Đã duyệt: .+ \[CT\.A\.I\.3\]/);

    // Approving the corrected row alone tells the reporter it was approved.
    const fixed = await send(reporter, "POST", "/api/reports/form", {
      ...KEY,
      status: "submitted",
      values: [{ indicator: "CT.A.I.4", value: 985 }],
    });
    expect(fixed.statusCode, fixed.body).toBe(200);
    const approve = await send(approver, "POST", "/api/reports/review", { ...KEY, action: "approve" });
    expect(approve.json()).toMatchObject({ action: "approve", values: 1 });
    expect(
      (await mine(reporter)).items.some((n) => n.kind === "report_approved" && n.message.includes("Đã duyệt 1 chỉ số")),
    ).toBe(true);
    await deliver();
    const approvedMail = mailTo("bao-cao.stc@cantho.test").filter((m) => m.subject.includes("đã được duyệt"));
    expect(approvedMail).toHaveLength(1);
    expect(approvedMail[0]!.subject).toBe(
      "[Điều hành] Số liệu đã được duyệt: Sở Tài chính thành phố Cần Thơ · Thành phố Cần Thơ · Tháng 10/2025",
    );
    expect(approvedMail[0]!.text).toMatch(/Đã duyệt: .+ \[CT\.A\.I\.4\]/);
  });

  it("tells the lead agency's reporters of a new task and the office of a completion report awaiting review", async () => {
    const created = await send(office, "POST", "/api/tasks", {
      name: "Rà soát số liệu thu ngân sách quý IV",
      deadline: { kind: "date", dueDate: "2025-12-20" },
      leadAgencies: ["CT.STC"],
      coordinatingAgencies: [],
    });
    expect(created.statusCode, created.body).toBe(200);
    const code = created.json().code as string;
    const assigned = (await mine(reporter)).items.find((n) => n.kind === "task_assigned")!;
    expect(assigned).toMatchObject({ taskCode: code, link: `/nhiem-vu/${code}` });
    expect(assigned.message).toContain("hạn 20/12/2025");
    expect((await mine(otherApprover)).items.some((n) => n.kind === "task_assigned")).toBe(false);
    const report = await send(reporter, "POST", `/api/tasks/${code}/reports`, {
      agency: "CT.STC",
      body: "Đã rà soát xong, số liệu khớp kho bạc",
      claimsCompletion: true,
    });
    expect(report.statusCode, report.body).toBe(200);
    const review = (await mine(office)).items.find((n) => n.kind === "progress_reported")!;
    expect(review.message).toBe(`Báo cáo hoàn thành nhiệm vụ ${code} chờ đánh giá (Sở Tài chính thành phố Cần Thơ)`);
    await deliver();
    const toReporter = mailTo("bao-cao.stc@cantho.test").find((m) => m.subject.includes(code))!;
    expect(toReporter.subject).toBe(`[Điều hành] Được giao nhiệm vụ ${code}: Rà soát số liệu thu ngân sách quý IV`);
    const toOffice = mailTo("van-phong@cantho.test").find((m) => m.subject.includes(code))!;
    expect(toOffice.subject).toBe(`[Điều hành] Báo cáo hoàn thành chờ đánh giá: nhiệm vụ ${code}`);
    expect(toOffice.text).toContain("Rà soát số liệu thu ngân sách quý IV");
    // The office's decision goes back to the person who reported.
    const accepted = await send(office, "POST", `/api/tasks/${code}/reports/${report.json().id}/review`, { action: "accept" });
    expect(accepted.statusCode, accepted.body).toBe(200);
    const decided = (await mine(reporter)).items.find((n) => n.kind === "progress_accepted")!;
    expect(decided.message).toBe(`Nhiệm vụ ${code}: Công nhận hoàn thành`);
  });

  it("keeps e-mail in the outbox while SMTP is down and delivers it once when it is back", async () => {
    const port = await freePort();
    const transport = smtpTransport(`smtp://127.0.0.1:${port}`);
    await send(reporter, "PUT", "/api/me/email", { email: "bao-cao.moi@cantho.test" });
    const created = await send(office, "POST", "/api/tasks", {
      name: "Tổng hợp báo cáo kinh tế - xã hội tháng 11",
      deadline: { kind: "date", dueDate: "2025-11-30" },
      leadAgencies: ["CT.STC"],
      coordinatingAgencies: [],
    });
    const code = created.json().code as string;
    // The outbox schedules by the database's clock (the real one), not the app's test clock.
    const now = new Date();
    const down = await deliverOutbox(database.db, transport, { from: FROM, now });
    expect(down).toMatchObject({ sent: 0 });
    expect(down.failed).toBeGreaterThan(0);
    const waiting = await database.db
      .selectFrom("outbound_messages")
      .select(["attempts", "last_error", "sent_at"])
      .where("recipient", "=", "bao-cao.moi@cantho.test")
      .executeTakeFirstOrThrow();
    expect(waiting).toMatchObject({ attempts: 1, sent_at: null });
    expect(waiting.last_error).toBeTruthy();
    const later = await startSmtpServer(port);
    try {
      // Not yet due for a retry: nothing is sent.
      expect((await deliverOutbox(database.db, transport, { from: FROM, now })).sent).toBe(0);
      const retry = new Date(now.getTime() + 10 * 60_000);
      expect((await deliverOutbox(database.db, transport, { from: FROM, now: retry })).sent).toBeGreaterThan(0);
      expect((await deliverOutbox(database.db, transport, { from: FROM, now: retry })).sent).toBe(0);
      const got = later.received.filter((m) => m.to.includes("bao-cao.moi@cantho.test"));
      expect(got).toHaveLength(1);
      expect(got[0]!.subject).toContain(code);
    } finally {
      await later.close();
    }
  });

  it("sends each message once when two senders deliver the outbox at the same time", async () => {
    const created = await send(office, "POST", "/api/tasks", {
      name: "Cập nhật danh mục dự án đầu tư công năm sau",
      deadline: { kind: "date", dueDate: "2025-12-15" },
      leadAgencies: ["CT.STC"],
      coordinatingAgencies: [],
    });
    const code = created.json().code as string;
    const results = await Promise.all([deliver(), deliver()]);
    expect(results.reduce((n, r) => n + r.sent, 0)).toBeGreaterThan(0);
    const got = smtp.received.filter((m) => m.subject.includes(code)).flatMap((m) => m.to);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBe(new Set(got).size);
  });

  it("marks all of one's notifications read, and only one's own", async () => {
    const before = await mine(reporter);
    expect(before.unread).toBeGreaterThan(1);
    const others = await mine(office);
    const someoneElses = others.items[0]!;
    expect((await send(reporter, "POST", `/api/notifications/${someoneElses.id}/read`)).statusCode).toBe(404);
    const r = await send(reporter, "POST", "/api/notifications/read-all");
    expect(r.json()).toEqual({ marked: before.unread });
    const after = await mine(reporter);
    expect(after.unread).toBe(0);
    expect(after.items.every((n) => n.read)).toBe(true);
    expect((await mine(office)).unread).toBe(others.unread);
  });

  it("keeps a province's office to its own province for documents and programme projects", async () => {
    const elsewhere = await send(office, "POST", "/api/documents", {
      kind: "plan",
      number: "15/KH-UBND",
      issuer: "Ủy ban nhân dân thành phố Hà Nội",
      title: "Kế hoạch của một tỉnh khác",
      areaId: "01",
    });
    expect(elsewhere.statusCode).toBe(403);
    const own = await send(office, "POST", "/api/documents", {
      kind: "plan",
      number: "16/KH-UBND",
      issuer: "Ủy ban nhân dân thành phố Cần Thơ",
      title: "Kế hoạch số hóa báo cáo",
    });
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json().areaId).toBe("92");
    const programme = (await database.db.selectFrom("programmes").select("code").executeTakeFirstOrThrow()).code;
    const project = { code: "DA-01", programme, name: "Dự án của tỉnh khác", area: "01", capitalPlan: 10 };
    expect((await send(office, "POST", "/api/projects", project)).statusCode).toBe(403);
    expect((await send(office, "POST", "/api/projects", { ...project, name: "Dự án của Cần Thơ", area: "92" })).statusCode).toBe(
      200,
    );
  });

  it("lets a user set their own e-mail address and refuses a malformed one", async () => {
    const bad = await send(reporter, "PUT", "/api/me/email", { email: "không phải thư" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/Thư điện tử không hợp lệ/);
    const ok = await send(reporter, "PUT", "/api/me/email", { email: "bao-cao.stc@cantho.test" });
    expect(ok.json()).toEqual({ email: "bao-cao.stc@cantho.test" });
    expect((await get(reporter, "/api/me")).json().user.email).toBe("bao-cao.stc@cantho.test");
  });
});
