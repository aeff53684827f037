import { roles, type Role } from "@dieuhanh/core";
import { Command, CommanderError } from "commander";
import { archiveYear } from "../archive/archive";
import type { RequestContext } from "../auth/principal";
import { authRepository } from "../auth/repository";
import { catalogueService } from "../catalogue/service";
import { vietnamDate } from "../clock";

import { writeBackup } from "../db/backup";
import type { Database } from "../db/database";
import { migrate, rollbackAll, withSchemaLock } from "../db/migrate";
import { loadSampleData, removeSampleData } from "../demo/load";
import { rebuildReadModel } from "../readmodel/maintain";
import { loadReferenceData } from "../reference/load";
import { publishTaskIndicator, runReminders } from "../tasks/reminders";
import { InvalidInputError } from "../errors";
import { pruneFeed } from "../sync/feed";
import { resetLinkCursor, syncLinkService } from "../sync/links";
import { pullLink } from "../sync/puller";
import { compareWithPeer } from "../sync/reconcile";
import { tokenService } from "../tokens/service";
import { userService } from "../users/service";

/** Where a command writes and on whose behalf it runs (the CLI's terminal, or a server answering a CLI). */
export interface CommandIo {
  print(line: string): void;
  /** The working directory of the person's shell: relative file names are taken from it. */
  cwd: string;
  /** Audit "user agent" of the command's writes. */
  userAgent: string;
}

export interface RunOptions {
  /** Apply pending migrations before the action (default true). */
  migrated?: boolean;
  /**
   * The action cannot run inside a running server (it replaces the database under it); the phrase names
   * what it does, for the refusal ("khôi phục bản sao lưu").
   */
  exclusive?: string;
}

/** Runs an action on a database: the CLI opens its own, a server uses the one it serves. */
export type Runner = (action: (database: Database) => Promise<void>, options?: RunOptions) => Promise<void>;

/**
 * The command line's commands, defined once: `cli.ts` runs them on the configured database, and a running
 * server runs the same ones for a CLI that finds the embedded database in use (bin/admin-channel.ts).
 */
export function buildProgram(io: CommandIo, run: Runner, extra: (program: Command) => void = () => {}): Command {
  const print = io.print;
  const ctx: RequestContext = { principal: null, ip: null, userAgent: io.userAgent };
  const program = new Command().name("dieu-hanh").description("Quản trị hệ thống Điều hành từ dòng lệnh").showHelpAfterError();

  program
    .command("migrate")
    .description("Áp dụng các migration chưa chạy")
    .action(() =>
      run(
        async (database) => {
          const applied = await migrate(database.db);
          print(applied.length ? `Đã áp dụng: ${applied.join(", ")}` : "Không có migration mới.");
        },
        { migrated: false },
      ),
    );

  program
    .command("reset")
    .description("Xóa toàn bộ dữ liệu (hoàn tác mọi migration), tạo lại cấu trúc và nạp dữ liệu tham chiếu")
    .requiredOption("--yes", "xác nhận xóa dữ liệu")
    .action(() =>
      run(
        async (database) => {
          // Under the schema lock: a server starting meanwhile waits instead of migrating half a schema.
          await withSchemaLock(database.db, async (conn) => {
            const undone = await rollbackAll(conn);
            print(`Đã hoàn tác ${undone.length} migration.`);
            await migrate(conn);
            print(JSON.stringify(await loadReferenceData(conn), null, 2));
          });
        },
        { migrated: false, exclusive: "xóa toàn bộ dữ liệu" },
      ),
    );

  program
    .command("load")
    .description("Nạp (hoặc nạp lại) dữ liệu tham chiếu từ thư mục data/")
    .action(() =>
      run(async (database) => {
        // Under the schema lock, so that it never runs at the same time as a first start's load.
        const summary = await withSchemaLock(database.db, (conn) => loadReferenceData(conn));
        print(JSON.stringify(summary, null, 2));
      }),
    );

  program
    .command("rebuild-read-model")
    .description("Tính lại mô hình đọc của bảng điều hành (figure_facts, figure_rollup) từ các phiên bản số liệu")
    .action(() =>
      run(async (database) => {
        const r = await rebuildReadModel(database.db);
        print(`Đã tính lại mô hình đọc: ${r.facts} số liệu hiện hành, ${r.cells} ô tổng hợp tỉnh và cả nước.`);
      }),
    );

  const tasks = program.command("tasks").description("Theo dõi nhiệm vụ");
  tasks
    .command("remind")
    .description("Chạy đôn đốc cho một ngày (mặc định hôm nay): thông báo sắp đến hạn, quá hạn, thư tổng hợp")
    .option("--date <yyyy-mm-dd>", "ngày")
    .action((opts: { date?: string }) =>
      run(async (database) => print(JSON.stringify(await runReminders(database.db, opts.date ?? vietnamDate(new Date()))))),
    );
  tasks
    .command("publish-indicator <month>")
    .description("Ghi chỉ số QG.A.XIII.7 (kết quả thực hiện nhiệm vụ) cho một tháng, ví dụ 2025M10")
    .action((month: string) =>
      run(async (database) => print(JSON.stringify(await publishTaskIndicator(database.db, month, vietnamDate(new Date()))))),
    );

  const demo = program.command("demo").description("Số liệu mẫu để minh họa (đánh dấu 'mẫu' trên giao diện và API)");
  demo
    .command("load")
    .description("Sinh số liệu mẫu: nhóm A, B quốc gia cho 34 tỉnh và bộ chỉ số Cần Thơ theo xã, 36 tháng")
    .action(() =>
      run(async (database) => {
        const r = await withSchemaLock(database.db, (conn) => loadSampleData(conn));
        print(`Đã sinh ${r.values} số liệu mẫu trong ${r.seconds.toFixed(1)} giây.`);
      }),
    );
  demo
    .command("remove")
    .description("Xóa toàn bộ số liệu mẫu")
    .action(() => run(async (database) => print(`Đã xóa ${await removeSampleData(database.db, ctx)} số liệu mẫu.`)));

  program
    .command("catalogues")
    .description("Liệt kê các bộ chỉ số và số dòng theo nhóm")
    .action(() =>
      run(async (database) => {
        const { items } = await catalogueService(database.db).listCatalogues();
        for (const c of items) {
          print(`${c.id}  ${c.document.number ?? "(chưa số)"}  ${c.rowCount} dòng, ${c.indicatorCount} chỉ số`);
          for (const g of c.groups) {
            const subs = g.subgroups.map((s) => `${s.code}:${s.count}`).join(" ");
            print(`  ${g.code}: ${g.count}${subs ? `  (${subs})` : ""}`);
          }
        }
      }),
    );

  const users = program.command("users").description("Quản lý người dùng");
  users
    .command("create <username>")
    .description("Tạo người dùng; in mật khẩu dùng một lần")
    .requiredOption("--role <role>", `vai trò: ${roles.join(", ")}`)
    .option("--name <displayName>", "họ tên hiển thị")
    .option("--agencies <codes>", "mã cơ quan trong phạm vi, cách nhau bởi dấu phẩy (mặc định: mọi cơ quan)")
    .option("--area <areaId>", "mã đơn vị hành chính gốc của phạm vi (mặc định: cả nước)")
    .action((username: string, opts: { role: string; name?: string; agencies?: string; area?: string }) =>
      run(async (database) => {
        if (!roles.includes(opts.role as Role)) throw new Error(`Vai trò không hợp lệ: ${opts.role}`);
        const result = await userService(database.db).create(ctx, {
          username,
          displayName: opts.name ?? username,
          role: opts.role as Role,
          scopeAgencies: opts.agencies ? opts.agencies.split(",").map((a) => a.trim()) : null,
          scopeAreaId: opts.area ?? null,
        });
        print(`Đã tạo ${result.user.username} (${result.user.role}). Mật khẩu dùng một lần: ${result.oneTimePassword}`);
      }),
    );
  users
    .command("reset-password <username>")
    .description("Đặt lại mật khẩu; in mật khẩu dùng một lần")
    .action((username: string) =>
      run(async (database) => {
        const user = await authRepository(database.db).findUserByUsername(username.toLowerCase());
        if (!user) throw new Error(`Không có người dùng ${username}`);
        const { oneTimePassword } = await userService(database.db).resetPassword(ctx, user.id, "đặt lại từ dòng lệnh");
        print(`Mật khẩu dùng một lần của ${username}: ${oneTimePassword}`);
      }),
    );
  users
    .command("list")
    .description("Liệt kê người dùng")
    .action(() =>
      run(async (database) => {
        for (const u of (await userService(database.db).list()).items) {
          print(`${u.username}\t${u.role}\t${u.disabled ? "đã khóa" : "hoạt động"}\t${u.displayName}`);
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
    .option(
      "--system",
      "tài khoản hệ thống của một hệ thống tin cậy: nạp số liệu lịch sử (khóa kỳ, hạn gửi không áp dụng; vẫn kiểm tra và ghi nhật ký)",
      false,
    )
    .action((name: string, opts: { agency?: string; area?: string; write: boolean; system: boolean }) =>
      run(async (database) => {
        const { token, secret } = await tokenService(database.db).create(ctx, {
          name,
          agencyCode: opts.agency ?? null,
          areaId: opts.area ?? null,
          canWrite: opts.write,
          system: opts.system,
          expiresAt: null,
        });
        const kind = token.system ? "tài khoản hệ thống" : token.canWrite ? "đọc, ghi" : "chỉ đọc";
        print(`Khóa API ${token.id} (${kind}): ${secret}`);
        print("Dùng trong tiêu đề: Authorization: Bearer <khóa>. Khóa không hiện lại lần nữa.");
      }),
    );

  const sync = program.command("sync").description("Liên thông với các hệ thống khác (docs/decisions/0013)");
  sync
    .command("links")
    .description("Các kết nối: lần đồng bộ gần nhất, độ trễ, số thay đổi, lỗi")
    .action(() =>
      run(async (database) => {
        const { items } = await syncLinkService(database.db).list(new Date());
        if (items.length === 0) print("Chưa có kết nối nào.");
        for (const l of items)
          print(
            `${l.id}  ${l.name}  ${l.peerUrl}  lần cuối: ${l.lastSuccessAt ?? "chưa"}  trễ: ${l.lagSeconds ?? "?"} giây  ` +
              `đã nhận: ${l.appliedChanges}  bỏ qua: ${l.skippedChanges}${l.lastError ? `  lỗi: ${l.lastError}` : ""}`,
          );
      }),
    );
  sync
    .command("pull <link>")
    .description("Đồng bộ ngay một kết nối")
    .action((id: string) =>
      run(async (database) => {
        const r = await pullLink(database.db, id);
        print(r.error ? `Lỗi: ${r.error}` : `Đã nhận ${r.pages} trang, ${r.applied} thay đổi được ghi.`);
      }),
    );
  sync
    .command("resync <link>")
    .description("Đồng bộ lại từ đầu (toàn bộ số liệu đang công bố của hệ thống kia); số liệu đã có được giữ")
    .action((id: string) =>
      run(async (database) => {
        await syncLinkService(database.db).one(id);
        await resetLinkCursor(database.db, id);
        print(`Kết nối ${id} sẽ đồng bộ lại từ đầu ở lần kéo tới.`);
      }),
    );
  sync
    .command("pause <link>")
    .description("Tạm dừng một kết nối (số liệu đã đồng bộ vẫn là bản sao chỉ đọc)")
    .action((id: string) =>
      run(async (database) => {
        await syncLinkService(database.db).update(ctx, id, { enabled: false });
        print(`Đã tạm dừng kết nối ${id}.`);
      }),
    );
  sync
    .command("resume <link>")
    .description("Tiếp tục một kết nối đã tạm dừng")
    .action((id: string) =>
      run(async (database) => {
        await syncLinkService(database.db).update(ctx, id, { enabled: true });
        print(`Kết nối ${id} tiếp tục đồng bộ.`);
      }),
    );
  sync
    .command("prune-feed")
    .description(
      "Dọn các thay đổi cũ khỏi dòng thay đổi (số liệu vẫn giữ); hệ thống kết nối với con trỏ cũ hơn sẽ nhận 410 và đồng bộ lại từ đầu",
    )
    .option("--keep-days <n>", "giữ các thay đổi trong chừng này ngày", "90")
    .action((opts: { keepDays: string }) =>
      run(async (database) => {
        const days = Number(opts.keepDays);
        if (!Number.isFinite(days) || days < 0) throw new InvalidInputError("--keep-days phải là số ngày (≥ 0)");
        const removed = await pruneFeed(database.db, days);
        print(`Đã dọn ${removed} thay đổi cũ hơn ${days} ngày khỏi dòng thay đổi.`);
      }),
    );
  sync
    .command("compare <link>")
    .description(
      "Đối soát với hệ thống kia theo phạm vi kết nối: số lượng và mã kiểm tra theo chỉ số × kỳ × tỉnh; liệt kê chỗ khác nhau",
    )
    .action((id: string) =>
      run(async (database) => {
        const r = await compareWithPeer(database.db, id);
        print(`Đối soát ${id}: ${r.here} nhóm tại đây, ${r.there} nhóm tại ${r.peer}; ${r.differences.length} chỗ khác nhau.`);
        for (const d of r.differences.slice(0, 200))
          print(
            `  ${d.indicator} ${d.period} tỉnh ${d.province}: tại đây ${d.here ? `${d.here.count} số liệu` : "không có"}, ` +
              `bên kia ${d.there ? `${d.there.count} số liệu` : "không có"}${d.here && d.there && d.here.count === d.there.count ? " (giá trị khác)" : ""}`,
          );
        if (r.differences.length) process.exitCode = 1;
      }),
    );

  program
    .command("backup <file>")
    .description(
      "Sao lưu cơ sở dữ liệu nhúng (PGlite) vào một tệp .tar.gz; chạy được cả khi máy chủ đang chạy. " +
        "Trên PostgreSQL dùng pg_dump (xem README).",
    )
    .action((file: string) =>
      run(async (database) => {
        const r = await writeBackup(database, file, io.cwd);
        print(`Đã sao lưu vào ${r.file} (${(r.bytes / 1024 / 1024).toFixed(1)} MB).`);
      }),
    );

  program
    .command("archive-year <year>")
    .description(
      "Lưu trữ một năm đã khép (mọi kỳ đã qua ngày khóa nhập): trên PostgreSQL chuyển các phân vùng của năm sang " +
        "tablespace ARCHIVE_TABLESPACE (ổ rẻ hơn, đọc như cũ); --export ghi mọi phiên bản số liệu của năm ra CSV nén " +
        "kèm SHA-256 để lưu trữ lạnh. Không xóa gì.",
    )
    .option("--export <file>", "tệp .csv.gz ghi số liệu của năm (kèm <tệp>.sha256)")
    .option("--tablespace <name>", "tablespace lưu trữ (mặc định biến ARCHIVE_TABLESPACE)")
    .action((year: string, opts: { export?: string; tablespace?: string }) =>
      run(async (database) => {
        if (!/^\d{4}$/.test(year)) throw new Error(`Năm không hợp lệ: ${year} (cần 4 chữ số, ví dụ 2024)`);
        const r = await archiveYear(database, ctx, {
          year: Number(year),
          today: vietnamDate(new Date()),
          exportFile: opts.export,
          cwd: io.cwd,
          tablespace: opts.tablespace ?? (process.env.ARCHIVE_TABLESPACE || undefined),
        });
        for (const note of r.notes) print(note);
        if (r.exported)
          print(
            `Đã xuất ${r.exported.rows} phiên bản số liệu năm ${year} vào ${r.exported.file} ` +
              `(${(r.exported.bytes / 1024 / 1024).toFixed(1)} MB); SHA-256 ${r.exported.sha256} trong ${r.exported.sha256File}.`,
          );
        for (const m of r.moved ?? [])
          print(
            m.already
              ? `${m.table}: đã nằm trong tablespace ${opts.tablespace ?? process.env.ARCHIVE_TABLESPACE}.`
              : `${m.table} (${(m.bytes / 1024 / 1024).toFixed(1)} MB, ${m.indexes.length} chỉ mục): đã chuyển sang tablespace ${opts.tablespace ?? process.env.ARCHIVE_TABLESPACE}.`,
          );
      }),
    );

  extra(program);
  return program;
}

/** Commander's own exits (help, a missing argument) as an exit code instead of process.exit. */
export function commanderExitCode(e: unknown): number | null {
  return e instanceof CommanderError ? e.exitCode : null;
}
