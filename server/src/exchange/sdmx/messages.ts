import { randomUUID } from "node:crypto";
import { parseDisaggregation, parsePeriod, toSdmxPeriod } from "@dieuhanh/core";
import { plainDecimal } from "../../datavalues/formats/numbers";
import type { ExportedValue } from "../../datavalues/formats/sdmx";
import { FREQ_OF, SDMX_AGENCY, SDMX_DSD, SDMX_TOTAL, SDMX_VERSION, dimensionId, indicatorId, type SdmxCodes } from "./codes";

export const DATA_JSON_MEDIA_TYPE = "application/vnd.sdmx.data+json; version=2.0.0; charset=utf-8";
export const DATA_CSV_MEDIA_TYPE = "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8";

/** An observation value: a JSON number when it reads back to the same decimal text, else the exact text. */
const jsonValue = (v: ExportedValue) => {
  if (v.value === null) return v.valueText;
  const n = Number(v.value);
  return Number.isFinite(n) && plainDecimal(n) === v.value ? n : v.value;
};

/**
 * An SDMX-JSON 2.0 data message of some figures. `dimensionAtObservation`: TIME_PERIOD (series keyed by the
 * other dimensions, observations by period) or AllDimensions (a flat list of observations). Figures withdrawn
 * since `updatedAfter` are in a second data set whose action is Delete; with includeHistory every version
 * carries VALID_FROM / VALID_TO.
 */
export function dataMessage(
  values: ExportedValue[],
  codes: SdmxCodes,
  unitOf: (indicator: string) => string | null,
  options: { dimensionAtObservation: "TIME_PERIOD" | "AllDimensions"; history: boolean; now: Date },
) {
  const seriesDims = ["FREQ", "INDICATOR", "REF_AREA", ...codes.dimensions.map(dimensionId)];
  const allDims = [...seriesDims, "TIME_PERIOD"];
  const attributeIds = [
    "UNIT_MEASURE",
    "OBS_STATUS",
    "SAMPLE",
    "COMMENT",
    ...(options.history ? ["VALID_FROM", "VALID_TO"] : []),
  ];
  const dimValues = new Map<string, Map<string, number>>(allDims.map((d) => [d, new Map()]));
  const attrValues = new Map<string, Map<string, number>>(attributeIds.map((a) => [a, new Map()]));
  const indexOf = (table: Map<string, Map<string, number>>, id: string, value: string) => {
    const m = table.get(id)!;
    let i = m.get(value);
    if (i === undefined) m.set(value, (i = m.size));
    return i;
  };
  const flat = options.dimensionAtObservation === "AllDimensions";
  const sets = { merge: {} as Record<string, unknown>, delete: {} as Record<string, unknown> };
  for (const v of values) {
    const period = parsePeriod(v.period)!;
    const parsed = parseDisaggregation(v.disaggregation);
    const parts = parsed.ok ? parsed.parts : {};
    const key = [
      FREQ_OF[period.type],
      indicatorId(v.indicator),
      v.area,
      ...codes.dimensions.map((d) => parts[d] ?? SDMX_TOTAL),
    ].map((value, i) => indexOf(dimValues, seriesDims[i]!, value));
    const time = indexOf(dimValues, "TIME_PERIOD", toSdmxPeriod(period));
    const status = v.status === "submitted" || v.status === "approved" ? "A" : "P";
    const attrs = v.deleted
      ? attributeIds.map(() => null)
      : [
          unitOf(v.indicator) ? indexOf(attrValues, "UNIT_MEASURE", codes.unitId(unitOf(v.indicator))) : null,
          indexOf(attrValues, "OBS_STATUS", status),
          indexOf(attrValues, "SAMPLE", v.sample ? "true" : "false"),
          v.comment === null ? null : indexOf(attrValues, "COMMENT", v.comment),
          ...(options.history
            ? [
                v.validFrom ? indexOf(attrValues, "VALID_FROM", v.validFrom) : null,
                v.validTo ? indexOf(attrValues, "VALID_TO", v.validTo) : null,
              ]
            : []),
        ];
    const observation = [v.deleted ? null : jsonValue(v), ...attrs];
    const set = v.deleted ? sets.delete : sets.merge;
    if (flat) {
      // Several versions of one key (includeHistory) each get their own entry: the key and the version.
      let k = [...key, time].join(":");
      if (set[k] !== undefined) k = `${k}:${v.version}`;
      set[k] = observation;
    } else {
      const sk = key.join(":");
      const series = (set[sk] ??= { attributes: [], observations: {} as Record<string, unknown> }) as {
        observations: Record<string, unknown>;
      };
      let ok = String(time);
      if (series.observations[ok] !== undefined) ok = `${ok}:${v.version}`;
      series.observations[ok] = observation;
    }
  }
  const component = (id: string, position?: number) => ({
    id,
    ...(position !== undefined ? { keyPosition: position } : {}),
    values: [...dimValues.get(id)!.keys()].map((value) => ({ id: value })),
  });
  const attribute = (id: string) => ({
    id,
    relationship: { observation: {} },
    values: [...attrValues.get(id)!.keys()].map((value) => ({ id: value, value })),
  });
  const dataSet = (action: string, content: Record<string, unknown>) => ({
    structure: 0,
    action,
    ...(flat ? { observations: content } : { series: content }),
  });
  const dataSets = [dataSet("Merge", sets.merge)];
  if (Object.keys(sets.delete).length) dataSets.push(dataSet("Delete", sets.delete));
  return {
    meta: {
      schema:
        "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/v2.0.0/data-message/tools/schemas/2.0.0/sdmx-json-data-schema.json",
      id: `IREF${randomUUID()}`,
      test: false,
      prepared: options.now.toISOString(),
      contentLanguages: ["vi"],
      sender: { id: SDMX_AGENCY },
    },
    data: {
      structures: [
        {
          structure: `urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=${SDMX_AGENCY}:${SDMX_DSD}(${SDMX_VERSION})`,
          dimensions: flat
            ? { dataSet: [], series: [], observation: allDims.map((d, i) => component(d, i)) }
            : {
                dataSet: [],
                series: seriesDims.map((d, i) => component(d, i)),
                observation: [component("TIME_PERIOD", seriesDims.length)],
              },
          measures: { observation: [{ id: "OBS_VALUE" }] },
          attributes: { dataSet: [], series: [], observation: attributeIds.map(attribute) },
        },
      ],
      dataSets,
    },
  };
}
