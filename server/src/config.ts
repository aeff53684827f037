import path from "node:path";
import { repoRoot } from "./paths";

/** Settings from the environment (documented in the README). */
export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  databaseSchema?: string;
  /** DATABASE_READ_URL: a PostgreSQL hot standby of DATABASE_URL that dashboard reads go to (db/replica.ts). */
  databaseReadUrl?: string;
  dataDir: string;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT không hợp lệ: ${env.PORT}`);
  return {
    port,
    host: env.HOST ?? "127.0.0.1",
    databaseUrl: env.DATABASE_URL || undefined,
    databaseSchema: env.DATABASE_SCHEMA || undefined,
    databaseReadUrl: env.DATABASE_READ_URL || undefined,
    dataDir: env.DATA_DIR ? path.resolve(env.DATA_DIR) : path.join(repoRoot, ".data", "pglite"),
  };
}
