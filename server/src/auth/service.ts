import type { Role, Scope } from "@dieuhanh/core";
import type { Executor } from "../db/bulk";
import { recordAudit } from "../audit/service";
import { InvalidInputError, TooManyAttemptsError, UnauthorizedError } from "../errors";
import type { Principal, RequestContext } from "./principal";
import { authRepository, type TokenRow, type UserRow } from "./repository";
import {
  argon2Verifier,
  dummyPasswordHash,
  hashPassword,
  oneTimePassword,
  passwordProblem,
  randomSecret,
  sha256,
  verifyPassword,
  type PasswordVerifier,
} from "./secrets";

export const SESSION_COOKIE = "dh_session";

export interface AuthSettings {
  /** A session ends after this long without a request. */
  idleMinutes: number;
  /** …and after this long in any case. */
  maxHours: number;
  /**
   * Failed sign-ins for one user name from one address before that address must wait `lockoutMinutes`,
   * doubled for each further failure (the owner signing in from elsewhere is not locked out).
   */
  maxFailures: number;
  lockoutMinutes: number;
  /** Sign-in requests per minute from one address (all user names). */
  loginRatePerMinute: number;
  /** Writes (POST, PUT, PATCH, DELETE) per minute from one address. */
  writeRatePerMinute?: number;
}

export const defaultAuthSettings: AuthSettings = {
  idleMinutes: 120,
  maxHours: 12,
  maxFailures: 5,
  lockoutMinutes: 15,
  loginRatePerMinute: 20,
  writeRatePerMinute: 600,
};

export function scopeOf(user: Pick<UserRow, "scope_agencies" | "scope_area_id">): Scope {
  return { agencies: user.scope_agencies, areaId: user.scope_area_id };
}

function userPrincipal(user: UserRow, csrfToken: string): Principal {
  return {
    via: "session",
    userId: user.id,
    username: user.username,
    displayName: user.display_name,
    tokenId: null,
    role: user.role as Role,
    scope: scopeOf(user),
    csrfToken,
    canWrite: true,
    mustChangePassword: user.must_change_password,
  };
}

function tokenPrincipal(token: TokenRow): Principal {
  return {
    via: "token",
    userId: null,
    username: null,
    displayName: token.kind === "system" ? `Tài khoản hệ thống: ${token.name}` : `Khóa API: ${token.name}`,
    tokenId: token.id,
    role: token.can_write ? "reporter" : "viewer",
    scope: { agencies: token.agency_code ? [token.agency_code] : null, areaId: token.area_id },
    csrfToken: null,
    canWrite: token.can_write,
    system: token.kind === "system",
  };
}

export function presentUser(u: UserRow) {
  return {
    id: u.id,
    username: u.username,
    displayName: u.display_name,
    role: u.role as Role,
    scope: scopeOf(u),
    email: u.email ?? null,
    mustChangePassword: u.must_change_password,
    disabled: u.disabled_at !== null,
    createdAt: new Date(u.created_at).toISOString(),
  };
}

/** How long an address must wait after `failures` wrong passwords for one user name (0: not throttled). */
export function backOffMinutes(failures: number, settings: AuthSettings): number {
  if (failures < settings.maxFailures) return 0;
  return Math.min(settings.lockoutMinutes * 2 ** (failures - settings.maxFailures), 24 * 60);
}

export function authService(
  db: Executor,
  settings: AuthSettings = defaultAuthSettings,
  hasher: PasswordVerifier = argon2Verifier,
) {
  const repo = authRepository(db);

  return {
    /** Signs a user in; returns the cookie value (to set) and the CSRF token (for the client). */
    async login(usernameInput: string, password: string, ctx: RequestContext) {
      const username = usernameInput.trim().toLowerCase();
      const now = new Date();
      const audit = (outcome: "success" | "failure" | "denied", reason: string | null, userId: string | null) =>
        recordAudit(
          db,
          { ...ctx, principal: null },
          { action: "auth.login", outcome, entityType: "user", entityId: userId ?? username, reason },
        );

      // Throttled per user name and source address, so that guessing from one place cannot lock the
      // owner out everywhere; each failure beyond the limit doubles the wait.
      const failures = await repo.sourceFailures(username, ctx.ip, new Date(now.getTime() - 86_400_000));
      const wait = backOffMinutes(failures.count, settings);
      const waitUntil = failures.last ? failures.last.getTime() + wait * 60_000 : 0;
      if (wait > 0 && waitUntil > now.getTime()) {
        await audit("denied", "quá số lần đăng nhập sai", null);
        const minutes = Math.ceil((waitUntil - now.getTime()) / 60_000);
        throw new TooManyAttemptsError(`Đăng nhập sai quá ${settings.maxFailures} lần. Vui lòng thử lại sau ${minutes} phút.`);
      }
      const user = await repo.findUserByUsername(username);
      // An unknown name is checked against a dummy hash: the answer takes as long as for a real account.
      const valid = await hasher.verify(user?.password_hash ?? (await dummyPasswordHash()), password);
      if (!user || !user.password_hash || !valid) {
        await repo.recordLoginFailure(username, ctx.ip, now);
        await audit("failure", user ? "sai mật khẩu" : "không có tài khoản", user?.id ?? null);
        throw new UnauthorizedError("Tên đăng nhập hoặc mật khẩu không đúng");
      }
      if (user.disabled_at) {
        await audit("denied", "tài khoản bị khóa", user.id);
        throw new UnauthorizedError("Tài khoản đã bị khóa. Liên hệ quản trị hệ thống.");
      }
      await repo.clearLoginFailures(username, ctx.ip);
      const cookieValue = randomSecret();
      const csrfToken = randomSecret(24);
      await repo.insertSession({
        token_hash: sha256(cookieValue),
        user_id: user.id,
        csrf_token: csrfToken,
        expires_at: new Date(Date.now() + settings.idleMinutes * 60_000),
        ip: ctx.ip,
        user_agent: ctx.userAgent,
        revoked_at: null,
      });
      await recordAudit(
        db,
        { ...ctx, principal: userPrincipal(user, csrfToken) },
        {
          action: "auth.login",
          entityType: "user",
          entityId: user.id,
        },
      );
      return { cookieValue, csrfToken, user: presentUser(user) };
    },

    async logout(cookieValue: string, ctx: RequestContext) {
      await repo.revokeSession(sha256(cookieValue));
      await recordAudit(db, ctx, { action: "auth.logout", entityType: "user", entityId: ctx.principal?.userId ?? null });
    },

    /**
     * The principal behind a session cookie; extends the session's idle deadline unless `touch` is false
     * (an open push channel re-checks its session without keeping it alive).
     */
    async principalFromSession(cookieValue: string, touch = true): Promise<Principal | null> {
      const now = new Date();
      const tokenHash = sha256(cookieValue);
      const row = await repo.findLiveSession(tokenHash, now);
      if (!row || row.disabled_at) return null;
      const absoluteEnd = new Date(new Date(row.session_created_at).getTime() + settings.maxHours * 3_600_000);
      if (absoluteEnd <= now) return null;
      // Extend at most once a minute: a page load makes many requests.
      if (touch && now.getTime() - new Date(row.last_seen_at).getTime() > 60_000) {
        const next = new Date(Math.min(now.getTime() + settings.idleMinutes * 60_000, absoluteEnd.getTime()));
        await repo.touchSession(tokenHash, now, next);
      }
      return userPrincipal(row, row.csrf_token);
    },

    /** The principal behind an API token ("Bearer dh_…"); records its last use. */
    async principalFromToken(secret: string): Promise<Principal | null> {
      const now = new Date();
      const token = await repo.findLiveToken(sha256(secret), now);
      if (!token) return null;
      await repo.markTokenUsed(token.id, now);
      return tokenPrincipal(token);
    },

    /** Changes one's own password and ends one's other sessions (`keepCookie`: the session making the change). */
    async changePassword(ctx: RequestContext, currentPassword: string, newPassword: string, keepCookie?: string) {
      const user = ctx.principal?.userId ? await repo.findUserById(ctx.principal.userId) : undefined;
      if (!user) throw new UnauthorizedError();
      if (!(await verifyPassword(user.password_hash, currentPassword))) {
        await recordAudit(db, ctx, {
          action: "user.password.change",
          outcome: "failure",
          entityType: "user",
          entityId: user.id,
          reason: "sai mật khẩu hiện tại",
        });
        throw new InvalidInputError("Mật khẩu hiện tại không đúng", "currentPassword");
      }
      const problem = passwordProblem(newPassword);
      if (problem) throw new InvalidInputError(problem, "newPassword");
      if (newPassword === currentPassword) throw new InvalidInputError("Mật khẩu mới phải khác mật khẩu hiện tại", "newPassword");
      await repo.updateUser(user.id, { password_hash: await hashPassword(newPassword), must_change_password: false });
      // Whoever else held a session (a stolen cookie, a forgotten computer) is signed out.
      await repo.revokeUserSessions(user.id, keepCookie ? sha256(keepCookie) : undefined);
      await recordAudit(db, ctx, { action: "user.password.change", entityType: "user", entityId: user.id });
    },

    async me(ctx: RequestContext) {
      const p = ctx.principal;
      if (!p) throw new UnauthorizedError();
      const user = p.userId ? await repo.findUserById(p.userId) : undefined;
      return {
        via: p.via,
        user: user ? presentUser(user) : null,
        displayName: p.displayName,
        role: p.role,
        scope: p.scope,
        csrfToken: p.csrfToken,
      };
    },

    /**
     * First start: creates the `admin` account. Its password comes from INITIAL_ADMIN_PASSWORD or is a
     * random one-time password returned (to print once) and must be changed at first sign-in.
     */
    async ensureInitialAdmin(initialPassword: string | undefined): Promise<{ created: boolean; oneTimePassword?: string }> {
      if ((await repo.countUsers()) > 0) return { created: false };
      if (initialPassword) {
        const problem = passwordProblem(initialPassword);
        if (problem) throw new Error(`INITIAL_ADMIN_PASSWORD: ${problem}`);
      }
      const password = initialPassword ?? oneTimePassword();
      const admin = await repo.insertUser({
        username: "admin",
        display_name: "Quản trị hệ thống",
        role: "admin",
        scope_agencies: null,
        scope_area_id: null,
        password_hash: await hashPassword(password),
        must_change_password: !initialPassword,
        external_issuer: null,
        external_subject: null,
        disabled_at: null,
      });
      await recordAudit(
        db,
        { principal: null, ip: null, userAgent: "khởi tạo hệ thống" },
        {
          action: "user.create",
          entityType: "user",
          entityId: admin.id,
          after: presentUser(admin),
          reason: "tài khoản quản trị ban đầu",
        },
      );
      return initialPassword ? { created: true } : { created: true, oneTimePassword: password };
    },
  };
}
