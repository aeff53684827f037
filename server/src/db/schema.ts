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
}

export interface TaskSectionsTable {
  task_list_id: string;
  code: string;
  name_as_written: string;
  seq: number;
}

export interface TasksTable {
  code: string;
  task_list_id: string;
  seq: number;
  section_code: string;
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
  source_line: number;
  note: string | null;
  search_text: string;
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
  batch_id: string | null;
  review_comment: string | null;
  flags: Generated<string[]>;
}

export type DataValueStatus = "draft" | "submitted" | "approved" | "returned";

export type DataChannel = "form" | "spreadsheet" | "api" | "csv" | "sdmx" | "dhis2" | "review" | "sample";

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
  dimensions: DimensionsTable;
  dimension_options: DimensionOptionsTable;
  reporting_obligations: ReportingObligationsTable;
  entry_reopenings: EntryReopeningsTable;
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
