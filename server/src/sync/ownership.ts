import { sql } from "kysely";
import type { Executor } from "../db/bulk";
import type { RowError } from "../errors";
import type { ReferenceData } from "../datavalues/reference-cache";

/**
 * Each indicator × area has one authoritative install. A link to a peer (sync_links) says the peer owns
 * the link's indicators (all of them when the link names none) in the link's area subtree: here those
 * figures are mirrored, read-only — people and tokens writing them are refused, naming the owner; only
 * the link's own pulls write them (sync/apply.ts). docs/decisions/0013.
 */
export interface Owner {
  linkId: string;
  name: string;
  indicators: Set<string> | null;
  areas: Set<string>;
}

export async function peerOwners(db: Executor, ref: ReferenceData): Promise<Owner[]> {
  const links = await sql<{ id: string; name: string; indicators: string[] | null; area_id: string | null }>`
    SELECT id, name, indicators, area_id FROM sync_links`.execute(db);
  return links.rows.map((l) => ({
    linkId: l.id,
    name: l.name,
    indicators: l.indicators ? new Set(l.indicators) : null,
    areas: l.area_id ? ref.subtree(l.area_id) : new Set(ref.areas.keys()),
  }));
}

/** The owner of a figure's key among the peers, if another install owns it. */
export function ownerOf(owners: readonly Owner[], indicator: string, area: string): Owner | undefined {
  return owners.find((o) => (o.indicators === null || o.indicators.has(indicator)) && o.areas.has(area));
}

/** Errors for rows whose figures another install owns (they are read-only here). */
export async function checkOwnership(
  db: Executor,
  ref: ReferenceData,
  rows: readonly { row: { indicator: string; area: string }; at: { row: number } }[],
  locate: (at: { row: number }, field: string, message: string) => RowError,
): Promise<RowError[]> {
  const owners = await peerOwners(db, ref);
  if (owners.length === 0) return [];
  const errors: RowError[] = [];
  for (const { row, at } of rows) {
    const owner = ownerOf(owners, row.indicator, row.area);
    if (owner)
      errors.push(
        locate(
          at,
          "indicator",
          `Số liệu chỉ số ${row.indicator} của địa bàn ${row.area} do hệ thống "${owner.name}" quản lý và được đồng bộ về đây (bản sao chỉ đọc); hãy sửa tại hệ thống đó`,
        ),
      );
  }
  return errors;
}
