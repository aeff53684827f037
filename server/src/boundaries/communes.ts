import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { feature } from "topojson-client";
import type { Topology } from "topojson-specification";
import { dataPath } from "../paths";

const DIR = dataPath("admin", "boundaries", "communes");

export interface CommuneFeature {
  type: "Feature";
  properties: { code: string; name: string; fullName: string; areaKm2: number | null };
  geometry: { type: string; coordinates: unknown };
}

/** Four decimals of a degree is about 11 m: invisible on a choropleth of communes, and far fewer bytes. */
const round = (c: unknown): unknown => (typeof c === "number" ? Math.round(c * 1e4) / 1e4 : Array.isArray(c) ? c.map(round) : c);

/** The file of a province: `NN_name.topo.json`, where NN is the province's code. */
function fileOf(province: string): string | undefined {
  return readdirSync(DIR).find((f) => f.startsWith(`${province}_`) && f.endsWith(".topo.json"));
}

/**
 * The communes of one province as a GeoJSON FeatureCollection, converted from the committed TopoJSON
 * (data/admin/boundaries/communes), or undefined when the product has no boundaries for that code.
 */
export function communeBoundaries(province: string): { type: "FeatureCollection"; features: CommuneFeature[] } | undefined {
  if (!/^\d{2}$/.test(province)) return undefined;
  const file = fileOf(province);
  if (!file) return undefined;
  const topology = JSON.parse(readFileSync(path.join(DIR, file), "utf8")) as Topology;
  const object = Object.values(topology.objects)[0]!;
  const collection = feature(topology, object) as unknown as { features: CommuneFeature[] };
  return {
    type: "FeatureCollection",
    features: collection.features.map((f) => ({
      type: "Feature",
      properties: {
        code: String(f.properties.code),
        name: f.properties.name,
        fullName: f.properties.fullName,
        areaKm2: f.properties.areaKm2 ?? null,
      },
      geometry: { type: f.geometry.type, coordinates: round(f.geometry.coordinates) },
    })),
  };
}
