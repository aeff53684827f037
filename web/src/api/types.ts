/** Response shapes of the API (see /api/openapi.json). */

export interface Subgroup {
  code: string;
  name: string;
  count: number;
}
export interface Catalogue {
  id: string;
  codePrefix: string;
  name: string;
  document: {
    number: string | null;
    date: string | null;
    issuer: string;
    title: string;
  };
  appendix: string;
  issuingAreaId: string | null;
  version: number;
  rowCount: number;
  indicatorCount: number;
  groups: (Subgroup & { subgroups: Subgroup[] })[];
}

export interface AgencyLink {
  code: string;
  name: string;
  asWritten: string;
  dissolvedOn: string | null;
  current: { code: string; name: string };
}

export interface IndicatorSummary {
  code: string;
  catalogueId: string;
  seq: number;
  stt: string | null;
  kind: "indicator" | "sub_indicator" | "unnumbered" | "of_which" | "heading";
  parentCode: string | null;
  group: string;
  subgroup: string | null;
  name: string;
  nameAsWritten: string;
  details: string | null;
  unit: string | null;
  unitInferred: boolean;
  scopeAsWritten: string | null;
  frequencyAsWritten: string | null;
  periodTypes: string[];
  agencies: AgencyLink[];
  nationalCode: string | null;
}

export interface IndicatorRef {
  code: string;
  catalogueId: string;
  name: string;
  kind: string;
  stt: string | null;
}

export interface IndicatorDetail extends IndicatorSummary {
  unitAsWritten: string | null;
  scopeLevels: string[];
  frequencyMonths: number[];
  frequencyDueMonth: string | null;
  disaggregationAsWritten: string | null;
  dimensions: string[];
  agenciesAsWritten: string | null;
  sharingAgenciesAsWritten: string | null;
  sharingAgencies: AgencyLink[];
  collectionMethodAsWritten: string | null;
  comparisons: string[];
  note: string | null;
  version: number;
  parent: IndicatorRef | null;
  children: IndicatorRef[];
  nationalIndicator: IndicatorRef | null;
  implementedBy: IndicatorRef[];
  source: {
    catalogueId: string;
    catalogueName: string | null;
    documentNumber: string | null;
    documentDate: string | null;
    documentIssuer: string | null;
    appendix: string | null;
    sourceFile: string | null;
    line: number;
    rowLabel: string | null;
  };
}

export interface Area {
  id: string;
  code: string;
  level: "nation" | "province" | "district" | "commune";
  name: string;
  fullName: string;
  nameEn: string | null;
  unitType: string;
  parentId: string | null;
  validFrom: string | null;
  validTo: string | null;
  areaKm2: number | null;
}

export interface MergeLink {
  id: string;
  code: string;
  level: string;
  name: string;
  fullName: string;
  parentId: string | null;
  mergeType: "full" | "partial";
}

export interface AreaDetail extends Area {
  parent: Area | null;
  childCount: number;
  mergedFrom: MergeLink[];
  mergedInto: MergeLink[];
}

export interface Agency {
  code: string;
  name: string;
  level: string;
  kind: string;
  provinceCode: string | null;
  dissolvedOn: string | null;
  successor: { code: string; name: string } | null;
  current: { code: string; name: string };
  aliases: string[];
  note: string | null;
}

export type TaskStatus =
  "not_yet_due" | "in_progress" | "due_soon" | "overdue" | "done_on_time" | "done_late" | "cancelled" | "adjusted";

export interface Task {
  code: string;
  taskListId: string | null;
  documentId: string | null;
  seq: number | null;
  section: string | null;
  sectionName: string | null;
  stt: string | null;
  name: string;
  nameAsWritten: string;
  expectedResult: string | null;
  deadline: {
    asWritten: string | null;
    kind: "date" | "range" | "recurring" | "on_request" | "unknown";
    precision: string | null;
    dueDate: string | null;
    from: string | null;
    to: string | null;
    note: string | null;
  };
  leadAgenciesAsWritten: string | null;
  leadAgencies: AgencyLink[];
  coordinatingAgenciesAsWritten: string | null;
  coordinatingAgencies: AgencyLink[];
  sourceLine: number | null;
  note: string | null;
  origin: "seed" | "manual";
  assignedBy: string | null;
  priority: "normal" | "high" | "urgent";
  parentCode: string | null;
  reportCadence: "month" | "quarter" | "half_year" | "year" | null;
  extendedTo: string | null;
  completedOn: string | null;
  closedAs: "cancelled" | "adjusted" | null;
  closedReason: string | null;
  status: TaskStatus;
  statusLabel: string;
  dueDate: string | null;
  daysLeft: number | null;
  lastReportOn: string | null;
  lastPercent: number | null;
  pendingReports: number;
  version: number;
}

export interface TaskReport {
  id: string;
  agency: string;
  agencyName: string;
  body: string;
  percent: number | null;
  claimsCompletion: boolean;
  proposedDeadline: string | null;
  attachmentIds: string[];
  reportedOn: string;
  reportedAt: string;
  reportedBy: string | null;
  review: "pending" | "accepted" | "returned" | "noted";
  reviewedBy: string | null;
  reviewedAt: string | null;
  reviewComment: string | null;
}

export interface TaskDetail extends Task {
  subTasks: Task[];
  reports: TaskReport[];
  events: { at: string; kind: string; actor: string | null; detail: string | null }[];
  indicators: { code: string; name: string; unit: string | null }[];
  document: { id: string; kind: string; number: string | null; issuedOn: string | null; issuer: string; title: string } | null;
  asOf: string;
}

export interface ScorecardRow {
  key: string;
  name: string;
  assigned: number;
  doneOnTime: number;
  doneLate: number;
  overdue: number;
  inProgress: number;
  closed: number;
  onTimeRate: number | null;
  tasks: string[];
}

export interface Scorecard {
  items: ScorecardRow[];
  totals: Omit<ScorecardRow, "key" | "name" | "tasks">;
  asOf: string;
}

export type TargetStatus = "achieved" | "on_track" | "at_risk" | "off_track" | "no_target" | "no_data";

export interface Target {
  id: string;
  indicator: string;
  indicatorName: string;
  unit: string | null;
  catalogueId: string;
  kind: string;
  area: string;
  areaName: string;
  year: number;
  source: string;
  operator: ">=" | "<=" | "=" | "range";
  targetValue: number | null;
  targetMax: number | null;
  note: string | null;
  status: TargetStatus;
  statusLabel: string;
  measured: number | null;
  measuredAs: "annual" | "cumulative" | "latest" | null;
  projected: number | null;
  percentOfTarget: number | null;
  monthsReported: number;
}

export interface Programme {
  code: string;
  name: string;
  kind: "national_target_programme" | "key_projects";
  indicator: string | null;
  leadAgency: string | null;
  leadAgencyName: string | null;
  periodFrom: number;
  periodTo: number;
  projects: {
    code: string;
    name: string;
    area: string | null;
    areaName: string | null;
    capitalPlan: number | null;
    unit: string;
    physicalProgress: number | null;
  }[];
  byArea: { area: string; areaName: string; plan: number | null; disbursed: number | null; disbursementRate: number | null }[];
}

export interface AppNotification {
  id: string;
  agency: string | null;
  kind: string;
  taskCode: string | null;
  message: string;
  /** Where in the app to act on it. */
  link: string | null;
  createdAt: string;
  read: boolean;
}

export interface DirectiveDocument {
  id: string;
  kind: string;
  kindLabel: string;
  number: string | null;
  issuedOn: string | null;
  issuer: string;
  title: string;
  taskCount: number;
}

export interface TaskList {
  id: string;
  catalogueId: string;
  appendix: string;
  title: string;
  taskCount: number;
  sections: { code: string; name: string }[];
}

export type Role = "admin" | "leader" | "office_specialist" | "reporter" | "approver" | "viewer";

export interface Scope {
  agencies: string[] | null;
  areaId: string | null;
}

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  scope: Scope;
  email: string | null;
  mustChangePassword: boolean;
  disabled: boolean;
  createdAt: string;
}

export interface Me {
  via: "session" | "token";
  user: User | null;
  displayName: string;
  role: Role;
  scope: Scope;
  csrfToken: string | null;
}

export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  agencyCode: string | null;
  areaId: string | null;
  canWrite: boolean;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface AuditEntry {
  id: string;
  at: string;
  actorUserId: string | null;
  actorUsername: string | null;
  actorTokenId: string | null;
  ip: string | null;
  userAgent: string | null;
  action: string;
  outcome: "success" | "denied" | "failure";
  entityType: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
  reason: string | null;
}

export type DataValueStatus = "draft" | "submitted" | "approved" | "returned";

export interface DataValue {
  indicator: string;
  area: string;
  period: string;
  disaggregation: string;
  value: number | null;
  valueText: string | null;
  comment: string | null;
  status: DataValueStatus;
  version: number;
  source: string;
  agency: string | null;
  batchId: string | null;
  reviewComment: string | null;
  flags: string[];
  sample: boolean;
  recordedAt: string;
  supersededAt: string | null;
  recordedBy?: string | null;
}

export interface FormRow {
  indicator: string;
  name: string;
  unit: string | null;
  valueType: "number" | "text";
  kind: string;
  parent: string | null;
  group: string;
  subgroup: string | null;
  current: DataValue | null;
  previousValue: number | null;
  lastYearValue: number | null;
  changeFromPrevious: number | null;
  changeFromLastYear: number | null;
  breakdowns: number;
}

export interface ReportForm {
  agency: { code: string; name: string };
  area: { id: string; name: string; level: string };
  period: { code: string; label: string; previous: string; lastYear: string };
  deadline: string;
  lockDate: string | null;
  locked: boolean;
  reopenedUntil: string | null;
  /** The period is not over: drafts only until this day (yyyy-mm-dd); null once it is over. */
  submittableFrom: string | null;
  rows: FormRow[];
}

export interface WriteResult {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  dryRun: boolean;
  batchId: string | null;
  warnings: { row: number; field: string; message: string }[];
}

export type ReportState = "not_due" | "open" | "late" | "complete" | "complete_late";

export interface CompletenessItem {
  agency: string;
  agencyName: string;
  area: string;
  areaName: string;
  period: string;
  deadline: string;
  lockDate: string | null;
  expected: number;
  submitted: number;
  approved: number;
  draft: number;
  returned: number;
  missing: number;
  onTime: number;
  late: number;
  completeness: number | null;
  timeliness: number | null;
  lastSubmittedAt: string | null;
  state: ReportState;
  stateLabel: string;
}

export interface Completeness {
  period: { code: string; label: string };
  summary: { reports: number; expected: number; submitted: number; approved: number; onTime: number; lateReports: number };
  items: CompletenessItem[];
}

export interface AnalyticsComparison {
  base: number | null;
  change: number | null;
  changeUnit: "%" | "điểm %";
}

export interface AnalyticsPoint {
  period: string;
  value: number | null;
  source: "reported" | "aggregated" | "estimated" | null;
  coverage?: { reported: number; expected: number };
  /** Present when the figure is, or is made from, sample figures: screens mark it "Mẫu". */
  sample?: true;
  comparisons?: {
    previousPeriod: AnalyticsComparison;
    previousDecember: AnalyticsComparison | null;
    samePeriodLastYear: AnalyticsComparison;
    ytdCumulative: { value: number | null; lastYear: number | null; change: number | null } | null;
    ytdAverage: { value: number | null; lastYear: number | null; change: number | null } | null;
    plan: { target: number | null; percentOfPlan: number | null } | null;
  };
}

export interface AnalyticsIndicator {
  code: string;
  name: string;
  unit: string | null;
  group: string;
  subgroup: string | null;
  catalogueId: string;
  aggregation: "sum" | "none";
  lowerIsBetter: boolean;
}

export interface AnalyticsResult {
  indicators: AnalyticsIndicator[];
  areas: { id: string; name: string; level: string; areaKm2: number | null }[];
  periods: { code: string; label: string }[];
  series: { indicator: string; area: string; points: AnalyticsPoint[] }[];
  asOf: string;
}

export interface LatestTile {
  indicator: AnalyticsIndicator;
  latest: (AnalyticsPoint & { label: string }) | null;
  sparkline: { period: string; value: number | null }[];
}
