import type { ScopeLevel } from "../catalogue/schemas";
import type { Period } from "../periods/period";

/**
 * Validation rules of the reporting system that need no database: which units add up, which area
 * levels an indicator can be reported for, the disaggregation checks, outliers and deadlines.
 */

/** Units whose values add up across areas and parts (money, counts, tonnes); rates and indices do not. */
export function isAdditiveUnit(unit: string | null | undefined): boolean {
  if (!unit) return false;
  const u = unit.toLowerCase();
  return !(u.includes("%") || u.includes("/") || u.includes("điểm") || u.includes("chỉ số") || u === "đơn vị hiện vật");
}

/**
 * Units that count whole things (cases, people, households, enterprises, projects…): a figure in them is
 * a whole number. Units with a multiplier ("nghìn tấn", "nghìn lượt hành khách"), measures (tấn, ha, kWh),
 * money, rates and ratios ("bác sĩ/10.000 dân", "triệu đồng/người") and scores ("điểm") are not. "lượt …" (visits, trips) counts;
 * "a/b" of two count nouns ("công trình/dự án", "hộ/người") names alternatives, not a ratio.
 */
export function isCountUnit(unit: string | null | undefined): boolean {
  if (!unit) return false;
  const u = unit.normalize("NFC").trim().toLowerCase().replace(/\s+/g, " ");
  if (u === "") return false;
  return u.split("/").every((part) => {
    const noun = part.trim().replace(/^lượt(?= )\s*/, "");
    return noun === "lượt" || COUNT_NOUNS.has(noun);
  });
}

/** Nouns that count (the units of the catalogues, and the usual ones of Vietnamese statistics). */
const COUNT_NOUNS = new Set([
  "người",
  "lao động",
  "hộ",
  "hộ gia đình",
  "gia đình",
  "vụ",
  "vụ việc",
  "ca",
  "cuộc",
  "doanh nghiệp",
  "hợp tác xã",
  "tổ hợp tác",
  "cơ sở",
  "dự án",
  "công trình",
  "gói thầu",
  "đề án",
  "chương trình",
  "nhiệm vụ",
  "văn bản",
  "hồ sơ",
  "thủ tục",
  "đơn",
  "đơn vị",
  "cơ quan",
  "tổ chức",
  "trường",
  "lớp",
  "học sinh",
  "sinh viên",
  "học viên",
  "trẻ",
  "giáo viên",
  "bác sĩ",
  "bệnh nhân",
  "giường bệnh",
  "khách",
  "hành khách",
  "tàu",
  "chuyến",
  "xe",
  "chiếc",
  "cái",
  "con",
  "khu",
  "cụm",
  "chợ",
  "siêu thị",
  "huyện",
  "xã",
  "tỉnh",
  "thôn",
  "ấp",
  "bản",
  "làng",
  "căn",
  "căn hộ",
  "nhà",
  "phòng",
  "bản tin",
  "bản đồ",
  "tờ",
  "thuê bao",
  "tài khoản",
  "giấy phép",
  "sản phẩm",
]);

export type AreaLevel = "nation" | "province" | "district" | "commune";

/**
 * The area levels an indicator may be reported for. A national indicator is reported for the nation,
 * and for provinces when its scope names them; a province's indicator for the province and — the
 * districts being abolished in 2025 — its communes, which report what districts used to.
 */
export function reportableLevels(catalogueLevel: "nation" | "province", scopeLevels: readonly ScopeLevel[]): AreaLevel[] {
  const levels = new Set<AreaLevel>();
  if (catalogueLevel === "nation") {
    levels.add("nation");
    if (scopeLevels.includes("province")) levels.add("province");
    if (scopeLevels.includes("district") || scopeLevels.includes("commune")) levels.add("commune");
  } else {
    levels.add("province");
    levels.add("commune");
  }
  // The five island districts of the old map had no communes: they stand at commune level.
  if (levels.has("commune")) levels.add("district");
  return [...levels];
}

export interface PartValue {
  option: string;
  value: number;
}

export type PartitionFinding =
  | { kind: "part_exceeds_total"; option: string; value: number; total: number }
  | { kind: "parts_exceed_total"; sum: number; total: number }
  | { kind: "sum_differs"; sum: number; total: number };

/** Rounding slack when comparing sums: figures are typed to a few decimals. */
export function tolerance(total: number): number {
  return Math.max(0.01, Math.abs(total) * 1e-6);
}

/**
 * Parts against their total. Parts of an additive indicator never exceed the total; when every option
 * of a partition dimension is present, they add up to it.
 */
export function checkPartition(total: number, parts: PartValue[], allOptions: readonly string[] | null): PartitionFinding[] {
  const findings: PartitionFinding[] = [];
  const slack = tolerance(total);
  for (const p of parts) {
    if (p.value > total + slack) findings.push({ kind: "part_exceeds_total", option: p.option, value: p.value, total });
  }
  const sum = parts.reduce((s, p) => s + p.value, 0);
  const complete = allOptions !== null && allOptions.length > 0 && allOptions.every((o) => parts.some((p) => p.option === o));
  if (complete && Math.abs(sum - total) > slack) findings.push({ kind: "sum_differs", sum, total });
  else if (!complete && sum > total + slack) findings.push({ kind: "parts_exceed_total", sum, total });
  return findings;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Fewer past values than this and no outlier is claimed. */
export const MIN_HISTORY = 6;
export const OUTLIER_THRESHOLD = 3.5;

/**
 * Modified z-score of `x` against the series' own history (Iglewicz & Hoaglin): 0.6745·(x − median)/MAD.
 * When more than half the history is one value (MAD = 0: a count of rare events that is mostly zero, a
 * figure that seldom moves), dividing by the MAD or by the tiny mean deviation would make the next event
 * an outlier; the spread is then the typical size of the departures the series has had, or — for a
 * history with none — the larger of one unit and the value itself.
 * Null when the history is too short to judge.
 */
export function modifiedZScore(history: readonly number[], x: number): number | null {
  if (history.length < MIN_HISTORY) return null;
  const med = median([...history]);
  const mad = median(history.map((h) => Math.abs(h - med)));
  if (mad > 0) return (0.6745 * (x - med)) / mad;
  const departures = history.map((h) => Math.abs(h - med)).filter((d) => d > 0);
  const scale = departures.length > 0 ? median(departures) : Math.max(Math.abs(med), 1);
  return (0.6745 * (x - med)) / scale;
}

export function isOutlier(history: readonly number[], x: number): { z: number; median: number } | null {
  const z = modifiedZScore(history, x);
  if (z === null || Math.abs(z) <= OUTLIER_THRESHOLD) return null;
  return { z, median: median([...history]) };
}

const addDays = (isoDate: string, days: number) => {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};

/** The last day a report is on time: the period's end plus the obligation's days. */
export function reportDeadline(period: Period, deadlineDays: number): string {
  return addDays(period.end, deadlineDays);
}

/** The first day entry is locked, when the obligation locks at all. */
export function entryLockDate(period: Period, deadlineDays: number, lockAfterDays: number | null): string | null {
  return lockAfterDays === null ? null : addDays(period.end, deadlineDays + lockAfterDays + 1);
}

/** Default days after the period's end by which a report is due (editable per obligation). */
export const defaultDeadlineDays: Record<Period["type"], number> = {
  day: 1,
  week: 2,
  month: 10,
  quarter: 15,
  half_year: 20,
  year: 45,
};
