/** Vietnamese number and date formats: 1.234,5 and dd/mm/yyyy. */

const numberFormats = new Map<number, Intl.NumberFormat>();

export function formatNumber(value: number | null | undefined, maximumFractionDigits = 2): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "";
  let nf = numberFormats.get(maximumFractionDigits);
  if (!nf) {
    nf = new Intl.NumberFormat("vi-VN", { maximumFractionDigits });
    numberFormats.set(maximumFractionDigits, nf);
  }
  return nf.format(value);
}

/** "2025-02-28" → "28/02/2025"; leaves anything else untouched. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso;
}

const VIETNAM = "Asia/Ho_Chi_Minh";
const parts = (d: Date, options: Intl.DateTimeFormatOptions) =>
  Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", { timeZone: VIETNAM, hourCycle: "h23", ...options })
      .formatToParts(d)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;

/** A moment as its day in Vietnam, dd/mm/yyyy (never the browser's own "1/12/2026"). */
export function formatDay(d: Date): string {
  const p = parts(d, { day: "2-digit", month: "2-digit", year: "numeric" });
  return `${p.day}/${p.month}/${p.year}`;
}

/** A moment as its time of day in Vietnam, HH:mm (with seconds: HH:mm:ss). */
export function formatTime(d: Date, seconds = false): string {
  const p = parts(d, { hour: "2-digit", minute: "2-digit", ...(seconds ? { second: "2-digit" } : {}) });
  return seconds ? `${p.hour}:${p.minute}:${p.second}` : `${p.hour}:${p.minute}`;
}

/** A moment in Vietnam as dd/mm/yyyy HH:mm (HH:mm:ss with seconds), from a Date or an ISO timestamp. */
export function formatDateTime(at: Date | string | null | undefined, seconds = false): string {
  if (!at) return "";
  const d = typeof at === "string" ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) return typeof at === "string" ? at : "";
  return `${formatDay(d)} ${formatTime(d, seconds)}`;
}

/**
 * A length of time as people say it: "0 giây", "45 giây", "3 phút", "2 giờ 5 phút", "4 ngày" (the two
 * largest units below a day, whole days beyond; numbers in the Vietnamese format).
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "";
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} giây`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} phút`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} giờ ${minutes % 60} phút` : `${hours} giờ`;
  return `${formatNumber(Math.floor(hours / 24))} ngày`;
}

/** How long ago, from a number of seconds: "vừa xong" under 10 seconds, then "3 phút trước", "4 ngày trước". */
export function formatAgo(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "";
  return seconds < 10 ? "vừa xong" : `${formatDuration(seconds)} trước`;
}
