import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

/** The repository root; the product's reference data lives in `<root>/data`. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export function dataPath(...parts: string[]): string {
  return path.join(repoRoot, "data", ...parts);
}

export function readJson<T = unknown>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

/** The built web UI: web/dist, or WEB_DIST (a build kept apart, e.g. for one developer's browser tests). */
export const webDist = process.env.WEB_DIST ? path.resolve(process.env.WEB_DIST) : path.join(repoRoot, "web", "dist");
