import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";
import { buildApp, type App } from "./app";

/**
 * A JSON body field the route does not know is refused with a 400 naming it, never ignored (sibling of
 * issue 11 item 7's unknown query parameters): a client sending `dryrun` instead of `dryRun` must not
 * write for real. The routes come from the app itself, so a new route is swept without anyone adding it.
 */

let database: Database;
let app: App;
let admin: TestSession;
let adminName: string;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock: () => new Date("2025-11-05T03:00:00Z") });
  adminName = (await createUser(database, "admin")).username;
  admin = await login(app, adminName);
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

const send = (method: string, url: string, payload: unknown) =>
  app.inject({
    method: method as "POST",
    url,
    headers: { ...admin.headers(true), "content-type": "application/json" },
    payload: JSON.stringify(payload),
  });

const writes = async () => {
  const [audit, values] = await Promise.all([
    database.db
      .selectFrom("audit_log")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow(),
    database.db
      .selectFrom("data_values")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow(),
  ]);
  return { audit: Number(audit.n), values: Number(values.n) };
};

/** Routes taking a JSON body or none; those whose body is a whole file (schema `unknown`: uploads) judge it themselves. */
function jsonRoutes() {
  const doc = app.swagger() as {
    paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: object }> } }>>;
  };
  return app.routeRules.filter((r) => {
    if (r.method === "GET" || r.url.startsWith("/api/docs")) return false;
    const content = doc.paths[r.url.replace(/:(\w+)/g, "{$1}")]?.[r.method.toLowerCase()]?.requestBody?.content;
    const schema = content?.["application/json"]?.schema;
    return !content || (schema !== undefined && Object.keys(schema).length > 0);
  });
}

describe(`unknown JSON body fields on ${testEngine}`, () => {
  it("refuses a field the route does not know, naming it, on every JSON route, and writes nothing", async () => {
    const routes = jsonRoutes();
    expect(routes.length).toBeGreaterThan(30);
    const before = await writes();
    const failures: string[] = [];
    for (const r of routes) {
      const url = r.url.replace(/:(\w+)/g, "1");
      const res = await send(r.method, url, { dryrun: true });
      const body = res.json() as { message?: string; field?: string };
      if (res.statusCode !== 400 || body.field !== "dryrun" || !body.message?.includes("'dryrun'"))
        failures.push(`${r.method} ${url} → ${res.statusCode} ${res.body.slice(0, 160)}`);
    }
    expect(failures).toEqual([]);
    expect(await writes()).toEqual(before);
    // Still signed in: nothing above acted on the session.
    expect((await app.inject({ url: "/api/me", headers: admin.headers(false) })).statusCode).toBe(200);
  });

  it("refuses `dryrun` for `dryRun` on the report form instead of saving for real, and a stray field inside a row", async () => {
    admin = await login(app, adminName); // a fresh session, whatever the sweep did
    const before = await writes();
    const key = { agency: "CT.SYT", area: "92", period: "2025M09" };
    const misspelt = await send("POST", "/api/reports/form", { ...key, status: "draft", dryrun: true, values: [] });
    expect(misspelt.statusCode).toBe(400);
    expect(misspelt.json()).toMatchObject({ field: "dryrun" });
    expect(misspelt.json().message).toMatch(/^Trường 'dryrun' không được hỗ trợ/);
    const nested = await send("POST", "/api/reports/form", {
      ...key,
      status: "draft",
      values: [
        { indicator: "CT.A.I.3", value: 1 },
        { indicator: "CT.A.I.3", value: 1, comentt: "x" },
      ],
    });
    expect(nested.statusCode).toBe(400);
    expect(nested.json()).toMatchObject({ field: "values.1.comentt" });
    expect(await writes()).toEqual(before);
    // The declared fields still pass the check (whatever the report rules then say, it is not this refusal).
    const fine = await send("POST", "/api/reports/form", { ...key, status: "draft", dryRun: true, values: [] });
    expect(fine.json().field).not.toBe("dryRun");
  });
});
