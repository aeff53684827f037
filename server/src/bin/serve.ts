import { keepStatisticsFresh } from "../db/statistics";
import { readConfig } from "../config";
import { buildApp } from "../http/app";
import { trustedProxies } from "../auth/proxy";
import { vietnamDate } from "../clock";
import { DataDirLockedError } from "../db/data-dir-lock";
import { isConnectionError, setConnectionErrorLog, type Database } from "../db/database";
import { withSchemaLock } from "../db/migrate";
import { profileFromEnv, profileService } from "../profile/service";
import { startMailer } from "../notifications/mailer";
import { publishTaskIndicator, runReminders } from "../tasks/reminders";
import { startAdminChannel } from "./admin-channel";
import { describeDatabase, openUnmigratedDatabase } from "./open";
import { prepareDatabase } from "./startup";
import { recoverUnfinishedBatches } from "../datavalues/writer";

/** `npm start`: migrate, load the reference data on first start, serve the API and the web UI. */
const config = readConfig();
let trustProxy: false | string[] = false;
try {
  trustProxy = trustedProxies(process.env.TRUST_PROXY);
} catch (e) {
  console.error(`Không khởi động được: ${(e as Error).message}`);
  process.exit(1);
}
/**
 * A PostgreSQL that is not up yet (starting together with the server, restarting, failing over) is waited for
 * up to DATABASE_WAIT_SECONDS (default 60) instead of ending the start.
 */
async function untilDatabaseAnswers<T>(step: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + Number(process.env.DATABASE_WAIT_SECONDS || 60) * 1000;
  for (;;) {
    try {
      return await step();
    } catch (e) {
      if (!config.databaseUrl || !isConnectionError(e) || Date.now() > deadline) throw e;
      console.log(`Chưa kết nối được cơ sở dữ liệu (${(e as Error).message}); thử lại sau 2 giây…`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

/**
 * On PostgreSQL a batch written in parts by another server is taken for abandoned after this long idle
 * (UNFINISHED_BATCH_IDLE_MINUTES, default 10; 0 when this server is the database's only user).
 */
const UNFINISHED_BATCH_IDLE_MINUTES = Number(process.env.UNFINISHED_BATCH_IDLE_MINUTES || 10);

let database: Database;
try {
  database = await untilDatabaseAnswers(() => openUnmigratedDatabase(config, "máy chủ"));
} catch (e) {
  if (!(e instanceof DataDirLockedError)) throw e;
  console.error(
    `Không khởi động được: ${e.message}\n` +
      (e.owner.adminSocket
        ? "Một máy chủ khác đang chạy trên thư mục dữ liệu này; dùng máy chủ đó, hoặc dừng nó trước, hoặc đặt DATA_DIR khác."
        : "Chờ lệnh đó kết thúc rồi khởi động lại."),
  );
  process.exit(1);
}
console.log(`Cơ sở dữ liệu: ${describeDatabase(config)}`);
const admin = await untilDatabaseAnswers(() =>
  prepareDatabase(database.db, {
    demoData: process.env.DEMO_DATA !== "false",
    initialAdminPassword: process.env.INITIAL_ADMIN_PASSWORD || undefined,
    log: (line) => console.log(line),
    unfinishedBatchIdleMinutes: config.databaseUrl ? UNFINISHED_BATCH_IDLE_MINUTES : 0,
  }),
);
// Whom this install serves: stored once from INSTALL_PROFILE (or INSTALL_KIND, INSTALL_AREA, …), then edited by an administrator.
try {
  const installed = await withSchemaLock(database.db, (conn) => profileService(conn).ensure(profileFromEnv(process.env)));
  if (installed.created)
    console.log(
      `Hồ sơ triển khai: ${installed.profile.name} — bộ chỉ số ${installed.profile.catalogue.id}, địa bàn ${installed.profile.area.name}.`,
    );
} catch (e) {
  console.error(`Không thiết lập được hồ sơ triển khai: ${(e as Error).message}`);
  process.exit(1);
}
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
  // Links to other installs (server/src/sync): pulled every SYNC_INTERVAL_MS (1 s); SYNC=off runs none here.
  sync:
    process.env.SYNC === "off"
      ? undefined
      : { intervalMs: Number(process.env.SYNC_INTERVAL_MS || 1000), log: (line) => console.log(`liên thông: ${line}`) },
});
// Reminders and the task indicator: at start, then every hour (each is idempotent for a day).
const taskJobs = async () => {
  try {
    // On PostgreSQL, a batch another server abandoned (killed mid-write) is undone here, not only at start.
    if (config.databaseUrl) await recoverUnfinishedBatches(database.db, { idleMinutes: UNFINISHED_BATCH_IDLE_MINUTES });
    const today = vietnamDate(new Date());
    const r = await runReminders(database.db, today);
    if (r.notifications || r.digests) app.log.info(`đôn đốc: ${r.notifications} thông báo, ${r.digests} thư tổng hợp`);
    await publishTaskIndicator(database.db, `${today.slice(0, 4)}M${today.slice(5, 7)}`, today);
  } catch (e) {
    app.log.error(e, "đôn đốc nhiệm vụ không chạy được");
  }
};
setInterval(() => void taskJobs(), 3_600_000).unref();
// PGlite runs no autovacuum: the planner's statistics of changed tables are refreshed here (db/statistics.ts).
if (database.engine === "pglite")
  keepStatisticsFresh(database.db, 60_000, (e) => app.log.error(e, "không cập nhật được thống kê của bộ lập kế hoạch truy vấn"));
void taskJobs();
// E-mail: the outbox is delivered through SMTP_URL; without it, messages wait in the outbox (nothing is lost).
const mailer = process.env.SMTP_URL
  ? startMailer(database.db, {
      smtpUrl: process.env.SMTP_URL,
      from: process.env.MAIL_FROM || "Điều hành <dieuhanh@localhost>",
      intervalMs: Number(process.env.MAIL_INTERVAL_SECONDS || 30) * 1000,
      log: (line) => app.log.info(line),
    })
  : null;
if (!mailer) console.log("Chưa đặt SMTP_URL: thư điện tử thông báo được giữ trong hàng đợi, chưa gửi.");
// A dropped database connection is logged and replaced (db/database.ts); the process keeps serving.
setConnectionErrorLog((line) => app.log.warn(line));
// A promise nobody awaited that fails (a background job's bug) is logged; it must not take the service down.
process.on("unhandledRejection", (e) => app.log.error(e, "lỗi không được xử lý trong tác vụ nền"));
// The command line reaches the embedded database through this server while it runs (admin-channel.ts).
const adminChannel = database.lock
  ? await startAdminChannel(database, database.lock, config.dataDir, (line) => app.log.info(line))
  : null;
const shutdown = async () => {
  mailer?.stop();
  await adminChannel?.close();
  await app.close();
  await database.close();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
await app.listen({ port: config.port, host: config.host });
const shownHost = config.host === "0.0.0.0" ? "localhost" : config.host;
console.log(`\nĐiều hành đang chạy: http://${shownHost}:${config.port}/  (API: http://${shownHost}:${config.port}/api/docs)\n`);
