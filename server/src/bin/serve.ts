import { readConfig } from "../config";
import { authService } from "../auth/service";
import { buildApp } from "../http/app";
import { trustedProxies } from "../auth/proxy";
import { vietnamDate } from "../clock";
import { loadSampleData } from "../demo/load";
import { startMailer } from "../notifications/mailer";
import { publishTaskIndicator, runReminders } from "../tasks/reminders";
import { isReferenceDataLoaded, loadReferenceData } from "../reference/load";
import { describeDatabase, openConfiguredDatabase } from "./open";

/** `npm start`: migrate, load the reference data on first start, serve the API and the web UI. */
const config = readConfig();
let trustProxy: false | string[] = false;
try {
  trustProxy = trustedProxies(process.env.TRUST_PROXY);
} catch (e) {
  console.error(`Không khởi động được: ${(e as Error).message}`);
  process.exit(1);
}
const database = await openConfiguredDatabase(config);
console.log(`Cơ sở dữ liệu: ${describeDatabase(config)}`);
if (!(await isReferenceDataLoaded(database.db))) {
  console.log("Lần chạy đầu: đang nạp dữ liệu tham chiếu (đơn vị hành chính, cơ quan, bộ chỉ số, nhiệm vụ)…");
  const summary = await loadReferenceData(database.db);
  console.log(
    `Đã nạp ${summary.areas.provinces} tỉnh, ${summary.areas.communes} xã; ` +
      `${summary.catalogues.map((c) => `${c.id}: ${c.rows}`).join(", ")} dòng chỉ số.`,
  );
  if (process.env.DEMO_DATA !== "false") {
    console.log("Đang sinh SỐ LIỆU MẪU để minh họa (tắt: DEMO_DATA=false; xóa: npm run cli -- demo remove)…");
    const demo = await loadSampleData(database.db);
    console.log(`Đã sinh ${demo.values} số liệu mẫu trong ${demo.seconds.toFixed(1)} giây.`);
  }
}
const admin = await authService(database.db).ensureInitialAdmin(process.env.INITIAL_ADMIN_PASSWORD || undefined);
if (admin.oneTimePassword) {
  console.log(
    `\n=== Tài khoản quản trị ban đầu ===\n  Tên đăng nhập: admin\n  Mật khẩu dùng một lần: ${admin.oneTimePassword}\n` +
      `  (chỉ hiện lần này; đổi mật khẩu sau khi đăng nhập. Quên: npm run cli -- users reset-password admin)\n`,
  );
} else if (admin.created) {
  console.log("Đã tạo tài khoản quản trị 'admin' với mật khẩu INITIAL_ADMIN_PASSWORD.");
}
const app = await buildApp({
  database,
  serveWeb: true,
  logger: process.env.LOG_LEVEL !== "silent",
  trustProxy,
});
// Reminders and the task indicator: at start, then every hour (each is idempotent for a day).
const taskJobs = async () => {
  try {
    const today = vietnamDate(new Date());
    const r = await runReminders(database.db, today);
    if (r.notifications || r.digests) app.log.info(`đôn đốc: ${r.notifications} thông báo, ${r.digests} thư tổng hợp`);
    await publishTaskIndicator(database.db, `${today.slice(0, 4)}M${today.slice(5, 7)}`, today);
  } catch (e) {
    app.log.error(e, "đôn đốc nhiệm vụ không chạy được");
  }
};
setInterval(() => void taskJobs(), 3_600_000).unref();
void taskJobs();
// E-mail: the outbox is delivered through SMTP_URL; without it, messages wait in the outbox (nothing is lost).
const mailer = process.env.SMTP_URL
  ? startMailer(database.db, {
      smtpUrl: process.env.SMTP_URL,
      from: process.env.MAIL_FROM || "Điều hành <dieuhanh@localhost>",
      log: (line) => app.log.info(line),
    })
  : null;
if (!mailer) console.log("Chưa đặt SMTP_URL: thư điện tử thông báo được giữ trong hàng đợi, chưa gửi.");
const shutdown = async () => {
  mailer?.stop();
  await app.close();
  await database.close();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
await app.listen({ port: config.port, host: config.host });
const shownHost = config.host === "0.0.0.0" ? "localhost" : config.host;
console.log(`\nĐiều hành đang chạy: http://${shownHost}:${config.port}/  (API: http://${shownHost}:${config.port}/api/docs)\n`);
