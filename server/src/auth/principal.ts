import type { Permission, Role, Scope } from "@dieuhanh/core";
import { hasPermission } from "@dieuhanh/core";

/** Who is calling: a signed-in user (cookie session) or a system holding an API token. */
export interface Principal {
  via: "session" | "token";
  userId: string | null;
  username: string | null;
  displayName: string;
  tokenId: string | null;
  role: Role;
  scope: Scope;
  /** For cookie sessions: the token unsafe requests must echo in the X-CSRF-Token header. */
  csrfToken: string | null;
  /** Token principals: may this token write? */
  canWrite: boolean;
  /**
   * A system token (a trusted peer's machine account, item 6 of issue #13): entry locks, approvals standing
   * over a figure and the "period not over" rule bind people, not it; every other check still applies.
   */
  system?: boolean;
  /** Signed in with a one-time password: may do nothing but change it (or sign out). */
  mustChangePassword?: boolean;
}

/** Where a request came from, recorded with every audit entry. */
export interface RequestContext {
  principal: Principal | null;
  ip: string | null;
  userAgent: string | null;
}

/** Tokens act with the permissions of a reader, or of a reporter when they may write. */
export function principalCan(principal: Principal, permission: Permission): boolean {
  if (principal.via === "token") {
    const tokenPermissions: Permission[] = principal.canWrite ? ["reference.read", "data.submit"] : ["reference.read"];
    return tokenPermissions.includes(permission);
  }
  return hasPermission(principal.role, permission);
}
