import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { api, eventually, signIn, startReadyServer, type HttpSession, type ServerProcess } from "../testing/processes";

/**
 * Several server processes behind one load balancer on one PostgreSQL database: a figure submitted through
 * one reaches the open dashboards (and the answer cache) of another, through LISTEN/NOTIFY; and the listening
 * connection, killed, comes back by itself. PostgreSQL only (the PostgreSQL pass of the suite).
 */
const url = process.env.DATABASE_URL ?? "";
const ADMIN_PASSWORD = "quan-tri-thu-2026";
const servers: ServerProcess[] = [];
const schema = `live_${randomBytes(5).toString("hex")}`;

async function query<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** Reads a server's push channel; `events` fills as messages arrive. */
function openStream(base: string, session: HttpSession) {
  const controller = new AbortController();
  const events: { indicators: string[] | null; periods: string[] | null }[] = [];
  let text = "";
  const done = (async () => {
    const res = await fetch(`${base}/api/events`, { headers: { cookie: session.cookie }, signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      text += decoder.decode(value);
      for (let i = text.indexOf("\n\n"); i >= 0; i = text.indexOf("\n\n")) {
        const message = text.slice(0, i);
        text = text.slice(i + 2);
        const data = /^event: data\ndata: (.*)$/m.exec(message);
        if (data) events.push(JSON.parse(data[1]!));
      }
    }
  })().catch(() => undefined);
  return { events, close: () => controller.abort(), done };
}

describe.skipIf(!url)("events across server processes on PostgreSQL", { timeout: 400_000 }, () => {
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it("a figure submitted through one process reaches the dashboards of another, also after its listening connection is killed", async () => {
    const env = { DATABASE_URL: url, DATABASE_SCHEMA: schema, DEMO_DATA: "false", INITIAL_ADMIN_PASSWORD: ADMIN_PASSWORD };
    const a = await startReadyServer({ ...env, PGAPPNAME: `${schema}_a` });
    servers.push(a);
    const b = await startReadyServer({ ...env, PGAPPNAME: `${schema}_b` });
    servers.push(b);
    const onA = await signIn(a.url, "admin", ADMIN_PASSWORD);
    const onB = await signIn(b.url, "admin", ADMIN_PASSWORD);
    const submit = async (period: string, value: number) => {
      const res = await api(a.url, onA, "POST", "/api/data-values", {
        status: "submitted",
        values: [{ indicator: "QG.A.II.1", area: "01", period, value }],
      });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
    };
    const figureOnB = async (period: string) => {
      const res = await api(b.url, onB, "GET", `/api/analytics?indicators=QG.A.II.1&areas=01&from=${period}&to=${period}`);
      expect(res.status).toBe(200);
      return (res.json as { series: { points: { value: number | null }[] }[] }).series[0]!.points[0]!.value;
    };
    const heard = (s: ReturnType<typeof openStream>, period: string) =>
      eventually(async () => s.events.some((e) => e.indicators?.includes("QG.A.II.1") && e.periods?.includes(period)), 120_000);

    // B has the answer cached (nothing yet) when A writes.
    expect(await figureOnB("2025M10")).toBeNull();
    expect(await figureOnB("2025M10")).toBeNull();
    const stream = openStream(b.url, onB);
    await eventually(async () => (await listenerOf(`${schema}_b`)).length === 1);
    await submit("2025M10", 31_000);
    await heard(stream, "2025M10");
    expect(await figureOnB("2025M10")).toBe(31_000);

    // B's listening connection killed (as a database restart or a network cut would): it comes back by itself,
    // tells its dashboards to reload everything (notifications meanwhile were lost), and hears A again.
    const [killed] = await listenerOf(`${schema}_b`);
    await query("SELECT pg_terminate_backend($1)", [killed!.pid]);
    await eventually(async () => {
      const now = await listenerOf(`${schema}_b`);
      return now.length === 1 && now[0]!.pid !== killed!.pid;
    }, 120_000);
    await eventually(async () => stream.events.some((e) => e.indicators === null), 120_000);
    expect(b.alive()).toBe(true);
    expect(await figureOnB("2025M09")).toBeNull();
    await submit("2025M09", 29_000);
    await heard(stream, "2025M09");
    expect(await figureOnB("2025M09")).toBe(29_000);
    stream.close();
  });
});

/** The LISTEN connection of a server (by its application name). */
function listenerOf(applicationName: string) {
  return query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %'", [
    applicationName,
  ]);
}
