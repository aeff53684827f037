/**
 * Numbers leaving the product are written as plain decimals that its own readers take back exactly:
 * never 1e-7 or 1e+21 (no reader accepts exponents). The exact text of a stored figure comes from the
 * database (`numeric::text` is always plain); `plainDecimal` expands a JavaScript number.
 */
export function plainDecimal(n: number): string {
  const s = String(n);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, int, frac = "", exp] = m;
  const digits = int! + frac;
  const point = int!.length + Number(exp);
  let out: string;
  if (point <= 0) out = `0.${"0".repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + "0".repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  out = out.replace(/^0+(?=\d)/, "");
  if (out.includes(".")) out = out.replace(/\.?0+$/, "");
  return sign + out;
}

/**
 * For the product's own CSV, read back in "auto" style (either decimal convention): 1.234 could be
 * 1234 to a Vietnamese reader, so such a value gets a trailing zero (1.2340), which reads only one way.
 */
export function unambiguousDecimal(plain: string): string {
  return /^-?\d{1,3}\.\d{3}$/.test(plain) ? `${plain}0` : plain;
}
