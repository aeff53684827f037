import {
  agencyNameKey,
  foldVietnamese,
  parseDeadline,
  parseFrequency,
  type CatalogueFile,
  type DimensionFile,
  type TaskListFile,
} from "@dieuhanh/core";
import { sql, type Insertable, type Kysely } from "kysely";
import { agencyRepository } from "../agencies/repository";
import { AgencyResolver } from "../agencies/resolver";
import { areaRepository } from "../areas/repository";
import { buildAreaReference, preReformId, NATION_ID } from "../areas/reference";
import { catalogueRepository } from "../catalogue/repository";
import { insertJsonRows, type Executor } from "../db/bulk";
import { analyzeAll } from "../db/statistics";
import { rebuildReadModel } from "../readmodel/maintain";
import { refuseRemovingWithFigures } from "../datavalues/guard";
import { seedObligations } from "../reporting/obligations";
import { seedProgrammes, seedTargets } from "../targets/service";
import type { IndicatorAgenciesTable, IndicatorsTable, Schema, TaskAgenciesTable, TasksTable } from "../db/schema";
import { documentKindOf } from "../documents/service";
import { taskRepository } from "../tasks/repository";
import { readReferenceFiles, type ReferenceFiles } from "./files";
import { validateReferenceFiles } from "./validate";

export interface LoadSummary {
  areas: { provinces: number; communes: number; preReformProvinces: number; preReformCommunes: number; merges: number };
  agencies: number;
  catalogues: { id: string; rows: number }[];
  taskLists: { id: string; tasks: number }[];
  dimensions: number;
  obligations: number;
}

export async function isReferenceDataLoaded(db: Kysely<Schema>): Promise<boolean> {
  const r = await sql<{ n: number }>`SELECT (SELECT count(*) FROM catalogues) + (SELECT count(*) FROM areas) AS n`.execute(db);
  return Number(r.rows[0]?.n ?? 0) > 0;
}

/**
 * Loads the shipped reference data (areas, agencies, catalogues, task lists) in one transaction:
 * either everything is loaded or nothing changes. Existing reference data is replaced.
 */
export async function loadReferenceData(db: Kysely<Schema>, files: ReferenceFiles = readReferenceFiles()): Promise<LoadSummary> {
  const errors = validateReferenceFiles(files);
  if (errors.length > 0) {
    throw new Error(`Dữ liệu tham chiếu có ${errors.length} lỗi, không nạp:\n${errors.slice(0, 50).join("\n")}`);
  }
  const areaData = buildAreaReference();
  const resolver = new AgencyResolver(files.agencies.agencies);

  const summary = await db.transaction().execute(async (trx) => {
    // Indicators that go away must have no figures (data_values keeps no foreign key: datavalues/guard.ts).
    const indicatorsBefore = (await trx.selectFrom("indicators").select("code").execute()).map((r) => r.code);
    // Seed tasks only: tasks assigned by hand stay (a seed task with reports refuses the reload).
    await sql`DELETE FROM task_agencies WHERE task_code IN (SELECT code FROM tasks WHERE origin = 'seed')`.execute(trx);
    await sql`DELETE FROM tasks WHERE origin = 'seed'`.execute(trx);
    await sql`DELETE FROM task_sections`.execute(trx);
    await sql`DELETE FROM task_lists`.execute(trx);
    // The schedule is derived from the catalogues and seeded again below.
    await sql`DELETE FROM reporting_obligations`.execute(trx);
    await sql`DELETE FROM indicator_agencies`.execute(trx);
    await sql`DELETE FROM indicators`.execute(trx);
    await sql`DELETE FROM catalogue_groups`.execute(trx);
    await sql`DELETE FROM catalogues`.execute(trx);
    await sql`DELETE FROM agency_aliases`.execute(trx);
    await sql`DELETE FROM agencies`.execute(trx);
    await sql`DELETE FROM dimension_options`.execute(trx);
    await sql`DELETE FROM dimensions`.execute(trx);

    await areaRepository(trx).replaceAll(areaData.areas, areaData.merges);

    await agencyRepository(trx).insertAll(
      files.agencies.agencies.map((a) => ({
        code: a.code,
        name: a.name,
        level: a.level,
        kind: a.kind,
        province_code: a.province,
        dissolved_on: a.dissolvedOn,
        successor_code: a.successorCode,
        note: a.note ?? null,
        search_text: foldVietnamese([a.code, a.name, ...a.aliases].join(" ")),
      })),
      files.agencies.agencies.flatMap((a) =>
        [...new Set(a.aliases)].map((alias) => ({ agency_code: a.code, alias, name_key: agencyNameKey(alias) })),
      ),
    );

    await insertDimensions(trx, files.dimensions);
    for (const file of files.catalogues) await insertCatalogue(trx, file, resolver);
    await upsertSeedDocuments(trx, files.catalogues);
    for (const file of files.taskLists)
      await insertTaskList(
        trx,
        file,
        resolver,
        files.catalogues.find((c) => c.catalogue.id === file.taskList.catalogueId)!,
      );
    const indicatorsAfter = new Set((await trx.selectFrom("indicators").select("code").execute()).map((r) => r.code));
    await refuseRemovingWithFigures(trx, { indicators: indicatorsBefore.filter((code) => !indicatorsAfter.has(code)) });
    const obligations = await seedObligations(trx);
    await seedTargets(trx);
    await seedProgrammes(trx);
    // Areas, merges and catalogues decide what a series and a rollup cell are: the read model is rebuilt.
    await rebuildReadModel(trx);

    const count = (level: string, old: boolean) =>
      areaData.areas.filter((a) => a.level === level && (a.valid_to !== null) === old).length;
    return {
      areas: {
        provinces: count("province", false),
        communes: count("commune", false),
        preReformProvinces: count("province", true),
        preReformCommunes: count("commune", true),
        merges: areaData.merges.length,
      },
      agencies: files.agencies.agencies.length,
      catalogues: files.catalogues.map((c) => ({ id: c.catalogue.id, rows: c.rows.length })),
      taskLists: files.taskLists.map((t) => ({ id: t.taskList.id, tasks: t.tasks.length })),
      dimensions: files.dimensions.dimensions.length,
      obligations,
    };
  });
  // The planner's statistics of the tables just filled (db/statistics.ts).
  await analyzeAll(db);
  return summary;
}

function resolved(resolver: AgencyResolver, name: string, prefix: string): string {
  const r = resolver.resolve(name, prefix);
  if ("error" in r) throw new Error(`Cơ quan '${name}': ${r.error}`); // validated earlier; kept as a guard
  return r.code;
}

async function insertDimensions(trx: Executor, file: DimensionFile): Promise<void> {
  await insertJsonRows(
    trx,
    "dimensions",
    file.dimensions.map((d) => ({
      code: d.code,
      name: d.name,
      description: d.description ?? null,
      is_partition: d.partition,
      options_from: d.optionsFrom,
      source: d.source ?? null,
    })),
  );
  await insertJsonRows(
    trx,
    "dimension_options",
    file.dimensions.flatMap((d) =>
      d.options.map((o, i) => ({ dimension_code: d.code, code: o.code, name: o.name, parent_code: o.parent, seq: i + 1 })),
    ),
  );
}

async function insertCatalogue(trx: Executor, file: CatalogueFile, resolver: AgencyResolver): Promise<void> {
  const c = file.catalogue;
  const issuingAreaId = c.issuingArea.level === "nation" ? NATION_ID : preReformId(c.issuingArea.preReformCode);
  const groups = file.groups.flatMap((g, gi) => [
    { catalogue_id: c.id, group_code: g.code, subgroup_code: "", name_as_written: g.nameAsWritten, seq: (gi + 1) * 100 },
    ...g.subgroups.map((s, si) => ({
      catalogue_id: c.id,
      group_code: g.code,
      subgroup_code: s.code,
      name_as_written: s.nameAsWritten,
      seq: (gi + 1) * 100 + si + 1,
    })),
  ]);
  const indicators: Insertable<IndicatorsTable>[] = file.rows.map((r) => ({
    code: r.code,
    catalogue_id: c.id,
    seq: r.seq,
    stt: r.stt,
    kind: r.kind,
    parent_code: r.parentCode,
    group_code: r.group,
    subgroup_code: r.subgroup,
    name_as_written: r.nameAsWritten,
    name: r.name,
    details: r.details,
    unit_as_written: r.unitAsWritten,
    unit: r.unit,
    unit_inferred: r.unitInferred,
    scope_as_written: r.scopeAsWritten,
    scope_levels: r.scopeLevels,
    frequency_as_written: r.frequencyAsWritten,
    period_types: parseFrequency(r.frequencyAsWritten).periodTypes,
    disaggregation_as_written: r.disaggregationAsWritten,
    dimensions: r.dimensions,
    agencies_as_written: r.agenciesAsWritten,
    sharing_agencies_as_written: r.sharingAgenciesAsWritten,
    collection_method_as_written: r.collectionMethodAsWritten,
    comparisons: r.comparisons,
    national_code: r.nationalCode,
    source_line: r.source.line,
    source_row_label: r.source.rowLabel ?? null,
    note: r.note ?? null,
    search_text: foldVietnamese(
      [r.code, r.stt, r.name, r.nameAsWritten, r.details, r.agenciesAsWritten].filter(Boolean).join(" "),
    ),
    // Rows without a unit are information (bulletins, maps, lists), reported as text.
    value_type: r.unit === null ? "text" : "number",
  }));
  const agencies: IndicatorAgenciesTable[] = file.rows.flatMap((r) => [
    ...r.agencies.map((name, i) => ({
      indicator_code: r.code,
      role: "responsible" as const,
      position: i + 1,
      agency_code: resolved(resolver, name, c.codePrefix),
      as_written: name,
    })),
    ...r.sharingAgencies.map((name, i) => ({
      indicator_code: r.code,
      role: "sharing" as const,
      position: i + 1,
      agency_code: resolved(resolver, name, c.codePrefix),
      as_written: name,
    })),
  ]);
  await catalogueRepository(trx).insertCatalogue(
    {
      id: c.id,
      code_prefix: c.codePrefix,
      name: c.name,
      document_number: c.document.number,
      document_date: c.document.date,
      document_issuer: c.document.issuer,
      document_title: c.document.title,
      source_file: c.document.sourceFile,
      appendix: c.appendix,
      issuing_area_id: issuingAreaId,
    },
    groups,
    indicators,
    agencies,
  );
}

/** The source documents as directive documents (upserted: tasks made by hand may hang from them). */
async function upsertSeedDocuments(trx: Executor, files: CatalogueFile[]): Promise<void> {
  for (const file of files) {
    const c = file.catalogue;
    const row = {
      id: c.id,
      kind: documentKindOf(c.document.number, c.document.title),
      number: c.document.number,
      issued_on: c.document.date,
      issuer: c.document.issuer,
      title: c.document.title,
      area_id: c.issuingArea.level === "nation" ? NATION_ID : preReformId(c.issuingArea.preReformCode),
      attachment_id: null,
      origin: "seed" as const,
      created_by: null,
      search_text: foldVietnamese([c.document.number, c.document.issuer, c.document.title].filter(Boolean).join(" ")),
    };
    await trx
      .insertInto("documents")
      .values(row)
      .onConflict((oc) =>
        oc.column("id").doUpdateSet({
          kind: row.kind,
          number: row.number,
          issued_on: row.issued_on,
          issuer: row.issuer,
          title: row.title,
          area_id: row.area_id,
          search_text: row.search_text,
        }),
      )
      .execute();
  }
}

async function insertTaskList(
  trx: Executor,
  file: TaskListFile,
  resolver: AgencyResolver,
  document: CatalogueFile,
): Promise<void> {
  const l = file.taskList;
  const prefix = l.codePrefix.split(".")[0]!;
  const issuedOn = document.catalogue.document.date ?? "2024-01-01";
  const tasks: Insertable<TasksTable>[] = file.tasks.map((t): Insertable<TasksTable> => {
    const d = parseDeadline(t.deadlineAsWritten);
    return {
      code: t.code,
      task_list_id: l.id,
      seq: t.seq,
      section_code: t.section,
      stt: t.stt,
      name_as_written: t.nameAsWritten,
      name: t.name,
      expected_result_as_written: t.expectedResultAsWritten,
      deadline_as_written: t.deadlineAsWritten,
      deadline_kind: d.kind,
      deadline_precision: d.kind === "date" ? d.precision : null,
      deadline_date: d.kind === "date" ? d.dueDate : null,
      deadline_from: d.kind === "range" ? d.from : null,
      deadline_to: d.kind === "range" ? d.to : null,
      deadline_note: d.note,
      lead_agencies_as_written: t.leadAgenciesAsWritten,
      coordinating_agencies_as_written: t.coordinatingAgenciesAsWritten,
      source_line: t.source.line,
      note: t.note ?? null,
      search_text: foldVietnamese(
        [t.code, t.name, t.nameAsWritten, t.expectedResultAsWritten, t.leadAgenciesAsWritten, t.coordinatingAgenciesAsWritten]
          .filter(Boolean)
          .join(" "),
      ),
      origin: "seed",
      document_id: l.catalogueId,
      assigned_by: document.catalogue.document.issuer,
      priority: "normal",
      parent_code: null,
      report_cadence: null,
      extended_to: null,
      completed_on: null,
      closed_as: null,
      closed_by_document_id: null,
      closed_reason: null,
      created_by: null,
      created_on: issuedOn,
      version: 1,
    };
  });
  const agencies: TaskAgenciesTable[] = file.tasks.flatMap((t) => [
    ...t.leadAgencies.map((name, i) => ({
      task_code: t.code,
      role: "lead" as const,
      position: i + 1,
      agency_code: resolved(resolver, name, prefix),
      as_written: name,
    })),
    ...t.coordinatingAgencies.map((name, i) => ({
      task_code: t.code,
      role: "coordinating" as const,
      position: i + 1,
      agency_code: resolved(resolver, name, prefix),
      as_written: name,
    })),
  ]);
  await taskRepository(trx).insertTaskList(
    {
      id: l.id,
      code_prefix: l.codePrefix,
      catalogue_id: l.catalogueId,
      appendix: l.appendix,
      title: l.titleAsWritten,
      document_id: l.catalogueId,
    },
    file.sections.map((s, i) => ({ task_list_id: l.id, code: s.code, name_as_written: s.nameAsWritten, seq: i + 1 })),
    tasks,
    agencies,
  );
}
