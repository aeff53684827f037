#!/usr/bin/env node
// `npm test`: the whole suite on the embedded PGlite, then again on PostgreSQL when DATABASE_URL is set,
// then the browser tests in Chromium (when Chromium is installed). Prints one closing line with the totals.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const outDir = mkdtempSync(path.join(tmpdir(), "dieuhanh-test-"));
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const totals = { passed: 0, failed: 0, skipped: 0 };
let ok = true;

function vitest(label, args, env) {
  console.log(`\n=== ${label} ===`);
  const json = path.join(outDir, `${label.replace(/\W+/g, "-")}.json`);
  const run = spawnSync("npx", ["vitest", "run", ...args, "--reporter=default", "--reporter=json", `--outputFile.json=${json}`], {
    stdio: "inherit",
    env,
  });
  if (run.status !== 0) ok = false;
  if (existsSync(json)) {
    const r = JSON.parse(readFileSync(json, "utf8"));
    totals.passed += r.numPassedTests;
    totals.failed += r.numFailedTests;
    totals.skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  } else {
    totals.failed += 1; // the runner itself failed
  }
}

// DATABASE_READ_URL (a hot standby, see .ci/standby) goes only to the PostgreSQL run, with DATABASE_URL.
const { DATABASE_URL, DATABASE_READ_URL: _readUrl, ...withoutDatabase } = process.env;
vitest("unit and database tests on PGlite", [], withoutDatabase);
if (DATABASE_URL) vitest("database tests on PostgreSQL", ["server/src"], { ...process.env });

if (existsSync(chromium)) {
  if (!existsSync("web/dist/index.html")) {
    const build = spawnSync("npm", ["run", "build:web"], { stdio: "inherit" });
    if (build.status !== 0) ok = false;
  }
  vitest("browser tests in Chromium", ["--config", "vitest.browser.config.ts"], withoutDatabase);
  const shots = "test-artifacts/screenshots";
  if (existsSync(shots))
    console.log(
      `\nScreenshots (CI artefacts): ${readdirSync(shots)
        .sort()
        .map((f) => `${shots}/${f}`)
        .join(", ")}`,
    );
} else {
  console.log(`\n(browser tests skipped: no Chromium at ${chromium}; install it with 'apt-get install chromium')`);
}

console.log(`\nTests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok && totals.failed === 0 ? 0 : 1);
