import type { Executor } from "../db/bulk";
import type { Principal, RequestContext } from "../auth/principal";
import { scopeChecker } from "../auth/scope";
import { auditRepository, type AuditQuery, type AuditVisibility } from "./repository";

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

/**
 * The part of the trail a reader may see. Administrators and readers with a national scope see it all;
 * a provincial leader or office sees what the accounts and API tokens within their scope did and what
 * happened to those accounts (their sign-ins included), not other provinces' or the nation's.
 */
export async function auditVisibility(db: Executor, reader: Principal): Promise<AuditVisibility> {
  if (reader.role === "admin" && reader.via === "session") return null;
  if (reader.scope.agencies === null && reader.scope.areaId === null) return null;
  const scope = scopeChecker(db);
  const areas = reader.scope.areaId ? await scope.subtree(reader.scope.areaId) : null;
  const agencies = await scope.reachable(reader);
  const within = (areaId: string | null, agencyCodes: string[] | null) =>
    (areas === null || (areaId !== null && areas.has(areaId))) &&
    (agencies === null || (agencyCodes !== null && agencyCodes.length > 0 && agencyCodes.every((a) => agencies.has(a))));
  const users = await db.selectFrom("users").select(["id", "username", "scope_area_id", "scope_agencies"]).execute();
  const tokens = await db.selectFrom("api_tokens").select(["id", "area_id", "agency_code"]).execute();
  const seen = users.filter((u) => within(u.scope_area_id, u.scope_agencies));
  return {
    userIds: seen.map((u) => u.id),
    usernames: seen.map((u) => u.username),
    tokenIds: tokens.filter((t) => within(t.area_id, t.agency_code ? [t.agency_code] : null)).map((t) => t.id),
  };
}

export function auditService(db: Executor) {
  const repo = auditRepository(db);
  return {
    /** The trail as `reader` may see it (see auditVisibility). */
    async query(reader: Principal, q: AuditQuery) {
      const { items, total } = await repo.query(q, await auditVisibility(db, reader));
      return { items: items.map(presentAuditEntry), total };
    },
  };
}
