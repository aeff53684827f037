import { InvalidInputError } from "../../errors";
import type { Dhis2Metadata } from "./metadata";
import { DEFAULT_NAME, DEFAULT_UIDS, dhis2Uid } from "./uid";

/**
 * The metadata lists in DHIS2's shape — `{pager: {page, pageCount, total, pageSize}, dataElements: [...]}` —
 * with the minimal support of DHIS2's `fields` (names, `*`, `:all`, one level of `name[sub,fields]`),
 * `filter=property:operator:value` (eq, !eq, ne, in, !in, like, !like, ilike, !ilike, null, !null; several
 * filters all apply) and `paging=false`. The default fields are id, code, name and displayName.
 */
type Item = Record<string, unknown>;

const shortName = (name: string) => (name.length > 50 ? `${name.slice(0, 49)}…` : name);
const named = (id: string, code: string, name: string) => ({ id, code, name, shortName: shortName(name), displayName: name });
const ref = (id: string) => ({ id });

export const metadataKinds = [
  "dataElements",
  "organisationUnits",
  "categories",
  "categoryOptions",
  "categoryCombos",
  "categoryOptionCombos",
  "dataSets",
] as const;
export type MetadataKind = (typeof metadataKinds)[number];

const built = new WeakMap<Dhis2Metadata, Map<MetadataKind, Item[]>>();

function comboCodeOf(dimensions: readonly string[]) {
  return [...dimensions].sort().join(";");
}

function build(meta: Dhis2Metadata, kind: MetadataKind): Item[] {
  switch (kind) {
    case "dataElements":
      return meta.dataElements.map((d) => ({
        ...named(d.uid, d.code, d.name),
        description: d.unit ? `Đơn vị: ${d.unit}` : undefined,
        valueType: meta.valueTypeOf(d),
        aggregationType: meta.aggregationTypeOf(d),
        domainType: "AGGREGATE",
        zeroIsSignificant: true,
        categoryCombo: ref(
          d.dimensions.length ? dhis2Uid("categoryCombo", comboCodeOf(d.dimensions)) : DEFAULT_UIDS.categoryCombo,
        ),
        dataSetElements: [{ dataSet: ref(dhis2Uid("dataSet", d.catalogueId)) }],
      }));
    case "organisationUnits":
      return meta.orgUnits.map((o) => ({
        ...named(o.uid, o.id, o.name),
        level: o.level,
        path: o.path,
        parent: o.parentId ? ref(dhis2Uid("organisationUnit", o.parentId)) : undefined,
        openingDate: o.openingDate ?? undefined,
        closedDate: o.closedDate ?? undefined,
      }));
    case "categories":
      return [
        {
          ...named(DEFAULT_UIDS.category, DEFAULT_NAME, DEFAULT_NAME),
          dataDimensionType: "DISAGGREGATION",
          categoryOptions: [ref(DEFAULT_UIDS.categoryOption)],
        },
        ...meta.categories.map((c) => ({
          ...named(c.uid, c.code, c.name),
          dataDimensionType: "DISAGGREGATION",
          categoryOptions: (c.options ?? []).map((o) => ref(o.uid)),
        })),
      ];
    case "categoryOptions":
      return [
        { ...named(DEFAULT_UIDS.categoryOption, DEFAULT_NAME, DEFAULT_NAME), categories: [ref(DEFAULT_UIDS.category)] },
        ...meta.categories.flatMap((c) =>
          (c.options ?? []).map((o) => ({ ...named(o.uid, o.key, o.name), categories: [ref(c.uid)] })),
        ),
      ];
    case "categoryCombos": {
      const codes = new Set<string>();
      for (const d of meta.dataElements) {
        const dims = [...d.dimensions].sort();
        for (let mask = 1; mask < 1 << dims.length; mask++) codes.add(dims.filter((_, i) => mask & (1 << i)).join(";"));
      }
      return [
        {
          ...named(DEFAULT_UIDS.categoryCombo, DEFAULT_NAME, DEFAULT_NAME),
          dataDimensionType: "DISAGGREGATION",
          isDefault: true,
          categories: [ref(DEFAULT_UIDS.category)],
        },
        ...[...codes].sort().map((code) => {
          const dims = code.split(";");
          return {
            ...named(dhis2Uid("categoryCombo", code), code, dims.map((x) => meta.category(x)?.name ?? x).join(" / ")),
            dataDimensionType: "DISAGGREGATION",
            isDefault: false,
            categories: dims.map((x) => ref(dhis2Uid("category", x))),
          };
        }),
      ];
    }
    case "categoryOptionCombos":
      return [
        {
          ...named(DEFAULT_UIDS.categoryOptionCombo, DEFAULT_NAME, DEFAULT_NAME),
          categoryCombo: ref(DEFAULT_UIDS.categoryCombo),
          categoryOptions: [ref(DEFAULT_UIDS.categoryOption)],
        },
        ...meta.combos().map((c) => ({
          ...named(c.uid, c.key, c.name),
          categoryCombo: ref(dhis2Uid("categoryCombo", c.comboCode)),
          categoryOptions: c.options.map((o) => ref(o.uid)),
        })),
      ];
    case "dataSets":
      return meta.dataSets.map((s) => ({
        ...named(s.uid, s.code, s.name),
        dataSetElements: s.dataElements.map((code) => ({ dataElement: ref(dhis2Uid("dataElement", code)) })),
      }));
  }
}

function itemsOf(meta: Dhis2Metadata, kind: MetadataKind): Item[] {
  let byKind = built.get(meta);
  if (!byKind) built.set(meta, (byKind = new Map()));
  let items = byKind.get(kind);
  if (!items) byKind.set(kind, (items = build(meta, kind)));
  return items;
}

// ---------------------------------------------------------------------------------------------- fields

type FieldSpec = Map<string, FieldSpec | null> | "all";

/** `id,name,categoryCombo[id,name]` → the fields to keep (null: the whole value). */
export function parseFields(text: string): FieldSpec {
  const spec = new Map<string, FieldSpec | null>();
  let depth = 0;
  let start = 0;
  const parts: string[] = [];
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === "[") depth++;
    else if (c === "]") depth--;
    if ((c === "," && depth === 0) || i === text.length) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
    if (depth < 0) throw new InvalidInputError(`Tham số 'fields' không hợp lệ: '${text}'`, "fields");
  }
  if (depth !== 0) throw new InvalidInputError(`Tham số 'fields' không hợp lệ: '${text}'`, "fields");
  for (const part of parts) {
    if (!part) continue;
    if (part === "*" || part.startsWith(":")) return "all";
    const bracket = part.indexOf("[");
    const name = (bracket >= 0 ? part.slice(0, bracket) : part).split("~")[0]!.trim();
    spec.set(name, bracket >= 0 ? parseFields(part.slice(bracket + 1, part.lastIndexOf("]"))) : null);
  }
  return spec;
}

function project(value: unknown, spec: FieldSpec | null): unknown {
  if (spec === null || spec === "all" || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => project(v, spec));
  const out: Item = {};
  for (const [name, inner] of spec) {
    const v = (value as Item)[name];
    if (v !== undefined) out[name] = project(v, inner);
  }
  return out;
}

// --------------------------------------------------------------------------------------------- filters

function valueAt(item: Item, path: string): unknown {
  let v: unknown = item;
  for (const p of path.split(".")) v = v && typeof v === "object" ? (v as Item)[p] : undefined;
  return v;
}

/** `code:eq:CT.A.I.3` → a test of an item. */
export function parseFilter(text: string): (item: Item) => boolean {
  const first = text.indexOf(":");
  const second = first < 0 ? -1 : text.indexOf(":", first + 1);
  const property = first < 0 ? text : text.slice(0, first);
  const op = first < 0 ? "" : second < 0 ? text.slice(first + 1) : text.slice(first + 1, second);
  const arg = second < 0 ? "" : text.slice(second + 1);
  const str = (v: unknown) => (v === undefined || v === null ? null : String(v));
  const list = () =>
    arg
      .replace(/^\[/, "")
      .replace(/\]$/, "")
      .split(",")
      .map((s) => s.trim());
  const tests: Record<string, (v: string | null) => boolean> = {
    eq: (v) => v === arg,
    "!eq": (v) => v !== arg,
    ne: (v) => v !== arg,
    neq: (v) => v !== arg,
    in: (v) => v !== null && list().includes(v),
    "!in": (v) => v === null || !list().includes(v),
    like: (v) => v !== null && v.includes(arg),
    "!like": (v) => v === null || !v.includes(arg),
    ilike: (v) => v !== null && v.toLowerCase().includes(arg.toLowerCase()),
    "!ilike": (v) => v === null || !v.toLowerCase().includes(arg.toLowerCase()),
    null: (v) => v === null,
    "!null": (v) => v !== null,
  };
  const test = tests[op];
  if (!property || !test)
    throw new InvalidInputError(
      `Bộ lọc '${text}' không được hỗ trợ: dạng thuộc_tính:toán_tử:giá_trị, toán tử ${Object.keys(tests).join(", ")}`,
      "filter",
    );
  return (item) => test(str(valueAt(item, property)));
}

export interface ListQuery {
  fields?: string;
  filter?: string | string[];
  paging?: boolean;
  page: number;
  pageSize: number;
}

export function metadataList(meta: Dhis2Metadata, kind: MetadataKind, q: ListQuery): Record<string, unknown> {
  const filters = [q.filter ?? []].flat().map(parseFilter);
  const fields = parseFields(q.fields ?? "id,code,name,displayName");
  let items = itemsOf(meta, kind);
  if (filters.length) items = items.filter((i) => filters.every((f) => f(i)));
  const total = items.length;
  if (q.paging === false) return { [kind]: items.map((i) => project(i, fields)) };
  const pageCount = Math.max(1, Math.ceil(total / q.pageSize));
  const shown = items.slice((q.page - 1) * q.pageSize, q.page * q.pageSize);
  return {
    pager: { page: q.page, pageCount, total, pageSize: q.pageSize },
    [kind]: shown.map((i) => project(i, fields)),
  };
}
