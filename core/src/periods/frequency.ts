import { foldVietnamese } from "../text/fold";

/** Reporting period types, finest first. */
export const periodTypes = ["hour", "day", "week", "month", "quarter", "half_year", "nine_months", "year", "ad_hoc"] as const;
export type PeriodType = (typeof periodTypes)[number];

export const periodTypeLabels: Record<PeriodType, string> = {
  hour: "Giờ",
  day: "Ngày",
  week: "Tuần",
  month: "Tháng",
  quarter: "Quý",
  half_year: "6 tháng",
  nine_months: "9 tháng",
  year: "Năm",
  ad_hoc: "Đột xuất",
};

export interface ParsedFrequency {
  /** Period types in the order of `periodTypes`, without duplicates. */
  periodTypes: PeriodType[];
  /** Calendar months the figure is due in, when the document names them ("Tháng 7 và 11 hàng năm"). */
  months: number[];
  /** A one-off due month ("Tháng 12/2025") as YYYY-MM. */
  dueMonth: string | null;
  /** Parts of the text that were not understood; empty when the whole text was parsed. */
  unparsed: string[];
}

/** Folded token → period type. Tokens are the pieces between "/", ",", ";" and "và". */
const tokenTypes: Record<string, PeriodType[]> = {
  gio: ["hour"],
  ngay: ["day"],
  "hang ngay": ["day"],
  "hang ngay/thang": ["day", "month"],
  tuan: ["week"],
  "hang tuan": ["week"],
  thang: ["month"],
  "hang thang": ["month"],
  quy: ["quarter"],
  "hang quy": ["quarter"],
  "6 thang": ["half_year"],
  "06 thang": ["half_year"],
  "sau thang": ["half_year"],
  "9 thang": ["nine_months"], // "9 tháng": cumulative first three quarters, a customary report
  nam: ["year"],
  "hang nam": ["year"],
  "ca nam": ["year"], // "cá năm" in 1012 A.XII.1 is a typo of "cả năm"; both fold to this
  "quyet dinh cua thu tuong chinh phu": ["ad_hoc"],
  "dot xuat": ["ad_hoc"],
  "khi co yeu cau": ["ad_hoc"],
};

/**
 * Parses a frequency cell as written ("Ngày/ Tháng", "Quý/06 tháng/cá năm", "Tháng 7 và 11 hàng năm")
 * into period types.
 */
export function parseFrequency(asWritten: string | null | undefined): ParsedFrequency {
  const result: ParsedFrequency = { periodTypes: [], months: [], dueMonth: null, unparsed: [] };
  if (!asWritten || !asWritten.trim()) return result;
  let text = foldVietnamese(asWritten);
  const found = new Set<PeriodType>();

  // "Tháng 12/2025": a one-off figure due in that month, an annual figure in effect.
  const oneOff = /thang (\d{1,2}) ?\/ ?(\d{4})/.exec(text);
  if (oneOff) {
    result.dueMonth = `${oneOff[2]}-${oneOff[1]!.padStart(2, "0")}`;
    found.add("year");
    text = text.replace(oneOff[0], "");
  }
  // "Tháng 7 và 11 hàng năm", "Tháng 7, 11": given months of every year.
  const namedMonths = /thang (\d{1,2}(?:(?: va |, ?)\d{1,2})+)(?: hang nam)?/.exec(text);
  if (namedMonths) {
    result.months = namedMonths[1]!
      .split(/ va |,| /)
      .map((m) => Number(m))
      .filter((m) => Number.isInteger(m) && m >= 1 && m <= 12);
    found.add("month");
    text = text.replace(namedMonths[0], "");
  }

  for (const raw of text.split(/\/|,|;| va /)) {
    const token = raw.trim();
    if (!token) continue;
    const types = tokenTypes[token];
    if (types) types.forEach((t) => found.add(t));
    else result.unparsed.push(token);
  }
  result.periodTypes = periodTypes.filter((t) => found.has(t));
  return result;
}
