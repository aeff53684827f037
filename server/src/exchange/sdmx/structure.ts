import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Schema } from "../../db/schema";
import { referenceData } from "../../datavalues/reference-cache";
import {
  FREQ_OF,
  SDMX_AGENCY,
  SDMX_DSD,
  SDMX_FLOW,
  SDMX_TOTAL,
  SDMX_VERSION,
  dimensionId,
  indicatorId,
  sdmxCodes,
} from "./codes";

/**
 * The dataflow's structures as SDMX-JSON 2.0 structure messages (no XML library is needed): the data
 * structure definition DSD_DIEUHANH, the dataflow DF_DIEUHANH, the concept scheme CS_DIEUHANH and the code
 * lists CL_FREQ, CL_INDICATOR, CL_AREA (every administrative unit, those dissolved in the 2025 reform too,
 * with their validity as annotations), CL_UNIT, CL_OBS_STATUS and one CL_<DIMENSION> per disaggregation
 * dimension (with _T, the total). Names are Vietnamese (`vi`).
 */
export const STRUCTURE_MEDIA_TYPE = "application/vnd.sdmx.structure+json; version=2.0.0; charset=utf-8";
const urn = (kind: string, id: string) => `urn:sdmx:org.sdmx.infomodel.${kind}=${SDMX_AGENCY}:${id}(${SDMX_VERSION})`;
const codelistUrn = (id: string) => urn("codelist.Codelist", id);
const conceptUrn = (id: string) =>
  `urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept=${SDMX_AGENCY}:CS_DIEUHANH(${SDMX_VERSION}).${id}`;

interface Code {
  id: string;
  name: string;
  parent?: string;
  annotations?: { type: string; title?: string; text?: string }[];
}

const named = (name: string) => ({ name, names: { vi: name } });
const maintainable = (id: string, name: string) => ({
  id,
  version: SDMX_VERSION,
  agencyID: SDMX_AGENCY,
  isExternalReference: false,
  isFinal: true,
  ...named(name),
});
const codelist = (id: string, name: string, codes: Code[]) => ({
  ...maintainable(id, name),
  urn: codelistUrn(id),
  codes: codes.map((c) => ({
    id: c.id,
    ...named(c.name),
    ...(c.parent ? { parent: c.parent } : {}),
    ...(c.annotations ? { annotations: c.annotations } : {}),
  })),
});

/** The ids of every code list of the dataflow. */
export const codelistIdOf = (dimension: string) => `CL_${dimensionId(dimension)}`;

/** Everything published, read once per request (the reference data is cached). */
export async function buildStructures(db: Kysely<Schema>) {
  const ref = await referenceData(db);
  const codes = sdmxCodes(ref);
  const [indicators, areas, dimensions, options, agencies] = await Promise.all([
    db.selectFrom("indicators").select(["code", "name", "kind", "unit"]).where("kind", "!=", "heading").orderBy("code").execute(),
    db.selectFrom("areas").select(["id", "name", "level", "parent_id", "valid_from", "valid_to"]).orderBy("id").execute(),
    db.selectFrom("dimensions").selectAll().orderBy("code").execute(),
    db.selectFrom("dimension_options").selectAll().orderBy("dimension_code").orderBy("seq").execute(),
    db.selectFrom("agencies").select(["code", "name"]).orderBy("code").execute(),
  ]);
  const freqNames: Record<string, string> = { A: "Năm", S: "6 tháng", Q: "Quý", M: "Tháng", W: "Tuần", D: "Ngày" };
  const lists = new Map<string, ReturnType<typeof codelist>>();
  const add = (id: string, name: string, list: Code[]) => lists.set(id, codelist(id, name, list));
  add(
    "CL_FREQ",
    "Tần suất",
    Object.values(FREQ_OF).map((f) => ({ id: f, name: freqNames[f]! })),
  );
  add(
    "CL_INDICATOR",
    "Chỉ số",
    indicators.map((i) => ({
      id: indicatorId(i.code),
      name: i.name,
      annotations: [
        { type: "DIEUHANH_CODE", title: i.code },
        ...(i.unit ? [{ type: "UNIT_MEASURE", title: codes.unitId(i.unit) }] : []),
      ],
    })),
  );
  const validity = (a: { valid_from: string | null; valid_to: string | null }) => [
    ...(a.valid_from ? [{ type: "VALID_FROM", title: String(a.valid_from) }] : []),
    ...(a.valid_to ? [{ type: "VALID_TO", title: String(a.valid_to) }] : []),
  ];
  const areaCodes = areas.map((a) => {
    const annotations = [{ type: "LEVEL", title: a.level }, ...validity(a)];
    return { id: a.id, name: a.name, ...(a.parent_id ? { parent: a.parent_id } : {}), annotations };
  });
  add("CL_AREA", "Đơn vị hành chính (cả đơn vị trước sắp xếp năm 2025)", areaCodes);
  add(
    "CL_UNIT",
    "Đơn vị tính",
    [...codes.units].map(([id, text]) => ({ id, name: text })),
  );
  add("CL_OBS_STATUS", "Tình trạng số liệu", [
    { id: "A", name: "Đã gửi hoặc đã duyệt (công bố)" },
    { id: "P", name: "Nháp hoặc bị trả lại" },
  ]);
  const validId = (id: string) => /^[A-Za-z0-9_@$-]+$/.test(id);
  for (const d of dimensions) {
    const from = d.options_from;
    let list: Code[];
    if (from?.startsWith("areas:"))
      list = areas.filter((a) => a.level === from.slice(6)).map((a) => ({ id: a.id, name: a.name }));
    else if (from === "agencies") list = agencies.filter((a) => validId(a.code)).map((a) => ({ id: a.code, name: a.name }));
    else {
      const source = from && from !== "projects" && !from.includes(":") ? from : d.code;
      list = options
        .filter((o) => o.dimension_code === source)
        .map((o) => ({ id: o.code, name: o.name, ...(o.parent_code ? { parent: o.parent_code } : {}) }));
    }
    add(codelistIdOf(d.code), d.name, [{ id: SDMX_TOTAL, name: "Tổng số" }, ...list]);
  }

  const concept = (id: string, name: string) => ({ id, ...named(name), urn: conceptUrn(id) });
  const concepts = [
    concept("FREQ", "Tần suất"),
    concept("INDICATOR", "Chỉ số"),
    concept("REF_AREA", "Địa bàn"),
    ...dimensions.map((d) => concept(dimensionId(d.code), d.name)),
    concept("TIME_PERIOD", "Kỳ"),
    concept("OBS_VALUE", "Giá trị"),
    concept("UNIT_MEASURE", "Đơn vị tính"),
    concept("OBS_STATUS", "Tình trạng số liệu"),
    concept("SAMPLE", "Số liệu mẫu (minh họa, không phải số liệu thật)"),
    concept("COMMENT", "Ghi chú"),
  ];
  const dimension = (id: string, position: number, list: string) => ({
    id,
    position,
    type: "Dimension",
    conceptIdentity: conceptUrn(id),
    localRepresentation: { enumeration: codelistUrn(list) },
  });
  const keyDimensions = [
    dimension("FREQ", 0, "CL_FREQ"),
    dimension("INDICATOR", 1, "CL_INDICATOR"),
    dimension("REF_AREA", 2, "CL_AREA"),
    ...codes.dimensions.map((d, i) => dimension(dimensionId(d), 3 + i, codelistIdOf(d))),
  ];
  const attribute = (id: string, list: string | null, usage: "mandatory" | "optional") => ({
    id,
    usage,
    attributeRelationship: { observation: {} },
    conceptIdentity: conceptUrn(id),
    ...(list
      ? { localRepresentation: { enumeration: codelistUrn(list) } }
      : { localRepresentation: { format: { dataType: "String" } } }),
  });
  const dsd = {
    ...maintainable(SDMX_DSD, "Số liệu chỉ đạo, điều hành"),
    urn: urn("datastructure.DataStructure", SDMX_DSD),
    dataStructureComponents: {
      dimensionList: {
        id: "DimensionDescriptor",
        dimensions: keyDimensions,
        timeDimensions: [
          {
            id: "TIME_PERIOD",
            position: keyDimensions.length,
            type: "TimeDimension",
            conceptIdentity: conceptUrn("TIME_PERIOD"),
            localRepresentation: { format: { dataType: "ObservationalTimePeriod" } },
          },
        ],
      },
      measureList: {
        id: "MeasureDescriptor",
        measures: [
          {
            id: "OBS_VALUE",
            usage: "optional",
            conceptIdentity: conceptUrn("OBS_VALUE"),
            // Numbers for most indicators, text for textual ones.
            localRepresentation: { format: { dataType: "String" } },
          },
        ],
      },
      attributeList: {
        id: "AttributeDescriptor",
        attributes: [
          attribute("UNIT_MEASURE", "CL_UNIT", "optional"),
          attribute("OBS_STATUS", "CL_OBS_STATUS", "optional"),
          { ...attribute("SAMPLE", null, "optional"), localRepresentation: { format: { dataType: "Boolean" } } },
          attribute("COMMENT", null, "optional"),
        ],
      },
    },
  };
  const dataflow = {
    ...maintainable(SDMX_FLOW, "Số liệu chỉ đạo, điều hành (Chính phủ, bộ, ngành, địa phương)"),
    urn: urn("datastructure.Dataflow", SDMX_FLOW),
    structure: urn("datastructure.DataStructure", SDMX_DSD),
  };
  const conceptScheme = {
    ...maintainable("CS_DIEUHANH", "Khái niệm của luồng dữ liệu chỉ đạo, điều hành"),
    urn: urn("conceptscheme.ConceptScheme", "CS_DIEUHANH"),
    concepts,
  };
  return { dataflow, dsd, conceptScheme, codelists: lists };
}

/** An SDMX-JSON 2.0 structure message. */
export function structureMessage(data: Record<string, unknown[]>, now: Date) {
  return {
    meta: {
      schema:
        "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/v2.0.0/structure-message/tools/schemas/2.0.0/sdmx-json-structure-schema.json",
      id: `IREF${randomUUID()}`,
      test: false,
      prepared: now.toISOString(),
      contentLanguages: ["vi"],
      sender: { id: SDMX_AGENCY, ...named("Hệ thống chỉ đạo, điều hành") },
    },
    data,
  };
}
