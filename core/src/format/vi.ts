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
