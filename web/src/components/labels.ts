import { formatDate, formatNumber } from "@dieuhanh/core";

/** Vietnamese labels for codes the API returns. */

export const rowKindLabels: Record<string, string> = {
  indicator: "Chỉ số",
  sub_indicator: "Chỉ số con",
  unnumbered: "Dòng không số",
  of_which: "Trong đó",
  heading: "Tiêu đề mục",
};

export { periodTypeLabels } from "@dieuhanh/core";

export const comparisonLabels: Record<string, string> = {
  previous_period: "So với kỳ trước",
  previous_december: "So với tháng 12 năm trước",
  same_period_last_year: "So với cùng kỳ năm trước",
  ytd_average_vs_last_year: "Bình quân so với cùng kỳ",
  ytd_cumulative: "Lũy kế đến kỳ báo cáo",
  vs_estimate: "So với dự toán",
  vs_plan: "So với kế hoạch",
};

export const agencyLevelLabels: Record<string, string> = {
  central: "Trung ương",
  provincial: "Cấp tỉnh",
  local: "Cấp cơ sở",
  enterprise: "Doanh nghiệp",
  collective: "Nhóm cơ quan",
};

/** How a figure's version arrived (`source` of /api/data-values and its history). */
export const channelLabels: Record<string, string> = {
  form: "Biểu nhập",
  spreadsheet: "Tệp Excel",
  api: "API",
  csv: "CSV",
  sdmx: "SDMX-CSV",
  dhis2: "DHIS2",
  review: "Phê duyệt",
  sample: "Số liệu mẫu",
  system: "Hệ thống",
  sync: "Đồng bộ liên thông",
};

/**
 * A version's channel as a person reads it: a figure mirrored from another install names that install
 * ("Đồng bộ từ Hệ thống quốc gia") rather than the channel code.
 */
export function channelText(v: { source: string; origin?: { name: string } | null }): string {
  if (v.origin) return mirroredFrom(v.origin.name);
  return channelLabels[v.source] ?? v.source;
}

export const mirroredFrom = (name: string) => `Đồng bộ từ ${name}`;

export const mergeTypeLabels: Record<string, string> = {
  full: "Toàn bộ",
  partial: "Một phần",
};

export function deadlineText(d: { kind: string; dueDate: string | null; from: string | null; to: string | null }): string {
  switch (d.kind) {
    case "date":
      return formatDate(d.dueDate);
    case "range":
      return `${formatDate(d.from)} – ${formatDate(d.to)}`;
    case "recurring":
      return "Thường xuyên";
    case "on_request":
      return "Khi có yêu cầu";
    default:
      return "Chưa xác định";
  }
}

/** Days to a deadline as a person says it: "còn 5 ngày", "đến hạn hôm nay", "quá hạn 335 ngày" (never "còn -335"). */
export function daysLeftText(days: number): string {
  if (days > 0) return `còn ${formatNumber(days)} ngày`;
  if (days === 0) return "đến hạn hôm nay";
  return `quá hạn ${formatNumber(-days)} ngày`;
}
