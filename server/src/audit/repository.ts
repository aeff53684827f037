import type { Insertable } from "kysely";
import type { Executor } from "../db/bulk";
import { pageWithTotal } from "../db/paging";
import type { AuditLogTable } from "../db/schema";

/**
 * What a scoped reader may see: entries made by these users or tokens, or about these users (their
 * accounts, their sign-ins). `null`: everything.
 */
export type AuditVisibility = { userIds: string[]; usernames: string[]; tokenIds: string[] } | null;

export interface AuditQuery {
  entityType?: string;
  entityId?: string;
  userId?: string;
  action?: string;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

/** The only SQL on the audit trail: append and read. There is no update or delete path. */
export function auditRepository(db: Executor) {
  function filtered(q: Omit<AuditQuery, "limit" | "offset">, visible: AuditVisibility) {
    let query = db.selectFrom("audit_log");
    if (visible) {
      // An empty list would be invalid SQL: a value no row has stands in for it.
      const some = (xs: string[]) => (xs.length ? xs : ["00000000-0000-0000-0000-000000000000"]);
      query = query.where((eb) =>
        eb.or([
          eb("actor_user_id", "in", some(visible.userIds)),
          eb("actor_token_id", "in", some(visible.tokenIds)),
          eb.and([eb("entity_type", "=", "user"), eb("entity_id", "in", some([...visible.userIds, ...visible.usernames]))]),
        ]),
      );
    }
    if (q.entityType) query = query.where("entity_type", "=", q.entityType);
    if (q.entityId) query = query.where("entity_id", "=", q.entityId);
    if (q.userId) query = query.where("actor_user_id", "=", q.userId);
    if (q.action) query = query.where("action", "=", q.action);
    if (q.from) query = query.where("at", ">=", new Date(q.from));
    if (q.to) query = query.where("at", "<", new Date(q.to));
    return query;
  }

  return {
    async append(entry: Insertable<AuditLogTable>): Promise<void> {
      await db
        .insertInto("audit_log")
        .values({
          ...entry,
          before: entry.before === undefined || entry.before === null ? null : JSON.stringify(entry.before),
          after: entry.after === undefined || entry.after === null ? null : JSON.stringify(entry.after),
        })
        .execute();
    },

    async query(q: AuditQuery, visible: AuditVisibility = null) {
      return pageWithTotal(filtered(q, visible), (query) =>
        query.selectAll().orderBy("at", "desc").orderBy("id", "desc").limit(q.limit).offset(q.offset),
      );
    },
  };
}
