// `npm run gen:api`: writes web/src/api/openapi.gen.ts from the server's own OpenAPI document, so the web UI's
// API types are never written by hand a second time. `npm run gen:api -- --check` fails when the file is stale
// (CI runs it).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../server/src/paths";
import { apiTypesFile, renderApiTypes } from "./api-types";

const text = await renderApiTypes();
const name = path.relative(repoRoot, apiTypesFile);

if (process.argv.includes("--check")) {
  const current = (() => {
    try {
      return readFileSync(apiTypesFile, "utf8");
    } catch {
      return "";
    }
  })();
  if (current !== text) {
    console.error(`${name} is out of date: run 'npm run gen:api' and commit it.`);
    process.exit(1);
  }
  console.log(`${name} is current.`);
} else {
  writeFileSync(apiTypesFile, text);
  console.log(`wrote ${name}`);
}
