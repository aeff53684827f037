import { sql, type Kysely, type Selectable } from "kysely";
import type { Principal, RequestContext } from "../auth/principal";
import type { DataValueStatus, Schema, SyncLinksTable } from "../db/schema";
import { referenceData } from "../datavalues/reference-cache";
import { keyOf, validateRows, type IncomingRow } from "../datavalues/validation";
import { writeRows } from "../datavalues/writer";
import { installIdentity, type FeedChange } from "./feed";

/** A link as the puller reads it. */
export type LinkRow = Pick<
  Selectable<SyncLinksTable>,
  "id" | "name" | "peer_url" | "token" | "indicators" | "area_id" | "cursor"
>;

/** The principal a link's pulls write as: the install's system account for that peer (audited as such). */
export function linkPrincipal(link: Pick<LinkRow, "id" | "name" | "area_id">): Principal {
  return {
    via: "token",
    userId: null,
    username: null,
    displayName: `Đồng bộ từ ${link.name} (${link.id})`,
    tokenId: null,
    role: "reporter",
    scope: { agencies: null, areaId: link.area_id },
    csrfToken: null,
    canWrite: true,
    system: true,
  };
}

export interface ApplyOutcome {
  /** False when another process moved the link's cursor first (the page was not applied). */
  applied: boolean;
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  /** Changes not for this install: its own coming back, or outside the link's scope. */
  ignored: number;
  /** Changes refused by this install's checks (named in `problems`), counted and kept in the link's record. */
  refused: number;
  problems: string[];
}

/**
 * Applies one page of a peer's feed and moves the link's cursor, in one transaction: a crash leaves
 * either both or neither, and a page applied twice changes nothing the second time (equal figures are
 * unchanged). Changes first made here come back through the peer and are left out (no echo); the figure
 * is filed under the code the link asks for (a provincial row as the national indicator it implements).
 */
export async function applyPage(
  db: Kysely<Schema>,
  link: LinkRow,
  fetchedWith: string | null,
  page: { changes: FeedChange[]; next: string; headAt: string | null; install?: { id: string } },
  now: Date,
): Promise<ApplyOutcome> {
  const { installId } = await installIdentity(db);
  const ref = await referenceData(db);
  const areas = link.area_id ? ref.subtree(link.area_id) : null;
  const wanted = link.indicators ? new Set(link.indicators) : null;
  const outcome: ApplyOutcome = {
    applied: true,
    created: 0,
    updated: 0,
    deleted: 0,
    unchanged: 0,
    ignored: 0,
    refused: 0,
    problems: [],
  };
  // The last change of each key in the page (a page may carry a figure and then its deletion).
  const latest = new Map<string, { change: FeedChange; code: string }>();
  for (const c of page.changes) {
    if (c.origin === installId) {
      outcome.ignored++;
      continue;
    }
    // A link that names its indicators files a provincial row under the national code it asked for; a link
    // over every indicator mirrors the codes as sent.
    const code = wanted ? [c.indicator, c.nationalIndicator].find((x): x is string => x !== null && wanted.has(x)) : c.indicator;
    if (!code || (areas && !areas.has(c.area))) {
      outcome.ignored++;
      continue;
    }
    const k = keyOf({ indicator: code, area: c.area, period: c.period, disaggregation: c.disaggregation });
    if (latest.has(k)) outcome.ignored++;
    latest.delete(k);
    latest.set(k, { change: c, code });
  }
  // One batch per origin and status: a batch records where its figures came from.
  const groups = new Map<string, { origin: string; status: DataValueStatus; rows: IncomingRow[]; ids: Map<string, string> }>();
  for (const { change: c, code } of latest.values()) {
    const status: DataValueStatus = c.status === "approved" ? "approved" : "submitted";
    const g = `${c.origin}|${status}`;
    let group = groups.get(g);
    if (!group) groups.set(g, (group = { origin: c.origin, status, rows: [], ids: new Map() }));
    const row: IncomingRow = {
      at: { row: group.rows.length + 1 },
      indicator: code,
      area: c.area,
      period: c.period,
      disaggregation: c.disaggregation,
      value: c.deleted || c.value === null ? null : Number(c.value),
      valueText: c.deleted ? null : c.valueText,
      comment: c.deleted ? null : c.comment,
      action: c.deleted ? "delete" : "upsert",
    };
    group.rows.push(row);
    group.ids.set(keyOf(row), c.id);
  }
  const principal = linkPrincipal(link);
  const ctx: RequestContext = { principal, ip: null, userAgent: `liên thông: ${link.peer_url}`.slice(0, 200) };
  await db.transaction().execute(async (trx) => {
    // The cursor this page was asked with must still be the link's: otherwise another process applied it.
    const current = await sql<{ cursor: string | null }>`SELECT cursor FROM sync_links WHERE id = ${link.id} FOR UPDATE`.execute(
      trx,
    );
    if (current.rows.length === 0 || current.rows[0]!.cursor !== fetchedWith) {
      outcome.applied = false;
      return;
    }
    for (const group of groups.values()) {
      let rows = group.rows;
      // Rows this install's checks refuse (an indicator it does not have, say) are set aside, named and
      // counted — never written half-way and never silently lost — and the rest of the page is applied.
      for (let attempt = 0; attempt < 3 && rows.length; attempt++) {
        const v = await validateRows(trx, principal, rows, { status: "submitted", now, channel: "sync", mirror: true });
        const bad = [...v.errors, ...v.scopeErrors];
        if (bad.length === 0) {
          const summary = await writeRows(
            trx,
            ctx,
            v.rows,
            { channel: "sync", status: group.status, origin: { install: group.origin, changeIds: group.ids } },
            { dryRun: false, now, latest: v.latest },
          );
          outcome.created += summary.created;
          outcome.updated += summary.updated;
          outcome.deleted += summary.deleted;
          outcome.unchanged += summary.unchanged;
          rows = [];
          break;
        }
        const badRows = new Set(bad.map((e) => e.row));
        for (const e of bad.slice(0, 20)) {
          const r = rows[e.row - 1];
          outcome.problems.push(r ? `${r.indicator} ${r.area} ${r.period}: ${e.message}` : e.message);
        }
        outcome.refused += badRows.size;
        rows = rows.filter((r) => !badRows.has(r.at.row)).map((r, i) => ({ ...r, at: { row: i + 1 } }));
      }
    }
    const lastChange = page.changes[page.changes.length - 1];
    await trx
      .updateTable("sync_links")
      .set({
        cursor: page.next,
        last_success_at: now,
        last_attempt_at: now,
        ...(lastChange ? { last_change_at: new Date(lastChange.changedAt) } : {}),
        peer_head_at: page.headAt ? new Date(page.headAt) : null,
        ...(page.install ? { peer_install_id: page.install.id } : {}),
        applied_changes: sql`applied_changes + ${outcome.created + outcome.updated + outcome.deleted}`,
        skipped_changes: sql`skipped_changes + ${outcome.refused}`,
        failures: 0,
        ...(outcome.problems.length
          ? {
              last_error: `Từ chối ${outcome.refused} thay đổi: ${outcome.problems.join("; ")}`.slice(0, 4000),
              last_error_at: now,
            }
          : {}),
      })
      .where("id", "=", link.id)
      .execute();
  });
  return outcome;
}
