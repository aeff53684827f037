import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/database";
import { buildApp, type App } from "../http/app";
import { loadReferenceData } from "../reference/load";
import { createUser, login, type TestSession } from "../testing/auth";
import { createTestDatabase, testEngine } from "../testing/database";

/**
 * Programme cards name the agency that leads a programme today: QĐ 1012 names ministries dissolved in the
 * 2025 reorganisation (Bộ Nông nghiệp và Phát triển nông thôn, Bộ Kế hoạch và Đầu tư…); their successors lead
 * now, and the name the document wrote stays available beside it.
 */

let database: Database;
let app: App;
let office: TestSession;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReferenceData(database.db);
  app = await buildApp({ database, clock: () => new Date("2025-11-05T03:00:00Z") });
  office = await login(app, (await createUser(database, "office_specialist")).username);
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

interface Programme {
  code: string;
  leadAgency: string | null;
  leadAgencyName: string | null;
  leadAgencyAsWritten: { code: string; name: string } | null;
}

describe(`programme lead agencies on ${testEngine}`, () => {
  it("names the successor of a dissolved lead agency and keeps the name the document wrote", async () => {
    const res = await app.inject({ url: "/api/programmes?year=2025", headers: office.headers() });
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as Programme[];
    const agencies = new Map(
      (await database.db.selectFrom("agencies").select(["code", "name", "dissolved_on", "successor_code"]).execute()).map((a) => [
        a.code,
        a,
      ]),
    );
    const stored = await database.db.selectFrom("programmes").select(["code", "lead_agency"]).execute();
    const written = new Map(stored.map((p) => [p.code, p.lead_agency]));
    // The sample catalogue does name dissolved agencies as leads, so the check below is not vacuous.
    const succeeded = items.filter((p) => agencies.get(written.get(p.code) ?? "")?.dissolved_on);
    expect(succeeded.length).toBeGreaterThan(0);
    for (const p of items) {
      const lead = agencies.get(p.leadAgency ?? "");
      expect(lead?.dissolved_on ?? null, `${p.code} led by ${p.leadAgencyName}`).toBeNull();
      expect(p.leadAgencyName).toBe(lead?.name);
    }
    for (const p of succeeded) {
      const asWritten = agencies.get(written.get(p.code)!)!;
      expect(p.leadAgencyAsWritten).toEqual({ code: asWritten.code, name: asWritten.name });
      expect(p.leadAgency).not.toBe(asWritten.code);
    }
    const agriculture = items.find((p) => p.leadAgencyAsWritten?.name === "Bộ Nông nghiệp và Phát triển nông thôn");
    if (agriculture) expect(agriculture.leadAgencyName).toBe("Bộ Nông nghiệp và Môi trường");
    // A lead agency still in office is shown as it is, with nothing "as written".
    for (const p of items.filter((x) => !succeeded.includes(x))) expect(p.leadAgencyAsWritten).toBeNull();
  });
});
