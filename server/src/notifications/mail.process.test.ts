import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, eventually, signIn, startReadyServer, type ServerProcess } from "../testing/processes";
import { startSmtpServer } from "../testing/smtp";

/**
 * The real server (`npm start`) with SMTP_URL set delivers a notification e-mail to a real SMTP server: the
 * wiring from an event through the outbox to nodemailer, as an operator runs it. Embedded database only (the
 * PostgreSQL pass covers the outbox in notifications.test.ts).
 */
const ADMIN_PASSWORD = "quan-tri-thu-2026";

describe.skipIf(Boolean(process.env.DATABASE_URL))("e-mail from the running server", { timeout: 240_000 }, () => {
  let dataDir = "";
  let server: ServerProcess | null = null;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "dieuhanh-mail-"));
    smtp = await startSmtpServer();
    server = await startReadyServer({
      DATA_DIR: dataDir,
      DEMO_DATA: "false",
      INITIAL_ADMIN_PASSWORD: ADMIN_PASSWORD,
      SMTP_URL: smtp.url,
      MAIL_FROM: "Điều hành <dieuhanh@vpcp.test>",
      MAIL_INTERVAL_SECONDS: "1",
    });
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await smtp?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("sends the lead agency's reporter an e-mail naming the task assigned to them", async () => {
    const url = server!.url;
    const admin = await signIn(url, "admin", ADMIN_PASSWORD);
    const user = await api(url, admin, "POST", "/api/users", {
      username: "bc-stc",
      displayName: "Nguyễn Văn Báo Cáo",
      role: "reporter",
      scopeAgencies: ["CT.STC"],
      scopeAreaId: "92",
      email: "bao-cao.stc@cantho.test",
    });
    expect(user.status, JSON.stringify(user.json)).toBe(201);
    const dueYear = new Date().getFullYear() + 1;
    const task = await api(url, admin, "POST", "/api/tasks", {
      name: "Công khai số liệu thu chi ngân sách hằng tháng",
      deadline: { kind: "date", dueDate: `${dueYear}-03-31` },
      leadAgencies: ["CT.STC"],
      coordinatingAgencies: [],
    });
    expect(task.status, JSON.stringify(task.json)).toBe(200);
    const code = (task.json as { code: string }).code;
    await eventually(async () => smtp.received.some((m) => m.subject.includes(code)), 30_000);
    const mail = smtp.received.filter((m) => m.subject.includes(code));
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({
      to: ["bao-cao.stc@cantho.test"],
      subject: `[Điều hành] Được giao nhiệm vụ ${code}: Công khai số liệu thu chi ngân sách hằng tháng`,
    });
    expect(mail[0]!.text).toContain(`Kính gửi Nguyễn Văn Báo Cáo`);
    expect(mail[0]!.text).toContain(`Thời hạn: 31/03/${dueYear}`);
  });
});
