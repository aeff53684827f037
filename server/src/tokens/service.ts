import type { Executor } from "../db/bulk";
import { recordAudit } from "../audit/service";
import type { RequestContext } from "../auth/principal";
import { authRepository, type TokenRow } from "../auth/repository";
import { randomSecret, sha256 } from "../auth/secrets";
import { InvalidInputError, NotFoundError } from "../errors";

export interface NewToken {
  name: string;
  agencyCode: string | null;
  areaId: string | null;
  canWrite: boolean;
  expiresAt: string | null;
  /**
   * A system token: a trusted peer's machine account for loading history (locks and submission dates bind
   * people, not it; every other check applies and every write is audited as it). It always may write.
   */
  system?: boolean;
}

export function presentToken(t: TokenRow) {
  return {
    id: t.id,
    name: t.name,
    prefix: t.token_prefix,
    agencyCode: t.agency_code,
    areaId: t.area_id,
    canWrite: t.can_write,
    system: t.kind === "system",
    createdAt: new Date(t.created_at).toISOString(),
    expiresAt: t.expires_at ? new Date(t.expires_at).toISOString() : null,
    lastUsedAt: t.last_used_at ? new Date(t.last_used_at).toISOString() : null,
    revokedAt: t.revoked_at ? new Date(t.revoked_at).toISOString() : null,
  };
}

/** API tokens (khóa API) for system-to-system exchange: shown once, stored as a hash, revocable. */
export function tokenService(db: Executor) {
  const repo = authRepository(db);
  return {
    async list() {
      const tokens = await repo.listTokens();
      return { items: tokens.map(presentToken), total: tokens.length };
    },

    async create(ctx: RequestContext, input: NewToken) {
      if (
        input.agencyCode &&
        !(await db.selectFrom("agencies").select("code").where("code", "=", input.agencyCode).executeTakeFirst())
      ) {
        throw new InvalidInputError(`Không có cơ quan mã ${input.agencyCode}`, "agencyCode");
      }
      if (input.areaId && !(await db.selectFrom("areas").select("id").where("id", "=", input.areaId).executeTakeFirst())) {
        throw new InvalidInputError(`Không có đơn vị hành chính mã ${input.areaId}`, "areaId");
      }
      if (input.expiresAt && new Date(input.expiresAt) <= new Date()) {
        throw new InvalidInputError("Ngày hết hạn phải ở tương lai", "expiresAt");
      }
      const secret = `dh_${randomSecret(32)}`;
      const token = await repo.insertToken({
        name: input.name.trim(),
        token_hash: sha256(secret),
        token_prefix: secret.slice(0, 8),
        agency_code: input.agencyCode,
        area_id: input.areaId,
        can_write: input.canWrite || input.system === true,
        kind: input.system ? "system" : "standard",
        created_by: ctx.principal?.userId ?? null,
        expires_at: input.expiresAt ? new Date(input.expiresAt) : null,
        last_used_at: null,
        revoked_at: null,
      });
      await recordAudit(db, ctx, {
        action: "token.create",
        entityType: "api_token",
        entityId: token.id,
        after: presentToken(token),
      });
      return { token: presentToken(token), secret };
    },

    async revoke(ctx: RequestContext, id: string, reason?: string) {
      const before = await repo.findTokenById(id);
      if (!before) throw new NotFoundError(`Không tìm thấy khóa API ${id}`, "id");
      const after = before.revoked_at ? before : await repo.revokeToken(id);
      await recordAudit(db, ctx, {
        action: "token.revoke",
        entityType: "api_token",
        entityId: id,
        before: presentToken(before),
        after: presentToken(after),
        reason: reason ?? null,
      });
      return presentToken(after);
    },
  };
}
