import type { Executor } from "../db/bulk";
import type { RequestContext } from "../auth/principal";
import { auditRepository, type AuditQuery } from "./repository";

export interface AuditEvent {
  action: string;
  outcome?: "success" | "denied" | "failure";
  entityType: string;
  entityId?: string | null;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
}

/** Records an event with who, when and from where; callers pass what and why. */
export async function recordAudit(db: Executor, ctx: RequestContext, event: AuditEvent): Promise<void> {
  await auditRepository(db).append({
    actor_user_id: ctx.principal?.userId ?? null,
    actor_username: ctx.principal?.username ?? null,
    actor_token_id: ctx.principal?.tokenId ?? null,
    ip: ctx.ip,
    user_agent: ctx.userAgent,
    action: event.action,
    outcome: event.outcome ?? "success",
    entity_type: event.entityType,
    entity_id: event.entityId ?? null,
    before: event.before ?? null,
    after: event.after ?? null,
    reason: event.reason ?? null,
  });
}

export function presentAuditEntry(e: Awaited<ReturnType<ReturnType<typeof auditRepository>["query"]>>["items"][number]) {
  return {
    id: String(e.id),
    at: new Date(e.at).toISOString(),
    actorUserId: e.actor_user_id,
    actorUsername: e.actor_username,
    actorTokenId: e.actor_token_id,
    ip: e.ip,
    userAgent: e.user_agent,
    action: e.action,
    outcome: e.outcome,
    entityType: e.entity_type,
    entityId: e.entity_id,
    before: e.before ?? null,
    after: e.after ?? null,
    reason: e.reason,
  };
}

export function auditService(db: Executor) {
  const repo = auditRepository(db);
  return {
    async query(q: AuditQuery) {
      const { items, total } = await repo.query(q);
      return { items: items.map(presentAuditEntry), total };
    },
  };
}
