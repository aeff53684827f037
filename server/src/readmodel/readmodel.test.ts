import { periodKey } from "@dieuhanh/core";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyticsService } from "../analytics/service";
import type { Principal, RequestContext } from "../auth/principal";
import { seriesLinks } from "../catalogue/series";
import type { Database } from "../db/database";
import type { DataChannel, DataValueStatus } from "../db/schema";
import { removeSampleData } from "../demo/load";
import type { PreparedRow } from "../datavalues/validation";
import { writeRows, writeRowsInParts } from "../datavalues/writer";
import { latestVersions } from "../datavalues/validation";
import { loadReferenceData } from "../reference/load";
import { createTestDatabase, testEngine } from "../testing/database";
import { rebuildReadModel, refreshRollupForAreas } from "./maintain";

/**
 * The read model kept on write equals the one recomputed from the versions, and the dashboards' answers
 * from it equal the answers from the versions ("as at" now), after a seeded random run of writes by several
 * channels and statuses, revisions, drafts over published figures, returns, deletions, approvals, undone
 * batches, sample figures loaded and removed, and changed shares of split units.
 */
let database: Database;
const admin: Principal = {
  via: "token",
  userId: null,
  username: "test",
  displayName: "Kiểm thử",
  tokenId: null,
  role: "admin",
  scope: { agencies: null, areaId: null },
  csrfToken: null,
  canWrite: true,
};
const ctx: RequestContext = { principal: admin, ip: null, userAgent: "test" };

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
}, 600_000);

afterAll(async () => {
  await database?.close();
});

/** A seeded generator (mulberry32): the same run every time, so a failure can be replayed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!,
  };
}

/** Both read-model tables, row for row, in key order. */
async function snapshot() {
  const facts = await sql`SELECT indicator_key, period_key, area_key, disaggregation_key, value, marks FROM figure_facts
    ORDER BY 1, 2, 3, 4`.execute(database.db);
  const cells = await sql`SELECT indicator_key, period_key, area_key, disaggregation_key, value, source, reported, expected, marks
    FROM figure_rollup ORDER BY 1, 2, 3, 4`.execute(database.db);
  return { facts: facts.rows, cells: cells.rows };
}

describe(`read model on ${testEngine}`, () => {
  it("computes period_key in the database as core's periodKey does, for every period type", async () => {
    const codes: string[] = [];
    for (const y of [2019, 2020, 2024, 2025, 2026]) {
      codes.push(String(y), `${y}S1`, `${y}S2`);
      for (let q = 1; q <= 4; q++) codes.push(`${y}Q${q}`);
      for (let m = 1; m <= 12; m++) codes.push(`${y}M${String(m).padStart(2, "0")}`);
      for (let w = 1; w <= 53; w++) codes.push(`${y}W${String(w).padStart(2, "0")}`);
    }
    for (let d = Date.UTC(2024, 0, 1); d <= Date.UTC(2025, 11, 31); d += 86_400_000)
      codes.push(new Date(d).toISOString().slice(0, 10).replaceAll("-", ""));
    codes.push("2025M13", "2025S3", "x", "2025Q0", "20250230", "20250431", "20240229", "20230229");
    const r = await sql<{ code: string; k: number | null }>`SELECT c AS code, period_key(c) AS k
      FROM unnest(${codes}::text[]) AS c`.execute(database.db);
    // A week past the year's last (2025W53) is not a period for either.
    for (const row of r.rows) expect([row.code, row.k], row.code).toEqual([row.code, periodKey(row.code)]);
    expect(r.rows.length).toBe(codes.length);
  });

  it("makes a year's partition when a figure of a year outside the window is written, moving nothing lost", async () => {
    await sql`INSERT INTO indicator_keys (code) VALUES ('TEST.PART') ON CONFLICT DO NOTHING`.execute(database.db);
    const key = (await sql<{ key: number }>`SELECT key FROM indicator_keys WHERE code = 'TEST.PART'`.execute(database.db))
      .rows[0]!.key;
    await database.db.transaction().execute(async (trx) => {
      // A row that went to the default partition (the year had none), then the year's partition made.
      await sql`INSERT INTO figure_facts VALUES (${key}, 2012305, 1, 1, 7, 0)`.execute(trx);
      await sql`SELECT ensure_figure_facts_year(2012)`.execute(trx);
      const r = await sql<{ part: string; value: number }>`SELECT tableoid::regclass::text AS part, value FROM figure_facts
        WHERE indicator_key = ${key}`.execute(trx);
      expect(r.rows).toEqual([{ part: expect.stringMatching(/figure_facts_y2012$/), value: 7 }]);
      await sql`DELETE FROM figure_facts WHERE indicator_key = ${key}`.execute(trx);
    });
  });

  it("keeps figure_facts and figure_rollup equal to a rebuild, and dashboards' answers equal to the versions', after random writes", async () => {
    const db = database.db;
    const rnd = random(20261202);
    const links = await seriesLinks(db);
    const ct = links.find((l) => l.code === "CT.A.I.3")!;
    const other = links.find((l) => l.nationalCode === "QG.A.II.1" && l.rootArea !== ct.rootArea)!;
    expect(ct.rootArea).toBe("92");
    const communesOf = async (parent: string, n: number) =>
      (
        await db
          .selectFrom("areas")
          .select("id")
          .where("parent_id", "=", parent)
          .where("valid_to", "is", null)
          .orderBy("id")
          .limit(n)
          .execute()
      ).map((a) => a.id);
    const ctCommunes = ["31120", "31150", "31168", "31183", ...(await communesOf("92", 3))];
    const otherCommunes = await communesOf(other.rootArea, 3);
    const oldOf = async (areas: string[]) =>
      (await db.selectFrom("area_merges").select("old_area_id").where("new_area_id", "in", areas).execute()).map(
        (m) => m.old_area_id,
      );
    const provinces = ["01", "79", "92", other.rootArea];
    const areas = [
      "VN",
      ...provinces,
      ...ctCommunes,
      ...otherCommunes,
      ...(await oldOf(provinces)),
      ...(await oldOf(ctCommunes)),
      ...(await oldOf(otherCommunes)),
    ];
    const uniqueAreas = [...new Set(areas)];
    // Amounts (with two provincial names of the same series), a rate.
    const indicators = ["QG.A.II.1", ct.code, other.code, "QG.A.V.1"];
    const periods = ["2024M06", "2024M12", "2025M01", "2025M02", "2025M03"];
    const disaggregations = ["", "gioi_tinh:nam"];
    const statuses: DataValueStatus[] = ["submitted", "approved", "draft", "draft", "returned", "submitted"];
    const channels: DataChannel[] = ["api", "spreadsheet", "form", "system", "csv"];
    // Indicators reported quarterly or yearly, beside the monthly ones, for the tiles.
    const otherTypes = (
      await db
        .selectFrom("reporting_obligations")
        .select("indicator_code")
        .where("period_type", "in", ["quarter", "year"])
        .orderBy("indicator_code")
        .limit(2)
        .execute()
    ).map((o) => o.indicator_code);
    const splitOlds = [...new Set((await oldOf(ctCommunes)).filter((o) => o.startsWith("old-")))];
    const splitParts = await db
      .selectFrom("area_merges")
      .select(["old_area_id", "new_area_id"])
      .where("old_area_id", "in", splitOlds)
      .execute();

    let clock = Date.parse("2025-11-01T00:00:00Z");
    const tick = () => new Date((clock += 1000 + rnd.int(3)));
    const rowFor = (indicator: string, area: string, period: string, g: string, action: "upsert" | "delete"): PreparedRow => ({
      indicator,
      area,
      period,
      periodType: "month",
      disaggregation: g,
      value: action === "delete" ? null : Math.round(rnd.next() * 1_000_000) / 100,
      valueText: null,
      comment: null,
      action,
      agency: null,
      flags: [],
    });
    const randomRows = (n: number, action: "upsert" | "delete" = "upsert") => {
      const seen = new Map<string, PreparedRow>();
      for (let i = 0; i < n; i++) {
        const r = rowFor(rnd.pick(indicators), rnd.pick(uniqueAreas), rnd.pick(periods), rnd.pick(disaggregations), action);
        seen.set(`${r.indicator}|${r.area}|${r.period}|${r.disaggregation}`, r);
      }
      return [...seen.values()];
    };
    /** Current versions of random keys, restated: what a review (approval, return) writes. */
    const currentRows = async (n: number) => {
      const rows = await sql<{
        indicator_code: string;
        area_id: string;
        period: string;
        disaggregation: string;
        value: string | null;
      }>`SELECT indicator_code, area_id, period, disaggregation, value FROM data_values WHERE superseded_at IS NULL
        ORDER BY id`.execute(db);
      const out: PreparedRow[] = [];
      for (let i = 0; i < n && rows.rows.length; i++) {
        const v = rnd.pick(rows.rows);
        out.push({
          ...rowFor(v.indicator_code, v.area_id, v.period, v.disaggregation, "upsert"),
          value: v.value === null ? null : Number(v.value),
        });
      }
      const seen = new Map(out.map((r) => [`${r.indicator}|${r.area}|${r.period}|${r.disaggregation}`, r]));
      return [...seen.values()];
    };
    const write = (rows: PreparedRow[], channel: DataChannel, status: DataValueStatus, extra: { keepPublished?: boolean } = {}) =>
      db.transaction().execute((trx) => writeRows(trx, ctx, rows, { channel, status, ...extra }, { dryRun: false, now: tick() }));

    const compareRebuild = async () => {
      const incremental = await snapshot();
      const rebuilt = await rebuildReadModel(db);
      const fresh = await snapshot();
      expect(incremental.facts).toEqual(fresh.facts);
      expect(incremental.cells).toEqual(fresh.cells);
      return rebuilt;
    };
    const compareAnswers = async () => {
      const service = analyticsService(db);
      const asOf = new Date(clock + 60_000);
      const queries = [
        { areas: ["VN"] },
        ...provinces.map((p) => ({ areas: [p] })),
        { parent: "VN" },
        { parent: "92" },
        { parent: other.rootArea },
        { areas: ["VN", "92"] },
        { areas: [...ctCommunes.slice(0, 3), "old-92"] },
      ];
      for (const g of disaggregations)
        for (const q of queries) {
          const base = { indicators, from: "2024M06", to: "2025M03", disaggregation: g, comparisons: true, ...q };
          const now = await service.query(admin, base);
          const then = await service.query(admin, { ...base, asOf });
          expect(now.series, JSON.stringify(q)).toEqual(then.series);
        }
      // The tiles: indicators of several period types in one call, from the read model and from the versions.
      for (const area of ["VN", "92", ctCommunes[0]!]) {
        const tiles = { indicators: [...indicators, ...otherTypes], area, today: "2025-04-10" };
        const now = await service.latest(admin, tiles);
        const then = await service.latest(admin, { ...tiles, asOf });
        expect(now.items, area).toEqual(then.items);
      }
    };

    const counts = new Map<string, number>();
    const count = (op: string) => counts.set(op, (counts.get(op) ?? 0) + 1);
    const OPERATIONS = Number(process.env.READMODEL_OPERATIONS ?? 320);
    for (let op = 0; op < OPERATIONS; op++) {
      const dice = rnd.next();
      if (dice < 0.35) {
        count("write");
        await write(randomRows(1 + rnd.int(25)), rnd.pick(channels), rnd.pick(statuses));
      } else if (dice < 0.45) {
        count("revise");
        const rows = await currentRows(1 + rnd.int(10));
        await write(
          rows.map((r) => ({ ...r, value: Math.round(rnd.next() * 1_000_000) / 100 })),
          rnd.pick(channels),
          rnd.pick(["submitted", "draft", "approved"] as const),
        );
      } else if (dice < 0.55) {
        count("approve");
        await write(await currentRows(1 + rnd.int(10)), "review", "approved");
      } else if (dice < 0.62) {
        count("return");
        await write(await currentRows(1 + rnd.int(6)), "review", "returned", { keepPublished: rnd.next() < 0.3 });
      } else if (dice < 0.7) {
        count("delete");
        await write(
          (await currentRows(1 + rnd.int(6))).map((r) => ({ ...r, action: "delete" as const, value: null })),
          rnd.pick(channels),
          "submitted",
        );
      } else if (dice < 0.77) {
        count("undone batch");
        const rows = randomRows(2 + rnd.int(20));
        const latest = await latestVersions(db, rows);
        await expect(
          writeRowsInParts(
            db,
            ctx,
            rows,
            { channel: rnd.pick(channels), status: rnd.pick(["submitted", "approved"] as const) },
            {
              dryRun: false,
              now: tick(),
              latest,
              afterWrite: () => Promise.reject(new Error("thử hoàn lại")),
            },
          ),
        ).rejects.toThrow("thử hoàn lại");
      } else if (dice < 0.82) {
        count("sample load");
        await write(randomRows(5 + rnd.int(30)), "sample", rnd.pick(["submitted", "approved"] as const));
      } else if (dice < 0.85) {
        count("sample removal");
        await removeSampleData(db, ctx);
        await compareRebuild();
      } else if (dice < 0.92 && splitOlds.length) {
        count("split weights");
        const old = rnd.pick(splitOlds);
        const parts = splitParts.filter((p) => p.old_area_id === old);
        const raw = parts.map(() => 1 + rnd.int(9));
        const total = raw.reduce((s, x) => s + x, 0);
        await db.transaction().execute(async (trx) => {
          await trx.deleteFrom("area_split_weights").where("old_area_id", "=", old).execute();
          if (rnd.next() < 0.8)
            await trx
              .insertInto("area_split_weights")
              .values(
                parts.map((p, i) => ({
                  old_area_id: old,
                  new_area_id: p.new_area_id,
                  weight: Math.round((raw[i]! / total) * 1000) / 1000,
                  basis: "population",
                  updated_by: null,
                })),
              )
              .execute();
          await refreshRollupForAreas(trx, [old]);
        });
        // At once: later writes to the same cells would otherwise hide a change of shares not carried over.
        await compareRebuild();
      } else {
        count("draft over published");
        await write(await currentRows(1 + rnd.int(8)), rnd.pick(channels), "draft");
      }
      if (op % 80 === 79) await compareAnswers();
      if (op % 20 === 19) await compareRebuild();
    }
    const rebuilt = await compareRebuild();
    await compareAnswers();
    // The run did exercise the read model: facts and cells of each kind exist.
    expect(rebuilt.facts).toBeGreaterThan(100);
    expect(rebuilt.cells).toBeGreaterThan(50);
    const sources = await sql<{
      source: number;
      n: string;
    }>`SELECT source, count(*) AS n FROM figure_rollup GROUP BY source`.execute(db);
    expect(sources.rows.map((r) => Number(r.source)).sort()).toEqual([0, 1, 2]);
    for (const op of [
      "write",
      "revise",
      "approve",
      "return",
      "delete",
      "undone batch",
      "sample load",
      "sample removal",
      "split weights",
    ])
      expect(counts.get(op) ?? 0, op).toBeGreaterThan(0);
  }, 1_800_000);
});
