import { Command } from "commander";
import { readConfig } from "../config";
import type { Database } from "../db/database";
import { migrate, rollbackAll } from "../db/migrate";
import { catalogueService } from "../catalogue/service";
import { loadReferenceData } from "../reference/load";
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

await program.parseAsync();
