import { sql } from "kysely";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";
import { installIdentity, logPublishedChanges, pruneFeed } from "./feed";
import { pullLink } from "./puller";
import { compareReconciliations } from "./reconcile";
import { newWebhookSecret } from "./webhooks";

/**
 * Two installs in one process — a province (Cần Thơ) and the national install — each with its own
 * database, linked both ways through their real HTTP routes (the pull's fetch is answered by the other
 * app). The process test (two-installs.process.test.ts) does the same with two real servers.
 */
const START = Date.now();
const clock = () => new Date(Date.parse("2025-11-05T03:00:00Z") + (Date.now() - START));

interface Install {
  database: Database;
  app: App;
  admin: TestSession;
  url: string;
}
let province: Install;
let national: Install;
let reporter: TestSession; // Sở Tài chính Cần Thơ, at the province

async function makeInstall(url: string): Promise<Install> {
  const database = await createTestDatabase();
  await loadReferenceData(database.db);
  const app = await buildApp({ database, clock });
  const admin = await login(app, (await createUser(database, "admin")).username);
  return { database, app, admin, url };
}

/** fetch answered by the install the URL names (its real routes, through inject). */
const fetchVia: typeof fetch = async (input, init) => {
  const url = new URL(String(input));
  const target = [province, national].find((i) => url.origin === new URL(i.url).origin)!;
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
  const res = await target.app.inject({
    method: (init?.method as "GET" | "POST") ?? "GET",
    url: url.pathname + url.search,
    headers,
    payload: init?.body as string | undefined,
  });
  return new Response(res.statusCode === 204 ? null : res.body, { status: res.statusCode, headers: res.headers as HeadersInit });
};
const pull = (at: Install, link: string) => pullLink(at.database.db, link, { fetch: fetchVia, pageSize: 50 });

async function token(at: Install, areaId: string | null) {
  const r = await at.app.inject({
    method: "POST",
    url: "/api/tokens",
    headers: at.admin.headers(true),
    payload: { name: "liên thông", areaId },
  });
  expect(r.statusCode).toBe(201);
  return r.json().secret as string;
}

async function link(at: Install, body: object) {
  const r = await at.app.inject({ method: "POST", url: "/api/sync/links", headers: at.admin.headers(true), payload: body });
  expect(r.statusCode, r.body).toBe(201);
}

const write = (at: Install, session: TestSession, values: object[]) =>
  at.app.inject({ method: "POST", url: "/api/data-values", headers: session.headers(true), payload: { values } });

async function published(at: Install, query: Record<string, string>) {
  const r = await at.app.inject({ url: `/api/data-values?${new URLSearchParams(query)}`, headers: at.admin.headers() });
  expect(r.statusCode).toBe(200);
  return r.json().items as { indicator: string; area: string; period: string; value: number | null; source: string }[];
}

async function reconcile(at: Install, query: Record<string, string>) {
  const r = await at.app.inject({ url: `/api/sync/reconciliation?${new URLSearchParams(query)}`, headers: at.admin.headers() });
  expect(r.statusCode, r.body).toBe(200);
  return r.json().items;
}

beforeAll(async () => {
  province = await makeInstall("http://tinh.test/");
  national = await makeInstall("http://quocgia.test/");
  reporter = await login(
    province.app,
    (await createUser(province.database, "reporter", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" })).username,
  );
  // The national install pulls Cần Thơ's figures of the national indicator it implements; the province
  // pulls the national figure of rice supplied to it, which the national install owns.
  await link(national, {
    id: "can-tho",
    name: "Cần Thơ",
    peerUrl: province.url,
    token: await token(province, null),
    indicators: ["QG.A.II.1"],
    areaId: "92",
  });
  await link(province, {
    id: "quoc-gia",
    name: "Hệ thống quốc gia",
    peerUrl: national.url,
    token: await token(national, "92"),
    indicators: ["QG.A.II.8", "QG.A.II.1"],
    areaId: "92",
  });
}, 120_000);

afterAll(async () => {
  for (const i of [province, national]) {
    await i?.app.close();
    await i?.database.close();
  }
});

describe("two installs linked both ways", () => {
  it("a provincial figure reaches the national install as the national indicator, with its origin", async () => {
    const w = await write(province, reporter, [{ indicator: "CT.A.I.3", area: "92", period: "2025M10", value: 1234.5 }]);
    expect(w.statusCode, w.body).toBe(200);
    const r = await pull(national, "can-tho");
    expect(r.error).toBeUndefined();
    const got = await published(national, { indicator: "QG.A.II.1", area: "92", period: "2025M10" });
    expect(got).toMatchObject([{ value: 1234.5, source: "sync", origin: { name: "Cần Thơ" } }]);
    // Where leaders look: the national overview's tile for Cần Thơ shows the mirrored figure.
    const tile = await national.app.inject({
      url: "/api/analytics/latest?indicators=QG.A.II.1&area=92",
      headers: national.admin.headers(),
    });
    expect(tile.statusCode, tile.body).toBe(200);
    expect(JSON.stringify(tile.json())).toContain("1234.5");
    const origin = await sql<{ origin: string }>`SELECT b.origin FROM data_values d JOIN data_batches b ON b.id = d.batch_id
      WHERE d.indicator_code = 'QG.A.II.1' AND d.area_id = '92' AND d.superseded_at IS NULL`.execute(national.database.db);
    expect(origin.rows[0]!.origin).toBe((await installIdentity(province.database.db)).installId);
    // The monitor page's record of the link.
    const links = await national.app.inject({ url: "/api/sync/links", headers: national.admin.headers() });
    expect(links.json().items[0]).toMatchObject({ id: "can-tho", appliedChanges: 1, failures: 0, lastError: null, late: false });
    // The metadata travels: both installs hold the same catalogues, areas and code lists.
    expect(links.json().items[0].metadata).toMatchObject({ differentParts: [], unknownIndicators: [] });
  });

  it("a revision and a deletion propagate; a page pulled again changes nothing", async () => {
    await write(province, reporter, [{ indicator: "CT.A.I.3", area: "92", period: "2025M10", value: 1300 }]);
    await write(province, reporter, [{ indicator: "CT.A.I.3", area: "92", period: "2025M09", value: 900 }]);
    const before = await sql<{ cursor: string }>`SELECT cursor FROM sync_links WHERE id = 'can-tho'`.execute(
      national.database.db,
    );
    await pull(national, "can-tho");
    expect((await published(national, { indicator: "QG.A.II.1", area: "92" })).map((x) => [x.period, x.value])).toEqual(
      expect.arrayContaining([
        ["2025M10", 1300],
        ["2025M09", 900],
      ]),
    );
    const versions = async () =>
      Number(
        (
          await sql<{ n: string }>`SELECT count(*) AS n FROM data_values WHERE indicator_code = 'QG.A.II.1'`.execute(
            national.database.db,
          )
        ).rows[0]!.n,
      );
    const n = await versions();
    // The same page again (as after a crash between applying and hearing back): nothing doubles.
    await sql`UPDATE sync_links SET cursor = ${before.rows[0]!.cursor} WHERE id = 'can-tho'`.execute(national.database.db);
    await pull(national, "can-tho");
    expect(await versions()).toBe(n);

    await write(province, reporter, [{ indicator: "CT.A.I.3", area: "92", period: "2025M09", delete: true }]);
    await pull(national, "can-tho");
    expect((await published(national, { indicator: "QG.A.II.1", area: "92" })).map((x) => x.period)).toEqual(["2025M10"]);
  });

  it("a mirrored figure is read-only: the national install's own people cannot write it", async () => {
    const r = await write(national, national.admin, [{ indicator: "QG.A.II.1", area: "92", period: "2025M10", value: 1 }]);
    expect(r.statusCode).toBe(403);
    expect(r.json().errors[0].message).toContain("Cần Thơ");
    // Another province's figure of the same indicator is the national install's own.
    const other = await write(national, national.admin, [{ indicator: "QG.A.II.1", area: "01", period: "2025M10", value: 5 }]);
    expect(other.statusCode, other.body).toBe(200);
  });

  it("a national figure comes back to the province read-only, and nothing echoes", async () => {
    const w = await write(national, national.admin, [{ indicator: "QG.A.II.8", area: "92", period: "2025M10", value: 120 }]);
    expect(w.statusCode, w.body).toBe(200);
    const r = await pull(province, "quoc-gia");
    expect(r.error).toBeUndefined();
    expect(await published(province, { indicator: "QG.A.II.8", area: "92" })).toMatchObject([{ value: 120, source: "sync" }]);
    // The province's own Thu ngân sách, mirrored at the national install, is not written back at the province.
    const own = await published(province, { indicator: "QG.A.II.1", area: "92" });
    expect(own).toEqual([]);
    const refused = await write(province, province.admin, [{ indicator: "QG.A.II.8", area: "92", period: "2025M10", value: 1 }]);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().errors[0].message).toContain("Hệ thống quốc gia");
    // Pulling again moves nothing either way.
    const again = await pull(national, "can-tho");
    expect(again.applied).toBe(0);
  });

  it("the two installs reconcile equal for the linked scope", async () => {
    const here = await reconcile(national, { indicators: "QG.A.II.1", area: "92" });
    const there = await reconcile(province, { indicators: "QG.A.II.1", area: "92" });
    expect(here.length).toBeGreaterThan(0);
    expect(compareReconciliations(here, there)).toEqual([]);
    // A figure changed on one side only shows as a difference.
    await sql`UPDATE data_values SET value = 1 WHERE indicator_code = 'QG.A.II.1' AND area_id = '92' AND published_at IS NOT NULL
      AND unpublished_at IS NULL`.execute(national.database.db);
    const diff = compareReconciliations(await reconcile(national, { indicators: "QG.A.II.1", area: "92" }), there);
    expect(diff).toMatchObject([{ indicator: "QG.A.II.1", period: "2025M10", province: "92" }]);
    await sql`UPDATE data_values SET value = 1300 WHERE indicator_code = 'QG.A.II.1' AND area_id = '92' AND published_at IS NOT NULL
      AND unpublished_at IS NULL`.execute(national.database.db);
  });
});

describe("the change feed", () => {
  it("is scope-filtered, pages with a stable cursor and refuses a foreign cursor with 410", async () => {
    const tokenFor92 = await token(national, "92");
    const get = (query: string, secret = tokenFor92) =>
      national.app.inject({ url: `/api/changes?${query}`, headers: { authorization: `Bearer ${secret}` } });
    const first = await get("limit=1");
    expect(first.statusCode).toBe(200);
    let cursor = first.json().next as string;
    const seen = [...first.json().changes];
    for (let i = 0; i < 20 && cursor; i++) {
      const page = await get(`limit=1&after=${encodeURIComponent(cursor)}`);
      seen.push(...page.json().changes);
      cursor = page.json().next;
      if (!page.json().more) break;
    }
    // A token of Cần Thơ never sees Hà Nội's figure (area 01) written at the national install.
    expect(seen.some((c) => c.area === "01")).toBe(false);
    expect(seen.some((c) => c.indicator === "QG.A.II.8" && c.area === "92")).toBe(true);
    // Asked again from the same cursor: the same answer (nothing new committed in between).
    const a = await get(`after=${encodeURIComponent(cursor)}`);
    const b = await get(`after=${encodeURIComponent(cursor)}`);
    expect(a.json().changes).toEqual(b.json().changes);
    expect(a.json().next).toBe(b.json().next);
    const gone = await get("after=l2.abcdef123456.1");
    expect(gone.statusCode).toBe(410);
    expect(gone.json().message).toContain("bắt đầu lại");
    expect((await get("after=garbage")).statusCode).toBe(410);
  });

  it("carries a deletion as a tombstone with its origin and change id", async () => {
    const all = await national.app.inject({
      url: "/api/changes?after=" + encodeURIComponent(`l2.${(await installIdentity(national.database.db)).feedEpoch}.0`),
      headers: national.admin.headers(),
    });
    const changes = all.json().changes as { deleted: boolean; period: string; origin: string; id: string }[];
    const tombstone = changes.find((c) => c.deleted && c.period === "2025M09");
    expect(tombstone).toBeDefined();
    expect(tombstone!.origin).toBe((await installIdentity(province.database.db)).installId);
    expect(tombstone!.id).toMatch(/^\d+$/);
  });
});

describe("the feed's order under concurrent writers (PostgreSQL)", () => {
  it.skipIf(testEngine !== "postgres")(
    "never lets a later id appear before an earlier one commits: a cursor never skips a change",
    async () => {
      const db = national.database.db;
      const key = (period: string) => [{ indicator: "QG.A.II.3", area: "01", period, disaggregation: "" }];
      const head = async () => {
        const r = await national.app.inject({ url: "/api/changes?limit=1", headers: national.admin.headers() });
        let cursor = r.json().next as string;
        for (;;) {
          const p = await national.app.inject({
            url: `/api/changes?limit=1000&after=${encodeURIComponent(cursor)}`,
            headers: national.admin.headers(),
          });
          cursor = p.json().next;
          if (!p.json().more) return cursor;
        }
      };
      const cursor = await head();
      let releaseFirst!: () => void;
      const firstMayCommit = new Promise<void>((r) => (releaseFirst = r));
      let firstLogged!: () => void;
      const firstHasLogged = new Promise<void>((r) => (firstLogged = r));
      // A writer logs its change and stays open; a second writer starts after it and must wait for it.
      const first = db.transaction().execute(async (trx) => {
        await logPublishedChanges(trx, key("2025M01"));
        firstLogged();
        await firstMayCommit;
      });
      await firstHasLogged;
      let secondDone = false;
      const second = db
        .transaction()
        .execute((trx) => logPublishedChanges(trx, key("2025M02")))
        .then(() => (secondDone = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(secondDone).toBe(false);
      const during = await national.app.inject({
        url: `/api/changes?after=${encodeURIComponent(cursor)}`,
        headers: national.admin.headers(),
      });
      expect(during.json().changes).toEqual([]);
      releaseFirst();
      await Promise.all([first, second]);
      const after = await national.app.inject({
        url: `/api/changes?after=${encodeURIComponent(during.json().next)}`,
        headers: national.admin.headers(),
      });
      expect(after.json().changes.map((c: { period: string }) => c.period)).toEqual(["2025M01", "2025M02"]);
    },
  );
});

describe("webhooks", () => {
  it("a signed webhook wakes the link once; a bad signature or a replay is refused", async () => {
    const secret = newWebhookSecret();
    await sql`UPDATE sync_links SET webhook_secret = ${secret} WHERE id = 'can-tho'`.execute(national.database.db);
    const body = JSON.stringify({ type: "changes.available" });
    const send = (id: string, at: Date, key = secret) =>
      national.app.inject({
        method: "POST",
        url: "/api/sync/links/can-tho/webhook",
        headers: {
          "content-type": "application/json",
          "webhook-id": id,
          "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
          "webhook-signature": new Webhook(key).sign(id, at, body),
        },
        payload: body,
      });
    const ok = await send("msg_1", new Date());
    expect(ok.statusCode, ok.body).toBe(202);
    expect(ok.json()).toEqual({ accepted: true, duplicate: false });
    expect((await send("msg_1", new Date())).json().duplicate).toBe(true);
    expect((await send("msg_2", new Date(Date.now() - 10 * 60_000))).statusCode).toBe(403);
    expect((await send("msg_3", new Date(), newWebhookSecret())).statusCode).toBe(403);
  });
});

describe("system tokens", () => {
  it("load a past, locked period that a person's token may not, audited as the system account", async () => {
    const make = async (system: boolean) => {
      const r = await province.app.inject({
        method: "POST",
        url: "/api/tokens",
        headers: province.admin.headers(true),
        payload: { name: system ? "nạp lịch sử" : "khóa thường", canWrite: true, system, areaId: "92" },
      });
      expect(r.statusCode, r.body).toBe(201);
      return r.json().secret as string;
    };
    const row = { indicator: "CT.A.I.3", area: "old-92", period: "2019M01", value: 700 };
    const send = (secret: string) =>
      province.app.inject({
        method: "POST",
        url: "/api/data-values",
        headers: { authorization: `Bearer ${secret}` },
        payload: { values: [row] },
      });
    const person = await send(await make(false));
    expect(person.statusCode).toBe(400);
    expect(person.json().errors[0].message).toContain("đã khóa");
    const system = await send(await make(true));
    expect(system.statusCode, system.body).toBe(200);
    const audit = await sql<{ kind: string }>`SELECT t.kind FROM audit_log a JOIN api_tokens t ON t.id = a.actor_token_id
      WHERE a.action = 'data_value.write' ORDER BY a.id DESC LIMIT 1`.execute(province.database.db);
    expect(audit.rows[0]!.kind).toBe("system");
  });
});

describe("a paused link and a pruned feed", () => {
  it("a paused link pulls nothing; resumed, it catches up", async () => {
    const pause = await national.app.inject({
      method: "PATCH",
      url: "/api/sync/links/can-tho",
      headers: national.admin.headers(true),
      payload: { enabled: false },
    });
    expect(pause.statusCode, pause.body).toBe(200);
    expect(pause.json().enabled).toBe(false);
    const w = await write(province, reporter, [{ indicator: "CT.A.I.3", area: "92", period: "2025M10", value: 1500 }]);
    expect(w.statusCode, w.body).toBe(200);
    expect((await pull(national, "can-tho")).pages).toBe(0);
    const paused = await published(national, { indicator: "QG.A.II.1", area: "92", period: "2025M10" });
    expect(paused.map((x) => x.value)).not.toContain(1500);
    await national.app.inject({
      method: "PATCH",
      url: "/api/sync/links/can-tho",
      headers: national.admin.headers(true),
      payload: { enabled: true },
    });
    await pull(national, "can-tho");
    expect(await published(national, { indicator: "QG.A.II.1", area: "92", period: "2025M10" })).toMatchObject([{ value: 1500 }]);
  });

  it("a cursor from before the pruned changes answers 410; starting again brings every published figure", async () => {
    const link = await sql<{ cursor: string }>`SELECT cursor FROM sync_links WHERE id = 'can-tho'`.execute(national.database.db);
    const old = link.rows[0]!.cursor;
    // One more change, then everything up to now is pruned at the province.
    const w = await write(province, reporter, [{ indicator: "CT.A.I.3", area: "92", period: "2025M10", value: 1600 }]);
    expect(w.statusCode, w.body).toBe(200);
    expect(await pruneFeed(province.database.db, 0, new Date(Date.now() + 1000))).toBeGreaterThan(0);
    const gone = await province.app.inject({
      url: `/api/changes?after=${encodeURIComponent(old)}`,
      headers: province.admin.headers(),
    });
    expect(gone.statusCode).toBe(410);
    expect(gone.json().message).toContain("hết hạn");
    // The link notices, starts again from the snapshot, and ends with the province's figures.
    await pull(national, "can-tho");
    const r = await pull(national, "can-tho");
    expect(r.error).toBeUndefined();
    expect(await published(national, { indicator: "QG.A.II.1", area: "92", period: "2025M10" })).toMatchObject([{ value: 1600 }]);
    const here = await reconcile(national, { indicators: "QG.A.II.1", area: "92" });
    expect(compareReconciliations(here, await reconcile(province, { indicators: "QG.A.II.1", area: "92" }))).toEqual([]);
  });
});
