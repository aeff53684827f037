import type { Config } from "../config";
import { openDatabase, type Database } from "../db/database";
import { migrate } from "../db/migrate";

/** Opens the configured database without touching its schema. */
export function openUnmigratedDatabase(config: Config): Promise<Database> {
  return openDatabase({ databaseUrl: config.databaseUrl, schema: config.databaseSchema, dataDir: config.dataDir });
}

/** Opens the configured database and applies pending migrations. */
export async function openConfiguredDatabase(config: Config): Promise<Database> {
  const database = await openUnmigratedDatabase(config);
  await migrate(database.db);
  return database;
}

export function describeDatabase(config: Config): string {
  return config.databaseUrl ? `PostgreSQL (${redact(config.databaseUrl)})` : `PGlite nhúng tại ${config.dataDir}`;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}
