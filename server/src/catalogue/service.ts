import { foldVietnamese, parseFrequency, type RowKind } from "@dieuhanh/core";
import type { Executor } from "../db/bulk";
import { agencyRepository } from "../agencies/repository";
import { presentAgencyLink, withPredecessors, type AgencyLink } from "../agencies/succession";
import { NotFoundError } from "../errors";
import { catalogueRepository, type IndicatorRow } from "./repository";

export interface IndicatorListQuery {
  group?: string;
  subgroup?: string;
  kind?: RowKind;
  agency?: string;
  frequency?: string;
  q?: string;
  limit: number;
  offset: number;
}

export function presentIndicatorSummary(row: IndicatorRow, agencies: AgencyLink[]) {
  return {
    code: row.code,
    catalogueId: row.catalogue_id,
    seq: row.seq,
    stt: row.stt,
    kind: row.kind,
    parentCode: row.parent_code,
    group: row.group_code,
    subgroup: row.subgroup_code,
    name: row.name,
    nameAsWritten: row.name_as_written,
    details: row.details,
    unit: row.unit,
    unitInferred: row.unit_inferred,
    scopeAsWritten: row.scope_as_written,
    frequencyAsWritten: row.frequency_as_written,
    periodTypes: row.period_types,
    agencies,
    nationalCode: row.national_code,
  };
}

export function catalogueService(db: Executor) {
  const repo = catalogueRepository(db);
  const agencies = agencyRepository(db);

  async function agencyLinks(codes: string[]) {
    const [links, all] = await Promise.all([repo.agenciesOf(codes), agencies.all()]);
    const byCode = new Map(all.map((a) => [a.code, a]));
    return { links, byCode };
  }

  async function describeCatalogues(ids: string[] | undefined) {
    const catalogues = (await repo.listCatalogues()).filter((c) => !ids || ids.includes(c.id));
    const catalogueIds = catalogues.map((c) => c.id);
    const [groups, counts] = await Promise.all([repo.groups(catalogueIds), repo.countsByGroup(catalogueIds)]);
    return catalogues.map((c) => {
      const mine = counts.filter((n) => n.catalogue_id === c.id);
      const sum = (pred: (n: (typeof mine)[number]) => boolean) => mine.filter(pred).reduce((s, n) => s + n.n, 0);
      const top = groups.filter((g) => g.catalogue_id === c.id && g.subgroup_code === "");
      return {
        id: c.id,
        codePrefix: c.code_prefix,
        name: c.name,
        document: { number: c.document_number, date: c.document_date, issuer: c.document_issuer, title: c.document_title },
        appendix: c.appendix,
        issuingAreaId: c.issuing_area_id,
        version: c.version,
        rowCount: sum(() => true),
        indicatorCount: sum((n) => n.kind !== "heading"),
        groups: top.map((g) => ({
          code: g.group_code,
          name: g.name_as_written,
          count: sum((n) => n.group_code === g.group_code),
          subgroups: groups
            .filter((s) => s.catalogue_id === c.id && s.group_code === g.group_code && s.subgroup_code !== "")
            .map((s) => ({
              code: s.subgroup_code,
              name: s.name_as_written,
              count: sum((n) => n.group_code === g.group_code && n.subgroup_code === s.subgroup_code),
            })),
        })),
      };
    });
  }

  return {
    async listCatalogues() {
      const items = await describeCatalogues(undefined);
      return { items, total: items.length };
    },

    async getCatalogue(id: string) {
      const [item] = await describeCatalogues([id]);
      if (!item) throw new NotFoundError(`Không tìm thấy bộ chỉ số '${id}'`, "id");
      return item;
    },

    async listIndicators(catalogueId: string, query: IndicatorListQuery) {
      if (!(await repo.findCatalogue(catalogueId))) throw new NotFoundError(`Không tìm thấy bộ chỉ số '${catalogueId}'`, "id");
      let agencyCodes: string[] | undefined;
      if (query.agency) {
        const all = await agencies.all();
        if (!all.some((a) => a.code === query.agency))
          throw new NotFoundError(`Không tìm thấy cơ quan có mã '${query.agency}'`, "agency");
        agencyCodes = withPredecessors(query.agency, all);
      }
      const { items, total } = await repo.listIndicators({
        catalogueId,
        group: query.group,
        subgroup: query.subgroup,
        kind: query.kind,
        agencyCodes,
        periodType: query.frequency,
        q: query.q ? foldVietnamese(query.q) : undefined,
        limit: query.limit,
        offset: query.offset,
      });
      const { links, byCode } = await agencyLinks(items.map((i) => i.code));
      return {
        total,
        items: items.map((row) =>
          presentIndicatorSummary(
            row,
            links
              .filter((l) => l.indicator_code === row.code && l.role === "responsible")
              .map((l) => presentAgencyLink(l, byCode)),
          ),
        ),
      };
    },

    async getIndicator(code: string) {
      const row = await repo.findIndicator(code);
      if (!row) throw new NotFoundError(`Không tìm thấy chỉ số có mã '${code}'`, "code");
      const [catalogue, children, implementations, related, { links, byCode }] = await Promise.all([
        repo.findCatalogue(row.catalogue_id),
        repo.children(code),
        repo.implementations(code),
        repo.indicatorsByCodes([row.parent_code, row.national_code].filter((c): c is string => !!c)),
        agencyLinks([code]),
      ]);
      const ref = (c: string | null) => {
        const r = related.find((x) => x.code === c);
        return r ? { code: r.code, catalogueId: r.catalogue_id, name: r.name, kind: r.kind, stt: r.stt } : null;
      };
      const toRef = (r: (typeof children)[number]) => ({
        code: r.code,
        catalogueId: r.catalogue_id,
        name: r.name,
        kind: r.kind,
        stt: r.stt,
      });
      const frequency = parseFrequency(row.frequency_as_written);
      return {
        ...presentIndicatorSummary(
          row,
          links.filter((l) => l.role === "responsible").map((l) => presentAgencyLink(l, byCode)),
        ),
        unitAsWritten: row.unit_as_written,
        scopeLevels: row.scope_levels,
        frequencyMonths: frequency.months,
        frequencyDueMonth: frequency.dueMonth,
        disaggregationAsWritten: row.disaggregation_as_written,
        dimensions: row.dimensions,
        agenciesAsWritten: row.agencies_as_written,
        sharingAgenciesAsWritten: row.sharing_agencies_as_written,
        sharingAgencies: links.filter((l) => l.role === "sharing").map((l) => presentAgencyLink(l, byCode)),
        collectionMethodAsWritten: row.collection_method_as_written,
        comparisons: row.comparisons,
        note: row.note,
        version: row.version,
        parent: ref(row.parent_code),
        children: children.map(toRef),
        nationalIndicator: ref(row.national_code),
        implementedBy: implementations.map(toRef),
        source: {
          catalogueId: row.catalogue_id,
          catalogueName: catalogue?.name ?? null,
          documentNumber: catalogue?.document_number ?? null,
          documentDate: catalogue?.document_date ?? null,
          documentIssuer: catalogue?.document_issuer ?? null,
          appendix: catalogue?.appendix ?? null,
          sourceFile: catalogue?.source_file ?? null,
          line: row.source_line,
          rowLabel: row.source_row_label,
        },
      };
    },
  };
}
