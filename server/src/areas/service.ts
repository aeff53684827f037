import { foldVietnamese } from "@dieuhanh/core";
import type { Executor } from "../db/bulk";
import type { AreaLevel } from "../db/schema";
import { NotFoundError } from "../errors";
import { areaRepository, type AreaRow } from "./repository";

export interface AreaListQuery {
  level?: AreaLevel;
  parent?: string;
  at?: string;
  q?: string;
  limit: number;
  offset: number;
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export function presentArea(a: AreaRow) {
  return {
    id: a.id,
    code: a.code,
    level: a.level,
    name: a.name,
    fullName: a.full_name,
    nameEn: a.name_en,
    unitType: a.unit_type,
    parentId: a.parent_id,
    validFrom: a.valid_from,
    validTo: a.valid_to,
    areaKm2: a.area_km2 === null ? null : Number(a.area_km2),
  };
}

export function areaService(db: Executor) {
  const repo = areaRepository(db);

  /** An area by id ("01", "old-01") or by official code valid on `at`. */
  async function resolve(idOrCode: string, at: string, field: string): Promise<AreaRow> {
    const area = (await repo.findById(idOrCode)) ?? (await repo.findByCodeAt(idOrCode, at));
    if (!area) throw new NotFoundError(`Không tìm thấy đơn vị hành chính có mã '${idOrCode}' tại ngày ${at}`, field);
    return area;
  }

  return {
    resolve,

    async list(query: AreaListQuery) {
      const at = query.at ?? today();
      const parent = query.parent ? await resolve(query.parent, at, "parent") : undefined;
      const { items, total } = await repo.list({
        level: query.level,
        parentId: parent?.id,
        at,
        q: query.q ? foldVietnamese(query.q) : undefined,
        limit: query.limit,
        offset: query.offset,
      });
      return { items: items.map(presentArea), total };
    },

    async get(idOrCode: string, atParam?: string) {
      const at = atParam ?? today();
      const area = await resolve(idOrCode, at, "code");
      const [parent, childCount, mergedFrom, mergedInto] = await Promise.all([
        area.parent_id ? repo.findById(area.parent_id) : undefined,
        repo.countChildren(area.id),
        repo.mergedFrom(area.id),
        repo.mergedInto(area.id),
      ]);
      const link = (m: (typeof mergedFrom)[number]) => ({
        id: m.id,
        code: m.code,
        level: m.level,
        name: m.name,
        fullName: m.full_name,
        parentId: m.parent_id,
        mergeType: m.merge_type,
      });
      return {
        ...presentArea(area),
        parent: parent ? presentArea(parent) : null,
        childCount,
        mergedFrom: mergedFrom.map(link),
        mergedInto: mergedInto.map(link),
      };
    },
  };
}
