import { LONE_SURROGATE } from "@dieuhanh/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { InvalidInputError } from "../errors";

/**
 * Checks every API request makes before any route sees it, so that no route has to remember them:
 * text holds only real characters (PostgreSQL refuses NUL; half a UTF-16 surrogate pair is no character
 * and would be stored altered), and a query parameter the route does not know is refused rather than
 * ignored — a client sending `updatedAfter` must not believe it got a delta. Likewise a JSON body field the
 * route does not know (at any depth) is refused: a client sending `dryrun` instead of `dryRun` would write for real.
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
    // Parsed data only: plain objects, arrays and text. Bytes and streamed uploads (formats/stream.ts) are
    // checked by their readers, row by row.
    const parsed = isParsedData(request.body);
    if (typeof request.body === "string" || parsed) checkValue(request.body, "body");
    if (parsed) checkBodyNames(request.body as object, request.routeOptions.schema?.body);
  });
}

/** A body parsed from JSON or a form: an array or an object of the plain kind, not bytes nor a stream. */
function isParsedData(body: unknown): body is object {
  if (body === null || typeof body !== "object") return false;
  if (Array.isArray(body)) return true;
  const proto = Object.getPrototypeOf(body) as unknown;
  return proto === Object.prototype || proto === null;
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

interface ZodDef {
  type: string;
  shape?: Record<string, unknown>;
  catchall?: { _zod?: { def: { type: string } } };
  innerType?: unknown;
  element?: unknown;
  in?: unknown;
  left?: unknown;
  right?: unknown;
  options?: unknown[];
  items?: unknown[];
  getter?: () => unknown;
}

/** Refuses body fields the route's schema does not name, so that a misspelt option is never silently dropped. */
function checkBodyNames(body: object, schema: unknown): void {
  // A route without a body schema takes no fields (an empty object is what the UI sends to such routes).
  const first = Object.keys(body)[0];
  const found = schema === undefined || schema === null ? (first === undefined ? null : [first]) : unknownField(schema, body, []);
  if (!found) return;
  const field = found.join(".");
  throw new InvalidInputError(
    `Trường '${field}' không được hỗ trợ ở đường dẫn này (không có trong mô tả dữ liệu gửi lên)`,
    field,
  );
}

/** The path of the first field of `value` that `schema` (zod) does not name, or null (also when unknowable). */
function unknownField(schema: unknown, value: unknown, path: (string | number)[], depth = 0): (string | number)[] | null {
  if (depth > 30 || value === null || typeof value !== "object") return null;
  const def = (schema as { _zod?: { def: ZodDef } } | undefined)?._zod?.def;
  if (!def) return null;
  switch (def.type) {
    case "object": {
      // A schema that accepts any further field (z.looseObject, .catchall) says so; only the default strips them.
      const rest = def.catchall?._zod?.def.type;
      const shape = def.shape ?? {};
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
        if (!Object.hasOwn(shape, key)) {
          if (rest === undefined || rest === "never") return [...path, key];
          continue;
        }
        const found = unknownField(shape[key], inner, [...path, key], depth + 1);
        if (found) return found;
      }
      return null;
    }
    case "array": {
      if (!Array.isArray(value)) return null;
      for (let i = 0; i < value.length; i++) {
        const found = unknownField(def.element, value[i], [...path, i], depth + 1);
        if (found) return found;
      }
      return null;
    }
    case "tuple": {
      if (!Array.isArray(value)) return null;
      for (let i = 0; i < value.length && i < (def.items?.length ?? 0); i++) {
        const found = unknownField(def.items![i], value[i], [...path, i], depth + 1);
        if (found) return found;
      }
      return null;
    }
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "nonoptional":
    case "readonly":
    case "catch":
      return unknownField(def.innerType, value, path, depth + 1);
    case "pipe":
      return unknownField(def.in, value, path, depth + 1);
    case "lazy":
      return def.getter ? unknownField(def.getter(), value, path, depth + 1) : null;
    case "intersection": {
      // A field is known when either side names it (nested fields are left to each side's own schema).
      const names = queryNames(schema);
      if (names === null) return null;
      const key = Object.keys(value).find((k) => !names.has(k));
      return key === undefined ? null : [...path, key];
    }
    case "union": {
      // Accepted when one alternative knows every field; otherwise the first alternative's complaint.
      const found = (def.options ?? []).map((o) => unknownField(o, value, path, depth + 1));
      return found.some((f) => f === null) ? null : (found[0] ?? null);
    }
    default:
      return null; // records, unknown, any: whatever they accept is theirs to judge
  }
}
