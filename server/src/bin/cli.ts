import { loadSampleData, removeSampleData } from "../demo/load";
import { vietnamDate } from "../clock";
import { publishTaskIndicator, runReminders } from "../tasks/reminders";
import { Command } from "commander";
import { readConfig } from "../config";
import type { Database } from "../db/database";
import { migrate, rollbackAll } from "../db/migrate";
import { catalogueService } from "../catalogue/service";
import { loadReferenceData } from "../reference/load";
import { roles, type Role } from "@dieuhanh/core";
import { authRepository } from "../auth/repository";
import type { RequestContext } from "../auth/principal";
import { tokenService } from "../tokens/service";
import { userService } from "../users/service";
import { describeDatabase, openConfiguredDatabase, openUnmigratedDatabase } from "./open";

/** Command line: the same services as the HTTP routes, on the database the environment configures. */
const program = new Command().name("dieu-hanh").description("Quản trị hệ thống Điều hành từ dòng lệnh").showHelpAfterError();

/** Runs `action` on the configured database (migrated first unless `migrated` is false) and closes it. */
async function withDatabase(action: (database: Database) => Promise<void>, migrated = true): Promise<void> {
  const config = readConfig();
  const database = migrated ? await openConfiguredDatabase(config) : await openUnmigratedDatabase(config);
  try {
    await action(database);
  } finally {
    await database.close();
  }
}

program
  .command("migrate")
  .description("Áp dụng các migration chưa chạy")
  .action(() =>
    withDatabase(async (database) => {
      const applied = await migrate(database.db);
      console.log(applied.length ? `Đã áp dụng: ${applied.join(", ")}` : "Không có migration mới.");
    }, false),
  );

program
  .command("reset")
  .description("Xóa toàn bộ dữ liệu (hoàn tác mọi migration), tạo lại cấu trúc và nạp dữ liệu tham chiếu")
  .requiredOption("--yes", "xác nhận xóa dữ liệu")
  .action(() =>
    withDatabase(async (database) => {
      const undone = await rollbackAll(database.db);
      console.log(`Đã hoàn tác ${undone.length} migration trên ${describeDatabase(readConfig())}.`);
      await migrate(database.db);
      console.log(JSON.stringify(await loadReferenceData(database.db), null, 2));
    }, false),
  );

program
  .command("load")
  .description("Nạp (hoặc nạp lại) dữ liệu tham chiếu từ thư mục data/")
  .action(() => withDatabase(async (database) => console.log(JSON.stringify(await loadReferenceData(database.db), null, 2))));

const tasks = program.command("tasks").description("Theo dõi nhiệm vụ");
tasks
  .command("remind")
  .description("Chạy đôn đốc cho một ngày (mặc định hôm nay): thông báo sắp đến hạn, quá hạn, thư tổng hợp")
  .option("--date <yyyy-mm-dd>", "ngày")
  .action((opts: { date?: string }) =>
    withDatabase(async (database) =>
      console.log(await runReminders(database.db, opts.date ?? vietnamDate(new Date()))),
    ),
  );
tasks
  .command("publish-indicator <month>")
  .description("Ghi chỉ số QG.A.XIII.7 (kết quả thực hiện nhiệm vụ) cho một tháng, ví dụ 2025M10")
  .action((month: string) =>
    withDatabase(async (database) => console.log(await publishTaskIndicator(database.db, month, vietnamDate(new Date())))),
  );

const demo = program.command("demo").description("Số liệu mẫu để minh họa (đánh dấu 'mẫu' trên giao diện và API)");
demo
  .command("load")
  .description("Sinh số liệu mẫu: nhóm A, B quốc gia cho 34 tỉnh và bộ chỉ số Cần Thơ theo xã, 36 tháng")
  .action(() => withDatabase(async (database) => console.log(await loadSampleData(database.db))));
demo
  .command("remove")
  .description("Xóa toàn bộ số liệu mẫu")
  .action(() => withDatabase(async (database) => console.log(`Đã xóa ${await removeSampleData(database.db)} số liệu mẫu.`)));

program
  .command("catalogues")
  .description("Liệt kê các bộ chỉ số và số dòng theo nhóm")
  .action(() =>
    withDatabase(async (database) => {
      const { items } = await catalogueService(database.db).listCatalogues();
      for (const c of items) {
        console.log(`${c.id}  ${c.document.number ?? "(chưa số)"}  ${c.rowCount} dòng, ${c.indicatorCount} chỉ số`);
        for (const g of c.groups) {
          const subs = g.subgroups.map((s) => `${s.code}:${s.count}`).join(" ");
          console.log(`  ${g.code}: ${g.count}${subs ? `  (${subs})` : ""}`);
        }
      }
    }),
  );

/** CLI actions are audited as the operating-system user who ran them. */
const cliContext: RequestContext = { principal: null, ip: null, userAgent: `dòng lệnh (${process.env.USER ?? "?"})` };

const users = program.command("users").description("Quản lý người dùng");
users
  .command("create <username>")
  .description("Tạo người dùng; in mật khẩu dùng một lần")
  .requiredOption("--role <role>", `vai trò: ${roles.join(", ")}`)
  .option("--name <displayName>", "họ tên hiển thị")
  .option("--agencies <codes>", "mã cơ quan trong phạm vi, cách nhau bởi dấu phẩy (mặc định: mọi cơ quan)")
  .option("--area <areaId>", "mã đơn vị hành chính gốc của phạm vi (mặc định: cả nước)")
  .action((username: string, opts: { role: string; name?: string; agencies?: string; area?: string }) =>
    withDatabase(async (database) => {
      if (!roles.includes(opts.role as Role)) throw new Error(`Vai trò không hợp lệ: ${opts.role}`);
      const result = await userService(database.db).create(cliContext, {
        username,
        displayName: opts.name ?? username,
        role: opts.role as Role,
        scopeAgencies: opts.agencies ? opts.agencies.split(",").map((a) => a.trim()) : null,
        scopeAreaId: opts.area ?? null,
      });
      console.log(`Đã tạo ${result.user.username} (${result.user.role}). Mật khẩu dùng một lần: ${result.oneTimePassword}`);
    }),
  );
users
  .command("reset-password <username>")
  .description("Đặt lại mật khẩu; in mật khẩu dùng một lần")
  .action((username: string) =>
    withDatabase(async (database) => {
      const user = await authRepository(database.db).findUserByUsername(username.toLowerCase());
      if (!user) throw new Error(`Không có người dùng ${username}`);
      const { oneTimePassword } = await userService(database.db).resetPassword(cliContext, user.id, "đặt lại từ dòng lệnh");
      console.log(`Mật khẩu dùng một lần của ${username}: ${oneTimePassword}`);
    }),
  );
users
  .command("list")
  .description("Liệt kê người dùng")
  .action(() =>
    withDatabase(async (database) => {
      for (const u of (await userService(database.db).list()).items) {
        console.log(`${u.username}\t${u.role}\t${u.disabled ? "đã khóa" : "hoạt động"}\t${u.displayName}`);
      }
    }),
  );

program
  .command("tokens")
  .description("Quản lý khóa API")
  .command("create <name>")
  .description("Tạo khóa API cho một hệ thống; in khóa (chỉ một lần)")
  .option("--agency <code>", "mã cơ quan được phép")
  .option("--area <areaId>", "mã đơn vị hành chính được phép")
  .option("--write", "cho phép ghi số liệu", false)
  .action((name: string, opts: { agency?: string; area?: string; write: boolean }) =>
    withDatabase(async (database) => {
      const { token, secret } = await tokenService(database.db).create(cliContext, {
        name,
        agencyCode: opts.agency ?? null,
        areaId: opts.area ?? null,
        canWrite: opts.write,
        expiresAt: null,
      });
      console.log(`Khóa API ${token.id} (${token.canWrite ? "đọc, ghi" : "chỉ đọc"}): ${secret}`);
      console.log("Dùng trong tiêu đề: Authorization: Bearer <khóa>. Khóa không hiện lại lần nữa.");
    }),
  );

await program.parseAsync();
