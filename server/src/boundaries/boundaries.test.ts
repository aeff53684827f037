import { statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { dataPath, readJson } from "../paths";

type Ring = [number, number][];
interface Feature {
  properties: { code: string; name: string };
  geometry: { type: "MultiPolygon" | "Polygon"; coordinates: Ring[][] | Ring[] };
}

const file = dataPath("admin", "boundaries", "provinces-34.geojson");
const geo = readJson<{ features: Feature[] }>(file);
const polygons = (f: Feature): Ring[][] =>
  f.geometry.type === "Polygon" ? [f.geometry.coordinates as Ring[]] : (f.geometry.coordinates as Ring[][]);
const byCode = (code: string) => geo.features.find((f) => f.properties.code === code)!;
/** Polygons whose every point lies in a box. */
const inBox = (f: Feature, minLon: number, maxLon: number, minLat: number, maxLat: number) =>
  polygons(f).filter((p) => p[0]!.every(([lon, lat]) => lon >= minLon && lon <= maxLon && lat >= minLat && lat <= maxLat));

describe("province boundaries shipped for the browser", () => {
  it("are the 34 provinces, well under 2 MB", () => {
    expect(geo.features).toHaveLength(34);
    expect(new Set(geo.features.map((f) => f.properties.code)).size).toBe(34);
    expect(statSync(file).size).toBeLessThan(2 * 1024 * 1024);
  });

  it("include the Hoàng Sa archipelago in Đà Nẵng", () => {
    expect(byCode("48").properties.name).toBe("Đà Nẵng");
    expect(inBox(byCode("48"), 111, 113, 15.5, 17.5).length).toBeGreaterThan(5);
  });

  it("include the Trường Sa archipelago in Khánh Hòa", () => {
    expect(byCode("56").properties.name).toBe("Khánh Hoà");
    expect(inBox(byCode("56"), 111.5, 117.5, 6, 12).length).toBeGreaterThan(20);
  });
});
