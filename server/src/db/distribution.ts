/**
 * How every table is placed when the product runs on Citus (distributed PostgreSQL), in one place: the
 * migration lint (citus-lint.test.ts), docs/decisions/0010-distribution.md and the script that
 * distributes an existing install (scripts/citus/distribute.sql, `citusDistributionScript()`) all agree
 * with it, and the lint fails on a table a migration creates without a line here.
 *
 * - distributed: sharded by `column`; tables of one `colocateWith` group keep the rows of one value on one
 *   node, so joins, foreign keys and transactions on that value stay on one shard. The figures are
 *   distributed by indicator: dashboards and imports read and write indicator by indicator.
 * - reference: copied whole to every node, so any distributed table may join them or point at them.
 * - local: kept on the coordinator only (undistributed): the application's own state, never joined with
 *   the figures in one query (accounts, sessions, the audit trail and its append-only trigger, tasks…).
 */
export type Placement =
  { kind: "distributed"; column: string; colocateWith?: string } | { kind: "reference" } | { kind: "local" };

const distributed = (column: string, colocateWith?: string): Placement => ({ kind: "distributed", column, colocateWith });
const reference: Placement = { kind: "reference" };
const local: Placement = { kind: "local" };

export const tablePlacement: Readonly<Record<string, Placement>> = {
  // The figures, by indicator (docs/decisions/0010).
  data_values: distributed("indicator_code"),
  data_batch_undo: distributed("indicator_code", "data_values"),
  // The read model (server/src/readmodel): integer keys, so a co-location group of its own (Citus
  // co-locates only distribution columns of one type; the indicator decides the shard in both groups).
  figure_facts: distributed("indicator_key"),
  figure_rollup: distributed("indicator_key", "figure_facts"),

  // Reference data: what the figures are joined with or point at.
  areas: reference,
  area_merges: reference,
  area_split_weights: reference,
  agencies: reference,
  agency_aliases: reference,
  catalogues: reference,
  catalogue_groups: reference,
  indicators: reference,
  indicator_agencies: reference,
  dimensions: reference,
  dimension_options: reference,
  reporting_obligations: reference,
  targets: reference,
  programmes: reference,
  indicator_keys: reference,
  area_keys: reference,
  disaggregation_keys: reference,
  series_links: reference,

  // The application's own state, on the coordinator.
  schema_migrations: local,
  users: local,
  sessions: local,
  api_tokens: local,
  login_failures: local,
  audit_log: local,
  data_batches: local,
  entry_reopenings: local,
  attachments: local,
  documents: local,
  task_lists: local,
  task_sections: local,
  tasks: local,
  task_agencies: local,
  task_indicators: local,
  task_reports: local,
  task_events: local,
  notifications: local,
  notification_reads: local,
  outbound_messages: local,
  projects: local,
  dashboards: local,
  install_profile: local,
  pending_startup_steps: local,
  reference_revision: local,
  // Exchange between installs (server/src/sync): the feed is read in commit order on the coordinator.
  install_identity: local,
  change_log: local,
  sync_links: local,
  webhook_subscriptions: local,
  webhook_deliveries: local,
  webhook_receipts: local,
};

/** The placement of `table`, or undefined for a table not classified (which the lint refuses). */
export function placementOf(table: string): Placement | undefined {
  return Object.prototype.hasOwnProperty.call(tablePlacement, table) ? tablePlacement[table] : undefined;
}

/** The distribution column of `table` when it is distributed. */
export function distributionColumn(table: string): string | undefined {
  const p = placementOf(table);
  return p?.kind === "distributed" ? p.column : undefined;
}

/** The first table of `table`'s co-location group (itself when it heads one), for a distributed table. */
export function colocationGroup(table: string): string | undefined {
  const p = placementOf(table);
  if (p?.kind !== "distributed") return undefined;
  return p.colocateWith ? colocationGroup(p.colocateWith) : table;
}

/**
 * The statements that distribute an existing install, in order: reference tables first (a distributed
 * table's foreign keys must find them), each group's first table, then the tables co-located with it.
 * Local tables stay where they are. Kept in scripts/citus/distribute.sql (a test checks the two agree).
 */
export function citusDistributionScript(): string {
  const entries = Object.entries(tablePlacement);
  const refs = entries.filter(([, p]) => p.kind === "reference").map(([t]) => t);
  const dist = entries.filter(([, p]) => p.kind === "distributed") as [string, Extract<Placement, { kind: "distributed" }>][];
  const locals = entries.filter(([, p]) => p.kind === "local").map(([t]) => t);
  const lines = [
    "-- Generated from server/src/db/distribution.ts (citusDistributionScript): change that, not this file.",
    "-- Distributes an install's tables on Citus; the steps around it are in docs/citus.md. Run once, on the",
    "-- coordinator, after the migrations, with the coordinator already in the metadata",
    "-- (SELECT citus_set_coordinator_host('<host>', <port>)): the local tables that point at reference",
    "-- tables, or that reference tables point at, then become Citus-managed local tables on the coordinator.",
    "\\set ON_ERROR_STOP on",
    "",
    "-- Reference tables: one copy on every node. A table after the tables it references.",
    ...orderByReferences(refs).map((t) => `SELECT create_reference_table('${t}');`),
    "",
    "-- Distributed tables, by their distribution column; a co-located table after the first of its group.",
    ...[...dist.filter(([, p]) => !p.colocateWith), ...dist.filter(([, p]) => p.colocateWith)].map(([t, p]) =>
      p.colocateWith
        ? `SELECT create_distributed_table('${t}', '${p.column}', colocate_with => '${p.colocateWith}');`
        : `SELECT create_distributed_table('${t}', '${p.column}', colocate_with => 'none');`,
    ),
    "",
    "-- Local tables, left on the coordinator:",
    ...wrap(locals.join(", "), 110).map((l) => `-- ${l}`),
    "",
  ];
  return lines.join("\n");
}

/**
 * Reference tables ordered so that a table comes after those it references (Citus converts a table's
 * referenced tables along with it, but the script is clearer and re-runnable in this order). The order
 * is the foreign keys' between the reference tables, known from the migrations.
 */
const referenceOrder = [
  "areas",
  "area_merges",
  "area_split_weights",
  "agencies",
  "agency_aliases",
  "catalogues",
  "catalogue_groups",
  "indicators",
  "indicator_agencies",
  "dimensions",
  "dimension_options",
  "reporting_obligations",
  "targets",
  "programmes",
  "indicator_keys",
  "area_keys",
  "disaggregation_keys",
  "series_links",
];

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

function orderByReferences(tables: string[]): string[] {
  const rank = (t: string) => {
    const i = referenceOrder.indexOf(t);
    return i < 0 ? referenceOrder.length : i;
  };
  return [...tables].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
