import { sql, type Insertable, type Selectable, type Updateable } from "kysely";
import type { Executor } from "../db/bulk";
import type { ApiTokensTable, SessionsTable, UsersTable } from "../db/schema";

export type UserRow = Selectable<UsersTable>;
export type TokenRow = Selectable<ApiTokensTable>;

/** SQL for accounts, sessions, API tokens and failed sign-ins. */
export function authRepository(db: Executor) {
  return {
    countUsers: async () =>
      Number(
        (
          await db
            .selectFrom("users")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    findUserByUsername: (username: string) =>
      db.selectFrom("users").selectAll().where("username", "=", username).executeTakeFirst(),
    findUserById: (id: string) => db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst(),
    listUsers: () => db.selectFrom("users").selectAll().orderBy("username").execute(),
    insertUser: (user: Insertable<UsersTable>) => db.insertInto("users").values(user).returningAll().executeTakeFirstOrThrow(),
    updateUser: (id: string, changes: Updateable<UsersTable>) =>
      db
        .updateTable("users")
        .set({ ...changes, updated_at: new Date() })
        .where("id", "=", id)
        .returningAll()
        .executeTakeFirstOrThrow(),

    insertSession: (session: Insertable<SessionsTable>) => db.insertInto("sessions").values(session).execute(),
    /** A live session and its user, or nothing. */
    findLiveSession: (tokenHash: string, now: Date) =>
      db
        .selectFrom("sessions as s")
        .innerJoin("users as u", "u.id", "s.user_id")
        .selectAll("u")
        .select(["s.token_hash", "s.csrf_token", "s.expires_at", "s.last_seen_at", "s.created_at as session_created_at"])
        .where("s.token_hash", "=", tokenHash)
        .where("s.revoked_at", "is", null)
        .where("s.expires_at", ">", now)
        .executeTakeFirst(),
    touchSession: (tokenHash: string, now: Date, expiresAt: Date) =>
      db.updateTable("sessions").set({ last_seen_at: now, expires_at: expiresAt }).where("token_hash", "=", tokenHash).execute(),
    revokeSession: (tokenHash: string) =>
      db.updateTable("sessions").set({ revoked_at: new Date() }).where("token_hash", "=", tokenHash).execute(),
    /** Ends every live session of a user, except (when given) the one making the change. */
    revokeUserSessions: (userId: string, exceptTokenHash?: string) =>
      db
        .updateTable("sessions")
        .set({ revoked_at: new Date() })
        .where("user_id", "=", userId)
        .where("revoked_at", "is", null)
        .$if(exceptTokenHash !== undefined, (q) => q.where("token_hash", "!=", exceptTokenHash!))
        .execute(),

    /** A failed sign-in; failures older than a day are forgotten. */
    recordLoginFailure: async (username: string, ip: string | null, now: Date) => {
      await db
        .deleteFrom("login_failures")
        .where("failed_at", "<", new Date(now.getTime() - 86_400_000))
        .execute();
      await db.insertInto("login_failures").values({ username, ip, failed_at: now }).execute();
    },
    /** Failures for one user name from one source address since a time: how many, and the latest. */
    sourceFailures: async (username: string, ip: string | null, since: Date) => {
      const row = await db
        .selectFrom("login_failures")
        .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.max("failed_at").as("last")])
        .where("username", "=", username)
        .where((eb) => (ip === null ? eb("ip", "is", null) : eb("ip", "=", ip)))
        .where("failed_at", ">", since)
        .executeTakeFirstOrThrow();
      return { count: Number(row.n), last: row.last ? new Date(row.last) : null };
    },
    clearLoginFailures: (username: string, ip: string | null) =>
      db
        .deleteFrom("login_failures")
        .where("username", "=", username)
        .where((eb) => (ip === null ? eb("ip", "is", null) : eb("ip", "=", ip)))
        .execute(),

    insertToken: (token: Insertable<ApiTokensTable>) =>
      db.insertInto("api_tokens").values(token).returningAll().executeTakeFirstOrThrow(),
    listTokens: () => db.selectFrom("api_tokens").selectAll().orderBy("created_at", "desc").execute(),
    findTokenById: (id: string) => db.selectFrom("api_tokens").selectAll().where("id", "=", id).executeTakeFirst(),
    findLiveToken: (tokenHash: string, now: Date) =>
      db
        .selectFrom("api_tokens")
        .selectAll()
        .where("token_hash", "=", tokenHash)
        .where("revoked_at", "is", null)
        .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
        .executeTakeFirst(),
    markTokenUsed: (id: string, now: Date) =>
      db.updateTable("api_tokens").set({ last_used_at: now }).where("id", "=", id).execute(),
    revokeToken: (id: string) =>
      db.updateTable("api_tokens").set({ revoked_at: new Date() }).where("id", "=", id).returningAll().executeTakeFirstOrThrow(),
    /** Used by tests that need an expired session. */
    expireSessionsNow: (userId: string) =>
      sql`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = ${userId}`.execute(db),
  };
}
