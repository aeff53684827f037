import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { api, freePort, runCli, signIn, startServer, type HttpSession, type ServerProcess } from "../testing/processes";

/**
 * Two real installs as separate processes, linked both ways (issue #13): Cần Thơ's on the embedded
 * database (PGlite) and the national install on PostgreSQL. A figure submitted at the province reaches
 * the national install within 2 s; a revision and a deletion follow; the national figure mirrored back is
 * read-only at the province; and ten kill -9 of either side while both keep writing leave the two
 * reconciliations equal. Runs in the PostgreSQL pass (DATABASE_URL set).
 */
const url = process.env.DATABASE_URL ?? "";
const PASSWORD = "quan-tri-lien-thong-2026";
const tmp = mkdtempSync(path.join(tmpdir(), "dieuhanh-two-installs-"));
const schema = `sync_${randomBytes(5).toString("hex")}`;
const servers: ServerProcess[] = [];

afterAll(async () => {
  for (const s of servers) if (s.alive()) s.child.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
  if (url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
});

interface Side {
  name: string;
  env: Record<string, string>;
  port: number;
  server: ServerProcess;
  session: HttpSession;
  url: string;
}

async function start(side: Omit<Side, "server" | "session" | "url">): Promise<Side> {
  const server = startServer(side.env, side.port);
  servers.push(server);
  await server.waitForOutput(/Điều hành đang chạy/);
  const session = await signIn(server.url, "admin", PASSWORD);
  return { ...side, server, session, url: server.url };
}

async function restart(side: Side): Promise<void> {
  const next = await start(side);
  Object.assign(side, next);
}

const call = async (side: Side, method: string, path: string, body?: unknown) => api(side.url, side.session, method, path, body);

async function figures(side: Side, indicator: string) {
  const r = await call(side, "GET", `/api/data-values?indicator=${indicator}&area=92&limit=500`);
  expect(r.status).toBe(200);
  return (r.json as { items: { period: string; value: number; source: string }[] }).items;
}

async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  ok: (x: T) => boolean,
  ms: number,
): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  let last: T | undefined;
  while (Date.now() - t0 < ms) {
    try {
      last = await read();
      if (ok(last)) return { value: last, ms: Date.now() - t0 };
    } catch {
      // a side restarting: try again
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const logs = servers.map((s) =>
    s
      .output()
      .split("\n")
      .filter((l) => l.includes("liên thông"))
      .slice(-20)
      .join("\n"),
  );
  throw new Error(`${what}: not within ${ms} ms; last seen ${JSON.stringify(last)?.slice(0, 2000)}\n${logs.join("\n---\n")}`);
}

async function reconciliation(side: Side, indicators: string) {
  const r = await call(side, "GET", `/api/sync/reconciliation?indicators=${indicators}&area=92`);
  if (r.status !== 200) throw new Error(`reconciliation ${r.status}`);
  return (r.json as { items: { indicator: string; period: string; province: string; count: number; checksum: string }[] }).items;
}

const periods = [
  "2025M07",
  "2025M08",
  "2025M09",
  "2025M10",
  "2025M11",
  "2025M12",
  "2026M01",
  "2026M02",
  "2026M03",
  "2026M04",
  "2026M05",
  "2026M06",
];

describe.skipIf(!url)("two installs linked both ways (PGlite province, PostgreSQL national)", () => {
  it("propagate figures within 2 s, keep mirrors read-only and reconcile equal after 10 kill -9", async () => {
    const province = await start({
      name: "province",
      port: await freePort(),
      env: {
        DATA_DIR: path.join(tmp, "can-tho"),
        DEMO_DATA: "false",
        INITIAL_ADMIN_PASSWORD: PASSWORD,
        INSTALL_PROFILE: "province:92",
        SYNC_INTERVAL_MS: "250",
      },
    });
    const national = await start({
      name: "national",
      port: await freePort(),
      env: {
        DATABASE_URL: url,
        DATABASE_SCHEMA: schema,
        DEMO_DATA: "false",
        INITIAL_ADMIN_PASSWORD: PASSWORD,
        INSTALL_PROFILE: "government_office",
        SYNC_INTERVAL_MS: "250",
      },
    });
    // Each side gives the other a read token; each links to the other with the scope the other owns, and
    // each wakes the other by a signed webhook when its feed moves.
    const readToken = async (side: Side, areaId: string | null) => {
      const r = await call(side, "POST", "/api/tokens", { name: "liên thông", areaId });
      expect(r.status).toBe(201);
      return (r.json as { secret: string }).secret;
    };
    const webhook = async (from: Side, to: Side, linkId: string) => {
      const r = await call(from, "POST", "/api/sync/webhooks", { url: `${to.url}/api/sync/links/${linkId}/webhook` });
      expect(r.status).toBe(201);
      return (r.json as { secret: string }).secret;
    };
    const link = async (at: Side, body: object) => {
      const r = await call(at, "POST", "/api/sync/links", body);
      expect(r.status, JSON.stringify(r.json)).toBe(201);
    };
    await link(national, {
      id: "can-tho",
      name: "UBND thành phố Cần Thơ",
      peerUrl: province.url,
      token: await readToken(province, null),
      indicators: ["QG.A.II.1"],
      areaId: "92",
      webhookSecret: await webhook(province, national, "can-tho"),
    });
    await link(province, {
      id: "quoc-gia",
      name: "Văn phòng Chính phủ",
      peerUrl: national.url,
      token: await readToken(national, "92"),
      indicators: ["QG.A.II.8"],
      areaId: "92",
      webhookSecret: await webhook(national, province, "quoc-gia"),
    });

    // 1. A figure submitted at the province shows at the national install, as the national indicator, within 2 s.
    const submit = await call(province, "POST", "/api/data-values", {
      values: [{ indicator: "CT.A.I.3", area: "92", period: "2026M10", value: 4321.5 }],
    });
    expect(submit.status, JSON.stringify(submit.json)).toBe(200);
    const arrived = await waitFor(
      "the figure at the national install",
      () => figures(national, "QG.A.II.1"),
      (x) => x.some((f) => f.period === "2026M10" && f.value === 4321.5),
      5000,
    );
    console.log(`two installs: a provincial figure reached the national install in ${arrived.ms} ms`);
    expect(arrived.ms).toBeLessThan(2000);
    expect(arrived.value.find((f) => f.period === "2026M10")!.source).toBe("sync");
    // 2. A revision and a deletion follow.
    await call(province, "POST", "/api/data-values", {
      values: [{ indicator: "CT.A.I.3", area: "92", period: "2026M10", value: 4400 }],
    });
    await waitFor(
      "the revision",
      () => figures(national, "QG.A.II.1"),
      (x) => x.some((f) => f.value === 4400),
      5000,
    );
    await call(province, "POST", "/api/data-values", {
      values: [{ indicator: "CT.A.I.3", area: "92", period: "2026M10", delete: true }],
    });
    await waitFor(
      "the deletion",
      () => figures(national, "QG.A.II.1"),
      (x) => x.length === 0,
      5000,
    );
    // 3. A national figure comes back to the province, read-only there.
    await call(national, "POST", "/api/data-values", {
      values: [{ indicator: "QG.A.II.8", area: "92", period: "2026M10", value: 150 }],
    });
    await waitFor(
      "the national figure at the province",
      () => figures(province, "QG.A.II.8"),
      (x) => x.length === 1,
      5000,
    );
    const refused = await call(province, "POST", "/api/data-values", {
      values: [{ indicator: "QG.A.II.8", area: "92", period: "2026M10", value: 1 }],
    });
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.json)).toContain("Văn phòng Chính phủ");

    // 4. Both sides keep writing while one or the other is killed (kill -9) and started again, ten times.
    let stop = false;
    let acknowledged = 0;
    const writer = async (side: Side, indicator: string) => {
      for (let n = 0; !stop; n++) {
        const period = periods[n % periods.length]!;
        const values = [
          n % 7 === 6
            ? { indicator, area: "92", period, delete: true }
            : { indicator, area: "92", period, value: Math.round(1000 + n * 1.25 * 100) / 100 },
        ];
        try {
          const r = await call(side, "POST", "/api/data-values", { values });
          if (r.status === 200) acknowledged++;
        } catch {
          // the side is down: its write was not acknowledged
        }
        await new Promise((r) => setTimeout(r, 40));
      }
    };
    const writers = [writer(province, "CT.A.I.3"), writer(national, "QG.A.II.8")];
    for (let k = 0; k < 10; k++) {
      const victim = k % 2 === 0 ? province : national;
      await new Promise((r) => setTimeout(r, 700 + (k % 3) * 300));
      victim.server.child.kill("SIGKILL");
      await victim.server.exited;
      await restart(victim);
    }
    await new Promise((r) => setTimeout(r, 1000));
    stop = true;
    await Promise.all(writers);
    console.log(`two installs: ${acknowledged} writes acknowledged across 10 kill -9`);
    expect(acknowledged).toBeGreaterThan(50);

    // 5. Once both have caught up, the reconciliations agree: nothing lost, nothing doubled.
    for (const indicators of ["QG.A.II.1", "QG.A.II.8"]) {
      const settled = await waitFor(
        `reconciliation of ${indicators}`,
        async () => [await reconciliation(province, indicators), await reconciliation(national, indicators)],
        ([a, b]) => JSON.stringify(a) === JSON.stringify(b),
        30_000,
      );
      expect(settled.value[0]!.length).toBeGreaterThan(5);
    }
    // The figures themselves, key by key, equal on both sides.
    const here = (await figures(province, "CT.A.I.3")).map((f) => [f.period, f.value]).sort();
    const there = (await figures(national, "QG.A.II.1")).map((f) => [f.period, f.value]).sort();
    expect(there).toEqual(here);
    // The compare command, as an operator runs it at the national install, finds no difference.
    const compare = await runCli(["sync", "compare", "can-tho"], { DATABASE_URL: url, DATABASE_SCHEMA: schema });
    expect(compare.stdout, compare.stderr).toMatch(/0 chỗ khác nhau/);
    expect(compare.code).toBe(0);
    const links = await call(national, "GET", "/api/sync/links");
    expect((links.json as { items: { id: string; lagSeconds: number }[] }).items[0]).toMatchObject({
      id: "can-tho",
      lagSeconds: 0,
    });
  }, 600_000);
});
