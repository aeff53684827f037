import type { Executor } from "../db/bulk";

/** Where a mirrored figure came from, as a person reads it: the install's name on its link, and its id. */
export interface Origin {
  install: string;
  name: string;
}

/**
 * The origin of each batch that another install sent (data_batches.origin), named by the link this install
 * pulls it through (or, for a change relayed from a third install, by its id).
 */
export async function originsOfBatches(db: Executor, batchIds: readonly (string | null)[]): Promise<Map<string, Origin>> {
  const ids = [...new Set(batchIds.filter((x): x is string => x !== null))];
  if (ids.length === 0) return new Map();
  const batches = await db
    .selectFrom("data_batches")
    .select(["id", "origin"])
    .where("id", "in", ids)
    .where("origin", "is not", null)
    .execute();
  if (batches.length === 0) return new Map();
  const installs = [...new Set(batches.map((b) => b.origin!))];
  const links = await db
    .selectFrom("sync_links")
    .select(["name", "peer_install_id"])
    .where("peer_install_id", "in", installs)
    .execute();
  const names = new Map(links.map((l) => [l.peer_install_id!, l.name]));
  return new Map(
    batches.map((b) => [b.id, { install: b.origin!, name: names.get(b.origin!) ?? `hệ thống ${b.origin!.slice(0, 8)}` }]),
  );
}
