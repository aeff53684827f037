import { z } from "zod";

/**
 * Schemas of the curated reference-data files in `data/` (see docs/data-format.md).
 * The loader validates every file with them; types for the rest of the code come from them.
 */

export const rowKinds = ["indicator", "sub_indicator", "unnumbered", "of_which", "heading"] as const;
export const RowKind = z.enum(rowKinds);
export type RowKind = z.infer<typeof RowKind>;

export const scopeLevels = [
  "nation",
  "province",
  "commune",
  "district",
  "ministry",
  "customs_department",
  "project",
  "domestic",
  "international",
] as const;
export const ScopeLevel = z.enum(scopeLevels);
export type ScopeLevel = z.infer<typeof ScopeLevel>;

/** Comparisons an indicator's name asks for ("so với tháng trước" …). */
export const comparisonKinds = [
  "previous_period",
  "previous_december",
  "same_period_last_year",
  "ytd_average_vs_last_year",
  "ytd_cumulative",
  "vs_estimate",
  "vs_plan",
] as const;
export const ComparisonKind = z.enum(comparisonKinds);
export type ComparisonKind = z.infer<typeof ComparisonKind>;

const nullableText = z.string().min(1).nullable();
const code = z.string().regex(/^[A-Z]+(\.[A-Za-z0-9]+)+$/, "mã không hợp lệ");
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "ngày phải có dạng YYYY-MM-DD");

export const SourceDocument = z.object({
  number: nullableText,
  date: isoDate.nullable(),
  issuer: z.string().min(1),
  title: z.string().min(1),
  sourceFile: z.string().min(1),
});
export type SourceDocument = z.infer<typeof SourceDocument>;

export const IssuingArea = z.union([
  z.object({ level: z.literal("nation") }),
  z.object({ level: z.literal("province"), preReformCode: z.string(), currentCode: z.string() }),
]);
export type IssuingArea = z.infer<typeof IssuingArea>;

export const CatalogueRow = z.object({
  code,
  seq: z.number().int().positive(),
  stt: nullableText,
  kind: RowKind,
  parentCode: code.nullable(),
  group: z.string().min(1),
  subgroup: z.string().min(1).nullable(),
  nameAsWritten: z.string().min(1),
  name: z.string().min(1),
  details: nullableText,
  unitAsWritten: nullableText,
  unit: nullableText,
  unitInferred: z.boolean(),
  scopeAsWritten: nullableText,
  scopeLevels: z.array(ScopeLevel),
  frequencyAsWritten: nullableText,
  disaggregationAsWritten: nullableText,
  dimensions: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/)),
  agenciesAsWritten: nullableText,
  agencies: z.array(z.string().min(1)),
  sharingAgenciesAsWritten: nullableText,
  sharingAgencies: z.array(z.string().min(1)),
  collectionMethodAsWritten: nullableText,
  comparisons: z.array(ComparisonKind),
  nationalCode: code.nullable(),
  source: z.object({ line: z.number().int().positive(), rowLabel: z.string().nullable().optional() }),
  note: nullableText.optional(),
});
export type CatalogueRow = z.infer<typeof CatalogueRow>;

export const CatalogueFile = z.object({
  catalogue: z.object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    codePrefix: z.string().regex(/^[A-Z]+$/),
    name: z.string().min(1),
    document: SourceDocument,
    appendix: z.string().min(1),
    issuingArea: IssuingArea,
  }),
  groups: z.array(
    z.object({
      code: z.string().min(1),
      nameAsWritten: z.string().min(1),
      subgroups: z.array(z.object({ code: z.string().min(1), nameAsWritten: z.string().min(1) })).default([]),
    }),
  ),
  rows: z.array(CatalogueRow),
});
export type CatalogueFile = z.infer<typeof CatalogueFile>;

export const TaskRow = z.object({
  code,
  seq: z.number().int().positive(),
  section: z.string().min(1),
  stt: nullableText,
  nameAsWritten: z.string().min(1),
  name: z.string().min(1),
  expectedResultAsWritten: nullableText,
  deadlineAsWritten: nullableText,
  leadAgenciesAsWritten: nullableText,
  leadAgencies: z.array(z.string().min(1)),
  coordinatingAgenciesAsWritten: nullableText,
  coordinatingAgencies: z.array(z.string().min(1)),
  source: z.object({ line: z.number().int().positive() }),
  note: nullableText.optional(),
});
export type TaskRow = z.infer<typeof TaskRow>;

export const TaskListFile = z.object({
  taskList: z.object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    codePrefix: z.string().regex(/^[A-Z]+\.NV$/),
    catalogueId: z.string().min(1),
    appendix: z.string().min(1),
    titleAsWritten: z.string().min(1),
  }),
  sections: z.array(z.object({ code: z.string().min(1), nameAsWritten: z.string().min(1) })),
  tasks: z.array(TaskRow),
});
export type TaskListFile = z.infer<typeof TaskListFile>;

export const agencyLevels = ["central", "provincial", "local", "enterprise", "collective"] as const;
export const agencyKinds = [
  "ministry",
  "ministerial_agency",
  "government_agency",
  "state_enterprise",
  "department",
  "provincial_agency",
  "local_government",
  "collective",
  "other",
] as const;

export const AgencyRecord = z.object({
  code: z.string().regex(/^[A-Z0-9]+(\.[A-Z0-9]+)*$/, "mã cơ quan chỉ gồm chữ hoa, số và dấu chấm"),
  name: z.string().min(1),
  level: z.enum(agencyLevels),
  kind: z.enum(agencyKinds),
  province: z
    .string()
    .regex(/^\d{2}$/)
    .nullable(),
  aliases: z.array(z.string().min(1)),
  dissolvedOn: isoDate.nullable(),
  successorCode: z.string().nullable(),
  note: nullableText.optional(),
});
export type AgencyRecord = z.infer<typeof AgencyRecord>;

export const AgencyFile = z.object({ agencies: z.array(AgencyRecord) });
export type AgencyFile = z.infer<typeof AgencyFile>;
