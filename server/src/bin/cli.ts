import { Command } from "commander";
import { readConfig } from "../config";
import { openDatabase } from "../db/database";
import { migrate, rollbackAll } from "../db/migrate";
import { catalogueService } from "../catalogue/service";
import { loadReferenceData } from "../reference/load";
import { describeDatabase, openConfiguredDatabase } from "./open";

/** Command line: the same services as the HTTP routes. */
const program = new Command().name("dieu-hanh").description("Quản trị hệ thống Điều hành từ dòng lệnh").showHelpAfterError();

program
  .command("migrate")
  .description("Áp dụng các migration chưa chạy")
  .action(async () => {
    const config = readConfig();
    const database = await openDatabase({
      databaseUrl: config.databaseUrl,
      schema: config.databaseSchema,
      dataDir: config.dataDir,
    });
    const applied = await migrate(database.db);
    console.log(applied.length ? `Đã áp dụng: ${applied.join(", ")}` : "Không có migration mới.");
    await database.close();
  });

program
  .command("reset")
  .description("Xóa toàn bộ dữ liệu (hoàn tác mọi migration), tạo lại cấu trúc và nạp dữ liệu tham chiếu")
  .requiredOption("--yes", "xác nhận xóa dữ liệu")
  .action(async () => {
    const config = readConfig();
    const database = await openDatabase({
      databaseUrl: config.databaseUrl,
      schema: config.databaseSchema,
      dataDir: config.dataDir,
    });
    const undone = await rollbackAll(database.db);
    console.log(`Đã hoàn tác ${undone.length} migration trên ${describeDatabase(config)}.`);
    await migrate(database.db);
    const summary = await loadReferenceData(database.db);
    console.log(JSON.stringify(summary, null, 2));
    await database.close();
  });

program
  .command("load")
  .description("Nạp (hoặc nạp lại) dữ liệu tham chiếu từ thư mục data/")
  .action(async () => {
    const config = readConfig();
    const database = await openConfiguredDatabase(config);
    const summary = await loadReferenceData(database.db);
    console.log(JSON.stringify(summary, null, 2));
    await database.close();
  });

program
  .command("catalogues")
  .description("Liệt kê các bộ chỉ số và số dòng theo nhóm")
  .action(async () => {
    const config = readConfig();
    const database = await openConfiguredDatabase(config);
    const { items } = await catalogueService(database.db).listCatalogues();
    for (const c of items) {
      console.log(`${c.id}  ${c.document.number ?? "(chưa số)"}  ${c.rowCount} dòng, ${c.indicatorCount} chỉ số`);
      for (const g of c.groups) {
        const subs = g.subgroups.map((s) => `${s.code}:${s.count}`).join(" ");
        console.log(`  ${g.code}: ${g.count}${subs ? `  (${subs})` : ""}`);
      }
    }
    await database.close();
  });

await program.parseAsync();
