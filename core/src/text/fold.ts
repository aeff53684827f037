/**
 * Folds Vietnamese text for search: lower case, no diacritics, đ → d, single spaces.
 * "Chỉ số GIÁ  tiêu dùng" → "chi so gia tieu dung". The server stores folded copies of searchable
 * text and folds the query the same way, so search behaves identically on PGlite and PostgreSQL
 * without depending on the `unaccent` extension.
 */
export function foldVietnamese(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "D")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

/** Collapses runs of white space to one space and trims: how "as written" text is compared. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * Key used to match agency names as written: case and white space ignored, diacritics kept
 * (so "Sở Tài chính" never matches a different word that only differs by its marks), and
 * Unicode composed so that NFD input from a PDF matches NFC text.
 */
export function agencyNameKey(text: string): string {
  return collapseWhitespace(text.normalize("NFC"))
    .toLocaleLowerCase("vi")
    .replace(/[\s.;,]+$/u, "")
    .replace(/^[\s.;,]+/u, "");
}
