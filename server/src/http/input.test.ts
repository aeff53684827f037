import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";
import { buildApp, type App } from "./app";

/**
 * Hostile input on every API route (issue 11, items 7 and 11): NUL characters, half UTF-16 surrogate
 * pairs, ids beyond PostgreSQL's integers and unknown query parameters get a clear 400, never a 500.
 * The routes and their parameters come from the app itself (routeRules and the OpenAPI document), so a
 * new route is swept without anyone adding it here.
 */

const START = Date.now();
const clock = () => new Date(Date.parse("2025-11-05T03:00:00Z") + (Date.now() - START));

let database: Database;
let app: App;
let admin: TestSession;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock });
  admin = await login(app, (await createUser(database, "admin")).username);
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minLength?: number;
  minimum?: number;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}
interface Operation {
  parameters?: { in: string; name: string; schema?: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

type Leaf = "nul" | "surrogate" | "big";
const text = { nul: "a\u0000b", surrogate: "a\ud800b", big: "99999999999999999999" } as const;

/** A body in the shape of `schema` with every leaf hostile (nested objects and arrays followed). */
function hostile(schema: JsonSchema | undefined, leaf: Leaf, depth = 0): unknown {
  if (!schema || depth > 4) return text[leaf];
  // Huge numbers go where numbers and free text go; enums and formats stay valid so that the probe gets through.
  if (leaf === "big" && (schema.enum || schema.const !== undefined || schema.format)) return plausible(schema, depth);
  const alt = schema.anyOf ?? schema.oneOf;
  if (alt) return hostile(alt.find((s) => s.type !== "null") ?? alt[0], leaf, depth);
  const type = [schema.type].flat().find((t) => t !== "null");
  if (type === "object" || schema.properties)
    return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, hostile(s, leaf, depth + 1)]));
  if (type === "array") return [hostile(schema.items, leaf, depth + 1)];
  if ((type === "number" || type === "integer") && leaf === "big") return 1e20; // 99999999999999999999 as JSON reads it
  if (type === "number" || type === "integer") return 1;
  if (type === "boolean") return true;
  return text[leaf];
}

/** A value that passes `schema` where it can be told (enums, formats, lengths), so that a probe reaches the route. */
function plausible(schema: JsonSchema | undefined, depth = 0): unknown {
  if (!schema || depth > 4) return "x";
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const alt = schema.anyOf ?? schema.oneOf;
  if (alt) return plausible(alt.find((s) => s.type !== "null") ?? alt[0], depth);
  const type = [schema.type].flat().find((t) => t !== "null");
  if (type === "object" || schema.properties)
    return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, plausible(s, depth + 1)]));
  if (type === "array") return [plausible(schema.items, depth + 1)];
  if (type === "number" || type === "integer") return Math.max(1, schema.minimum ?? 1);
  if (type === "boolean") return true;
  if (schema.format === "uuid") return "00000000-0000-4000-8000-000000000000";
  if (schema.format === "date") return "2025-10-01";
  if (schema.format === "date-time") return "2025-10-01T00:00:00Z";
  return "lý do đủ dài để qua kiểm tra".padEnd(schema.minLength ?? 0, ".");
}

const SKIP = new Set(["GET /api/events"]); // a stream: covered by its own tests

function routes() {
  const doc = app.swagger() as { paths: Record<string, Record<string, Operation>> };
  return app.routeRules
    .filter((r) => !r.url.startsWith("/api/docs") && !SKIP.has(`${r.method} ${r.url}`))
    .map((r) => {
      const op = doc.paths[r.url.replace(/:(\w+)/g, "{$1}")]?.[r.method.toLowerCase()] ?? {};
      const queryParams = (op.parameters ?? []).filter((p) => p.in === "query");
      const query = queryParams.map((p) => p.name);
      const plausibleQuery = (except: string) =>
        queryParams
          .filter((p) => p.name !== except)
          .map((p) => `${p.name}=${encodeURIComponent(String(plausible(p.schema)))}`)
          .join("&");
      const params = [...r.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
      const bodySchema = op.requestBody?.content?.["application/json"]?.schema;
      return { ...r, query, params, bodySchema, plausibleQuery };
    });
}

const path = (url: string, value: string) => url.replace(/:(\w+)/g, () => value);
const send = (method: string, url: string, payload?: unknown) =>
  app.inject({
    method: method as "GET",
    url,
    headers: { ...admin.headers(method !== "GET"), ...(payload === undefined ? {} : { "content-type": "application/json" }) },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });

describe(`hostile input on every route on ${testEngine}`, () => {
  it("knows the routes it sweeps", () => {
    expect(routes().length).toBeGreaterThan(60);
    expect(routes().filter((r) => r.params.length).length).toBeGreaterThan(10);
  });

  it("answers 400, never 500, to NUL characters, half surrogate pairs and huge ids in a path", async () => {
    const failures: string[] = [];
    for (const r of routes().filter((x) => x.params.length)) {
      for (const value of [
        "a%00b",
        "%00",
        "a%ED%A0%80b",
        "%ED%B0%80",
        "99999999999999999999",
        "2147483648",
        "9223372036854775808",
      ]) {
        // One parameter at a time, the others plausible, so that the probe reaches the code using it.
        for (const name of r.params) {
          const url = r.url.replace(/:(\w+)/g, (_, p: string) => (p === name ? value : "1"));
          const res = await send(r.method, url, r.method === "GET" ? undefined : plausible(r.bodySchema));
          if (res.statusCode >= 500 || (value.includes("%00") && res.statusCode !== 400))
            failures.push(`${r.method} ${url} → ${res.statusCode} ${res.body.slice(0, 160)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("answers 400 naming the parameter to NUL and half surrogate pairs in a query, and never 500 to huge numbers", async () => {
    const failures: string[] = [];
    for (const r of routes().filter((x) => x.query.length)) {
      const url = path(r.url, "1");
      for (const [value, expected] of [
        ["a%00b", 400],
        ["a%ED%A0%80b", 400],
        ["99999999999999999999", null],
        ["-99999999999999999999", null],
        ["2147483648", null],
      ] as const) {
        for (const name of r.query) {
          const others = r.plausibleQuery(name);
          const res = await send(
            r.method,
            `${url}?${name}=${value}${others ? `&${others}` : ""}`,
            r.method === "GET" ? undefined : plausible(r.bodySchema),
          );
          if (res.statusCode >= 500 || (expected && res.statusCode !== expected))
            failures.push(`${r.method} ${url}?${name}=${value} → ${res.statusCode} ${res.body.slice(0, 160)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("answers 400 naming the field to NUL and half surrogate pairs anywhere in a JSON body, and never 500 to huge numbers", async () => {
    const failures: string[] = [];
    for (const r of routes().filter((x) => x.method !== "GET")) {
      const url = path(r.url, "1");
      for (const leaf of ["nul", "surrogate", "big"] as const) {
        const body = r.bodySchema ? hostile(r.bodySchema, leaf) : { note: text[leaf] };
        // A route without a body schema that would act on an empty body (sign out) is not probed with numbers.
        if (leaf === "big" && !r.bodySchema) continue;
        const res = await send(r.method, url, body);
        const refused = res.statusCode === 400 && /NUL|UTF-16/.test(res.json().message ?? "");
        if (res.statusCode >= 500 || (leaf !== "big" && !refused && res.statusCode !== 404))
          failures.push(`${r.method} ${url} ${leaf} → ${res.statusCode} ${res.body.slice(0, 160)}`);
      }
    }
    expect(failures).toEqual([]);
    // Still signed in: nothing above acted on the session.
    expect((await send("GET", "/api/me")).statusCode).toBe(200);
  });

  it("never answers 500 to NUL characters or half surrogate pairs in the session cookie or the API token", async () => {
    for (const cookie of ["dh_session=a%00b", "dh_session=%ED%A0%80", `${admin.cookie}%00`]) {
      const res = await app.inject({ url: "/api/me", headers: { cookie } });
      expect(res.statusCode, `${cookie} → ${res.body}`).toBeLessThan(500);
    }
    for (const token of ["a\u00ffb", "%00", "dh_" + "9".repeat(300)]) {
      const res = await app.inject({ url: "/api/me", headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode, `${token} → ${res.body}`).toBe(401);
    }
  });

  it("refuses a NUL hidden in a nested field or a key, naming where it is", async () => {
    const res = await send("POST", "/api/data-values", {
      values: [{ indicator: "CT.A.I.3", area: "92", period: "2025M10", value: 1, comment: "ghi\u0000chú" }],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      message: "Trường 'values.0.comment' chứa ký tự NUL (\\u0000), không được chấp nhận",
      field: "values.0.comment",
    });
    const key = await send("POST", "/api/data-values", { values: [], ["x\ud800"]: 1 });
    expect(key.statusCode).toBe(400);
    expect(key.json().message).toContain("nửa cặp mã UTF-16");
  });

  it("refuses a query parameter a route does not know, naming it, on every route", async () => {
    const failures: string[] = [];
    for (const r of routes()) {
      // (updatedAfter itself is a parameter of the exports and SDMX data queries now.)
      const url = `${path(r.url, "1")}?modifiedSince=2025-01-01`;
      const res = await send(r.method, url, r.method === "GET" ? undefined : {});
      const body = res.json() as { message?: string; field?: string };
      if (res.statusCode !== 400 || body.field !== "modifiedSince" || !body.message?.includes("'modifiedSince'"))
        failures.push(`${r.method} ${url} → ${res.statusCode} ${res.body.slice(0, 160)}`);
    }
    expect(failures).toEqual([]);
    // The event stream too, before it starts streaming.
    expect((await send("GET", "/api/events?since=2025-01-01")).statusCode).toBe(400);
    expect((await send("GET", "/api/events?once=%00")).statusCode).toBe(400);
    const res = await send("GET", "/api/data-values?indicator=CT.A.I.3&updatedAfter=2025-01-01");
    expect(res.json().message).toMatch(
      /^Tham số 'updatedAfter' không được hỗ trợ ở đường dẫn này; tham số nhận được: .*indicator/,
    );
  });
});

describe(`hostile text inside uploaded files on ${testEngine}`, () => {
  it("refuses NUL characters in the codes of a CSV upload with the row and field, not a 500", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/api/data-values/import?format=csv",
      headers: { ...admin.headers(true), "content-type": "text/csv" },
      payload: "indicator,area,period,value\nCT.A.I.3\u0000,92,2025M10,1\nCT.A.I.3,9\u00002,2025M10,1\n",
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors, res.body).toEqual([
      expect.objectContaining({ row: 2, field: "indicator", message: expect.stringContaining("ký tự") }),
      expect.objectContaining({ row: 3, field: "area", message: expect.stringContaining("ký tự") }),
    ]);
  });
});
