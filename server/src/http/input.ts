import { LONE_SURROGATE } from "@dieuhanh/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { InvalidInputError } from "../errors";

/**
 * Checks every API request makes before any route sees it, so that no route has to remember them:
 * text holds only real characters (PostgreSQL refuses NUL; half a UTF-16 surrogate pair is no character
 * and would be stored altered), and a query parameter the route does not know is refused rather than
 * ignored — a client sending `updatedAfter` must not believe it got a delta.
 */
export function installInputChecks(app: FastifyInstance): void {
  app.addHook("onRequest", async (request) => {
    if (!isApiRoute(request)) return;
    checkValue(request.params, "params");
    checkQueryEncoding(request.url);
    checkValue(request.query, "querystring");
    checkQueryNames(request);
  });
  // Bodies are parsed after onRequest: JSON (and text) bodies are checked before validation.
  app.addHook("preValidation", async (request) => {
    if (!isApiRoute(request)) return;
    if (
      typeof request.body === "string" ||
      (request.body !== null && typeof request.body === "object" && !Buffer.isBuffer(request.body))
    )
      checkValue(request.body, "body");
  });
}

/** API routes declare an access rule; the web UI's files and the documentation page are not checked. */
function isApiRoute(request: FastifyRequest): boolean {
  const url = request.routeOptions.url ?? "";
  return request.routeOptions.config?.access !== undefined && !url.startsWith("/api/docs");
}

const WHERE = { params: "Đường dẫn", querystring: "Tham số", body: "Trường" } as const;

/** Why a text is refused, or null. */
export function badCharacters(text: string): string | null {
  if (text.includes("\u0000")) return "chứa ký tự NUL (\\u0000), không được chấp nhận";
  if (LONE_SURROGATE.test(text)) return "chứa ký tự không hợp lệ (nửa cặp mã UTF-16)";
  return null;
}

function checkValue(value: unknown, part: keyof typeof WHERE): void {
  const found = findBadText(value, []);
  if (!found) return;
  const field = found.path.join(".") || (part === "body" ? "body" : "?");
  throw new InvalidInputError(`${WHERE[part]} '${field}' ${found.problem}`, field);
}

/** The first string (value or key) with characters no text may hold, and where it is. */
function findBadText(value: unknown, path: (string | number)[]): { path: (string | number)[]; problem: string } | null {
  if (typeof value === "string") {
    const problem = badCharacters(value);
    return problem ? { path, problem } : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findBadText(value[i], [...path, i]);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === "object" && !Buffer.isBuffer(value)) {
    for (const [key, inner] of Object.entries(value)) {
      const keyProblem = badCharacters(key);
      if (keyProblem) return { path: [...path, JSON.stringify(key).slice(1, -1)], problem: keyProblem };
      const found = findBadText(inner, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}

/**
 * A query value whose percent-encoding is not UTF-8 (%ED%A0%80 is half a surrogate pair) would be taken
 * as the literal text "%ED%A0%80": refused instead.
 */
function checkQueryEncoding(url: string): void {
  const query = url.indexOf("?");
  if (query < 0) return;
  for (const pair of url.slice(query + 1).split("&")) {
    const [name = "", value = ""] = pair.split("=", 2);
    for (const part of [name, value]) {
      try {
        decodeURIComponent(part.replace(/\+/g, " "));
      } catch {
        const field = safeDecode(name);
        throw new InvalidInputError(`Tham số '${field}' không phải văn bản UTF-8 hợp lệ (mã hóa %xx sai)`, field);
      }
    }
  }
}

const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** Refuses query parameters the route's schema does not name (a route without one takes none). */
function checkQueryNames(request: FastifyRequest): void {
  const given = Object.keys((request.query ?? {}) as Record<string, unknown>);
  if (given.length === 0) return;
  const known = queryNames(request.routeOptions.schema?.querystring);
  if (known === null) return;
  const unknown = given.find((name) => !known.has(name));
  if (unknown === undefined) return;
  const accepted = known.size ? `; tham số nhận được: ${[...known].join(", ")}` : "; đường dẫn này không nhận tham số nào";
  throw new InvalidInputError(`Tham số '${unknown}' không được hỗ trợ ở đường dẫn này${accepted}`, unknown);
}

interface ZodLike {
  shape?: Record<string, unknown>;
  _zod?: { def: { type: string; in?: unknown; left?: unknown; right?: unknown; options?: unknown[] } };
}

/** The parameter names a querystring schema knows (a zod object, possibly piped or combined); null when unknowable. */
const namesCache = new WeakMap<object, Set<string> | null>();
function queryNames(schema: unknown): Set<string> | null {
  if (schema === undefined || schema === null) return new Set();
  if (typeof schema !== "object") return null;
  if (namesCache.has(schema)) return namesCache.get(schema)!;
  const s = schema as ZodLike;
  let names: Set<string> | null = null;
  if (s.shape) names = new Set(Object.keys(s.shape));
  else if (s._zod?.def.type === "pipe") names = queryNames(s._zod.def.in);
  else if (s._zod?.def.type === "intersection") {
    const left = queryNames(s._zod.def.left);
    const right = queryNames(s._zod.def.right);
    names = left && right ? new Set([...left, ...right]) : null;
  } else if (s._zod?.def.type === "union" && s._zod.def.options) {
    const all = s._zod.def.options.map(queryNames);
    names = all.every((n) => n !== null) ? new Set(all.flatMap((n) => [...n!])) : null;
  }
  namesCache.set(schema, names);
  return names;
}
