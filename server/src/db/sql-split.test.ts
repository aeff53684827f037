import { describe, expect, it } from "vitest";
import { splitSql } from "./sql-split";

describe("splitting SQL scripts into statements", () => {
  it("splits on the semicolons between statements only", async () => {
    expect(await splitSql("SELECT 1; SELECT 2;\nSELECT 3")).toEqual(["SELECT 1", "SELECT 2", "SELECT 3"]);
  });

  it("keeps semicolons inside quotes, identifiers and E'' strings", async () => {
    const script = `INSERT INTO t (a, "we;ird") VALUES ('a;b', 'it''s; fine');
SELECT E'back\\'slash; still inside', E'\\\\'; SELECT 'x'`;
    expect(await splitSql(script)).toEqual([
      `INSERT INTO t (a, "we;ird") VALUES ('a;b', 'it''s; fine')`,
      `SELECT E'back\\'slash; still inside', E'\\\\'`,
      `SELECT 'x'`,
    ]);
  });

  it("keeps dollar-quoted bodies whole, with or without a tag", async () => {
    const fn = `CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'no; never';
END;
$$`;
    const tagged = `CREATE FUNCTION g() RETURNS text LANGUAGE sql AS $body$ SELECT $$a;b$$ || ';' $body$`;
    expect(await splitSql(`${fn};\n${tagged};\nDO $x$ BEGIN PERFORM 1; END $x$;`)).toEqual([
      fn,
      tagged,
      "DO $x$ BEGIN PERFORM 1; END $x$",
    ]);
  });

  it("ignores semicolons in -- and /* */ comments (nested too) and drops comment-only parts", async () => {
    const script = `-- migrate:up; a header
-- Việt Nam; a comment with letters of several bytes
CREATE TABLE a (x int); -- after; it
/* block; comment /* nested; */ still; */
SELECT 1 /* inside; */ + 2;
-- only a comment at the end;`;
    expect(await splitSql(script)).toEqual(["CREATE TABLE a (x int)", "SELECT 1 /* inside; */ + 2"]);
  });

  it("gives nothing for an empty or comment-only script", async () => {
    expect(await splitSql("")).toEqual([]);
    expect(await splitSql("-- nothing here;\n  \n/* nor; here */")).toEqual([]);
  });

  it("refuses a script that does not parse, naming the line", async () => {
    await expect(splitSql("SELECT 1;\nSELECT 'unterminated;\n")).rejects.toThrow(/line 2/);
    await expect(splitSql("CREATE TABLE (;")).rejects.toThrow(/does not parse/);
  });
});
