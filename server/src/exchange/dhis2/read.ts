import { parsePeriod, toDhis2Period } from "@dieuhanh/core";
import { parse as parseCsv } from "csv-parse/sync";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { z } from "zod";
import { InvalidInputError, type RowError } from "../../errors";
import { importLimits, tooManyRows } from "../../datavalues/formats/limits";

/**
 * DHIS2 data value sets as peers send them, read into one shape whatever the format: JSON, CSV, XML (DXF2)
 * and ADX. Only reading happens here: identifiers are resolved and values checked by `import.ts`, then by
 * the product's one validation. A field or attribute this reader does not know is refused (it might change
 * what a value means), except the informative ones DHIS2 writes itself (storedBy, created, lastUpdated,
 * timestamp, followup). `row` is the value's position in the payload (1 = first value; CSV: the line).
 */
export type Dhis2Format = "json" | "csv" | "xml" | "adx";

export interface RawValue {
  row: number;
  dataElement?: string;
  period?: string;
  orgUnit?: string;
  categoryOptionCombo?: string;
  attributeOptionCombo?: string;
  dataSet?: string;
  value?: string | number;
  comment?: string;
  deleted?: boolean;
  /** ADX: the disaggregation as category attributes (category code → option), instead of a combo. */
  categories?: Record<string, string>;
  /** ADX: the annotation (the text of a textual indicator, else a comment). */
  annotation?: string;
  /** Problems found while reading this value (unknown attributes, bad booleans, …). */
  problems?: RowError[];
}

export const idSchemeNames = [
  "idScheme",
  "dataElementIdScheme",
  "orgUnitIdScheme",
  "categoryOptionComboIdScheme",
  "dataSetIdScheme",
] as const;
export type IdSchemeName = (typeof idSchemeNames)[number];

export interface RawSet {
  format: Dhis2Format;
  dataSet?: string;
  period?: string;
  orgUnit?: string;
  attributeOptionCombo?: string;
  completeDate?: string;
  /** Id schemes the payload names (they take precedence over the query's). */
  idSchemes: Partial<Record<IdSchemeName, string>>;
  dryRun?: boolean;
  importStrategy?: string;
  values: RawValue[];
}

const problem = (row: number, field: string, message: string): RowError => ({ row, field, message });

const bool = (text: string | undefined, row: number, field: string, problems: RowError[]): boolean | undefined => {
  if (text === undefined || text === "") return undefined;
  const t = text.trim().toLowerCase();
  if (t === "true") return true;
  if (t === "false") return false;
  problems.push(problem(row, field, `${field} '${text}' phải là true hoặc false`));
  return undefined;
};

function checkCount(n: number) {
  if (n > importLimits.maxRows) throw tooManyRows(n);
}

// ---------------------------------------------------------------------------------------------- JSON

const JsonValue = z
  .object({
    dataElement: z.string().optional(),
    period: z.string().optional(),
    orgUnit: z.string().optional(),
    categoryOptionCombo: z.string().optional(),
    attributeOptionCombo: z.string().optional(),
    value: z.union([z.string(), z.number()]).nullable().optional(),
    comment: z.string().nullable().optional(),
    deleted: z.boolean().optional(),
    // Written by DHIS2 (and by this product's export); informative only.
    storedBy: z.string().nullable().optional(),
    created: z.string().nullable().optional(),
    lastUpdated: z.string().nullable().optional(),
    followup: z.boolean().optional(),
  })
  .strict();

const JsonSet = z
  .object({
    dataSet: z.string().optional(),
    completeDate: z.string().optional(),
    period: z.string().optional(),
    orgUnit: z.string().optional(),
    attributeOptionCombo: z.string().optional(),
    idScheme: z.string().optional(),
    dataElementIdScheme: z.string().optional(),
    orgUnitIdScheme: z.string().optional(),
    categoryOptionComboIdScheme: z.string().optional(),
    dataSetIdScheme: z.string().optional(),
    dryRun: z.boolean().optional(),
    importStrategy: z.string().optional(),
    dataValues: z.array(z.unknown()).default([]),
  })
  .strict();

export function readJsonSet(body: unknown): RawSet {
  const parsed = JsonSet.safeParse(body);
  if (!parsed.success) throw notASet(parsed.error);
  const set = parsed.data;
  checkCount(set.dataValues.length);
  const values: RawValue[] = set.dataValues.map((item, i) => {
    const row = i + 1;
    const v = JsonValue.safeParse(item);
    if (!v.success) {
      const issue = v.error.issues[0];
      const keys = issue && "keys" in issue ? (issue.keys as string[]).join(", ") : "";
      const field = keys || String(issue?.path[0] ?? "dataValue");
      return {
        row,
        problems: [
          problem(row, field, keys ? `Trường không được hỗ trợ: ${keys}` : `Trường '${field}' không hợp lệ: ${issue?.message}`),
        ],
      };
    }
    const d = v.data;
    return {
      row,
      dataElement: d.dataElement,
      period: d.period,
      orgUnit: d.orgUnit,
      categoryOptionCombo: d.categoryOptionCombo,
      attributeOptionCombo: d.attributeOptionCombo,
      value: d.value ?? undefined,
      comment: d.comment ?? undefined,
      deleted: d.deleted,
    };
  });
  const idSchemes: RawSet["idSchemes"] = {};
  for (const name of idSchemeNames) if (set[name] !== undefined) idSchemes[name] = set[name];
  return {
    format: "json",
    dataSet: set.dataSet,
    period: set.period,
    orgUnit: set.orgUnit,
    attributeOptionCombo: set.attributeOptionCombo,
    completeDate: set.completeDate,
    idSchemes,
    dryRun: set.dryRun,
    importStrategy: set.importStrategy,
    values,
  };
}

function notASet(error: z.ZodError) {
  const issue = error.issues[0];
  const keys = issue && "keys" in issue ? ` (${(issue.keys as string[]).join(", ")})` : "";
  return new InvalidInputError(
    `Không phải DHIS2 dataValueSet: ${issue?.path.join(".") || "nội dung"} ${issue?.message ?? ""}${keys}`.trim(),
    "body",
  );
}

// ----------------------------------------------------------------------------------------------- CSV

/**
 * DHIS2's CSV: a header line, then the columns by position — dataelement, period, orgunit, catoptcombo,
 * attroptcombo, value, storedby, lastupdated, comment, followup, deleted (the last ones optional).
 */
export const CSV_COLUMNS = [
  "dataelement",
  "period",
  "orgunit",
  "catoptcombo",
  "attroptcombo",
  "value",
  "storedby",
  "lastupdated",
  "comment",
  "followup",
  "deleted",
] as const;

export function readCsvSet(text: string): RawSet {
  let records: string[][];
  try {
    records = parseCsv(text.replace(/^\uFEFF/, ""), {
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
      max_record_size: 1024 * 1024,
    }) as string[][];
  } catch (e) {
    const err = e as { lines?: number; code?: string };
    throw new InvalidInputError(
      `Không đọc được tệp CSV DHIS2${err.lines ? ` (dòng ${err.lines})` : ""}: ${err.code ?? "lỗi"}`,
      "body",
    );
  }
  const header = records[0];
  // DHIS2 takes the first line as the header, whatever it holds; a file without one would lose its first
  // value silently: its second column must name the period.
  if (!header || (header[1] ?? "").trim().toLowerCase() !== "period")
    throw new InvalidInputError(
      `Dòng 1 phải là dòng tiêu đề của CSV DHIS2 (${CSV_COLUMNS.join(",")}); dòng đầu nhận được: ${(header ?? []).join(",").slice(0, 120)}`,
      "body",
    );
  checkCount(records.length - 1);
  const values = records.slice(1).map((cells, i): RawValue => {
    const row = i + 2;
    const problems: RowError[] = [];
    if (cells.length > CSV_COLUMNS.length)
      problems.push(problem(row, "file", `Dòng có ${cells.length} cột; CSV DHIS2 có tối đa ${CSV_COLUMNS.length} cột`));
    const cell = (i: number) => (cells[i] === undefined || cells[i] === "" ? undefined : cells[i]);
    const deleted = bool(cell(10), row, "deleted", problems);
    bool(cell(9), row, "followup", problems);
    return {
      row,
      dataElement: cell(0)?.trim(),
      period: cell(1)?.trim(),
      orgUnit: cell(2)?.trim(),
      categoryOptionCombo: cell(3)?.trim(),
      attributeOptionCombo: cell(4)?.trim(),
      value: cells[5] ?? "",
      comment: cell(8),
      deleted,
      problems: problems.length ? problems : undefined,
    };
  });
  return { format: "csv", idSchemes: {}, values };
}

// ------------------------------------------------------------------------------------------ XML, ADX

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  textNodeName: "#text",
  removeNSPrefix: true,
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  htmlEntities: true,
  isArray: (name) => name === "dataValue" || name === "group" || name === "annotation",
});

type XmlNode = Record<string, unknown>;

function parseXml(text: string): XmlNode {
  // A data value set needs no DTD; entity declarations are a way to make a small file huge: refused.
  if (/<!DOCTYPE/i.test(text)) throw new InvalidInputError("Tệp XML có khai báo DOCTYPE: không được chấp nhận", "body");
  const valid = XMLValidator.validate(text);
  if (valid !== true)
    throw new InvalidInputError(`XML không hợp lệ ở dòng ${valid.err.line}, cột ${valid.err.col}: ${valid.err.msg}`, "body");
  return xmlParser.parse(text) as XmlNode;
}

/** The attributes of an element (without namespace declarations) and its child elements. */
function attributesOf(node: unknown): { attrs: Record<string, string>; children: XmlNode } {
  const attrs: Record<string, string> = {};
  const children: XmlNode = {};
  if (node && typeof node === "object")
    for (const [k, v] of Object.entries(node as XmlNode)) {
      if (k.startsWith("@")) {
        const name = k.slice(1);
        if (name !== "xmlns" && !name.startsWith("xmlns:") && name !== "schemaLocation") attrs[name] = String(v);
      } else if (k !== "#text" || String(v).trim() !== "") children[k] = v;
    }
  return { attrs, children };
}

const DXF_SET_ATTRIBUTES = new Set([
  "dataSet",
  "completeDate",
  "period",
  "orgUnit",
  "attributeOptionCombo",
  "dryRun",
  "importStrategy",
  ...idSchemeNames,
]);
const DXF_VALUE_ATTRIBUTES = new Set([
  "dataElement",
  "period",
  "orgUnit",
  "categoryOptionCombo",
  "attributeOptionCombo",
  "value",
  "comment",
  "deleted",
  "storedBy",
  "created",
  "lastUpdated",
  "timestamp",
  "followup",
]);

function rootOf(doc: XmlNode, expected: string): XmlNode {
  const roots = Object.keys(doc).filter((k) => k !== "?xml");
  if (roots.length !== 1 || roots[0] !== expected)
    throw new InvalidInputError(`Phần tử gốc phải là <${expected}> (nhận được <${roots.join(", ")}>)`, "body");
  const root = doc[expected];
  return root && typeof root === "object" ? (root as XmlNode) : {};
}

/** DXF2: `<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0" …><dataValue …/></dataValueSet>`. */
export function readXmlSet(text: string): RawSet {
  const root = rootOf(parseXml(text), "dataValueSet");
  const { attrs, children } = attributesOf(root);
  const unknown = Object.keys(attrs).filter((a) => !DXF_SET_ATTRIBUTES.has(a));
  const extraChildren = Object.keys(children).filter((c) => c !== "dataValue");
  if (unknown.length || extraChildren.length)
    throw new InvalidInputError(
      `<dataValueSet> có ${unknown.length ? `thuộc tính không được hỗ trợ: ${unknown.join(", ")}` : `phần tử không được hỗ trợ: ${extraChildren.join(", ")}`}`,
      "body",
    );
  const list = (children.dataValue as unknown[] | undefined) ?? [];
  checkCount(list.length);
  const values = list.map((node, i): RawValue => {
    const row = i + 1;
    const v = attributesOf(node);
    const problems: RowError[] = [];
    for (const a of Object.keys(v.attrs))
      if (!DXF_VALUE_ATTRIBUTES.has(a)) problems.push(problem(row, a, `Thuộc tính không được hỗ trợ: ${a}`));
    for (const c of Object.keys(v.children)) problems.push(problem(row, c, `Phần tử không được hỗ trợ trong <dataValue>: ${c}`));
    const deleted = bool(v.attrs.deleted, row, "deleted", problems);
    bool(v.attrs.followup, row, "followup", problems);
    return {
      row,
      dataElement: v.attrs.dataElement,
      period: v.attrs.period,
      orgUnit: v.attrs.orgUnit,
      categoryOptionCombo: v.attrs.categoryOptionCombo,
      attributeOptionCombo: v.attrs.attributeOptionCombo,
      value: v.attrs.value,
      comment: v.attrs.comment,
      deleted,
      problems: problems.length ? problems : undefined,
    };
  });
  const idSchemes: RawSet["idSchemes"] = {};
  for (const name of idSchemeNames) if (attrs[name] !== undefined) idSchemes[name] = attrs[name];
  const dryRun = attrs.dryRun === undefined ? undefined : attrs.dryRun.trim().toLowerCase() === "true";
  return {
    format: "xml",
    dataSet: attrs.dataSet,
    period: attrs.period,
    orgUnit: attrs.orgUnit,
    attributeOptionCombo: attrs.attributeOptionCombo,
    completeDate: attrs.completeDate,
    idSchemes,
    dryRun,
    importStrategy: attrs.importStrategy,
    values,
  };
}

/**
 * An ADX period, `start/duration` (ISO 8601: 2025-06-01/P1M), to DHIS2's period code; null when it is no
 * period of the product (the start must begin the period: 2025-02-01/P3M is no quarter).
 */
export function adxPeriod(text: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})\/P(\d+)([DWMY])$/.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, nText, unit] = m as unknown as [string, string, string, string, string, string];
  const n = Number(nText);
  const start = `${y}-${mo}-${d}`;
  let code: string | null = null;
  if ((unit === "D" && n === 1) || (unit === "D" && n === 7) || (unit === "W" && n === 1)) {
    if (unit === "D" && n === 1) code = `${y}${mo}${d}`;
    else {
      // An ISO week: the Thursday of the week names its year.
      const t = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
      const thursday = new Date(t.getTime() + 3 * 86_400_000);
      const year = thursday.getUTCFullYear();
      const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
      code = `${year}W${String(week).padStart(2, "0")}`;
    }
  } else if (unit === "M" && n === 1) code = `${y}M${mo}`;
  else if (unit === "M" && n === 3) code = `${y}Q${Math.ceil(Number(mo) / 3)}`;
  else if (unit === "M" && n === 6) code = `${y}S${Math.ceil(Number(mo) / 6)}`;
  else if ((unit === "Y" && n === 1) || (unit === "M" && n === 12)) code = y;
  const period = code ? parsePeriod(code) : null;
  return period && period.start === start ? toDhis2Period(period) : null;
}

const ADX_GROUP_ATTRIBUTES = new Set(["orgUnit", "period", "dataSet", "completeDate", "attributeOptionCombo"]);

/**
 * ADX (IHE QRPH, urn:ihe:qrph:adx:2015): `<group orgUnit= period="2025-06-01/P1M" dataSet=>` holding
 * `<dataValue dataElement= value= sex="F"/>`. Further attributes of a dataValue are categories (their
 * code) with an option; further attributes of a group would be attribute categories, which the product
 * does not have: refused by value.
 */
export function readAdxSet(text: string): RawSet {
  const root = rootOf(parseXml(text), "adx");
  const { children } = attributesOf(root);
  const extra = Object.keys(children).filter((c) => c !== "group");
  if (extra.length) throw new InvalidInputError(`<adx> có phần tử không được hỗ trợ: ${extra.join(", ")}`, "body");
  const values: RawValue[] = [];
  let row = 0;
  for (const groupNode of (children.group as unknown[] | undefined) ?? []) {
    const group = attributesOf(groupNode);
    const groupExtra = Object.keys(group.children).filter((c) => c !== "dataValue");
    const attributeCategories = Object.keys(group.attrs).filter((a) => !ADX_GROUP_ATTRIBUTES.has(a));
    const period = group.attrs.period === undefined ? undefined : adxPeriod(group.attrs.period);
    for (const node of (group.children.dataValue as unknown[] | undefined) ?? []) {
      row++;
      checkCount(row);
      const v = attributesOf(node);
      const problems: RowError[] = [];
      if (group.attrs.period !== undefined && period === null)
        problems.push(
          problem(
            row,
            "period",
            `Kỳ ADX '${group.attrs.period}' không hợp lệ: ngày đầu kỳ/độ dài (2025-06-01/P1M, 2025-07-01/P3M, 2025-01-01/P6M, 2025-01-01/P1Y, 2025-07-28/P7D, 2025-07-15/P1D)`,
          ),
        );
      for (const a of attributeCategories)
        problems.push(
          problem(
            row,
            "attributeOptionCombo",
            `Thuộc tính '${a}' của <group> là chiều thuộc tính (attribute category): hệ thống chỉ nhận tổ hợp thuộc tính mặc định, không ghi số liệu này`,
          ),
        );
      for (const c of groupExtra) problems.push(problem(row, c, `Phần tử không được hỗ trợ trong <group>: ${c}`));
      const categories: Record<string, string> = {};
      let dataElement: string | undefined;
      let value: string | undefined;
      let combo: string | undefined;
      for (const [a, text] of Object.entries(v.attrs)) {
        if (a === "dataElement") dataElement = text;
        else if (a === "value") value = text;
        else if (a === "categoryOptionCombo") combo = text;
        else categories[a] = text;
      }
      const annotations = (v.children.annotation as unknown[] | undefined) ?? [];
      for (const c of Object.keys(v.children))
        if (c !== "annotation") problems.push(problem(row, c, `Phần tử không được hỗ trợ trong <dataValue>: ${c}`));
      const annotation = annotations.map((x) => (typeof x === "object" && x ? String((x as XmlNode)["#text"] ?? "") : String(x)));
      values.push({
        row,
        dataElement,
        period: period ?? undefined,
        orgUnit: group.attrs.orgUnit,
        dataSet: group.attrs.dataSet,
        attributeOptionCombo: group.attrs.attributeOptionCombo,
        categoryOptionCombo: combo,
        categories: Object.keys(categories).length ? categories : undefined,
        value,
        annotation: annotation.length ? annotation.join("\n") : undefined,
        problems: problems.length ? problems : undefined,
      });
    }
  }
  return { format: "adx", idSchemes: {}, values };
}
