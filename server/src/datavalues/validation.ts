import {
  checkPartition,
  entryLockDate,
  formatDate,
  formatNumber,
  isAdditiveUnit,
  isCountUnit,
  isOutlier,
  LONE_SURROGATE,
  parseDisaggregation,
  parsePeriod,
  reportableLevels,
  textCellProblem,
  textCharacterProblem,
  type AreaLevel,
  type Period,
  type ScopeLevel,
} from "@dieuhanh/core";
import { sql } from "kysely";
import type { Principal } from "../auth/principal";
import { agencyRepository } from "../agencies/repository";
import { servedArea } from "../catalogue/repository";
import { currentAgency } from "../agencies/succession";
import { scopeChecker } from "../auth/scope";
import type { Executor } from "../db/bulk";
import type { DataChannel } from "../db/schema";
import type { RowError } from "../errors";
import type { DataValueRow } from "./repository";

/** Where a row came from, so that every error names the row (and, for spreadsheets, the cell). */
export interface RowLocator {
  row: number;
  sheet?: string;
  /** Column letter (spreadsheets) or name (CSV) of each field. */
  columns?: Partial<Record<string, string>>;
}

/** One figure as a channel (form, spreadsheet, CSV, SDMX, DHIS2, JSON) read it, before validation. */
export interface IncomingRow {
  at: RowLocator;
  indicator: string;
  area: string;
  period: string;
  disaggregation: string;
  value: number | null;
  valueText: string | null;
  comment: string | null;
  action: "upsert" | "delete";
  /** Text that came where a number may be expected and did not read as one: why. */
  valueProblem?: string;
  /** The unit the sender says the value is in, when the channel carries one: it must be the indicator's. */
  unit?: string | null;
}

/** A row that passed every check, ready to write. */
export interface PreparedRow {
  indicator: string;
  area: string;
  period: string;
  periodType: Period["type"];
  disaggregation: string;
  value: number | null;
  valueText: string | null;
  comment: string | null;
  action: "upsert" | "delete";
  agency: string | null;
  flags: string[];
}

export interface Warning {
  row: number;
  field: string;
  message: string;
}

export interface ValidationOutcome {
  rows: PreparedRow[];
  errors: RowError[];
  /** Accepted with a note: outliers in drafts, or explained by a comment. */
  warnings: Warning[];
  /** Errors that are refusals of scope (403) rather than bad input (400). */
  scopeErrors: RowError[];
  /** The latest stored version of each row's key, read once for the checks and the write. */
  latest?: Map<string, DataValueRow>;
}

export function locate(at: RowLocator, field: string, message: string): RowError {
  const e: RowError = { row: at.row, field, message };
  if (at.sheet) e.sheet = at.sheet;
  const column = at.columns?.[field];
  if (column) e.column = column;
  return e;
}

interface IndicatorMeta {
  code: string;
  kind: string;
  unit: string | null;
  value_type: "number" | "text";
  period_types: string[];
  dimensions: string[];
  scope_levels: string[];
  parent_code: string | null;
  catalogue_level: "nation" | "province";
  root_area_id: string;
}

/** The key of a figure (one current version per key). */
export const keyOf = (r: { indicator: string; area: string; period: string; disaggregation: string }) =>
  `${r.indicator}|${r.area}|${r.period}|${r.disaggregation}`;

const todayIso = (now: Date) => now.toISOString().slice(0, 10);

/**
 * Every check a figure goes through, whatever channel brought it: codes, types, units, scope of the
 * indicator and of the caller, periods, locks and approvals, the rules between values, and outliers.
 * Errors are collected for every row so that one answer lists everything to fix.
 */
export async function validateRows(
  db: Executor,
  principal: Principal,
  incoming: IncomingRow[],
  options: { status: "draft" | "submitted"; now: Date; channel?: DataChannel },
): Promise<ValidationOutcome> {
  // The exchange files' readers (formats/) read their text cells themselves (an apostrophe marks literal
  // text there); the JSON API and the form bring text as the sender typed it, judged here by the same rule.
  const readsText = options.channel === undefined || RAW_TEXT_CHANNELS.has(options.channel);
  const errors: RowError[] = [];
  const warnings: Warning[] = [];
  const scopeErrors: RowError[] = [];
  const today = todayIso(options.now);
  if (incoming.length === 0) return { rows: [], errors, warnings, scopeErrors };

  // Codes with characters no code has (NUL, control characters, half surrogate pairs) are refused per
  // row below, and never sent to the database (PostgreSQL refuses NUL: that would be a 500).
  const codes = [...new Set(incoming.map((r) => r.indicator))].filter(isCleanCode);
  const areaIds = [...new Set(incoming.map((r) => r.area))].filter(isCleanCode);
  const [indicators, areas, responsible] = await Promise.all([
    loadIndicators(db, codes),
    areaIds.length
      ? db.selectFrom("areas").select(["id", "level", "valid_from", "valid_to", "name"]).where("id", "in", areaIds).execute()
      : [],
    codes.length
      ? db
          .selectFrom("indicator_agencies")
          .select(["indicator_code", "agency_code"])
          .where("indicator_code", "in", codes)
          .where("role", "=", "responsible")
          .orderBy("position")
          .execute()
      : [],
  ]);
  const areaById = new Map(areas.map((a) => [a.id, a]));
  const predecessors = await predecessorNames(
    db,
    areas.filter((a) => a.valid_from !== null).map((a) => a.id),
  );
  const agencyByCode = new Map((await agencyRepository(db).all()).map((a) => [a.code, a]));
  const roots = [...new Set([...indicators.values()].map((i) => i.root_area_id))];
  const scope = scopeChecker(db);
  const rootSubtrees = new Map(await Promise.all(roots.map(async (r) => [r, await scope.subtree(r)] as const)));
  const callerAreas = principal.scope.areaId ? await scope.subtree(principal.scope.areaId) : null;
  const options_ = await dimensionOptions(db, [...new Set([...indicators.values()].flatMap((i) => i.dimensions))]);

  const seen = new Map<string, number>();
  const prepared: { row: PreparedRow; at: RowLocator }[] = [];
  const responsibleOf = new Map<string, string[]>();
  for (const x of responsible)
    responsibleOf.set(x.indicator_code, [...(responsibleOf.get(x.indicator_code) ?? []), x.agency_code]);
  let n = 0;
  for (const r of incoming) {
    // A large batch is checked in turns: other requests are served between them.
    if (++n % YIELD_ROWS === 0) await nextTurn();
    const rowErrors: RowError[] = [];
    const err = (field: string, message: string) => rowErrors.push(locate(r.at, field, message));
    const indicator = indicators.get(r.indicator);
    const area = areaById.get(r.area);
    const period = parsePeriod(r.period);

    const unreadable = (["indicator", "area", "period", "disaggregation"] as const).filter((f) => !isCleanCode(r[f]));
    for (const f of unreadable)
      err(f, `Mã có ký tự không hợp lệ (ký tự điều khiển hoặc nửa cặp mã UTF-16): '${JSON.stringify(r[f]).slice(1, -1)}'`);
    if (unreadable.length) {
      errors.push(...rowErrors);
      continue;
    }
    if (!indicator) err("indicator", `Không có chỉ số mã '${r.indicator}'`);
    else if (indicator.kind === "heading") err("indicator", `'${r.indicator}' là dòng tiêu đề mục, không nhận số liệu`);
    if (!area) err("area", `Không có đơn vị hành chính mã '${r.area}'`);
    if (!period) err("period", `Kỳ '${r.period}' không hợp lệ (ví dụ: 2025, 2025S1, 2025Q3, 2025M07, 2025W31, 20250715)`);
    else if (period.start > today) err("period", `Kỳ ${r.period} chưa bắt đầu, chưa nhận số liệu`);

    if (indicator && indicator.kind !== "heading" && r.action === "upsert") {
      if (indicator.value_type === "number" && r.value === null)
        err("value", r.valueProblem ?? `Chỉ số ${indicator.code} nhận giá trị số (đơn vị: ${indicator.unit ?? "không ghi"})`);
      if (indicator.value_type === "text" && (r.valueText === null || r.valueText.trim() === ""))
        err("value", `Chỉ số ${indicator.code} nhận nội dung dạng văn bản`);
      if (r.value !== null && !Number.isFinite(r.value)) err("value", "Giá trị phải là số hữu hạn");
      if (r.value !== null && r.value < 0 && indicator.unit && isAdditiveUnit(indicator.unit))
        err("value", `Giá trị âm (${formatNumber(r.value)}) không hợp lệ với đơn vị '${indicator.unit}'`);
      if (r.value !== null && Number.isFinite(r.value) && !Number.isInteger(r.value) && isCountUnit(indicator.unit))
        err("value", `Giá trị ${formatNumber(r.value)} không hợp lệ: đơn vị '${indicator.unit}' đếm số lượng, phải là số nguyên`);
    }
    // Text is data on every channel: never a formula, only real characters.
    const text = (cell: string | null, field: string) => {
      if (cell === null) return null;
      const problem = readsText ? textCellProblem(cell) : textCharacterProblem(cell);
      if (problem) err(field, problem);
      return cell;
    };
    const valueText = r.action === "upsert" && indicator?.value_type !== "number" ? text(r.valueText, "value") : r.valueText;
    const comment = text(r.comment, "comment");
    if (indicator && r.unit && normalizeUnit(r.unit) !== normalizeUnit(indicator.unit ?? ""))
      err(
        "unit",
        `Đơn vị '${r.unit}' khác đơn vị của chỉ số ${indicator.code} ('${indicator.unit ?? "văn bản"}'): quy đổi trước khi gửi`,
      );
    if (indicator && period && indicator.period_types.length > 0 && !indicator.period_types.includes(period.type))
      err(
        "period",
        `Chỉ số ${indicator.code} báo cáo theo kỳ ${indicator.period_types.map(periodWord).join(", ")}, không theo ${periodWord(period.type)}`,
      );
    if (indicator && area) {
      const levels = reportableLevels(indicator.catalogue_level, indicator.scope_levels as ScopeLevel[]);
      if (!levels.includes(area.level as AreaLevel))
        err(
          "area",
          `Chỉ số ${indicator.code} không báo cáo cho cấp ${levelWord(area.level)} (phạm vi: ${levels.map(levelWord).join(", ")})`,
        );
      else if (!rootSubtrees.get(indicator.root_area_id)?.has(area.id))
        err("area", `Địa bàn ${area.name} (${area.id}) nằm ngoài phạm vi của bộ chỉ số chứa ${indicator.code}`);
    }
    // A unit reports only for periods it existed in: a commune formed in 2025 has no 2018 figures, its
    // predecessors do.
    if (area && period && area.valid_from && period.end < String(area.valid_from)) {
      const before = predecessors.get(area.id);
      err(
        "area",
        `${area.name} (${area.id}) được thành lập từ ${formatDate(String(area.valid_from))}; kỳ ${r.period} trước đó nên không nhận số liệu` +
          (before?.length ? ` — báo cáo cho đơn vị trước sắp xếp: ${before.join(", ")}` : ""),
      );
    }
    if (area && period && area.valid_to && period.start > String(area.valid_to))
      err(
        "area",
        `${area.name} (${area.id}) đã thôi tồn tại từ sau ${formatDate(String(area.valid_to))}; báo cáo kỳ ${r.period} cho đơn vị mới`,
      );

    const disaggregation = parseDisaggregation(r.disaggregation);
    if (!disaggregation.ok) err("disaggregation", disaggregation.message);
    else if (indicator) {
      for (const [dim, option] of Object.entries(disaggregation.parts)) {
        if (!indicator.dimensions.includes(dim))
          err(
            "disaggregation",
            `Chỉ số ${indicator.code} không phân tổ theo '${dim}' (có: ${indicator.dimensions.join(", ") || "không phân tổ"})`,
          );
        else if (!(await options_.has(dim, option))) err("disaggregation", `Chiều '${dim}' không có mã '${option}'`);
      }
    }
    const key = disaggregation.ok ? disaggregation.key : r.disaggregation;
    const k = keyOf({ ...r, disaggregation: key });
    const first = seen.get(k);
    if (first !== undefined) err("indicator", `Trùng khóa với dòng ${first}: cùng chỉ số, địa bàn, kỳ và phân tổ`);
    else seen.set(k, r.at.row);

    if (rowErrors.length) {
      errors.push(...rowErrors);
      continue;
    }
    // Scope of the caller: the indicator's responsible agency and the area.
    const agencies = responsibleOf.get(r.indicator) ?? [];
    if (!(await scope.coversAnyAgency(principal, agencies)))
      scopeErrors.push(locate(r.at, "indicator", `Chỉ số ${r.indicator} không thuộc cơ quan trong phạm vi của bạn`));
    else if (callerAreas && !callerAreas.has(r.area))
      scopeErrors.push(locate(r.at, "area", `Địa bàn ${r.area} nằm ngoài phạm vi của bạn`));
    prepared.push({
      at: r.at,
      row: {
        indicator: r.indicator,
        area: r.area,
        period: r.period,
        periodType: period!.type,
        disaggregation: key,
        value: r.action === "delete" || indicator!.value_type === "text" ? null : r.value,
        valueText:
          r.action === "delete" || indicator!.value_type === "number"
            ? null
            : (valueText ?? (r.value === null ? null : String(r.value))),
        comment,
        action: r.action,
        // Figures belong to the agency that carries the function today (BKHĐT's to Bộ Tài chính).
        agency: agencies[0] ? (currentAgency(agencies[0], agencyByCode)?.code ?? agencies[0]) : null,
        flags: [],
      },
    });
  }
  if (errors.length || scopeErrors.length) return { rows: [], errors, warnings, scopeErrors };

  const latest = await latestVersions(
    db,
    prepared.map((p) => p.row),
  );
  errors.push(...(await checkLocks(db, principal, prepared, latest, options.now)));
  errors.push(...(await checkRelations(db, prepared, indicators, options_.partitions)));
  if (errors.length === 0) {
    // Read in parts: each a short query, so that a large batch never holds the database for long.
    const outliers: Awaited<ReturnType<typeof findOutliers>> = [];
    for (let i = 0; i < prepared.length; i += READ_PART_ROWS) {
      outliers.push(...(await findOutliers(db, prepared.slice(i, i + READ_PART_ROWS), indicators)));
      await nextTurn();
    }
    for (const o of outliers) {
      const msg = `Giá trị ${formatNumber(o.row.value)} bất thường so với lịch sử của chuỗi (trung vị ${formatNumber(o.median)})`;
      if (options.status === "submitted" && !o.row.comment) {
        errors.push(locate(o.at, "value", `${msg}: cần ghi chú giải thích để gửi`));
      } else {
        o.row.flags.push("outlier");
        warnings.push({ row: o.at.row, field: "value", message: msg });
      }
    }
  }
  return { rows: errors.length ? [] : prepared.map((p) => p.row), errors, warnings, scopeErrors, latest };
}

/** Rows read per query (large batches are read in parts) and rows checked per turn of the event loop. */
const READ_PART_ROWS = 1000;
const YIELD_ROWS = 500;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Names and codes of the units merged into each of `areaIds` (where their earlier figures belong). */
async function predecessorNames(db: Executor, areaIds: string[]): Promise<Map<string, string[]>> {
  if (areaIds.length === 0) return new Map();
  const rows = await db
    .selectFrom("area_merges as m")
    .innerJoin("areas as a", "a.id", "m.old_area_id")
    .select(["m.new_area_id", "a.id", "a.name"])
    .where("m.new_area_id", "in", areaIds)
    .orderBy("a.id")
    .execute();
  const names = new Map<string, string[]>();
  for (const r of rows) names.set(r.new_area_id, [...(names.get(r.new_area_id) ?? []), `${r.name} (${r.id})`]);
  return names;
}

/** Channels whose text reaches validation as typed (see `readsText`). */
const RAW_TEXT_CHANNELS = new Set<DataChannel>(["api", "form"]);

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
const isCleanCode = (code: string) => !/[\u0000-\u001f\u007f]/.test(code) && !LONE_SURROGATE.test(code);

const normalizeUnit = (u: string) => u.normalize("NFC").trim().toLowerCase().replace(/\s+/g, " ");

const periodWords: Record<string, string> = {
  day: "ngày",
  week: "tuần",
  month: "tháng",
  quarter: "quý",
  half_year: "6 tháng",
  nine_months: "9 tháng",
  year: "năm",
  hour: "giờ",
  ad_hoc: "đột xuất",
};
const periodWord = (t: string) => periodWords[t] ?? t;
const levelWords: Record<string, string> = { nation: "toàn quốc", province: "tỉnh", district: "huyện", commune: "xã" };
const levelWord = (l: string) => levelWords[l] ?? l;

async function loadIndicators(db: Executor, codes: string[]): Promise<Map<string, IndicatorMeta>> {
  if (codes.length === 0) return new Map();
  const rows = await db
    .selectFrom("indicators as i")
    .innerJoin("catalogues as c", "c.id", "i.catalogue_id")
    .leftJoin("area_merges as m", "m.old_area_id", "c.issuing_area_id")
    .select([
      "i.code",
      "i.kind",
      "i.unit",
      "i.value_type",
      "i.period_types",
      "i.dimensions",
      "i.scope_levels",
      "i.parent_code",
      "c.issuing_area_id",
      "m.new_area_id",
    ])
    .where("i.code", "in", codes)
    .execute();
  return new Map(
    rows.map((r) => [
      r.code,
      {
        ...r,
        catalogue_level: r.issuing_area_id === "VN" ? ("nation" as const) : ("province" as const),
        root_area_id: servedArea(r),
      },
    ]),
  );
}

/** Options of the dimensions in play: their own code lists, or the registry they name. */
async function dimensionOptions(db: Executor, dims: string[]) {
  const defs = dims.length ? await db.selectFrom("dimensions").selectAll().where("code", "in", dims).execute() : [];
  const listed = new Map<string, Set<string>>();
  const source = (d: string) => {
    const def = defs.find((x) => x.code === d);
    return def?.options_from &&
      !def.options_from.includes(":") &&
      def.options_from !== "agencies" &&
      def.options_from !== "projects"
      ? def.options_from
      : d;
  };
  const listCodes = [...new Set(dims.map(source))];
  if (listCodes.length) {
    const rows = await db
      .selectFrom("dimension_options")
      .select(["dimension_code", "code", "parent_code"])
      .where("dimension_code", "in", listCodes)
      .execute();
    for (const r of rows) {
      if (!listed.has(r.dimension_code)) listed.set(r.dimension_code, new Set());
      listed.get(r.dimension_code)!.add(r.code);
    }
  }
  const registry = new Map<string, Set<string>>();
  async function registryCodes(from: string): Promise<Set<string> | null> {
    if (registry.has(from)) return registry.get(from)!;
    let codes: Set<string> | null = null;
    if (from.startsWith("areas:")) {
      const level = from.slice(6) as AreaLevel;
      const rows = await db.selectFrom("areas").select("code").where("level", "=", level).execute();
      codes = new Set(rows.map((r) => r.code));
    } else if (from === "agencies") {
      codes = new Set((await db.selectFrom("agencies").select("code").execute()).map((r) => r.code.replace(/\./g, "_")));
    }
    if (codes) registry.set(from, codes);
    return codes;
  }
  // Top-level options of each partition dimension: the parts that must add up to the total. A
  // partition drawn from a registry (provinces, countries) is flat: every option is top-level.
  const partitions = new Map<string, string[] | "flat">();
  for (const d of defs.filter((x) => x.is_partition)) {
    if (d.options_from) {
      partitions.set(d.code, "flat");
      continue;
    }
    const top = await db
      .selectFrom("dimension_options")
      .select("code")
      .where("dimension_code", "=", d.code)
      .where("parent_code", "is", null)
      .orderBy("seq")
      .execute();
    partitions.set(
      d.code,
      top.map((t) => t.code),
    );
  }
  return {
    partitions,
    async has(dim: string, option: string): Promise<boolean> {
      const def = defs.find((x) => x.code === dim);
      if (!def) return false;
      if (def.options_from === "projects") return true; // no project registry yet: any code
      if (def.options_from && (def.options_from.startsWith("areas:") || def.options_from === "agencies"))
        return (await registryCodes(def.options_from))?.has(option) ?? false;
      return listed.get(source(dim))?.has(option) ?? false;
    },
  };
}

/** Approved figures and periods past their lock date refuse changes until the office reopens them. */
async function checkLocks(
  db: Executor,
  principal: Principal,
  rows: { row: PreparedRow; at: RowLocator }[],
  latest: Map<string, DataValueRow>,
  now: Date,
): Promise<RowError[]> {
  const errors: RowError[] = [];
  const obligations = await db
    .selectFrom("reporting_obligations")
    .select(["indicator_code", "period_type", "deadline_days", "lock_after_days", "agency_code"])
    .where("indicator_code", "in", [...new Set(rows.map((r) => r.row.indicator))])
    .where("active", "=", true)
    .where("lock_after_days", "is not", null)
    .execute();
  const reopenings = obligations.length
    ? await db
        .selectFrom("entry_reopenings")
        .select(["agency_code", "area_id", "period"])
        .where("open_until", ">", now)
        .where("period", "in", [...new Set(rows.map((r) => r.row.period))])
        .execute()
    : [];
  const today = todayIso(now);
  let n = 0;
  for (const { row, at } of rows) {
    if (++n % YIELD_ROWS === 0) await nextTurn();
    const cur = latest.get(keyOf(row));
    if (cur && cur.superseded_at === null && cur.status === "approved")
      errors.push(
        locate(
          at,
          "value",
          `Số liệu ${row.indicator} kỳ ${row.period} (${row.area}) đã được duyệt; cần mở lại (kèm lý do) trước khi sửa`,
        ),
      );
    const obligation = obligations.find((o) => o.indicator_code === row.indicator && o.period_type === row.periodType);
    if (!obligation) continue;
    const lockDate = entryLockDate(parsePeriod(row.period)!, obligation.deadline_days, obligation.lock_after_days);
    if (!lockDate || today < lockDate) continue;
    const reopened = reopenings.some(
      (o) => o.agency_code === obligation.agency_code && o.area_id === row.area && o.period === row.period,
    );
    if (!reopened && principal.role !== "admin")
      errors.push(
        locate(at, "period", `Kỳ ${row.period} đã khóa nhập từ ngày ${formatDate(lockDate)}; đề nghị Văn phòng mở lại để sửa`),
      );
  }
  return errors;
}

/**
 * The latest version of each key, by key: the current value, or the last one before a deletion
 * (superseded_at set), so that a figure entered again continues its version numbers.
 */
export async function latestVersions(
  db: Executor,
  rows: { indicator: string; area: string; period: string; disaggregation: string }[],
): Promise<Map<string, DataValueRow>> {
  const latest = new Map<string, DataValueRow>();
  // In parts: each a short query (a large batch never holds the database for long).
  for (let i = 0; i < rows.length; i += READ_PART_ROWS) {
    if (i > 0) await nextTurn();
    const keys = rows.slice(i, i + READ_PART_ROWS).map((r) => ({ i: r.indicator, a: r.area, p: r.period, g: r.disaggregation }));
    const found = await sql<DataValueRow>`
      SELECT d.* FROM jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) AS k(i text, a text, p text, g text)
      CROSS JOIN LATERAL (
        SELECT * FROM data_values v
        WHERE v.indicator_code = k.i AND v.area_id = k.a AND v.period = k.p AND v.disaggregation = k.g
        ORDER BY v.version DESC LIMIT 1
      ) d`.execute(db);
    for (const d of found.rows)
      latest.set(keyOf({ indicator: d.indicator_code, area: d.area_id, period: d.period, disaggregation: d.disaggregation }), d);
  }
  return latest;
}

/**
 * Rules between values, on the figures as they will stand after the batch: parts of a total (one
 * dimension at a time) never exceed it and, for a partition with every option present, add up to it;
 * a sub-indicator in the same additive unit never exceeds its parent.
 */
async function checkRelations(
  db: Executor,
  rows: { row: PreparedRow; at: RowLocator }[],
  indicators: Map<string, IndicatorMeta>,
  partitions: Map<string, string[] | "flat">,
): Promise<RowError[]> {
  const additive = (code: string) => {
    const i = indicators.get(code);
    return i !== undefined && i.value_type === "number" && isAdditiveUnit(i.unit);
  };
  const involved = rows.filter((r) => additive(r.row.indicator));
  if (involved.length === 0) return [];
  // Parents and children of the indicators in the batch, in the same unit.
  const codes = [...new Set(involved.map((r) => r.row.indicator))];
  const family = await db
    .selectFrom("indicators")
    .select(["code", "parent_code", "unit"])
    .where((eb) => eb.or([eb("code", "in", codes), eb("parent_code", "in", codes)]))
    .execute();
  const parentCodes = family.filter((f) => codes.includes(f.code) && f.parent_code).map((f) => f.parent_code!);
  const parents = parentCodes.length
    ? await db.selectFrom("indicators").select(["code", "unit"]).where("code", "in", parentCodes).execute()
    : [];
  const unitOf = new Map([...family, ...parents].map((f) => [f.code, f.unit]));
  const parentOf = new Map(family.filter((f) => f.parent_code).map((f) => [f.code, f.parent_code!]));
  const related = (code: string, other: string | undefined) =>
    other !== undefined && unitOf.get(other) === unitOf.get(code) && isAdditiveUnit(unitOf.get(code));

  // The values after the batch: database values of the family for these areas and periods, then the batch.
  const allCodes = [...new Set([...family.map((f) => f.code), ...parentCodes])];
  const existing = await db
    .selectFrom("data_values")
    .select(["indicator_code", "area_id", "period", "disaggregation", "value"])
    .where("indicator_code", "in", allCodes)
    .where("area_id", "in", [...new Set(involved.map((r) => r.row.area))])
    .where("period", "in", [...new Set(involved.map((r) => r.row.period))])
    .where("superseded_at", "is", null)
    .execute();
  // Values by cell (indicator, area, period), then by disaggregation key.
  const cells = new Map<string, Map<string, number | null>>();
  const put = (indicator: string, area: string, period: string, disaggregation: string, value: number | null) => {
    const cell = `${indicator}|${area}|${period}`;
    if (!cells.has(cell)) cells.set(cell, new Map());
    cells.get(cell)!.set(disaggregation, value);
  };
  for (const e of existing)
    put(e.indicator_code, e.area_id, e.period, e.disaggregation, e.value === null ? null : Number(e.value));
  await nextTurn();
  for (const { row } of rows)
    put(row.indicator, row.area, row.period, row.disaggregation, row.action === "delete" ? null : row.value);
  await nextTurn();
  const get = (indicator: string, area: string, period: string, disaggregation: string) =>
    cells.get(`${indicator}|${area}|${period}`)?.get(disaggregation) ?? null;

  const errors: RowError[] = [];
  const reported = new Set<string>();
  const report = (at: RowLocator, group: string, message: string) => {
    if (reported.has(group)) return;
    reported.add(group);
    errors.push(locate(at, "value", message));
  };
  let n = 0;
  for (const { row, at } of involved) {
    if (++n % YIELD_ROWS === 0) await nextTurn();
    if (row.action === "delete") continue;
    const parts = parseDisaggregation(row.disaggregation);
    const dims = parts.ok ? Object.keys(parts.parts) : [];
    // Parts of one dimension against the total.
    if (dims.length <= 1) {
      const dim = dims[0];
      const total = get(row.indicator, row.area, row.period, "");
      const dimsToCheck = dim ? [dim] : (indicators.get(row.indicator)?.dimensions ?? []);
      for (const d of dimsToCheck) {
        if (total === null) continue;
        const partition = partitions.get(d);
        const prefix = `${d}=`;
        const allParts = [...(cells.get(`${row.indicator}|${row.area}|${row.period}`) ?? new Map<string, number | null>())]
          .filter(([g, v]) => v !== null && g.startsWith(prefix) && !g.includes(";"))
          .map(([g, v]) => ({ option: g.slice(prefix.length), value: v! }));
        if (allParts.length === 0) continue;
        // Sums only over the top level of a partition; other lists (options may overlap) are checked part by part.
        const partValues =
          partition === undefined
            ? allParts
            : partition === "flat"
              ? allParts
              : allParts.filter((p) => partition.includes(p.option));
        const options = partition === undefined || partition === "flat" ? null : partition;
        const findings = [
          ...checkPartition(total, partValues, options),
          ...(partition === undefined
            ? []
            : checkPartition(
                total,
                allParts.filter((p) => !partValues.includes(p)),
                null,
              ).filter((f) => f.kind === "part_exceeds_total")),
        ].filter((f) => partition !== undefined || f.kind === "part_exceeds_total");
        for (const f of findings) {
          const group = `${row.indicator}|${row.area}|${row.period}|${d}`;
          if (f.kind === "part_exceeds_total")
            report(
              at,
              group + f.option,
              `Phân tổ ${d}=${f.option} (${formatNumber(f.value)}) lớn hơn tổng số (${formatNumber(f.total)}) của ${row.indicator}, ${row.area}, kỳ ${row.period}`,
            );
          else if (f.kind === "sum_differs")
            report(
              at,
              group,
              `Tổng các phân tổ theo '${d}' (${formatNumber(f.sum)}) khác tổng số (${formatNumber(f.total)}) của ${row.indicator}, ${row.area}, kỳ ${row.period}`,
            );
          else
            report(
              at,
              group,
              `Tổng các phân tổ theo '${d}' (${formatNumber(f.sum)}) vượt tổng số (${formatNumber(f.total)}) của ${row.indicator}, ${row.area}, kỳ ${row.period}`,
            );
        }
      }
    }
    if (row.disaggregation !== "") continue;
    // Sub-indicator against its parent, and this value as a parent against its children.
    const parent = parentOf.get(row.indicator);
    const checkPair = (child: string, parentCode: string) => {
      const c = get(child, row.area, row.period, "");
      const p = get(parentCode, row.area, row.period, "");
      if (c !== null && p !== null && c > p + Math.max(0.01, Math.abs(p) * 1e-6))
        report(
          at,
          `${child}>${parentCode}|${row.area}|${row.period}`,
          `Chỉ số ${child} (${formatNumber(c)}) lớn hơn chỉ số cha ${parentCode} (${formatNumber(p)}), ${row.area}, kỳ ${row.period}`,
        );
    };
    if (parent && related(row.indicator, parent)) checkPair(row.indicator, parent);
    for (const child of family.filter((f) => f.parent_code === row.indicator))
      if (related(child.code, row.indicator)) checkPair(child.code, row.indicator);
  }
  return errors;
}

/**
 * Numeric figures far from their series' own history (same indicator, area, breakdown and period type).
 * A unit formed in the 2025 reform continues the series of the units merged into it in full — the one it
 * succeeded, or for amounts and counts their sum (docs/decisions/0007) — so that its first months are
 * judged against that history rather than against none.
 */
async function findOutliers(db: Executor, rows: { row: PreparedRow; at: RowLocator }[], indicators: Map<string, IndicatorMeta>) {
  const candidates = rows.filter(
    (r) => r.row.action === "upsert" && r.row.value !== null && indicators.get(r.row.indicator)?.value_type === "number",
  );
  if (candidates.length === 0) return [];
  const keys = candidates.map((r, n) => ({
    n,
    i: r.row.indicator,
    a: r.row.area,
    g: r.row.disaggregation,
    p: r.row.period,
    t: r.row.periodType,
  }));
  const series = async (k: typeof keys) =>
    (
      await sql<{ n: number; a: string; periods: string[] | null; vals: string[] | null }>`
        SELECT k.n, k.a, h.periods, h.vals FROM jsonb_to_recordset(${JSON.stringify(k)}::jsonb) AS k(n int, i text, a text, g text, p text, t text)
        CROSS JOIN LATERAL (
          SELECT array_agg(v.period) AS periods, array_agg(v.value::text) AS vals FROM (
            SELECT d.period, d.value FROM data_values d
            WHERE d.indicator_code = k.i AND d.area_id = k.a AND d.disaggregation = k.g AND d.period_type = k.t
              AND d.period < k.p AND d.superseded_at IS NULL AND d.value IS NOT NULL
            ORDER BY d.period DESC LIMIT ${HISTORY_LENGTH}
          ) v
        ) h`.execute(db)
    ).rows;
  const history = new Map<number, Map<string, number>>();
  for (const h of await series(keys)) history.set(Number(h.n), new Map((h.periods ?? []).map((p, x) => [p, Number(h.vals![x])])));

  // The predecessors' series, where an area continues units merged into it in full.
  const merges = await db
    .selectFrom("area_merges")
    .select(["new_area_id", "old_area_id", "merge_type"])
    .where("new_area_id", "in", [...new Set(candidates.map((c) => c.row.area))])
    .execute();
  const continued = (n: number): string[] => {
    const c = candidates[n]!;
    const into = merges.filter((m) => m.new_area_id === c.row.area);
    if (into.length === 0 || into.some((m) => m.merge_type !== "full")) return [];
    if (into.length > 1 && !isAdditiveUnit(indicators.get(c.row.indicator)?.unit)) return [];
    return into.map((m) => m.old_area_id);
  };
  const predecessorKeys = keys.flatMap((k) => continued(k.n).map((a) => ({ ...k, a })));
  if (predecessorKeys.length) {
    const byCandidate = new Map<number, Map<string, Map<string, number>>>();
    for (const h of await series(predecessorKeys)) {
      const perArea = byCandidate.get(Number(h.n)) ?? new Map<string, Map<string, number>>();
      perArea.set(h.a, new Map((h.periods ?? []).map((p, x) => [p, Number(h.vals![x])])));
      byCandidate.set(Number(h.n), perArea);
    }
    for (const [n, perArea] of byCandidate) {
      const own = history.get(n) ?? new Map<string, number>();
      const olds = continued(n).map((a) => perArea.get(a) ?? new Map<string, number>());
      // A period counts only when every predecessor has its figure (a partial sum is no history).
      for (const period of olds[0]?.keys() ?? []) {
        if (own.has(period) || !olds.every((o) => o.has(period))) continue;
        own.set(
          period,
          olds.reduce((sum, o) => sum + o.get(period)!, 0),
        );
      }
      history.set(n, own);
    }
  }

  const found: { row: PreparedRow; at: RowLocator; median: number }[] = [];
  for (const [n, values] of history) {
    if (values.size === 0) continue;
    const c = candidates[n]!;
    const latest = [...values].sort((a, b) => (a[0] < b[0] ? 1 : -1)).slice(0, HISTORY_LENGTH);
    const o = isOutlier(
      latest.map(([, v]) => v),
      c.row.value!,
    );
    if (o) found.push({ ...c, median: o.median });
  }
  return found;
}

/** How many past periods an outlier is judged against. */
const HISTORY_LENGTH = 24;
