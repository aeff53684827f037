import pg from "pg";
import { describe, expect, it } from "vitest";
import { isConnectionError } from "./database";

/**
 * What the API answers 503 (Retry-After) instead of 500 for (http/app.ts): the database out of reach, and a
 * pool whose every connection stayed busy past its wait — found by 50 dashboards refetching at once on a
 * cold 50 M-value warehouse (bench/live.ts), which got 500s.
 */
const url = process.env.DATABASE_URL;

describe("connection errors", () => {
  it.skipIf(!url)("include a pool that stayed busy past its wait, on a real PostgreSQL pool", async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 200 });
    const held = await pool.connect();
    try {
      const waited = await pool.connect().then(
        (c) => {
          c.release();
          return null;
        },
        (e: unknown) => e,
      );
      expect(waited).toBeInstanceOf(Error);
      expect(isConnectionError(waited)).toBe(true);
    } finally {
      held.release();
      await pool.end();
    }
  });

  it("include a refused connection, and not a wrong query", async () => {
    const refused = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:1/none", connectionTimeoutMillis: 2_000 });
    const e = await refused.connect().then(
      () => null,
      (x: unknown) => x,
    );
    expect(isConnectionError(e)).toBe(true);
    expect(isConnectionError(Object.assign(new Error('relation "x" does not exist'), { code: "42P01" }))).toBe(false);
  });
});
