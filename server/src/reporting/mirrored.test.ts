import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase } from "../testing/database";
import { mirrorFigures } from "../testing/mirror";

/**
 * Issue #13: mirrored figures are read-only on the other side and show where they came from. The province's
 * install mirrors Cần Thơ's public investment disbursement (CT.A.I.5) from the national install, which owns
 * it (a link over CT.A.I.5 × area 92, one page applied by the real applyPage). Sở Tài chính's form says so
 * for that row and carries the figure's origin; the rest of the form saves; a save naming the row is refused.
 */
const START = Date.now();
const clock = () => new Date(Date.parse("2025-11-05T03:00:00Z") + (Date.now() - START)); // October is over
const KEY = { agency: "CT.STC", area: "92", period: "2025M10" };
const LINK = { id: "quoc-gia", name: "Hệ thống quốc gia", indicators: ["CT.A.I.5"], areaId: "92" };

let database: Database;
let app: App;
let reporter: TestSession;
let approver: TestSession;
let origin: string;

interface Row {
  indicator: string;
  ownedBy: { linkId: string; name: string } | null;
  current: { value: number | null; status: string; source: string; origin?: { install: string; name: string } | null } | null;
}

async function form(session: TestSession): Promise<{ rows: Row[] }> {
  const r = await app.inject({ url: `/api/reports/form?${new URLSearchParams(KEY)}`, headers: session.headers() });
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}
const save = (status: "draft" | "submitted", values: object[]) =>
  app.inject({ method: "POST", url: "/api/reports/form", headers: reporter.headers(true), payload: { ...KEY, status, values } });

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock });
  reporter = await login(
    app,
    (await createUser(database, "reporter", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" })).username,
  );
  approver = await login(
    app,
    (await createUser(database, "approver", { scopeAgencies: ["CT.STC"], scopeAreaId: "92" })).username,
  );
  const applied = await mirrorFigures(
    database.db,
    LINK,
    [{ indicator: "CT.A.I.5", area: "92", period: "2025M10", value: 812.4, status: "submitted" }],
    clock(),
  );
  expect(applied).toMatchObject({ applied: true, created: 1, refused: 0 });
  origin = applied.origin;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await database?.close();
});

describe("mirrored figures on the report form", () => {
  it("marks the row another install owns and names the current figure's origin", async () => {
    const { rows } = await form(reporter);
    const owned = rows.find((r) => r.indicator === "CT.A.I.5")!;
    expect(owned.ownedBy).toEqual({ linkId: "quoc-gia", name: "Hệ thống quốc gia" });
    expect(owned.current).toMatchObject({ value: 812.4, source: "sync", origin: { install: origin, name: "Hệ thống quốc gia" } });
    // Every other row is this install's own.
    expect(rows.filter((r) => r.ownedBy).map((r) => r.indicator)).toEqual(["CT.A.I.5"]);
    expect(rows.find((r) => r.indicator === "CT.A.I.3")!.ownedBy).toBeNull();
  });

  it("saves and submits the other rows; a save naming the owned row is refused whole, naming the owner", async () => {
    const refused = await save("draft", [
      { indicator: "CT.A.I.3", value: 1234.5 },
      { indicator: "CT.A.I.5", value: 900 },
    ]);
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.body).toContain("Hệ thống quốc gia");
    expect((await form(reporter)).rows.find((r) => r.indicator === "CT.A.I.3")!.current).toBeNull();

    const draft = await save("draft", [
      { indicator: "CT.A.I.3", value: 1234.5 },
      { indicator: "CT.A.I.4", value: 980 },
    ]);
    expect(draft.statusCode, draft.body).toBe(200);
    expect(draft.json()).toMatchObject({ created: 2 });
    const submitted = await save("submitted", [
      { indicator: "CT.A.I.3", value: 1234.5 },
      { indicator: "CT.A.I.4", value: 980 },
    ]);
    expect(submitted.statusCode, submitted.body).toBe(200);
    const { rows } = await form(reporter);
    expect(rows.find((r) => r.indicator === "CT.A.I.3")!.current).toMatchObject({ status: "submitted", origin: null });
    // The mirrored figure stands as its owner sent it.
    expect(rows.find((r) => r.indicator === "CT.A.I.5")!.current).toMatchObject({
      value: 812.4,
      status: "submitted",
      source: "sync",
    });
  });

  it("a review here leaves the mirrored figure alone and refuses to decide it by name", async () => {
    const named = await app.inject({
      method: "POST",
      url: "/api/reports/review",
      headers: approver.headers(true),
      payload: { ...KEY, decisions: [{ indicator: "CT.A.I.5", action: "approve" }] },
    });
    expect(named.statusCode, named.body).toBe(403);
    expect(named.body).toContain("Hệ thống quốc gia");
    const all = await app.inject({
      method: "POST",
      url: "/api/reports/review",
      headers: approver.headers(true),
      payload: { ...KEY, action: "approve" },
    });
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json()).toMatchObject({ approved: 2 });
    const { rows } = await form(reporter);
    expect(rows.find((r) => r.indicator === "CT.A.I.3")!.current!.status).toBe("approved");
    expect(rows.find((r) => r.indicator === "CT.A.I.5")!.current).toMatchObject({ status: "submitted", source: "sync" });
  });

  it("the history names the origin of the mirrored version; the Excel template leaves the row out", async () => {
    const h = await app.inject({
      url: "/api/data-values/history?indicator=CT.A.I.5&area=92&period=2025M10",
      headers: reporter.headers(),
    });
    expect(h.statusCode, h.body).toBe(200);
    expect(h.json().items).toMatchObject([{ source: "sync", origin: { name: "Hệ thống quốc gia" } }]);
    const t = await app.inject({ url: `/api/reports/template?${new URLSearchParams(KEY)}`, headers: reporter.headers() });
    expect(t.statusCode).toBe(200);
    const ExcelJS = (await import("exceljs")).default;
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(t.rawPayload as unknown as ArrayBuffer);
    const cells = book.worksheets.flatMap((s) => s.getSheetValues().flat().map(String));
    expect(cells).toContain("CT.A.I.3");
    expect(cells).not.toContain("CT.A.I.5");
  });
});
