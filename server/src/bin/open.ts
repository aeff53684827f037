import type { Config } from "../config";
import { openDatabase, type Database } from "../db/database";
import { migrate } from "../db/migrate";

/** Opens the configured database without touching its schema; `role` names the process in a PGlite lock. */
export function openUnmigratedDatabase(config: Config, role = "tiến trình"): Promise<Database> {
  return openDatabase({
    databaseUrl: config.databaseUrl,
    schema: config.databaseSchema,
    readUrl: config.databaseReadUrl,
    dataDir: config.dataDir,
    role,
  });
}

/** Opens the configured database and applies pending migrations. */
export async function openConfiguredDatabase(config: Config, role?: string): Promise<Database> {
  const database = await openUnmigratedDatabase(config, role);
  try {
    await migrate(database.db);
  } catch (e) {
    await database.close();
    throw e;
  }
  return database;
}

export function describeDatabase(config: Config): string {
  if (!config.databaseUrl) return `PGlite nhúng tại ${config.dataDir}`;
  const reads = config.databaseReadUrl ? `; bảng điều khiển đọc từ bản sao ${redact(config.databaseReadUrl)}` : "";
  return `PostgreSQL (${redact(config.databaseUrl)})${reads}`;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}
