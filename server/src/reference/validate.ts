import { parseDeadline, parseFrequency, type CatalogueFile, type TaskListFile } from "@dieuhanh/core";
import { AgencyResolver, checkAgencyRegistry } from "../agencies/resolver";
import type { ReferenceFiles } from "./files";

/**
 * Cross-file checks the schemas cannot express. Every problem is reported with the file's row code,
 * and loading stops if there is any: a catalogue is loaded whole or not at all.
 */
export function validateReferenceFiles(files: ReferenceFiles): string[] {
  const errors = checkAgencyRegistry(files.agencies.agencies);
  const resolver = new AgencyResolver(files.agencies.agencies);
  const allCodes = new Set<string>();
  const nationalCodes = new Set(
    files.catalogues.filter((c) => c.catalogue.issuingArea.level === "nation").flatMap((c) => c.rows.map((r) => r.code)),
  );
  for (const file of files.catalogues) errors.push(...checkCatalogue(file, allCodes, nationalCodes, resolver));
  errors.push(...checkDimensions(files));
  const catalogueIds = new Set(files.catalogues.map((c) => c.catalogue.id));
  for (const file of files.taskLists) errors.push(...checkTaskList(file, allCodes, catalogueIds, resolver));
  return errors;
}

function checkSequence(id: string, items: { seq: number; code: string }[], allCodes: Set<string>): string[] {
  const errors: string[] = [];
  items.forEach((item, i) => {
    if (item.seq !== i + 1) errors.push(`${id}: ${item.code} có seq ${item.seq}, phải là ${i + 1}`);
    if (allCodes.has(item.code)) errors.push(`${id}: mã ${item.code} bị trùng`);
    allCodes.add(item.code);
  });
  return errors;
}

function checkCatalogue(
  file: CatalogueFile,
  allCodes: Set<string>,
  nationalCodes: Set<string>,
  resolver: AgencyResolver,
): string[] {
  const { id, codePrefix } = file.catalogue;
  const errors = checkSequence(id, file.rows, allCodes);
  const codes = new Set(file.rows.map((r) => r.code));
  const groups = new Map(file.groups.map((g) => [g.code, new Set(g.subgroups.map((s) => s.code))]));
  for (const row of file.rows) {
    const at = `${id} ${row.code}`;
    if (!row.code.startsWith(`${codePrefix}.`)) errors.push(`${at}: mã phải bắt đầu bằng ${codePrefix}.`);
    if (row.parentCode && !codes.has(row.parentCode)) errors.push(`${at}: chỉ số cha ${row.parentCode} không tồn tại`);
    const subgroups = groups.get(row.group);
    if (!subgroups) errors.push(`${at}: nhóm ${row.group} không có trong danh sách nhóm`);
    else if (row.subgroup !== null && !subgroups.has(row.subgroup))
      errors.push(`${at}: nhóm con ${row.group}.${row.subgroup} không tồn tại`);
    if (row.nationalCode && !nationalCodes.has(row.nationalCode))
      errors.push(`${at}: chỉ số quốc gia ${row.nationalCode} không tồn tại`);
    if (row.frequencyAsWritten) {
      const parsed = parseFrequency(row.frequencyAsWritten);
      if (parsed.unparsed.length > 0) errors.push(`${at}: không hiểu tần suất '${parsed.unparsed.join("', '")}'`);
    }
    for (const name of [...row.agencies, ...row.sharingAgencies]) {
      const r = resolver.resolve(name, codePrefix);
      if ("error" in r) errors.push(`${at}: cơ quan '${name}' ${r.error}`);
    }
  }
  return errors;
}

function checkTaskList(file: TaskListFile, allCodes: Set<string>, catalogueIds: Set<string>, resolver: AgencyResolver): string[] {
  const { id, codePrefix, catalogueId } = file.taskList;
  const errors = checkSequence(id, file.tasks, allCodes);
  if (!catalogueIds.has(catalogueId)) errors.push(`${id}: bộ chỉ số ${catalogueId} không tồn tại`);
  const sections = new Set(file.sections.map((s) => s.code));
  const agencyPrefix = codePrefix.split(".")[0]!;
  for (const task of file.tasks) {
    const at = `${id} ${task.code}`;
    if (!task.code.startsWith(`${codePrefix}.`)) errors.push(`${at}: mã phải bắt đầu bằng ${codePrefix}.`);
    if (!sections.has(task.section)) errors.push(`${at}: mục ${task.section} không tồn tại`);
    if (task.deadlineAsWritten && parseDeadline(task.deadlineAsWritten).kind === "unknown") {
      errors.push(`${at}: không hiểu thời hạn '${task.deadlineAsWritten}'`);
    }
    for (const name of [...task.leadAgencies, ...task.coordinatingAgencies]) {
      const r = resolver.resolve(name, agencyPrefix);
      if ("error" in r) errors.push(`${at}: cơ quan '${name}' ${r.error}`);
    }
  }
  return errors;
}

/** Every dimension a catalogue names has a code list (or names the registry its options come from). */
function checkDimensions(files: ReferenceFiles): string[] {
  const errors: string[] = [];
  const dims = new Map(files.dimensions.dimensions.map((d) => [d.code, d]));
  if (dims.size !== files.dimensions.dimensions.length) errors.push("dimensions: mã chiều phân tổ bị trùng");
  for (const d of files.dimensions.dimensions) {
    const codes = new Set<string>();
    for (const o of d.options) {
      if (codes.has(o.code)) errors.push(`dimensions ${d.code}: mã phương án ${o.code} bị trùng`);
      codes.add(o.code);
    }
    for (const o of d.options)
      if (o.parent !== null && !codes.has(o.parent))
        errors.push(`dimensions ${d.code}.${o.code}: phương án cha ${o.parent} không tồn tại`);
    const from = d.optionsFrom;
    if (from && !from.includes(":") && from !== "agencies" && from !== "projects" && !dims.has(from))
      errors.push(`dimensions ${d.code}: optionsFrom '${from}' không tồn tại`);
    if (!from && d.options.length === 0) errors.push(`dimensions ${d.code}: chưa có phương án`);
  }
  for (const file of files.catalogues)
    for (const row of file.rows)
      for (const d of row.dimensions)
        if (!dims.has(d)) errors.push(`${file.catalogue.id} ${row.code}: chiều phân tổ '${d}' không có trong data/dimensions`);
  return errors;
}
