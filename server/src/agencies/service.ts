import { foldVietnamese } from "@dieuhanh/core";
import type { Executor } from "../db/bulk";
import { agencyRepository, type AgencyRow } from "./repository";
import { currentAgency } from "./succession";

export interface AgencyListQuery {
  q?: string;
  level?: string;
  kind?: string;
  province?: string;
  includeDissolved?: boolean;
  limit: number;
  offset: number;
}

type AgencyRef = { code: string; name: string };

export function agencyService(db: Executor) {
  const repo = agencyRepository(db);

  return {
    async list(query: AgencyListQuery) {
      const { items, total } = await repo.list({
        ...query,
        q: query.q ? foldVietnamese(query.q) : undefined,
        includeDissolved: query.includeDissolved ?? true,
      });
      // Succession chains are short and the registry small: resolve them from one read.
      const byCode = new Map((await repo.all()).map((a) => [a.code, a]));
      const aliases = await repo.aliases(items.map((a) => a.code));
      const current = (a: AgencyRow): AgencyRef => {
        const cur = currentAgency(a.code, byCode) ?? a;
        return { code: cur.code, name: cur.name };
      };
      return {
        total,
        items: items.map((a) => {
          const successor = a.successor_code ? byCode.get(a.successor_code) : undefined;
          return {
            code: a.code,
            name: a.name,
            level: a.level,
            kind: a.kind,
            provinceCode: a.province_code,
            dissolvedOn: a.dissolved_on,
            successor: successor ? { code: successor.code, name: successor.name } : null,
            current: current(a),
            aliases: aliases.filter((x) => x.agency_code === a.code).map((x) => x.alias),
            note: a.note,
          };
        }),
      };
    },
  };
}
