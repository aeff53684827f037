// Item 22 of issue 11: the web UI's API types were written by hand a second time (web/src/api/types.ts) and
// drifted from the routes. They are now generated from the routes' schemas and derived, never copied.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { apiTypesFile, renderApiTypes } from "../../../scripts/api-types";
import { repoRoot } from "../paths";

describe("the web UI's API types", () => {
  it("are generated from the routes' schemas as they are now (npm run gen:api)", async () => {
    const current = readFileSync(apiTypesFile, "utf8");
    expect(current === (await renderApiTypes()), "web/src/api/openapi.gen.ts is stale: run 'npm run gen:api'").toBe(true);
  });

  it("declare no response shape by hand: every type in web/src/api/types.ts is derived from the generated ones", () => {
    const text = readFileSync(path.join(repoRoot, "web", "src", "api", "types.ts"), "utf8");
    expect(text).toContain('from "./openapi.gen"');
    // A hand-written shape is an interface or an object type literal; derived aliases are neither.
    expect(text.match(/^\s*(export\s+)?interface\s+\w+/gm) ?? []).toEqual([]);
    expect(text.match(/^export type \w+(<[^>]*>)? = \{/gm) ?? []).toEqual([]);
  });
});
