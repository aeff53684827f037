import type { ColumnType, Generated } from "kysely";
import type { Role, RowKind } from "@dieuhanh/core";

/** Kysely's view of the tables; kept in step with migrations/ by the database tests. */

type DateString = string;
export type AreaLevel = "nation" | "province" | "district" | "commune";
/** A timestamptz column with a database default: read as Date, optional on insert. */
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface AreasTable {
  id: string;
  code: string;
  level: AreaLevel;
  parent_id: string | null;
  name: string;
  full_name: string;
  name_en: string | null;
  unit_type: string;
  valid_from: DateString | null;
  valid_to: DateString | null;
  area_km2: number | null;
  search_text: string;
}

export interface AreaMergesTable {
  new_area_id: string;
  old_area_id: string;
  merge_type: "full" | "partial";
}

export interface AgenciesTable {
  code: string;
  name: string;
  level: string;
  kind: string;
  province_code: string | null;
  dissolved_on: DateString | null;
  successor_code: string | null;
  note: string | null;
  search_text: string;
}

export interface AgencyAliasesTable {
  agency_code: string;
  alias: string;
  name_key: string;
}

export interface CataloguesTable {
  id: string;
  code_prefix: string;
  name: string;
  document_number: string | null;
  document_date: DateString | null;
  document_issuer: string;
  document_title: string;
  source_file: string;
  appendix: string;
  issuing_area_id: string | null;
  version: Generated<number>;
  loaded_at: DefaultTimestamp;
}

export interface CatalogueGroupsTable {
  catalogue_id: string;
  group_code: string;
  subgroup_code: string;
  name_as_written: string;
  seq: number;
}

export interface IndicatorsTable {
  code: string;
  catalogue_id: string;
  seq: number;
  stt: string | null;
  kind: RowKind;
  parent_code: string | null;
  group_code: string;
  subgroup_code: string | null;
  name_as_written: string;
  name: string;
  details: string | null;
  unit_as_written: string | null;
  unit: string | null;
  unit_inferred: boolean;
  scope_as_written: string | null;
  scope_levels: string[];
  frequency_as_written: string | null;
  period_types: string[];
  disaggregation_as_written: string | null;
  dimensions: string[];
  agencies_as_written: string | null;
  sharing_agencies_as_written: string | null;
  collection_method_as_written: string | null;
  comparisons: string[];
  national_code: string | null;
  source_line: number;
  source_row_label: string | null;
  note: string | null;
  search_text: string;
  version: Generated<number>;
  updated_at: DefaultTimestamp;
  value_type: Generated<"number" | "text">;
}

export interface IndicatorAgenciesTable {
  indicator_code: string;
  role: "responsible" | "sharing";
  position: number;
  agency_code: string;
  as_written: string;
}

export interface TaskListsTable {
  id: string;
  code_prefix: string;
  catalogue_id: string;
  appendix: string;
  title: string;
  document_id: string | null;
}

export interface TaskSectionsTable {
  task_list_id: string;
  code: string;
  name_as_written: string;
  seq: number;
}

export interface TasksTable {
  code: string;
  task_list_id: string | null;
  seq: number | null;
  section_code: string | null;
  stt: string | null;
  name_as_written: string;
  name: string;
  expected_result_as_written: string | null;
  deadline_as_written: string | null;
  deadline_kind: "date" | "range" | "recurring" | "on_request" | "unknown";
  deadline_precision: string | null;
  deadline_date: DateString | null;
  deadline_from: DateString | null;
  deadline_to: DateString | null;
  deadline_note: string | null;
  lead_agencies_as_written: string | null;
  coordinating_agencies_as_written: string | null;
  source_line: number | null;
  note: string | null;
  search_text: string;
  origin: Generated<"seed" | "manual">;
  document_id: string | null;
  assigned_by: string | null;
  priority: Generated<"normal" | "high" | "urgent">;
  parent_code: string | null;
  report_cadence: "month" | "quarter" | "half_year" | "year" | null;
  extended_to: DateString | null;
  completed_on: DateString | null;
  closed_as: "cancelled" | "adjusted" | null;
  closed_by_document_id: string | null;
  closed_reason: string | null;
  created_by: string | null;
  created_on: ColumnType<DateString, DateString | undefined, DateString>;
  version: Generated<number>;
}

export interface AttachmentsTable {
  id: string;
  file_name: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  content: Buffer;
  uploaded_by: string | null;
  uploaded_at: DefaultTimestamp;
}

export type DocumentKind = "decision" | "plan" | "resolution" | "conclusion_notice" | "official_letter" | "directive" | "other";

export interface DocumentsTable {
  id: string;
  kind: DocumentKind;
  number: string | null;
  issued_on: DateString | null;
  issuer: string;
  title: string;
  area_id: string | null;
  attachment_id: string | null;
  origin: Generated<"seed" | "manual">;
  created_by: string | null;
  created_at: DefaultTimestamp;
  search_text: string;
}

export interface TaskIndicatorsTable {
  task_code: string;
  indicator_code: string;
}

export interface TaskReportsTable {
  id: Generated<string>;
  task_code: string;
  agency_code: string;
  body: string;
  percent: number | null;
  claims_completion: Generated<boolean>;
  proposed_deadline: DateString | null;
  attachment_ids: Generated<string[]>;
  reported_by: string;
  reported_on: DateString;
  reported_at: DefaultTimestamp;
  review: Generated<"pending" | "accepted" | "returned" | "noted">;
  reviewed_by: string | null;
  reviewed_at: Date | null;
  review_comment: string | null;
}

export interface TaskEventsTable {
  id: Generated<string>;
  task_code: string;
  at: DefaultTimestamp;
  kind: string;
  actor: string | null;
  detail: string | null;
}

export interface NotificationsTable {
  id: Generated<string>;
  agency_code: string | null;
  /** The person to act; null only for the agency-wide reminders written before notifications were personal. */
  user_id: string | null;
  kind: string;
  task_code: string | null;
  message: string;
  /** Where in the app the person acts (a path), if anywhere. */
  link: string | null;
  dedupe_key: string;
  created_at: DefaultTimestamp;
}

export interface NotificationReadsTable {
  notification_id: string;
  user_id: string;
  read_at: DefaultTimestamp;
}

export interface OutboundMessagesTable {
  id: Generated<string>;
  channel: "email";
  agency_code: string | null;
  user_id: string | null;
  /** The e-mail address, as it stood when the message was written. */
  recipient: string | null;
  subject: string;
  body: string;
  dedupe_key: string;
  created_at: DefaultTimestamp;
  sent_at: Date | null;
  sender: string | null;
  attempts: Generated<number>;
  next_attempt_at: DefaultTimestamp;
  last_error: string | null;
}

export interface TargetsTable {
  id: Generated<string>;
  indicator_code: string;
  area_id: string;
  target_year: number;
  source: string;
  operator: ">=" | "<=" | "=" | "range";
  target_value: number | null;
  target_max: number | null;
  note: string | null;
  updated_by: string | null;
  updated_at: DefaultTimestamp;
}

export interface ProgrammesTable {
  code: string;
  name: string;
  kind: "national_target_programme" | "key_projects";
  indicator_code: string | null;
  lead_agency: string | null;
  period_from: number;
  period_to: number;
}

export interface ProjectsTable {
  code: string;
  programme_code: string;
  name: string;
  area_id: string | null;
  capital_plan: number | null;
  unit: Generated<string>;
  physical_progress: number | null;
  updated_by: string | null;
  updated_at: DefaultTimestamp;
}

export interface TaskAgenciesTable {
  task_code: string;
  role: "lead" | "coordinating";
  position: number;
  agency_code: string;
  as_written: string;
}

export interface DataValuesTable {
  id: Generated<string>;
  indicator_code: string;
  area_id: string;
  period: string;
  period_type: string;
  disaggregation: Generated<string>;
  version: number;
  value: number | null;
  value_text: string | null;
  comment: string | null;
  status: DataValueStatus;
  source: string;
  agency_code: string | null;
  recorded_by_user: string | null;
  recorded_by_token: string | null;
  recorded_at: DefaultTimestamp;
  superseded_at: Date | null;
  /** The version dashboards and exports read from this moment (submitted or approved); docs/decisions/0008. */
  published_at: Date | null;
  /** No longer the published version from this moment (a newer submission, a return, a deletion). */
  unpublished_at: Date | null;
  batch_id: string | null;
  review_comment: string | null;
  flags: Generated<string[]>;
}

export type DataValueStatus = "draft" | "submitted" | "approved" | "returned";

export type DataChannel =
  | "form"
  | "spreadsheet"
  | "api"
  | "csv"
  | "sdmx"
  | "dhis2"
  | "review"
  | "sample"
  | "system"
  /** Mirrored from another install (server/src/sync). */
  | "sync";

export interface DataBatchesTable {
  id: string;
  channel: DataChannel;
  file_name: string | null;
  file_sha256: string | null;
  recorded_by_user: string | null;
  recorded_by_token: string | null;
  recorded_at: DefaultTimestamp;
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  /** Null while a batch written in parts is still being written (a crash leaves it so: undone at start). */
  completed_at: Date | null;
  /** The database's time of the batch's last written part. */
  progressed_at: DefaultTimestamp;
  /** The install the batch's figures came from (server/src/sync); null when written here. */
  origin: Generated<string | null>;
}

/** What each written part of an unfinished batch changed in rows it did not insert (datavalues/writer.ts). */
export interface DataBatchUndoTable {
  batch_id: string;
  value_id: string;
  /** The version's distribution column (every UPDATE of data_values names it). */
  indicator_code: string;
  kind: "superseded" | "unpublished";
}

export interface DimensionsTable {
  code: string;
  name: string;
  description: string | null;
  is_partition: boolean;
  options_from: string | null;
  source: string | null;
}

export interface DimensionOptionsTable {
  dimension_code: string;
  code: string;
  name: string;
  parent_code: string | null;
  seq: number;
}

export interface ReportingObligationsTable {
  id: Generated<number>;
  agency_code: string;
  indicator_code: string;
  root_area_id: string;
  area_level: "nation" | "province" | "commune";
  period_type: "day" | "week" | "month" | "quarter" | "half_year" | "year";
  deadline_days: number;
  lock_after_days: number | null;
  active: Generated<boolean>;
  updated_by: string | null;
  updated_at: DefaultTimestamp;
}

export interface EntryReopeningsTable {
  id: Generated<string>;
  agency_code: string;
  area_id: string;
  period: string;
  reason: string;
  reopened_by: string;
  reopened_at: DefaultTimestamp;
  open_until: Date;
}

export interface Schema {
  areas: AreasTable;
  area_merges: AreaMergesTable;
  agencies: AgenciesTable;
  agency_aliases: AgencyAliasesTable;
  catalogues: CataloguesTable;
  catalogue_groups: CatalogueGroupsTable;
  indicators: IndicatorsTable;
  indicator_agencies: IndicatorAgenciesTable;
  task_lists: TaskListsTable;
  task_sections: TaskSectionsTable;
  tasks: TasksTable;
  task_agencies: TaskAgenciesTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  login_failures: LoginFailuresTable;
  audit_log: AuditLogTable;
  data_values: DataValuesTable;
  data_batches: DataBatchesTable;
  data_batch_undo: DataBatchUndoTable;
  dimensions: DimensionsTable;
  dimension_options: DimensionOptionsTable;
  reporting_obligations: ReportingObligationsTable;
  entry_reopenings: EntryReopeningsTable;
  attachments: AttachmentsTable;
  documents: DocumentsTable;
  task_indicators: TaskIndicatorsTable;
  task_reports: TaskReportsTable;
  task_events: TaskEventsTable;
  notifications: NotificationsTable;
  notification_reads: NotificationReadsTable;
  outbound_messages: OutboundMessagesTable;
  targets: TargetsTable;
  programmes: ProgrammesTable;
  projects: ProjectsTable;
  dashboards: DashboardsTable;
  area_split_weights: AreaSplitWeightsTable;
  install_profile: InstallProfileTable;
  pending_startup_steps: PendingStartupStepsTable;
  install_identity: InstallIdentityTable;
  change_log: ChangeLogTable;
  sync_links: SyncLinksTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_receipts: WebhookReceiptsTable;
}

/** Who this install is to its peers (one row); see sync/identity.ts. */
export interface InstallIdentityTable {
  singleton: Generated<boolean>;
  install_id: Generated<string>;
  feed_epoch: Generated<string>;
  pruned_through: Generated<string>;
  created_at: DefaultTimestamp;
}

/** One change of a key's published figure (sync/feed.ts). */
export interface ChangeLogTable {
  id: Generated<string>;
  origin: string;
  origin_change_id: string | null;
  indicator_code: string;
  area_id: string;
  period: string;
  disaggregation: string;
  deleted: boolean;
  value: string | null;
  value_text: string | null;
  comment: string | null;
  status: string | null;
  version: number | null;
  recorded_at: Date | null;
  recorded_by: string | null;
  changed_at: DefaultTimestamp;
}

/** A link to another install whose feed this one pulls (sync/links.ts). */
export interface SyncLinksTable {
  id: string;
  name: string;
  peer_url: string;
  token: string;
  indicators: string[] | null;
  area_id: string | null;
  webhook_secret: string | null;
  enabled: Generated<boolean>;
  peer_install_id: string | null;
  cursor: string | null;
  created_at: DefaultTimestamp;
  created_by: string | null;
  last_attempt_at: Date | null;
  last_success_at: Date | null;
  last_change_at: Date | null;
  peer_head_at: Date | null;
  applied_changes: Generated<string>;
  skipped_changes: Generated<string>;
  failures: Generated<number>;
  last_error: string | null;
  last_error_at: Date | null;
  late_notified_at: Date | null;
  peer_metadata: ColumnType<unknown, string | null, string | null>;
}

export interface WebhookSubscriptionsTable {
  id: Generated<string>;
  url: string;
  secret: string;
  notified_through: Generated<string>;
  created_at: DefaultTimestamp;
  revoked_at: Date | null;
}

export interface WebhookDeliveriesTable {
  id: string;
  subscription_id: string;
  payload: string;
  created_at: DefaultTimestamp;
  attempts: Generated<number>;
  next_attempt_at: DefaultTimestamp;
  delivered_at: Date | null;
  last_error: string | null;
}

export interface WebhookReceiptsTable {
  id: string;
  received_at: DefaultTimestamp;
}

/** Work a first start still owes (the sample figures); deleted in the work's own transaction (bin/startup.ts). */
export interface PendingStartupStepsTable {
  step: string;
  since: DefaultTimestamp;
}

/** Whom the install serves (one row, id = 1); see profile/service.ts. */
export interface InstallProfileTable {
  id: Generated<number>;
  kind: "government_office" | "ministry" | "province";
  name: string;
  catalogue_id: string;
  area_id: string;
  agency_code: string | null;
  default_tiles: ColumnType<unknown, string, string>;
  version: Generated<number>;
  updated_by: string | null;
  updated_at: DefaultTimestamp;
}

export interface AreaSplitWeightsTable {
  old_area_id: string;
  new_area_id: string;
  weight: number;
  basis: "population" | "area" | "other";
  updated_by: string | null;
  updated_at: DefaultTimestamp;
}

export interface DashboardsTable {
  id: string;
  name: string;
  owner_user_id: string | null;
  for_role: string | null;
  shared: Generated<boolean>;
  area_id: string;
  tiles: ColumnType<unknown, string, string>;
  version: Generated<number>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface UsersTable {
  id: Generated<string>;
  username: string;
  display_name: string;
  role: Role;
  scope_agencies: string[] | null;
  scope_area_id: string | null;
  password_hash: string | null;
  must_change_password: Generated<boolean>;
  external_issuer: string | null;
  external_subject: string | null;
  /** Where e-mail notifications go; null: in the app only. */
  email: ColumnType<string | null, string | null | undefined, string | null>;
  disabled_at: Date | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: DefaultTimestamp;
  last_seen_at: DefaultTimestamp;
  expires_at: Date;
  ip: string | null;
  user_agent: string | null;
  revoked_at: Date | null;
}

export interface ApiTokensTable {
  id: Generated<string>;
  name: string;
  token_hash: string;
  token_prefix: string;
  agency_code: string | null;
  area_id: string | null;
  can_write: boolean;
  created_by: string | null;
  created_at: DefaultTimestamp;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
  /** A system token: a trusted peer's machine account (locks bind people, not it). */
  kind: Generated<"standard" | "system">;
}

export interface LoginFailuresTable {
  username: string;
  ip: string | null;
  failed_at: DefaultTimestamp;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: DefaultTimestamp;
  actor_user_id: string | null;
  actor_username: string | null;
  actor_token_id: string | null;
  ip: string | null;
  user_agent: string | null;
  action: string;
  outcome: "success" | "denied" | "failure";
  entity_type: string;
  entity_id: string | null;
  before: unknown;
  after: unknown;
  reason: string | null;
}
