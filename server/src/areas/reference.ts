import { foldVietnamese } from "@dieuhanh/core";
import type { AreaMergesTable, AreasTable } from "../db/schema";
import { dataPath, readJson } from "../paths";

/** The day the two-tier local government and the 34 provinces took effect. */
export const REFORM_DATE = "2025-07-01";
export const LAST_PRE_REFORM_DATE = "2025-06-30";
export const NATION_ID = "VN";

/** Pre-reform units reuse the official codes of the time; their ids carry a prefix to stay unique. */
export function preReformId(code: string): string {
  return `old-${code}`;
}

interface UnitJson {
  Code: string;
  Name: string;
  NameEn: string;
  FullName: string;
  AdministrativeUnitShortName: string;
  Wards?: UnitJson[];
}
interface MergesJson {
  data: {
    level1_id: string;
    merges: { old_id: string; type: "full" | "partial" }[];
    level2s: { level2_id: string; name: string; merges: { old_id: string; type: "full" | "partial" }[] }[];
  }[];
}
interface SplitsJson {
  data: { level1_id: string; name: string; level3s: { level3_id: string; name: string }[] }[];
}
interface BoundaryJson {
  features: { properties: { code: string; areaKm2?: number } }[];
}

/**
 * Island districts that had no communes before the reform, so the merge mapping names the district itself
 * (official district codes) as what became the special zone (đặc khu). The mapping does not give their old
 * province, hence this table.
 */
export const ISLAND_DISTRICTS: { code: string; fullName: string; oldProvinceCode: string }[] = [
  { code: "318", fullName: "Huyện Bạch Long Vĩ", oldProvinceCode: "31" },
  { code: "471", fullName: "Huyện Cồn Cỏ", oldProvinceCode: "45" },
  { code: "498", fullName: "Huyện Hoàng Sa", oldProvinceCode: "48" },
  { code: "536", fullName: "Huyện Lý Sơn", oldProvinceCode: "51" },
  { code: "755", fullName: "Huyện Côn Đảo", oldProvinceCode: "77" },
];

const unitTypePrefixes = ["Huyện", "Thành phố", "Tỉnh", "Thị trấn", "Phường", "Xã", "Đặc khu"];

/** "Tỉnh Hà Giang" → { unitType: "Tỉnh", name: "Hà Giang" }. */
export function splitUnitName(fullName: string): { unitType: string; name: string } {
  for (const prefix of unitTypePrefixes) {
    // The old-unit list writes "Thị Trấn" in a dozen places: compare the prefix case-insensitively.
    if (fullName.slice(0, prefix.length + 1).toLowerCase() === prefix.toLowerCase() + " ") {
      return { unitType: prefix, name: fullName.slice(prefix.length + 1) };
    }
  }
  return { unitType: "", name: fullName };
}

function searchText(...parts: (string | null | undefined)[]): string {
  return foldVietnamese(parts.filter(Boolean).join(" "));
}

export interface AreaReference {
  areas: AreasTable[];
  merges: AreaMergesTable[];
  /** Commune codes of the merge mapping that the (newer) unit list replaced, matched by name. */
  codeCorrections: { provinceCode: string; name: string; mappingCode: string; unitCode: string }[];
}

/** Builds the area rows and the merge mapping from the shipped data files. */
export function buildAreaReference(): AreaReference {
  const units = readJson<UnitJson[]>(dataPath("admin", "units-34-provinces-full.json"));
  const splits = readJson<SplitsJson>(dataPath("admin", "splits-2025-old-to-new.json"));
  const mergesJson = readJson<MergesJson>(dataPath("admin", "merges-2025-new-to-old.json"));
  const boundaries = readJson<BoundaryJson>(dataPath("admin", "boundaries", "provinces-34.geojson"));
  const areaKm2 = new Map(boundaries.features.map((f) => [f.properties.code, f.properties.areaKm2 ?? null]));

  const areas: AreasTable[] = [
    {
      id: NATION_ID,
      code: NATION_ID,
      level: "nation",
      parent_id: null,
      name: "Việt Nam",
      full_name: "Cộng hòa xã hội chủ nghĩa Việt Nam",
      name_en: "Viet Nam",
      unit_type: "Quốc gia",
      valid_from: null,
      valid_to: null,
      area_km2: null,
      search_text: "viet nam ca nuoc",
    },
  ];
  for (const p of units) {
    areas.push({
      id: p.Code,
      code: p.Code,
      level: "province",
      parent_id: NATION_ID,
      name: p.Name,
      full_name: p.FullName,
      name_en: p.NameEn,
      unit_type: p.AdministrativeUnitShortName,
      valid_from: REFORM_DATE,
      valid_to: null,
      area_km2: areaKm2.get(p.Code) ?? null,
      search_text: searchText(p.Code, p.FullName),
    });
    for (const w of p.Wards ?? []) {
      areas.push({
        id: w.Code,
        code: w.Code,
        level: "commune",
        parent_id: p.Code,
        name: w.Name,
        full_name: w.FullName,
        name_en: w.NameEn,
        unit_type: w.AdministrativeUnitShortName,
        valid_from: REFORM_DATE,
        valid_to: null,
        area_km2: null,
        search_text: searchText(w.Code, w.FullName, p.Name),
      });
    }
  }
  for (const p of splits.data) {
    const province = splitUnitName(p.name);
    areas.push({
      id: preReformId(p.level1_id),
      code: p.level1_id,
      level: "province",
      parent_id: NATION_ID,
      name: province.name,
      full_name: p.name,
      name_en: null,
      unit_type: province.unitType,
      valid_from: null,
      valid_to: LAST_PRE_REFORM_DATE,
      area_km2: null,
      search_text: searchText(p.level1_id, p.name),
    });
    for (const c of p.level3s) {
      const commune = splitUnitName(c.name);
      areas.push({
        id: preReformId(c.level3_id),
        code: c.level3_id,
        level: "commune",
        parent_id: preReformId(p.level1_id),
        name: commune.name,
        full_name: c.name,
        name_en: null,
        unit_type: commune.unitType,
        valid_from: null,
        valid_to: LAST_PRE_REFORM_DATE,
        area_km2: null,
        search_text: searchText(c.level3_id, c.name, province.name),
      });
    }
  }

  for (const d of ISLAND_DISTRICTS) {
    const district = splitUnitName(d.fullName);
    const province = areas.find((a) => a.id === preReformId(d.oldProvinceCode));
    areas.push({
      id: preReformId(d.code),
      code: d.code,
      level: "district",
      parent_id: preReformId(d.oldProvinceCode),
      name: district.name,
      full_name: d.fullName,
      name_en: null,
      unit_type: district.unitType,
      valid_from: null,
      valid_to: LAST_PRE_REFORM_DATE,
      area_km2: null,
      search_text: searchText(d.code, d.fullName, province?.name),
    });
  }

  // The mapping lists a few old units twice under one new unit; keep one row, and refuse contradictions.
  const merges = new Map<string, AreaMergesTable>();
  const add = (newId: string, oldCode: string, type: "full" | "partial") => {
    const row: AreaMergesTable = { new_area_id: newId, old_area_id: preReformId(oldCode), merge_type: type };
    const key = `${row.new_area_id}|${row.old_area_id}`;
    const existing = merges.get(key);
    if (existing && existing.merge_type !== type) {
      throw new Error(`Merge mapping contradicts itself for ${newId} ← ${oldCode}`);
    }
    merges.set(key, row);
  };
  // The unit list (2026) is newer than the mapping (2025): where a commune's code differs, the unit
  // list wins and the mapping's commune is found by province and name (two cases: Ba Chẽ, Ia Mơ).
  const currentIds = new Set(areas.filter((a) => a.valid_to === null).map((a) => a.id));
  const byName = new Map(
    areas.filter((a) => a.level === "commune" && a.valid_to === null).map((a) => [`${a.parent_id}|${a.full_name}`, a.id]),
  );
  const codeCorrections: AreaReference["codeCorrections"] = [];
  for (const p of mergesJson.data) {
    for (const m of p.merges) add(p.level1_id, m.old_id, m.type);
    for (const c of p.level2s) {
      let id = c.level2_id;
      if (!currentIds.has(id)) {
        const matched = byName.get(`${p.level1_id}|${c.name}`);
        if (!matched) throw new Error(`Merge mapping names commune ${c.level2_id} ${c.name}, unknown to the unit list`);
        codeCorrections.push({ provinceCode: p.level1_id, name: c.name, mappingCode: c.level2_id, unitCode: matched });
        id = matched;
      }
      for (const m of c.merges) add(id, m.old_id, m.type);
    }
  }
  return { areas, merges: [...merges.values()], codeCorrections };
}
