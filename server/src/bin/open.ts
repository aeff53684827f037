import type { Config } from "../config";
import { openDatabase, type Database } from "../db/database";
import { migrate } from "../db/migrate";

/** Opens the configured database and applies pending migrations. */
export async function openConfiguredDatabase(config: Config): Promise<Database> {
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    schema: config.databaseSchema,
    dataDir: config.dataDir,
  });
  await migrate(database.db);
  return database;
}

export function describeDatabase(config: Config): string {
  return config.databaseUrl ? `PostgreSQL (${redact(config.databaseUrl)})` : `PGlite nhúng tại ${config.dataDir}`;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}
