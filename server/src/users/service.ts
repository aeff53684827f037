import type { Role } from "@dieuhanh/core";
import type { Executor } from "../db/bulk";
import { recordAudit } from "../audit/service";
import type { RequestContext } from "../auth/principal";
import { authRepository } from "../auth/repository";
import { hashPassword, oneTimePassword, passwordProblem } from "../auth/secrets";
import { presentUser } from "../auth/service";
import { ConflictError, InvalidInputError, NotFoundError } from "../errors";

export interface NewUser {
  username: string;
  displayName: string;
  role: Role;
  scopeAgencies: string[] | null;
  scopeAreaId: string | null;
  email?: string | null;
  password?: string;
}

export interface UserChanges {
  displayName?: string;
  role?: Role;
  scopeAgencies?: string[] | null;
  scopeAreaId?: string | null;
  email?: string | null;
  disabled?: boolean;
  reason?: string;
}

/** Account administration (quản lý người dùng): every change audited with before and after. */
export function userService(db: Executor) {
  const repo = authRepository(db);

  async function checkScope(agencies: string[] | null | undefined, areaId: string | null | undefined) {
    if (agencies?.length) {
      const found = await db.selectFrom("agencies").select("code").where("code", "in", agencies).execute();
      const missing = agencies.filter((a) => !found.some((f) => f.code === a));
      if (missing.length) throw new InvalidInputError(`Không có cơ quan mã ${missing.join(", ")}`, "scopeAgencies");
    }
    if (areaId) {
      const area = await db.selectFrom("areas").select("id").where("id", "=", areaId).executeTakeFirst();
      if (!area) throw new InvalidInputError(`Không có đơn vị hành chính mã ${areaId}`, "scopeAreaId");
    }
  }

  async function mustFind(id: string) {
    const user = await repo.findUserById(id);
    if (!user) throw new NotFoundError(`Không tìm thấy người dùng ${id}`, "id");
    return user;
  }

  return {
    async list() {
      const users = await repo.listUsers();
      return { items: users.map(presentUser), total: users.length };
    },

    async create(ctx: RequestContext, input: NewUser) {
      const username = input.username.trim().toLowerCase();
      if (await repo.findUserByUsername(username)) throw new ConflictError(`Tên đăng nhập '${username}' đã có`, "username");
      await checkScope(input.scopeAgencies, input.scopeAreaId);
      if (input.password) {
        const problem = passwordProblem(input.password);
        if (problem) throw new InvalidInputError(problem, "password");
      }
      const password = input.password ?? oneTimePassword();
      const user = await repo.insertUser({
        username,
        display_name: input.displayName.trim(),
        role: input.role,
        scope_agencies: input.scopeAgencies?.length ? input.scopeAgencies : null,
        scope_area_id: input.scopeAreaId,
        email: input.email?.trim() || null,
        password_hash: await hashPassword(password),
        must_change_password: !input.password,
        external_issuer: null,
        external_subject: null,
        disabled_at: null,
      });
      await recordAudit(db, ctx, { action: "user.create", entityType: "user", entityId: user.id, after: presentUser(user) });
      return { user: presentUser(user), oneTimePassword: input.password ? null : password };
    },

    async update(ctx: RequestContext, id: string, changes: UserChanges) {
      const before = await mustFind(id);
      if (ctx.principal?.userId === id && (changes.disabled || (changes.role && changes.role !== "admin"))) {
        throw new InvalidInputError(
          "Không thể tự khóa hoặc tự bỏ quyền quản trị của chính mình",
          changes.disabled ? "disabled" : "role",
        );
      }
      await checkScope(changes.scopeAgencies, changes.scopeAreaId);
      const after = await repo.updateUser(id, {
        ...(changes.displayName !== undefined ? { display_name: changes.displayName.trim() } : {}),
        ...(changes.role !== undefined ? { role: changes.role } : {}),
        ...(changes.scopeAgencies !== undefined
          ? { scope_agencies: changes.scopeAgencies?.length ? changes.scopeAgencies : null }
          : {}),
        ...(changes.scopeAreaId !== undefined ? { scope_area_id: changes.scopeAreaId } : {}),
        ...(changes.email !== undefined ? { email: changes.email?.trim() || null } : {}),
        ...(changes.disabled !== undefined ? { disabled_at: changes.disabled ? new Date() : null } : {}),
      });
      if (changes.disabled) await repo.revokeUserSessions(id);
      await recordAudit(db, ctx, {
        action: changes.disabled === true ? "user.disable" : changes.disabled === false ? "user.enable" : "user.update",
        entityType: "user",
        entityId: id,
        before: presentUser(before),
        after: presentUser(after),
        reason: changes.reason ?? null,
      });
      return presentUser(after);
    },

    async resetPassword(ctx: RequestContext, id: string, reason?: string) {
      await mustFind(id);
      const password = oneTimePassword();
      await repo.updateUser(id, { password_hash: await hashPassword(password), must_change_password: true });
      await repo.revokeUserSessions(id);
      await recordAudit(db, ctx, { action: "user.password.reset", entityType: "user", entityId: id, reason: reason ?? null });
      return { oneTimePassword: password };
    },
  };
}
