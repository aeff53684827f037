import { createHash } from "node:crypto";
import { sql } from "kysely";
import type { Executor } from "../db/bulk";

/**
 * The metadata that travels with the figures (item 2 of issue #13): catalogue rows with the national
 * indicator each implements, administrative units with their validity and the 2025 merge mapping, and the
 * disaggregation code lists. A peer reads the summary (a checksum per part) on each link and fetches a
 * part only when its checksum moved; the monitor page shows the indicators a peer has that this install
 * does not.
 */
type Part = "summary" | "indicators" | "areas" | "merges" | "dimensions";

async function parts(db: Executor) {
  const indicators = await sql<{
    code: string;
    catalogue: string;
    name: string;
    unit: string | null;
    kind: string;
    periodTypes: string[];
    dimensions: string[];
    nationalCode: string | null;
  }>`SELECT code, catalogue_id AS catalogue, name, unit, kind, period_types AS "periodTypes", dimensions,
      national_code AS "nationalCode" FROM indicators ORDER BY code`.execute(db);
  const areas = await sql<{
    id: string;
    code: string;
    level: string;
    parentId: string | null;
    name: string;
    validFrom: string | null;
    validTo: string | null;
  }>`SELECT id, code, level, parent_id AS "parentId", full_name AS name, valid_from::text AS "validFrom",
      valid_to::text AS "validTo" FROM areas ORDER BY id`.execute(db);
  const merges = await sql<{ newAreaId: string; oldAreaId: string; mergeType: string }>`
    SELECT new_area_id AS "newAreaId", old_area_id AS "oldAreaId", merge_type AS "mergeType" FROM area_merges
    ORDER BY new_area_id, old_area_id`.execute(db);
  const dimensions = await sql<{ dimension: string; code: string; name: string; parentCode: string | null }>`
    SELECT dimension_code AS dimension, code, name, parent_code AS "parentCode" FROM dimension_options
    ORDER BY dimension_code, seq, code`.execute(db);
  return { indicators: indicators.rows, areas: areas.rows, merges: merges.rows, dimensions: dimensions.rows };
}

const checksum = (x: unknown) => createHash("sha256").update(JSON.stringify(x)).digest("hex");

export async function syncMetadata(db: Executor, part: Part) {
  const all = await parts(db);
  if (part !== "summary") return { part, items: all[part] as unknown[] };
  return {
    part,
    summary: Object.fromEntries(
      (Object.keys(all) as (keyof typeof all)[]).map((k) => [k, { count: all[k].length, checksum: checksum(all[k]) }]),
    ),
  };
}
