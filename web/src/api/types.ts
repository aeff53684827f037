/**
 * Response shapes of the API, derived from the types generated from the server's own /api/openapi.json
 * (`npm run gen:api` writes openapi.gen.ts; CI checks it is current). Nothing here is written by hand a second
 * time: to change a shape, change the route's zod schema on the server and regenerate.
 */
import type { paths } from "./openapi.gen";

export type { Role, TaskStatus } from "@dieuhanh/core";

type Method = "get" | "post" | "put" | "patch" | "delete";

/** The JSON body of the successful (200 or 201) answer of `method path`. */
export type JsonOf<P extends keyof paths, M extends Method & keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? R extends { 200: { content: { "application/json": infer T } } }
    ? T
    : R extends { 201: { content: { "application/json": infer T } } }
      ? T
      : never
  : never;

/** The JSON body a page sends with `method path`. */
export type BodyOf<P extends keyof paths, M extends Method & keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { "application/json": infer T } };
}
  ? T
  : never;

type Item<T> = T extends { items: (infer I)[] } ? I : never;

// Reference data: catalogues, indicators, areas, agencies.
export type Catalogue = Item<JsonOf<"/api/catalogues", "get">>;
export type Subgroup = Catalogue["groups"][number]["subgroups"][number];
export type IndicatorSummary = Item<JsonOf<"/api/catalogues/{id}/indicators", "get">>;
export type AgencyLink = IndicatorSummary["agencies"][number];
export type IndicatorDetail = JsonOf<"/api/indicators/{code}", "get">;
export type IndicatorRef = IndicatorDetail["children"][number];
export type Area = Item<JsonOf<"/api/areas", "get">>;
export type AreaDetail = JsonOf<"/api/areas/{code}", "get">;
export type MergeLink = AreaDetail["mergedFrom"][number];
export type Agency = Item<JsonOf<"/api/agencies", "get">>;

// Tasks and directive documents.
export type Task = Item<JsonOf<"/api/tasks", "get">>;
export type TaskDetail = JsonOf<"/api/tasks/{code}", "get">;
export type TaskReport = TaskDetail["reports"][number];
export type Scorecard = JsonOf<"/api/tasks/scorecard", "get">;
export type ScorecardRow = Scorecard["items"][number];
export type DirectiveDocument = Item<JsonOf<"/api/documents", "get">>;
export type TaskList = Item<JsonOf<"/api/task-lists", "get">>;
export type Attachment = JsonOf<"/api/attachments", "post">;
export type AppNotification = Item<JsonOf<"/api/notifications", "get">>;

// Targets and programmes.
export type Target = Item<JsonOf<"/api/targets", "get">>;
export type TargetStatus = Target["status"];
export type TargetsPage = JsonOf<"/api/targets", "get">;
export type Programme = Item<JsonOf<"/api/programmes", "get">>;

// The install's profile and the dashboards.
export type InstallProfile = JsonOf<"/api/profile", "get">;
export type Dashboard = JsonOf<"/api/dashboards/{id}", "get">;
export type DashboardTile = Dashboard["tiles"][number];

// Accounts, tokens, audit.
export type User = Item<JsonOf<"/api/users", "get">>;
export type Scope = User["scope"];
export type Me = JsonOf<"/api/me", "get">;
export type ApiToken = Item<JsonOf<"/api/tokens", "get">>;
export type AuditEntry = Item<JsonOf<"/api/audit", "get">>;

// Figures and reporting.
export type DataValue = Item<JsonOf<"/api/data-values", "get">>;
export type DataValueStatus = DataValue["status"];
export type ReportForm = JsonOf<"/api/reports/form", "get">;
export type FormRow = ReportForm["rows"][number];
export type WriteResult = JsonOf<"/api/data-values", "post">;
export type Completeness = JsonOf<"/api/reports/completeness", "get">;
export type CompletenessItem = Completeness["items"][number];
export type ReportState = CompletenessItem["state"];

// Analytics.
export type AnalyticsResult = JsonOf<"/api/analytics", "get">;
export type AnalyticsIndicator = AnalyticsResult["indicators"][number];
export type AnalyticsPoint = AnalyticsResult["series"][number]["points"][number];
export type AnalyticsComparison = NonNullable<AnalyticsPoint["comparisons"]>["previousPeriod"];
export type LatestTile = Item<JsonOf<"/api/analytics/latest", "get">>;

// Links between installs (liên thông) and outgoing webhooks.
export type SyncLinks = JsonOf<"/api/sync/links", "get">;
export type SyncLink = SyncLinks["items"][number];
export type NewSyncLink = BodyOf<"/api/sync/links", "post">;
export type WebhookSubscription = Item<JsonOf<"/api/sync/webhooks", "get">>;
export type NewWebhook = JsonOf<"/api/sync/webhooks", "post">;
