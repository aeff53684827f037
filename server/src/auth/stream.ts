import type { FastifyRequest } from "fastify";
import type { Executor } from "../db/bulk";
import type { Principal } from "./principal";
import { scopeChecker } from "./scope";
import { authService, SESSION_COOKIE, type AuthSettings } from "./service";

/**
 * For a long-lived stream (the push channel): who is still listening. The session or API token is checked
 * again before each message and at each keep-alive, without extending the session, so a stream ends once
 * its account is disabled, its password reset, its session signed out or its token revoked; and each
 * message is cut to the areas the listener's (current) scope reaches.
 */
export function streamListener(db: Executor, settings: AuthSettings, request: FastifyRequest) {
  const auth = authService(db, settings);
  const scope = scopeChecker(db);
  const authorization = request.headers.authorization;
  const bearer = authorization?.startsWith("Bearer ") ? authorization.slice(7).trim() : null;
  const cookie = request.cookies[SESSION_COOKIE];

  async function current(): Promise<Principal | null> {
    if (bearer) return auth.principalFromToken(bearer);
    return cookie ? auth.principalFromSession(cookie, false) : null;
  }

  return {
    current,
    /** The areas of `areas` the listener may hear about; null when they may no longer listen at all. */
    async visibleAreas(areas: readonly string[]): Promise<string[] | null> {
      const principal = await current();
      if (!principal) return null;
      if (principal.scope.areaId === null) return [...areas];
      const reach = await scope.subtree(principal.scope.areaId);
      return areas.filter((a) => reach.has(a));
    },
  };
}
