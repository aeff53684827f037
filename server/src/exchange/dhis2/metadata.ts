import { disaggregationKey, isAdditiveUnit, isCountUnit, parseDisaggregation } from "@dieuhanh/core";
import type { Executor } from "../../db/bulk";
import { referenceData, type ReferenceData } from "../../datavalues/reference-cache";
import { DEFAULT_NAME, DEFAULT_UIDS, dhis2Uid } from "./uid";

/**
 * The product's reference data as DHIS2 metadata, so that a DHIS2 instance can map its identifiers:
 *   indicator (chỉ số)            → dataElement          code = indicator code (CT.A.I.3)
 *   area (địa bàn)                → organisationUnit     code = area id (92, 31117)
 *   catalogue (bộ chỉ số)         → dataSet              code = catalogue id (cantho-256)
 *   dimension (chiều phân tổ)     → category             code = dimension code (sex)
 *   dimension option (phương án)  → categoryOption       code = "dimension=OPTION" (sex=F)
 *   dimensions of a key           → categoryCombo        code = dimension codes joined by ";" (sex;urban_rural)
 *   disaggregation key            → categoryOptionCombo  code = the key itself (sex=F;urban_rural=U); the total
 *                                                        is DHIS2's default combo (HllvX50cXC0, "default")
 * UIDs come from `dhis2Uid`. Names are the display names, matched exactly (never folded: an identifier).
 * Built once per revision of the reference data (the reference cache's object is the key).
 */
export type IdScheme = "UID" | "CODE" | "NAME";

export interface DataElementInfo {
  code: string;
  uid: string;
  name: string;
  unit: string | null;
  valueType: "number" | "text";
  dimensions: string[];
  catalogueId: string;
  periodTypes: string[];
}

export interface OrgUnitInfo {
  id: string;
  uid: string;
  name: string;
  level: number;
  parentId: string | null;
  path: string;
  openingDate: string | null;
  closedDate: string | null;
}

export interface OptionInfo {
  dimension: string;
  code: string;
  /** "dimension=OPTION": the categoryOption's code. */
  key: string;
  uid: string;
  name: string;
}

export interface CategoryInfo {
  code: string;
  uid: string;
  name: string;
  /** null: drawn from a registry with no list (projects): any code, by CODE only. */
  options: OptionInfo[] | null;
}

export interface ComboInfo {
  key: string;
  uid: string;
  name: string;
  /** The categoryCombo: the key's dimensions joined by ";". */
  comboCode: string;
  options: OptionInfo[];
}

export interface DataSetInfo {
  code: string;
  uid: string;
  name: string;
  dataElements: string[];
}

interface ComboIndex {
  byUid: Map<string, string>;
  byName: Map<string, string[]>;
  list: ComboInfo[];
}

/** Combinations enumerated per list of dimensions at most; beyond, combos resolve by CODE only. */
const MAX_COMBOS = 100_000;

export type Resolved = { ok: true; code: string } | { ok: false; message: string };

const multiMap = <T>(items: T[], key: (t: T) => string, value: (t: T) => string) => {
  const m = new Map<string, string[]>();
  for (const t of items) {
    const k = key(t);
    const list = m.get(k);
    if (list) list.push(value(t));
    else m.set(k, [value(t)]);
  }
  return m;
};

const schemeLabel = { UID: "UID", CODE: "mã (CODE)", NAME: "tên (NAME)" } as const;

export class Dhis2Metadata {
  readonly dataElements: DataElementInfo[];
  readonly orgUnits: OrgUnitInfo[];
  readonly categories: CategoryInfo[];
  readonly dataSets: DataSetInfo[];
  private readonly deByCode: Map<string, DataElementInfo>;
  private readonly deByUid: Map<string, string>;
  private readonly deByName: Map<string, string[]>;
  private readonly ouById: Map<string, OrgUnitInfo>;
  private readonly ouByUid: Map<string, string>;
  private readonly ouByName: Map<string, string[]>;
  private readonly categoryByCode: Map<string, CategoryInfo>;
  private readonly dsByCode: Map<string, DataSetInfo>;
  private readonly comboIndexes = new Map<string, ComboIndex>();
  private allCombos: ComboInfo[] | null = null;

  constructor(
    readonly ref: ReferenceData,
    rows: {
      indicators: { code: string; name: string; catalogue_id: string; kind: string }[];
      catalogues: { id: string; name: string }[];
      dimensions: { code: string; name: string; options_from: string | null }[];
      options: { dimension_code: string; code: string; name: string }[];
    },
  ) {
    this.dataElements = rows.indicators
      .filter((i) => i.kind !== "heading" && ref.indicators.has(i.code))
      .map((i) => {
        const meta = ref.indicators.get(i.code)!;
        return {
          code: i.code,
          uid: dhis2Uid("dataElement", i.code),
          name: i.name,
          unit: meta.unit,
          valueType: meta.value_type,
          dimensions: meta.dimensions,
          catalogueId: i.catalogue_id,
          periodTypes: meta.period_types,
        };
      })
      .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    this.deByCode = new Map(this.dataElements.map((d) => [d.code, d]));
    this.deByUid = new Map(this.dataElements.map((d) => [d.uid, d.code]));
    this.deByName = multiMap(
      this.dataElements,
      (d) => d.name,
      (d) => d.code,
    );

    const depth = new Map<string, { level: number; path: string }>();
    const place = (id: string, seen = 0): { level: number; path: string } => {
      const known = depth.get(id);
      if (known) return known;
      const a = ref.areas.get(id)!;
      const up = a.parent_id && ref.areas.has(a.parent_id) && seen < 10 ? place(a.parent_id, seen + 1) : { level: 0, path: "" };
      const here = { level: up.level + 1, path: `${up.path}/${dhis2Uid("organisationUnit", id)}` };
      depth.set(id, here);
      return here;
    };
    this.orgUnits = [...ref.areas.values()]
      .map((a) => ({
        id: a.id,
        uid: dhis2Uid("organisationUnit", a.id),
        name: a.name,
        level: place(a.id).level,
        parentId: a.parent_id,
        path: place(a.id).path,
        openingDate: a.valid_from,
        closedDate: a.valid_to,
      }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.ouById = new Map(this.orgUnits.map((o) => [o.id, o]));
    this.ouByUid = new Map(this.orgUnits.map((o) => [o.uid, o.id]));
    this.ouByName = multiMap(
      this.orgUnits,
      (o) => o.name,
      (o) => o.id,
    );

    const ownOptions = multiMap(
      rows.options,
      (o) => o.dimension_code,
      (o) => `${o.code}\u0000${o.name}`,
    );
    const optionsOf = (dimension: string, from: string | null): OptionInfo[] | null => {
      const make = (code: string, name: string): OptionInfo => ({
        dimension,
        code,
        key: `${dimension}=${code}`,
        uid: dhis2Uid("categoryOption", `${dimension}=${code}`),
        name,
      });
      if (from === null || (!from.includes(":") && from !== "agencies" && from !== "projects")) {
        return (ownOptions.get(from ?? dimension) ?? []).map((s) => {
          const [code, name] = s.split("\u0000") as [string, string];
          return make(code, name);
        });
      }
      if (from.startsWith("areas:")) {
        const level = from.slice(6);
        return [...ref.areas.values()].filter((a) => a.level === level).map((a) => make(a.code, a.name));
      }
      if (from === "agencies") return [...ref.agencyByCode.values()].map((a) => make(a.code.replace(/\./g, "_"), a.name));
      return null;
    };
    this.categories = rows.dimensions
      .map((d) => ({ code: d.code, uid: dhis2Uid("category", d.code), name: d.name, options: optionsOf(d.code, d.options_from) }))
      .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    this.categoryByCode = new Map(this.categories.map((c) => [c.code, c]));

    this.dataSets = rows.catalogues
      .map((c) => ({
        code: c.id,
        uid: dhis2Uid("dataSet", c.id),
        name: c.name,
        dataElements: this.dataElements.filter((d) => d.catalogueId === c.id).map((d) => d.code),
      }))
      .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    this.dsByCode = new Map(this.dataSets.map((d) => [d.code, d]));
  }

  dataElement(code: string) {
    return this.deByCode.get(code);
  }
  orgUnit(id: string) {
    return this.ouById.get(id);
  }
  category(code: string) {
    return this.categoryByCode.get(code);
  }
  dataSet(code: string) {
    return this.dsByCode.get(code);
  }

  /** An identifier as sent, to the product's code, by the scheme it is written in. */
  private resolve(
    what: string,
    text: string,
    scheme: IdScheme,
    byCode: (code: string) => boolean,
    byUid: Map<string, string>,
    byName: Map<string, string[]>,
  ): Resolved {
    if (scheme === "CODE") {
      if (byCode(text)) return { ok: true, code: text };
    } else if (scheme === "UID") {
      const code = byUid.get(text);
      if (code !== undefined) return { ok: true, code };
    } else {
      const codes = byName.get(text) ?? [];
      if (codes.length === 1) return { ok: true, code: codes[0]! };
      if (codes.length > 1)
        return {
          ok: false,
          message: `Tên ${what} '${text}' trùng ở ${codes.length} đối tượng (${codes.slice(0, 5).join(", ")}): hãy dùng mã (idScheme=CODE) hoặc UID`,
        };
    }
    const hint =
      scheme !== "CODE" && byCode(text)
        ? `; '${text}' là mã của hệ thống: gửi kèm tham số idScheme=CODE`
        : scheme !== "UID" && byUid.has(text)
          ? `; '${text}' là UID: gửi kèm idScheme=UID`
          : "";
    return { ok: false, message: `Không có ${what} nào có ${schemeLabel[scheme]} '${text}'${hint}` };
  }

  resolveDataElement(text: string, scheme: IdScheme): Resolved {
    return this.resolve("chỉ số (dataElement)", text, scheme, (c) => this.deByCode.has(c), this.deByUid, this.deByName);
  }

  resolveOrgUnit(text: string, scheme: IdScheme): Resolved {
    return this.resolve("địa bàn (orgUnit)", text, scheme, (c) => this.ouById.has(c), this.ouByUid, this.ouByName);
  }

  resolveDataSet(text: string, scheme: IdScheme): Resolved {
    return this.resolve(
      "bộ chỉ số (dataSet)",
      text,
      scheme,
      (c) => this.dsByCode.has(c),
      new Map(this.dataSets.map((d) => [d.uid, d.code])),
      multiMap(
        this.dataSets,
        (d) => d.name,
        (d) => d.code,
      ),
    );
  }

  /** Whether a combo identifier names the total (DHIS2's default combo), in any scheme. */
  isDefaultCombo(text: string) {
    return text === "" || text === DEFAULT_UIDS.categoryOptionCombo || text === DEFAULT_NAME;
  }

  /**
   * A categoryOptionCombo of an indicator's values to its disaggregation key. By CODE the key itself is
   * taken as written (the validation checks its dimensions and options, naming what is wrong).
   */
  resolveCombo(indicator: string, text: string, scheme: IdScheme): Resolved {
    if (this.isDefaultCombo(text)) return { ok: true, code: "" };
    if (scheme === "CODE") return { ok: true, code: text };
    const de = this.deByCode.get(indicator);
    const index = de ? this.comboIndex(de.dimensions) : null;
    if (scheme === "UID") {
      const key = index?.byUid.get(text);
      if (key !== undefined) return { ok: true, code: key };
    } else {
      const keys = index?.byName.get(text) ?? [];
      if (keys.length === 1) return { ok: true, code: keys[0]! };
    }
    const hint =
      parseDisaggregation(text).ok && text.includes("=")
        ? `; '${text}' là mã phân tổ: gửi kèm categoryOptionComboIdScheme=CODE`
        : "";
    return {
      ok: false,
      message: `Chỉ số ${indicator} không có phân tổ (categoryOptionCombo) nào có ${schemeLabel[scheme]} '${text}'${hint}`,
    };
  }

  /** An ADX category attribute (dimension code) and its value (an option, by the scheme) to the option code. */
  resolveOption(dimension: string, text: string, scheme: IdScheme): Resolved {
    const category = this.categoryByCode.get(dimension);
    if (!category) return { ok: false, message: `Không có chiều phân tổ (category) nào có mã '${dimension}'` };
    if (scheme === "CODE") {
      // The option's code within its category ("F"), or the categoryOption's own code ("sex=F").
      const code = text.startsWith(`${dimension}=`) ? text.slice(dimension.length + 1) : text;
      return { ok: true, code };
    }
    const found = (category.options ?? []).filter((o) => (scheme === "UID" ? o.uid === text : o.name === text));
    if (found.length === 1) return { ok: true, code: found[0]!.code };
    return {
      ok: false,
      message:
        found.length > 1
          ? `Tên phương án '${text}' trùng trong chiều phân tổ '${dimension}': hãy dùng mã (CODE) hoặc UID`
          : `Chiều phân tổ '${dimension}' không có phương án (categoryOption) nào có ${schemeLabel[scheme]} '${text}'`,
    };
  }

  dataElementId(code: string, scheme: IdScheme): string {
    return scheme === "CODE" ? code : scheme === "UID" ? dhis2Uid("dataElement", code) : (this.deByCode.get(code)?.name ?? code);
  }

  orgUnitId(id: string, scheme: IdScheme): string {
    return scheme === "CODE" ? id : scheme === "UID" ? dhis2Uid("organisationUnit", id) : (this.ouById.get(id)?.name ?? id);
  }

  dataSetId(code: string, scheme: IdScheme): string {
    return scheme === "CODE" ? code : scheme === "UID" ? dhis2Uid("dataSet", code) : (this.dsByCode.get(code)?.name ?? code);
  }

  comboId(key: string, scheme: IdScheme): string {
    if (key === "") return scheme === "UID" ? DEFAULT_UIDS.categoryOptionCombo : DEFAULT_NAME;
    return scheme === "CODE" ? key : scheme === "UID" ? dhis2Uid("categoryOptionCombo", key) : this.comboName(key);
  }

  /** The attribute option combo: the product has one, DHIS2's default. */
  attributeComboId(scheme: IdScheme): string {
    return scheme === "UID" ? DEFAULT_UIDS.categoryOptionCombo : DEFAULT_NAME;
  }

  /** A combo's name: its options' names in the key's order (by dimension code), as DHIS2 joins them. */
  comboName(key: string): string {
    const parsed = parseDisaggregation(key);
    if (!parsed.ok) return key;
    return Object.entries(parsed.parts)
      .map(([dim, code]) => this.optionInfo(dim, code)?.name ?? `${dim}=${code}`)
      .join(", ");
  }

  optionInfo(dimension: string, code: string): OptionInfo | undefined {
    return this.categoryByCode.get(dimension)?.options?.find((o) => o.code === code);
  }

  /** Every combo of some dimensions (each non-empty subset, every option of each), or null when too many. */
  comboIndex(dimensions: readonly string[]): ComboIndex | null {
    const sorted = [...dimensions].sort();
    const id = sorted.join(";");
    const cached = this.comboIndexes.get(id);
    if (cached) return cached;
    const lists = sorted
      .map((d) => this.categoryByCode.get(d))
      .filter((c): c is CategoryInfo => c !== undefined && c.options !== null && c.options.length > 0);
    const size = lists.reduce((n, c) => n * (c.options!.length + 1), 1) - 1;
    if (size > MAX_COMBOS) return null;
    const list: ComboInfo[] = [];
    const walk = (i: number, chosen: OptionInfo[]) => {
      if (i === lists.length) {
        if (chosen.length === 0) return;
        const key = disaggregationKey(Object.fromEntries(chosen.map((o) => [o.dimension, o.code])));
        list.push({
          key,
          uid: dhis2Uid("categoryOptionCombo", key),
          name: chosen.map((o) => o.name).join(", "),
          comboCode: chosen.map((o) => o.dimension).join(";"),
          options: chosen,
        });
        return;
      }
      walk(i + 1, chosen);
      for (const o of lists[i]!.options!) walk(i + 1, [...chosen, o]);
    };
    walk(0, []);
    const index: ComboIndex = {
      byUid: new Map(list.map((c) => [c.uid, c.key])),
      byName: multiMap(
        list,
        (c) => c.name,
        (c) => c.key,
      ),
      list,
    };
    this.comboIndexes.set(id, index);
    return index;
  }

  /** Every combo some indicator can hold (each list of dimensions in use), without repeats, by key. */
  combos(): ComboInfo[] {
    if (this.allCombos) return this.allCombos;
    const seen = new Map<string, ComboInfo>();
    const lists = new Set(this.dataElements.filter((d) => d.dimensions.length).map((d) => [...d.dimensions].sort().join(";")));
    for (const l of lists) for (const c of this.comboIndex(l.split(";"))?.list ?? []) if (!seen.has(c.key)) seen.set(c.key, c);
    this.allCombos = [...seen.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return this.allCombos;
  }

  /** DHIS2's value type of an indicator: whole numbers for units that count. */
  valueTypeOf(de: DataElementInfo) {
    return de.valueType === "text" ? "LONG_TEXT" : isCountUnit(de.unit) ? "INTEGER" : "NUMBER";
  }

  aggregationTypeOf(de: DataElementInfo) {
    return de.valueType === "number" && isAdditiveUnit(de.unit) ? "SUM" : "NONE";
  }
}

const built = new WeakMap<ReferenceData, Promise<Dhis2Metadata>>();

/** The DHIS2 view of the reference data as of its current revision. */
export async function dhis2Metadata(db: Executor): Promise<Dhis2Metadata> {
  const ref = await referenceData(db);
  let m = built.get(ref);
  if (!m) {
    m = (async () => {
      const [indicators, catalogues, dimensions, options] = await Promise.all([
        db.selectFrom("indicators").select(["code", "name", "catalogue_id", "kind"]).execute(),
        db.selectFrom("catalogues").select(["id", "name"]).execute(),
        db.selectFrom("dimensions").select(["code", "name", "options_from"]).execute(),
        db.selectFrom("dimension_options").select(["dimension_code", "code", "name"]).orderBy("seq").execute(),
      ]);
      return new Dhis2Metadata(ref, { indicators, catalogues, dimensions, options });
    })();
    built.set(ref, m);
    m.catch(() => built.delete(ref));
  }
  return m;
}
