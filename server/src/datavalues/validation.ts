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
  periodsBetween,
  previousPeriod,
  reportableLevels,
  textCellProblem,
  textCharacterProblem,
  type AreaLevel,
  type Period,
  type ScopeLevel,
} from "@dieuhanh/core";
import { sql } from "kysely";
import type { Principal } from "../auth/principal";
import { currentAgency } from "../agencies/succession";
import { preReformId } from "../areas/reference";
import type { Executor } from "../db/bulk";
import type { DataChannel } from "../db/schema";
import type { RowError } from "../errors";
import { checkOwnership } from "../sync/ownership";
import { readAreaCode, referenceData, type IndicatorMeta, type ReferenceData } from "./reference-cache";
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
  /**
   * Fields the sender left out, to be kept as stored (SDMX-CSV "M" merge: an omitted OBS_VALUE or COMMENT
   * keeps the key's current version's). Resolved here against the latest version; a kept value needs one.
   */
  keep?: ("value" | "comment")[];
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
  options: {
    status: "draft" | "submitted";
    now: Date;
    channel?: DataChannel;
    /**
     * Figures mirrored from the install that owns them (server/src/sync): the origin applied the rules
     * between values already, and a page of its feed may hold a total before its revised parts.
     */
    mirror?: boolean;
    /** Benchmarks: milliseconds spent waiting for the database, added up here (the rest is JavaScript). */
    profile?: { readMs: number };
  },
): Promise<ValidationOutcome> {
  const timed = async <T>(read: Promise<T>): Promise<T> => {
    if (!options.profile) return read;
    const t = performance.now();
    try {
      return await read;
    } finally {
      options.profile.readMs += performance.now() - t;
    }
  };
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
  // The reference data comes from the process's cache (reference-cache.ts): one small read per batch.
  const ref = await timed(referenceData(db));
  const indicators = ref.indicators;
  const areaById = ref.areas;
  const predecessors = ref.predecessorNames;
  const callerAreas = principal.scope.areaId ? ref.subtree(principal.scope.areaId) : null;
  const callerAgencies = ref.reachable(principal.scope.agencies);
  const options_ = dimensionOptions(ref);
  // What every row of an indicator, a period or an indicator × area shares is worked out once.
  const periods = new Map<string, Period | null>();
  const periodOf = (code: string) => {
    let p = periods.get(code);
    if (p === undefined) periods.set(code, (p = parsePeriod(code)));
    return p;
  };
  const disaggregations = new Map<string, ReturnType<typeof parseDisaggregation>>();
  const disaggregationOf = (code: string) => {
    let d = disaggregations.get(code);
    if (d === undefined) disaggregations.set(code, (d = parseDisaggregation(code)));
    return d;
  };
  const reportable = new Map<string, string[]>();
  const agencyOf = new Map<string, { inScope: boolean; agency: string | null }>();

  const seen = new Map<string, number>();
  const prepared: { row: PreparedRow; at: RowLocator; keep?: IncomingRow["keep"] }[] = [];
  // Official codes are read by the period (`readAreaCode`) on every channel but the form: one report's, keyed by
  // the product's id of the area picked in the UI, its area is read as sent (never filed under another report).
  // The form reads its report's area as sent; mirrored figures come with the origin's ids, exact.
  const byOfficialCode = options.channel !== "form" && options.channel !== "sync";
  let readAsOld = 0;
  let unlistedFrom = 0;
  let n = 0;
  for (const r of incoming) {
    // A large batch is checked in turns: other requests are served between them.
    if (++n % YIELD_ROWS === 0) await nextTurn();
    const rowErrors: RowError[] = [];
    const err = (field: string, message: string) => rowErrors.push(locate(r.at, field, message));
    const indicator = indicators.get(r.indicator);
    const period = periodOf(r.period);
    // The official code valid during the period (`94` for Sóc Trăng in 2012) names the pre-reform unit
    // (`old-94`); a code both old and new means the old unit for a period ending before 1/7/2025
    // (reference-cache.ts, `readAreaCode`).
    const read = byOfficialCode ? readAreaCode(ref, r.area, period) : asSent(areaById.get(r.area));
    const area = read?.area;

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

    const keepsValue = r.keep?.includes("value") ?? false;
    if (indicator && indicator.kind !== "heading" && r.action === "upsert" && !keepsValue) {
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
    // Where an indicator is reported is its owner's catalogue's rule: a mirror takes what the owner published
    // (the two installs' catalogue versions may differ for a while; sync/apply.ts).
    if (indicator && area && !options.mirror) {
      let levels = reportable.get(indicator.code);
      if (!levels)
        reportable.set(
          indicator.code,
          (levels = reportableLevels(indicator.catalogue_level, indicator.scope_levels as ScopeLevel[])),
        );
      if (!levels.includes(area.level as AreaLevel))
        err(
          "area",
          `Chỉ số ${indicator.code} không báo cáo cho cấp ${levelWord(area.level)} (phạm vi: ${levels.map(levelWord).join(", ")})`,
        );
      else if (!ref.subtree(indicator.root_area_id).has(area.id))
        err("area", `Địa bàn ${area.name} (${area.id}) nằm ngoài phạm vi của bộ chỉ số chứa ${indicator.code}`);
    }
    // A unit reports only for periods it existed in: a commune formed in 2025 has no 2018 figures, its
    // predecessors do.
    if (area && period && area.valid_from && period.end < String(area.valid_from)) {
      const before = predecessors.get(area.id);
      err(
        "area",
        `${area.name} (${area.id}) được thành lập từ ${formatDate(String(area.valid_from))}; kỳ ${r.period} trước đó nên không nhận số liệu` +
          (areaById.has(preReformId(area.code)) ? "" : ` (không đơn vị nào trước đó mang mã ${area.code})`) +
          (before?.length ? ` — báo cáo cho đơn vị trước sắp xếp: ${before.join(", ")}` : ""),
      );
    }
    if (area && period && area.valid_to && period.start > String(area.valid_to))
      err(
        "area",
        `${area.name} (${area.id}) đã thôi tồn tại từ sau ${formatDate(String(area.valid_to))}; báo cáo kỳ ${r.period} cho đơn vị mới`,
      );

    const disaggregation = disaggregationOf(r.disaggregation);
    if (!disaggregation.ok) err("disaggregation", disaggregation.message);
    else if (indicator) {
      for (const [dim, option] of Object.entries(disaggregation.parts)) {
        if (!indicator.dimensions.includes(dim))
          err(
            "disaggregation",
            `Chỉ số ${indicator.code} không phân tổ theo '${dim}' (có: ${indicator.dimensions.join(", ") || "không phân tổ"})`,
          );
        else if (!options_.has(dim, option)) err("disaggregation", `Chiều '${dim}' không có mã '${option}'`);
      }
    }
    const key = disaggregation.ok ? disaggregation.key : r.disaggregation;
    const k = `${r.indicator}|${area?.id ?? r.area}|${r.period}|${key}`;
    const first = seen.get(k);
    if (first !== undefined) err("indicator", `Trùng khóa với dòng ${first}: cùng chỉ số, địa bàn, kỳ và phân tổ`);
    else seen.set(k, r.at.row);

    if (rowErrors.length) {
      errors.push(...rowErrors);
      continue;
    }
    // Scope of the caller: the indicator's responsible agency and the area.
    let owner = agencyOf.get(r.indicator);
    if (!owner) {
      const agencies = ref.responsible.get(r.indicator) ?? [];
      owner = {
        inScope: callerAgencies === null || agencies.some((code) => callerAgencies.has(code)),
        // Figures belong to the agency that carries the function today (BKHĐT's to Bộ Tài chính).
        agency: agencies[0] ? (currentAgency(agencies[0], ref.agencyByCode)?.code ?? agencies[0]) : null,
      };
      agencyOf.set(r.indicator, owner);
    }
    if (!owner.inScope)
      scopeErrors.push(locate(r.at, "indicator", `Chỉ số ${r.indicator} không thuộc cơ quan trong phạm vi của bạn`));
    else if (callerAreas && !callerAreas.has(area!.id))
      scopeErrors.push(locate(r.at, "area", `Địa bàn ${r.area} nằm ngoài phạm vi của bạn`));
    if (read!.readAsPreReform && ++readAsOld <= READ_AS_OLD_NOTES)
      warnings.push({ row: r.at.row, field: "area", message: readAsOldNote(r.area, r.period, area!, areaById.get(r.area)) });
    else if (read!.readAsPreReform && readAsOld === READ_AS_OLD_NOTES + 1) unlistedFrom = r.at.row;
    prepared.push({
      at: r.at,
      keep: r.keep,
      row: {
        indicator: r.indicator,
        area: area!.id,
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
        agency: owner.agency,
        flags: [],
      },
    });
  }
  if (readAsOld > READ_AS_OLD_NOTES)
    warnings.push({
      row: unlistedFrom,
      field: "area",
      message: `Từ dòng này, ${formatNumber(readAsOld - READ_AS_OLD_NOTES)} dòng nữa có mã địa bàn được hiểu là đơn vị hành chính trước sắp xếp (đến 30/06/2025), như các dòng trên`,
    });
  // Figures another install owns are mirrored here read-only (sync/ownership.ts): refused like a scope.
  if (!options.mirror && errors.length === 0) scopeErrors.push(...(await checkOwnership(db, ref, prepared, locate)));
  if (errors.length || scopeErrors.length) return { rows: [], errors, warnings, scopeErrors };

  // One read per series, in parts (short queries): the latest versions for the write, the history for outliers.
  const { latest, history } = await timed(
    readSeries(
      db,
      prepared.map((p) => p.row),
      indicators,
    ),
  );
  errors.push(...keepStored(prepared, latest));
  if (errors.length) return { rows: [], errors, warnings, scopeErrors };
  // Locks and approvals bind people; a system token (a trusted peer) loads past periods (auth/principal.ts).
  if (!principal.system) errors.push(...(await checkLocks(db, principal, prepared, latest, options.now)));
  if (!options.mirror) errors.push(...(await checkRelations(db, prepared, indicators, options_.partitions, ref)));
  // A mirrored figure's outliers were judged (and flagged) where it was reported.
  if (errors.length === 0 && !options.mirror) {
    const outliers = await findOutliers(db, prepared, indicators, history, ref);
    for (const o of outliers) {
      const msg = `Giá trị ${formatNumber(o.row.value)} bất thường so với lịch sử của chuỗi (trung vị ${formatNumber(o.median)})`;
      if (options.status === "submitted" && !o.row.comment && !principal.system) {
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

const asSent = <T>(area: T | undefined) => (area === undefined ? undefined : { area, readAsPreReform: false });

/** Rows of a batch told one by one that their area code was read as a pre-reform unit; the rest are counted. */
const READ_AS_OLD_NOTES = 100;

/** The note of a code read as the pre-reform unit that bore it (`readAreaCode`): never silent. */
function readAsOldNote(code: string, period: string, old: { id: string; name: string }, current: { name: string } | undefined) {
  return (
    `Mã '${code}' kỳ ${period} được hiểu là ${old.name} (${old.id}), đơn vị hành chính trước sắp xếp (đến 30/06/2025); số liệu lưu theo ${old.id}` +
    (current ? `; từ 01/07/2025 mã ${code} là ${current.name} (${code}) sau sắp xếp` : "")
  );
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

/** Options of the dimensions: their own code lists, or the registry they name (reference data, cached). */
/** Fields a row keeps as stored (`IncomingRow.keep`) take the key's current version's; a kept value needs one. */
function keepStored(
  prepared: { row: PreparedRow; at: RowLocator; keep?: IncomingRow["keep"] }[],
  latest: Map<string, DataValueRow>,
): RowError[] {
  const errors: RowError[] = [];
  for (const p of prepared) {
    if (!p.keep?.length || p.row.action !== "upsert") continue;
    const last = latest.get(keyOf(p.row));
    const current = last && last.superseded_at === null ? last : undefined;
    if (p.keep.includes("comment")) p.row.comment = current?.comment ?? null;
    if (!p.keep.includes("value")) continue;
    if (!current) {
      errors.push(locate(p.at, "value", "Không có giá trị đã lưu để giữ nguyên: dòng cần giá trị (OBS_VALUE)"));
      continue;
    }
    p.row.value = current.value === null ? null : Number(current.value);
    p.row.valueText = current.value_text;
  }
  return errors;
}

function dimensionOptions(ref: ReferenceData) {
  const source = (def: { code: string; options_from: string | null }) =>
    def.options_from && !def.options_from.includes(":") && def.options_from !== "agencies" && def.options_from !== "projects"
      ? def.options_from
      : def.code;
  // Top-level options of each partition dimension: the parts that must add up to the total. A
  // partition drawn from a registry (provinces, countries) is flat: every option is top-level.
  const partitions = new Map<string, string[] | "flat">();
  for (const d of ref.dimensions.values())
    if (d.is_partition) partitions.set(d.code, d.options_from ? "flat" : (ref.topOptions.get(d.code) ?? []));
  return {
    partitions,
    has(dim: string, option: string): boolean {
      const def = ref.dimensions.get(dim);
      if (!def) return false;
      if (def.options_from === "projects") return true; // no project registry yet: any code
      if (def.options_from && (def.options_from.startsWith("areas:") || def.options_from === "agencies"))
        return ref.registry(def.options_from)?.has(option) ?? false;
      return ref.options.get(source(def))?.has(option) ?? false;
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
  // By indicator and period type (the first obligation found, as before), and the reopened reports.
  const obligationOf = new Map<string, (typeof obligations)[number]>();
  for (const o of obligations) {
    const k = `${o.indicator_code}|${o.period_type}`;
    if (!obligationOf.has(k)) obligationOf.set(k, o);
  }
  const reopened = new Set(reopenings.map((o) => `${o.agency_code}|${o.area_id}|${o.period}`));
  const lockDates = new Map<string, string | null>();
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
    const obligation = obligationOf.get(`${row.indicator}|${row.periodType}`);
    if (!obligation) continue;
    const lockKey = `${row.period}|${obligation.deadline_days}|${obligation.lock_after_days}`;
    let lockDate = lockDates.get(lockKey);
    if (lockDate === undefined)
      lockDates.set(
        lockKey,
        (lockDate = entryLockDate(parsePeriod(row.period)!, obligation.deadline_days, obligation.lock_after_days)),
      );
    if (!lockDate || today < lockDate) continue;
    if (!reopened.has(`${obligation.agency_code}|${row.area}|${row.period}`) && principal.role !== "admin")
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
  // In parts: each a short query (a large batch never holds the database for long). DISTINCT ON, led by
  // the distribution column, rather than LATERAL … LIMIT (which Citus refuses).
  for (let i = 0; i < rows.length; i += READ_PART_ROWS) {
    if (i > 0) await nextTurn();
    const keys = rows.slice(i, i + READ_PART_ROWS).map((r) => ({ i: r.indicator, a: r.area, p: r.period, g: r.disaggregation }));
    const found = await sql<DataValueRow>`
      SELECT DISTINCT ON (d.indicator_code, d.area_id, d.period, d.disaggregation) d.*
      FROM jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) AS k(i text, a text, p text, g text)
      JOIN data_values d ON d.indicator_code = k.i AND d.area_id = k.a AND d.period = k.p AND d.disaggregation = k.g
      ORDER BY d.indicator_code, d.area_id, d.period, d.disaggregation, d.version DESC`.execute(db);
    for (const d of found.rows)
      latest.set(keyOf({ indicator: d.indicator_code, area: d.area_id, period: d.period, disaggregation: d.disaggregation }), d);
  }
  return latest;
}

/** A series: one indicator, area, breakdown and period type. */
const seriesOf = (r: { indicator: string; area: string; disaggregation: string; periodType: string }) =>
  `${r.indicator}|${r.area}|${r.disaggregation}|${r.periodType}`;

/** A series' stored values (current, numeric), newest period first. */
type History = { periods: string[]; values: number[] };

/**
 * One read per series for both what the write needs and what the outlier check needs: the latest version
 * of each key in the batch, and the series' current values over the `HISTORY_LENGTH` periods before the
 * batch's first period for it up to its last. A series with fewer values than that in the window (gaps, or
 * a short series) is read once more for what lies before it. Grouped by the distribution column, no
 * LATERAL … LIMIT (Citus).
 */
async function readSeries(
  db: Executor,
  rows: PreparedRow[],
  indicators: Map<string, IndicatorMeta>,
): Promise<{ latest: Map<string, DataValueRow>; history: Map<string, History> }> {
  const bySeries = new Map<string, { row: PreparedRow; periods: string[] }>();
  for (const row of rows) {
    const k = seriesOf(row);
    const s = bySeries.get(k);
    if (s) s.periods.push(row.period);
    else bySeries.set(k, { row, periods: [row.period] });
  }
  const latest = new Map<string, DataValueRow>();
  const history = new Map<string, History>();
  const short: { k: string; row: PreparedRow; before: string; need: number }[] = [];
  const series = [...bySeries];
  for (let i = 0; i < series.length; i += READ_PART_ROWS) {
    if (i > 0) await nextTurn();
    const part = series.slice(i, i + READ_PART_ROWS).map(([k, { row, periods }], n) => {
      periods.sort();
      const numeric = indicators.get(row.indicator)?.value_type === "number";
      return {
        k,
        row,
        key: {
          s: n,
          i: row.indicator,
          a: row.area,
          g: row.disaggregation,
          t: row.periodType,
          lo: numeric ? historyStart(periods[0]!) : periods[0]!,
          hi: periods.at(-1)!,
          ps: [...new Set(periods)],
        },
      };
    });
    const found = await sql<{ s: number; periods: string[] | null; vals: string[] | null; versions: DataValueRow[] | null }>`
      SELECT k.s,
        array_agg(d.period ORDER BY d.period DESC) FILTER (WHERE ${HISTORIC}) AS periods,
        array_agg(d.value::text ORDER BY d.period DESC) FILTER (WHERE ${HISTORIC}) AS vals,
        json_agg(d ORDER BY d.period, d.version DESC) FILTER (WHERE d.period = ANY(k.ps)) AS versions
      FROM jsonb_to_recordset(${JSON.stringify(part.map((p) => p.key))}::jsonb)
        AS k(s int, i text, a text, g text, t text, lo text, hi text, ps text[])
      JOIN data_values d ON d.indicator_code = k.i AND d.area_id = k.a AND d.disaggregation = k.g
        AND d.period >= k.lo AND d.period <= k.hi
      GROUP BY d.indicator_code, k.s`.execute(db);
    const bySlot = new Map(found.rows.map((f) => [Number(f.s), f]));
    for (const { k, row, key } of part) {
      const f = bySlot.get(key.s);
      for (const v of f?.versions ?? []) {
        const id = keyOf({ indicator: v.indicator_code, area: v.area_id, period: v.period, disaggregation: v.disaggregation });
        if (!latest.has(id)) latest.set(id, storedRow(v));
      }
      if (indicators.get(row.indicator)?.value_type !== "number") continue;
      const h: History = { periods: f?.periods ?? [], values: (f?.vals ?? []).map(Number) };
      history.set(k, h);
      // Fewer values than a full history before the batch's first period: older ones may lie before the window.
      const before = h.periods.filter((p) => p < key.ps[0]!).length;
      if (before < HISTORY_LENGTH && key.lo !== "") short.push({ k, row, before: key.lo, need: HISTORY_LENGTH - before });
    }
  }
  for (let i = 0; i < short.length; i += READ_PART_ROWS) {
    await nextTurn();
    const part = short.slice(i, i + READ_PART_ROWS);
    const older = await seriesHistory(
      db,
      part.map((x) => ({ i: x.row.indicator, a: x.row.area, g: x.row.disaggregation, t: x.row.periodType, p: x.before })),
    );
    part.forEach((x, n) => {
      const o = older.get(n);
      if (!o) return;
      const h = history.get(x.k)!;
      h.periods.push(...o.periods.slice(0, x.need));
      h.values.push(...o.values.slice(0, x.need));
    });
  }
  return { latest, history };
}

/** A current numeric value of the series, before the batch's last period. */
const HISTORIC = sql`d.period_type = k.t AND d.superseded_at IS NULL AND d.value IS NOT NULL AND d.period < k.hi`;

/** The first period of the window the history of a series is read in: `HISTORY_LENGTH` periods back. */
const starts = new Map<string, string>();
function historyStart(period: string): string {
  let start = starts.get(period);
  if (start !== undefined) return start;
  start = "";
  try {
    let p = parsePeriod(period);
    for (let n = 0; p && n < HISTORY_LENGTH; n++) p = previousPeriod(p);
    if (p) start = p.code;
  } catch {
    start = ""; // a period type without a previous period: no lower bound
  }
  if (starts.size > 10_000) starts.clear();
  starts.set(period, start);
  return start;
}

/**
 * How many of a series' newest values before `to` hold the last HISTORY_LENGTH before every period from
 * `from` to `to`: HISTORY_LENGTH plus the periods in between (a series has one current value a period).
 * Without a period count (a range too long, a type without one): every value (no limit).
 */
function historyReach(from: string, to: string): number {
  if (from === to) return HISTORY_LENGTH;
  try {
    const a = parsePeriod(from);
    const b = parsePeriod(to);
    if (a && b && a.type === b.type) return HISTORY_LENGTH + periodsBetween(a, b).length;
  } catch {
    // too long a range: no limit below
  }
  return 2_147_483_647;
}

/** A version read as JSON (json_agg), with its times as the driver gives them elsewhere. */
function storedRow(v: DataValueRow): DataValueRow {
  const at = (x: unknown) => (x === null || x === undefined ? null : new Date(x as string));
  return {
    ...v,
    id: String(v.id),
    recorded_at: at(v.recorded_at)!,
    superseded_at: at(v.superseded_at),
    published_at: at(v.published_at),
    unpublished_at: at(v.unpublished_at),
  } as DataValueRow;
}

/**
 * The last `HISTORY_LENGTH` current numeric values of each series before a period, newest first, by the
 * key's position. Aggregated per series, the limit applied by row_number() (Citus refuses LIMIT in LATERAL).
 */
async function seriesHistory(
  db: Executor,
  keys: { i: string; a: string; g: string; t: string; p: string; l?: number }[],
): Promise<Map<number, History>> {
  if (keys.length === 0) return new Map();
  const found = await sql<{ n: number; periods: string[]; vals: string[] }>`
    SELECT h.n, array_agg(h.period ORDER BY h.period DESC) AS periods, array_agg(h.value::text ORDER BY h.period DESC) AS vals
    FROM (
      SELECT k.n, k.l, d.indicator_code, d.period, d.value,
        row_number() OVER (PARTITION BY d.indicator_code, k.n ORDER BY d.period DESC) AS rank
      FROM jsonb_to_recordset(${JSON.stringify(keys.map((k, n) => ({ ...k, n, l: k.l ?? HISTORY_LENGTH })))}::jsonb)
        AS k(n int, i text, a text, g text, t text, p text, l int)
      JOIN data_values d ON d.indicator_code = k.i AND d.area_id = k.a AND d.disaggregation = k.g AND d.period_type = k.t
        AND d.period < k.p AND d.superseded_at IS NULL AND d.value IS NOT NULL
    ) h
    WHERE h.rank <= h.l
    GROUP BY h.indicator_code, h.n`.execute(db);
  return new Map(found.rows.map((f) => [Number(f.n), { periods: f.periods, values: f.vals.map(Number) }]));
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
  ref: ReferenceData,
): Promise<RowError[]> {
  const additive = (code: string) => {
    const i = indicators.get(code);
    return i !== undefined && i.value_type === "number" && isAdditiveUnit(i.unit);
  };
  // Parents and children of the indicators in the batch, in the same unit (reference data, cached).
  const unitOf = (code: string) => ref.indicators.get(code)?.unit;
  const related = (code: string, other: string | undefined) =>
    other !== undefined && ref.indicators.has(other) && unitOf(other) === unitOf(code) && isAdditiveUnit(unitOf(code));
  const relatedChildren = (code: string) => (ref.childrenOf.get(code) ?? []).filter((child) => related(child, code));
  // Only rows with something to hold them to: a breakdown, a parent or children in the same unit.
  const involved = rows.filter(
    (r) =>
      additive(r.row.indicator) &&
      ((indicators.get(r.row.indicator)?.dimensions.length ?? 0) > 0 ||
        r.row.disaggregation !== "" ||
        related(r.row.indicator, ref.indicators.get(r.row.indicator)?.parent_code ?? undefined) ||
        relatedChildren(r.row.indicator).length > 0),
  );
  if (involved.length === 0) return [];
  const codes = [...new Set(involved.map((r) => r.row.indicator))];
  const family = codes.flatMap((code) => [
    { code, parent_code: ref.indicators.get(code)?.parent_code ?? null },
    ...(ref.childrenOf.get(code) ?? []).map((child) => ({ code: child, parent_code: code })),
  ]);
  const parentCodes = codes.map((code) => ref.indicators.get(code)?.parent_code).filter((p): p is string => !!p);
  const parentOf = new Map(family.filter((f) => f.parent_code).map((f) => [f.code, f.parent_code!]));

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
 * judged against that history rather than against none. `history` is the series read by `readSeries`.
 */
async function findOutliers(
  db: Executor,
  rows: { row: PreparedRow; at: RowLocator }[],
  indicators: Map<string, IndicatorMeta>,
  history: Map<string, History>,
  ref: ReferenceData,
) {
  const candidates = rows.filter(
    (r) => r.row.action === "upsert" && r.row.value !== null && indicators.get(r.row.indicator)?.value_type === "number",
  );
  if (candidates.length === 0) return [];
  /** The series' values before the row's period, newest first, at most HISTORY_LENGTH. */
  const own = (c: PreparedRow) => {
    const h = history.get(seriesOf(c));
    const values = new Map<string, number>();
    if (!h) return values;
    for (let x = 0; x < h.periods.length && values.size < HISTORY_LENGTH; x++)
      if (h.periods[x]! < c.period) values.set(h.periods[x]!, h.values[x]!);
    return values;
  };
  // The predecessors' series, where an area continues units merged into it in full.
  const continued = (c: PreparedRow): string[] => {
    const into = ref.mergedFrom.get(c.area) ?? [];
    if (into.length === 0 || into.some((m) => m.merge_type !== "full")) return [];
    if (into.length > 1 && !isAdditiveUnit(indicators.get(c.indicator)?.unit)) return [];
    return into.map((m) => m.old_area_id);
  };
  // One read per predecessor series, whatever the number of the batch's rows it precedes: the values
  // before the latest of those rows, as many as a full history of the earliest one may need (one value a
  // period at most: HISTORY_LENGTH + the periods between them). Read per row, an upload of a merged
  // province's communes cost a third of a large import's time.
  const predecessors = new Map<string, { i: string; a: string; g: string; t: string; from: string; p: string }>();
  for (const { row } of candidates)
    for (const a of continued(row)) {
      const k = `${row.indicator}|${a}|${row.disaggregation}|${row.periodType}`;
      const s = predecessors.get(k);
      if (!s)
        predecessors.set(k, { i: row.indicator, a, g: row.disaggregation, t: row.periodType, from: row.period, p: row.period });
      else {
        if (row.period < s.from) s.from = row.period;
        if (row.period > s.p) s.p = row.period;
      }
    }
  const predecessorKeys = [...predecessors].map(([k, s]) => ({
    k,
    i: s.i,
    a: s.a,
    g: s.g,
    t: s.t,
    p: s.p,
    l: historyReach(s.from, s.p),
  }));
  /** Each predecessor series' values, newest first. */
  const inherited = new Map<string, History>();
  for (let i = 0; i < predecessorKeys.length; i += READ_PART_ROWS) {
    // PGlite answers in-process: back-to-back queries never leave the microtask queue, so without a turn of
    // the event loop no other request (health, a dashboard) is even read until the loop ends.
    if (i > 0) await nextTurn();
    const part = predecessorKeys.slice(i, i + READ_PART_ROWS);
    const found = await seriesHistory(db, part);
    part.forEach((k, x) => inherited.set(k.k, found.get(x) ?? { periods: [], values: [] }));
  }
  /** A predecessor's last HISTORY_LENGTH values before a row's period. */
  const inheritedBefore = (row: PreparedRow, area: string) => {
    const h = inherited.get(`${row.indicator}|${area}|${row.disaggregation}|${row.periodType}`);
    const out = new Map<string, number>();
    if (!h) return out;
    for (let x = 0; x < h.periods.length && out.size < HISTORY_LENGTH; x++)
      if (h.periods[x]! < row.period) out.set(h.periods[x]!, h.values[x]!);
    return out;
  };

  const found: { row: PreparedRow; at: RowLocator; median: number }[] = [];
  let n = 0;
  for (const c of candidates) {
    if (n % YIELD_ROWS === YIELD_ROWS - 1) await nextTurn();
    n++;
    const values = own(c.row);
    const predecessorAreas = continued(c.row);
    if (predecessorAreas.length) {
      const olds = predecessorAreas.map((a) => inheritedBefore(c.row, a));
      // A period counts only when every predecessor has its figure (a partial sum is no history).
      for (const period of olds[0]?.keys() ?? []) {
        if (values.has(period) || !olds.every((o) => o.has(period))) continue;
        values.set(
          period,
          olds.reduce((sum, o) => sum + o.get(period)!, 0),
        );
      }
    }
    if (values.size === 0) continue;
    const latest = predecessorAreas.length
      ? [...values].sort((a, b) => (a[0] < b[0] ? 1 : -1)).slice(0, HISTORY_LENGTH)
      : [...values]; // already newest first, at most HISTORY_LENGTH
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
