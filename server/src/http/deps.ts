import type { AuthSettings } from "../auth/service";
import type { Kysely } from "kysely";
import type { Database } from "../db/database";
import type { Schema } from "../db/schema";
import type { EventBus } from "../events/bus";

/** What every route module is given: the database, sign-in settings, the clock and the event bus. */
export interface RouteDeps {
  database: Database;
  /**
   * Where dashboard reads go (the analytics routes): the hot standby of DATABASE_READ_URL when set, else the
   * primary's `database.db` (db/replica.ts). Never written to.
   */
  readDb: Kysely<Schema>;
  authSettings: AuthSettings;
  clock: () => Date;
  events: EventBus;
  /**
   * How many writes (successful API requests other than GET/HEAD) this process has answered: answers kept
   * briefly without an event to drop them (the completeness summary: drafts announce nothing) are keyed by it,
   * so a person never reads an answer older than their own last write.
   */
  writes: { count: number };
  /** The links to other installs, when this process runs them (sync/puller.ts): a webhook wakes a pull. */
  sync?: { wake(linkId?: string): void };
}
