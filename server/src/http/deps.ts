import type { AuthSettings } from "../auth/service";
import type { Database } from "../db/database";
import type { EventBus } from "../events/bus";

/** What every route module is given: the database, sign-in settings, the clock and the event bus. */
export interface RouteDeps {
  database: Database;
  authSettings: AuthSettings;
  clock: () => Date;
  events: EventBus;
}
