import type { PeriodType } from "../periods/frequency";
import { parsePeriod, periodsBetween, type Period } from "../periods/period";
import { isAdditiveUnit } from "../reporting/rules";
import { foldVietnamese } from "../text/fold";

/**
 * SAMPLE figures for demonstrations and tests: a pure, deterministic generator of realistic-looking values
 * for catalogue indicators. Nothing here is an official figure.
 *
 * The magnitudes are those of a province of weight 1 (about 3 million people), taken from the unit and from
 * keywords of the indicator's name (then of its parents' names): a CPI-type index stays near 100, a "tỷ lệ"
 * is a share, budget revenue is some 1,500–3,000 tỷ đồng a month, and so on (see `rules` below). Additive
 * quantities (money, counts, tonnes) are scaled by the area's weight and by the length of the period; rates,
 * indices, prices and per-capita figures are not. A series has its own level, a gentle trend, the month's
 * seasonality (Tết, year-end budget) and a few percent of noise.
 *
 * The rules of the product's validation hold exactly: a sub-indicator or "Trong đó" row in the same additive
 * unit as its parent is a fraction of it (all such children together at most the parent), and the parts of a
 * partition add up to the total exactly after rounding.
 */

export interface SampleIndicator {
  code: string;
  kind: "indicator" | "sub_indicator" | "unnumbered" | "of_which" | "heading";
  parentCode: string | null;
  group: string;
  name: string;
  /** "%", "tỷ đồng", "triệu USD", "người", …; null = textual (no sample values). */
  unit: string | null;
  /**
   * The one period type to generate. "hour", "nine_months" and "ad_hoc" have no period code (core/src/periods/
   * period.ts) and give no values.
   */
  periodType: PeriodType;
  /** Options of a dimension whose values must add up to the total, when the indicator should be split by it. */
  partition?: { dimension: string; options: string[] };
}

/** `weight` ~ relative size (e.g. population share); 1 = an average province of some 3 million people. */
export interface SampleArea {
  id: string;
  weight: number;
}

export interface SampleValue {
  indicator: string;
  area: string;
  period: string;
  disaggregation: string;
  value: number;
}

// ---------------------------------------------------------------------------------------------------------
// Deterministic randomness

/** FNV-1a with a murmur3 finaliser: a well-mixed 32-bit hash of a string. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: a small, fast PRNG with a 32-bit state; numbers in [0, 1). */
function mulberry32(state: number): () => number {
  let a = state | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rngFor = (key: string) => mulberry32(hash32(key));
/** Roughly normal, mean 0, standard deviation 1, bounded to ±3 (sum of three uniforms). */
const gauss = (rnd: () => number) => rnd() * 2 - 1 + (rnd() * 2 - 1) + (rnd() * 2 - 1);
const between = (rnd: () => number, lo: number, hi: number) => lo + (hi - lo) * rnd();

// ---------------------------------------------------------------------------------------------------------
// Magnitudes

/**
 * flow: a quantity per period (money, events, tonnes) — scaled by weight and period length;
 * stock: a level at the end of the period (population, credit outstanding, schools) — scaled by weight;
 * level: a price or per-capita amount with a multiplicative trend — not scaled;
 * rate: a percentage, index or ratio moving around a centre — not scaled.
 */
type Nature = "flow" | "stock" | "level" | "rate";

interface Spec {
  nature: Nature;
  /** flow: per month; stock, level: the level; rate: the allowed range (values are clamped to it). Early-2024 levels. */
  lo: number;
  hi: number;
  /** flow, stock, level: growth per year, drawn per series. */
  growth?: [number, number];
  /** flow: multiplicative month factors (Jan…Dec); rate: additive month offsets. */
  season?: readonly number[];
  /** flow, stock, level: relative noise (standard deviation); rate: absolute. */
  noise?: number;
  /** rate: range of the series' centre, amplitude of its slow cycle, drift per year. */
  centre?: [number, number];
  amp?: number;
  drift?: number;
  /** Decimals for non-additive units (additive units round by unit). */
  decimals?: number;
  /** The same figure everywhere (exchange rate): not scaled by weight. */
  national?: boolean;
}

const flow = (lo: number, hi: number, o: Partial<Spec> = {}): Spec => ({ nature: "flow", lo, hi, ...o });
const stock = (lo: number, hi: number, o: Partial<Spec> = {}): Spec => ({ nature: "stock", lo, hi, ...o });
const level = (lo: number, hi: number, o: Partial<Spec> = {}): Spec => ({ nature: "level", lo, hi, ...o });
const rate = (lo: number, hi: number, o: Partial<Spec> = {}): Spec => ({ nature: "rate", lo, hi, ...o });

const normalise = (xs: number[]) => {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return xs.map((x) => x / mean);
};
/** Month factors, January first. */
const S = {
  /** Tết: February low; year-end push. */
  production: normalise([1.0, 0.85, 1.0, 0.99, 1.01, 1.02, 1.02, 1.03, 1.02, 1.03, 1.03, 1.06]),
  /** Tax settlement in January and April, a high December, a low February. */
  budget: normalise([1.1, 0.85, 0.95, 1.04, 0.96, 0.96, 1.0, 0.94, 0.95, 1.0, 1.02, 1.2]),
  /** Spending and disbursement of public investment: slow start, year-end rush. */
  spending: normalise([0.72, 0.75, 0.85, 0.9, 0.95, 1.0, 0.97, 1.0, 1.05, 1.1, 1.2, 1.4]),
  /** Retail: shopping before Tết (January) and at the year's end. */
  retail: normalise([1.08, 1.02, 0.95, 0.96, 0.97, 0.97, 0.98, 0.99, 0.98, 1.0, 1.01, 1.1]),
  domesticTourism: normalise([1.05, 1.15, 0.85, 1.0, 1.05, 1.2, 1.25, 1.1, 0.9, 0.8, 0.8, 0.85]),
  internationalTourism: normalise([1.15, 1.1, 1.1, 0.95, 0.85, 0.85, 0.95, 0.95, 0.85, 0.95, 1.05, 1.2]),
  /** Rice harvests: winter–spring (April–June), summer–autumn (August–September), autumn–winter (November). */
  rice: normalise([0.3, 0.3, 0.9, 1.4, 1.6, 1.5, 0.9, 1.0, 1.2, 1.0, 1.3, 0.6]),
  /** Forest fires in the dry season. */
  forestLoss: normalise([1.3, 1.5, 1.7, 1.5, 1.0, 0.7, 0.6, 0.6, 0.6, 0.7, 0.8, 1.0]),
  /** Planting in the rainy season. */
  planting: normalise([0.3, 0.5, 0.8, 0.9, 1.0, 1.4, 1.7, 1.7, 1.4, 0.9, 0.6, 0.4]),
  /** Dengue and other rainy-season diseases. */
  disease: normalise([0.6, 0.5, 0.6, 0.7, 0.8, 1.0, 1.3, 1.5, 1.6, 1.5, 1.1, 0.8]),
  fire: normalise([1.3, 1.2, 1.1, 1.1, 1.0, 0.9, 0.85, 0.8, 0.85, 0.9, 0.95, 1.05]),
  traffic: normalise([1.1, 1.15, 1.0, 1.0, 1.0, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 1.05]),
  enterprise: normalise([1.0, 0.78, 1.1, 1.05, 1.05, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1]),
  /** Food aid: Tết and the lean season. */
  aid: normalise([1.6, 1.3, 0.8, 0.7, 0.8, 0.9, 1.0, 0.9, 0.9, 1.0, 1.0, 1.2]),
} as const;
/** CPI month on month: Tết pushes January and February up, March falls back (additive, points). */
const cpiMonthOffsets = [0.35, 0.5, -0.35, 0, 0, 0, 0, 0, 0, 0, 0, 0.1];

const MONEY = /^ty dong$/;
const USD_M = /^trieu usd$/;
const PEOPLE = /^(nguoi|luot nguoi|luot khach|luot|hanh khach|luot hanh khach)$/;
const PCT = /^%$/;
const PCT_YEAR = /^%\/nam$/;

interface Rule {
  /** Folded unit (after the prefix conversions of `canonicalUnit`). */
  u: RegExp;
  /** Folded name; rules without one are the unit's fallback. */
  n?: RegExp;
  spec: Spec;
}

/** First match wins: own name, then the parents' names, then the unit alone. */
const rules: Rule[] = [
  // Prices and exchange rates
  { u: /^dong\/usd$/, spec: level(24_000, 24_000, { growth: [0.025, 0.025], noise: 0.0015, decimals: 0, national: true }) },
  // Interest rates
  { u: PCT_YEAR, n: /lien ngan hang/, spec: rate(1.5, 5.5, { decimals: 2 }) },
  { u: PCT_YEAR, n: /cho vay/, spec: rate(4.5, 9.5, { decimals: 2 }) },
  { u: PCT_YEAR, n: /tien gui|huy dong/, spec: rate(3.5, 6.5, { decimals: 2 }) },
  { u: PCT_YEAR, spec: rate(3, 9, { decimals: 2 }) },
  // Price and production indices (%, previous period or same period = 100)
  { u: PCT, n: /lam phat/, spec: rate(2, 4.2, { centre: [2.8, 3.2], amp: 0.4, noise: 0.1, decimals: 2 }) },
  {
    u: PCT,
    n: /chi so gia vang.*(cung ky|binh quan)/,
    spec: rate(105, 145, { centre: [118, 128], amp: 8, noise: 2, decimals: 2 }),
  },
  { u: PCT, n: /chi so gia vang/, spec: rate(96, 106, { centre: [100.5, 101.5], amp: 1.5, noise: 1.2, decimals: 2 }) },
  {
    u: PCT,
    n: /chi so gia (do la|usd)|do la my/,
    spec: rate(99, 101.2, { centre: [100.05, 100.3], amp: 0.2, noise: 0.2, decimals: 2 }),
  },
  {
    u: PCT,
    n: /(chi so gia|cpi).*(cung ky|binh quan)|(cung ky|binh quan).*(chi so gia|cpi)/,
    spec: rate(102, 105, { centre: [103, 104], amp: 0.6, noise: 0.15, decimals: 2 }),
  },
  {
    u: PCT,
    n: /chi so gia|cpi/,
    spec: rate(99, 102, { centre: [100.15, 100.4], amp: 0.15, noise: 0.2, season: cpiMonthOffsets, decimals: 2 }),
  },
  { u: PCT, n: /chi so san xuat/, spec: rate(100, 115, { centre: [106, 109], amp: 2, noise: 1, decimals: 2 }) },
  // Scores
  { u: /^(%|diem)$/, n: /cai cach hanh chinh/, spec: rate(78, 93, { drift: 0.5, decimals: 2 }) },
  { u: /^diem$/, n: /chung khoan|vn-?index/, spec: rate(1000, 1400, { centre: [1180, 1260], amp: 90, noise: 25, decimals: 2 }) },
  { u: /^(%|diem)$/, n: /chat luong phuc vu|danh gia/, spec: rate(70, 95, { drift: 1 }) },
  { u: PCT, n: /^chi so|nhom chi so/, spec: rate(70, 98, { drift: 1 }) },
  { u: /^diem$/, spec: rate(60, 95) },
  { u: /^diem phan tram$/, spec: rate(0.6, 1.6) },
  // Growth rates (%)
  { u: PCT, n: /muc giam/, spec: rate(0.6, 1.6) },
  { u: PCT, n: /nang suat/, spec: rate(3.5, 7.5, { centre: [4.8, 6] }) },
  { u: PCT, n: /doi moi cong nghe/, spec: rate(8, 20) },
  {
    u: PCT,
    n: /(tang|toc do).*(gdp|grdp|tong san pham)|(gdp|grdp|tong san pham).*(tang|toc do)/,
    spec: rate(3, 10, { centre: [6, 8], amp: 0.8, noise: 0.4 }),
  },
  { u: PCT, n: /toc do|tang truong/, spec: rate(2, 10) },
  // Shares and ratios (%)
  { u: PCT, n: /ty trong.*che bien/, spec: rate(15, 32) },
  { u: PCT, n: /ty trong.*nong nghiep/, spec: rate(18, 42, { drift: -1 }) },
  { u: PCT, n: /ty trong|co cau/, spec: rate(8, 45) },
  { u: PCT, n: /bao hiem that nghiep|bhtn/, spec: rate(25, 38, { drift: 0.8 }) },
  { u: PCT, n: /that nghiep/, spec: rate(1.8, 4.5) },
  { u: PCT, n: /ho ngheo/, spec: rate(1, 8, { drift: -0.8 }) },
  { u: PCT, n: /do thi hoa/, spec: rate(28, 52, { drift: 0.8 }) },
  { u: PCT, n: /tu nguyen/, spec: rate(2, 7, { drift: 0.5 }) },
  { u: PCT, n: /bao hiem xa hoi|bhxh/, spec: rate(30, 46, { drift: 1 }) },
  { u: PCT, n: /bao hiem y te|bhyt|bao phu/, spec: rate(90, 97, { drift: 0.5 }) },
  { u: PCT, n: /van bang|chung chi/, spec: rate(25, 34, { drift: 0.7 }) },
  { u: PCT, n: /qua dao tao/, spec: rate(62, 74, { drift: 1 }) },
  { u: PCT, n: /nong thon moi/, spec: rate(65, 92, { drift: 2 }) },
  { u: PCT, n: /cat giam|don gian hoa/, spec: rate(18, 32) },
  { u: PCT, n: /nuoc thai/, spec: rate(84, 96, { drift: 0.5 }) },
  { u: PCT, n: /chat thai|thu gom/, spec: rate(86, 98, { drift: 0.5 }) },
  { u: PCT, n: /nuoc sach/, spec: rate(84, 99, { drift: 0.5 }) },
  { u: PCT, n: /thanh toan truc tuyen/, spec: rate(25, 65, { drift: 4 }) },
  { u: PCT, n: /truc tuyen/, spec: rate(40, 90, { drift: 4 }) },
  { u: PCT, n: /to giac|tin bao/, spec: rate(88, 99) },
  { u: PCT, n: /dieu tra|kham pha/, spec: rate(78, 95) },
  { u: PCT, n: /hoc sinh|huy dong|mau giao|tieu hoc|thcs|thpt|di hoc/, spec: rate(90, 99.9, { drift: 0.3 }) },
  { u: PCT, n: /cong nghe cao/, spec: rate(8, 30) },
  { u: PCT, n: /an ninh|khong toi pham/, spec: rate(50, 90, { drift: 2 }) },
  { u: PCT, n: /ty le/, spec: rate(40, 99) },
  { u: PCT, spec: rate(50, 95) },
  // Per 10,000 people, per capita
  { u: /^bac si\//, spec: rate(8, 15, { drift: 0.3 }) },
  { u: /^giuong benh\//, spec: rate(28, 38, { drift: 0.3 }) },
  { u: /^usd$/, n: /dau nguoi|binh quan/, spec: level(3_800, 5_500, { growth: [0.06, 0.08] }) },
  { u: /^trieu dong\/nguoi$/, n: /nang suat/, spec: level(180, 260, { growth: [0.05, 0.07], decimals: 1 }) },
  { u: /^trieu dong\/nguoi$/, spec: level(85, 140, { growth: [0.07, 0.09], decimals: 1 }) },
  // Money, tỷ đồng a month
  { u: MONEY, n: /du no|tin dung/, spec: stock(250_000, 500_000, { growth: [0.12, 0.15] }) },
  { u: MONEY, n: /phuong tien thanh toan/, spec: stock(350_000, 600_000, { growth: [0.09, 0.12] }) },
  { u: MONEY, n: /^chi (tra )?(bhxh|bhtn|bhyt|bao hiem)|chi tra/, spec: flow(600, 1_100, { growth: [0.06, 0.09] }) },
  { u: MONEY, n: /^thu (bhxh|bhtn|bhyt|bao hiem)/, spec: flow(700, 1_300, { growth: [0.06, 0.09] }) },
  { u: MONEY, n: /bao hiem/, spec: flow(300, 700, { growth: [0.08, 0.12] }) },
  { u: MONEY, n: /thu noi dia/, spec: flow(1_300, 2_600, { season: S.budget }) },
  { u: MONEY, n: /thu hai quan|thu tu (hoat dong )?xuat nhap khau/, spec: flow(200, 700, { season: S.production }) },
  { u: MONEY, n: /thue|le phi/, spec: flow(1_200, 2_400, { season: S.budget }) },
  { u: MONEY, n: /thu.*ngan sach|ngan sach.*thu/, spec: flow(1_500, 3_000, { season: S.budget }) },
  { u: MONEY, n: /chi.*ngan sach/, spec: flow(1_600, 3_200, { season: S.spending }) },
  { u: MONEY, n: /giai ngan|dau tu cong/, spec: flow(600, 1_400, { season: S.spending, growth: [0.08, 0.15] }) },
  { u: MONEY, n: /von dau tu/, spec: flow(6_000, 12_000, { season: S.production, growth: [0.07, 0.1] }) },
  { u: MONEY, n: /thuong mai dien tu/, spec: flow(800, 2_000, { season: S.retail, growth: [0.15, 0.25] }) },
  { u: MONEY, n: /ban le|tieu dung|luu tru|an uong/, spec: flow(10_000, 18_000, { season: S.retail, growth: [0.08, 0.11] }) },
  { u: MONEY, n: /van tai|kho bai/, spec: flow(1_000, 2_500, { season: S.production }) },
  { u: MONEY, n: /tap doan|tong cong ty/, spec: flow(3_000, 8_000, { season: S.production }) },
  { u: MONEY, n: /phuc hoi/, spec: flow(20, 80, { season: S.spending }) },
  { u: MONEY, n: /muc tieu quoc gia/, spec: flow(15, 60, { season: S.spending, growth: [0, 0.05] }) },
  { u: MONEY, n: /du an quan trong|trong diem/, spec: flow(100, 400, { season: S.spending }) },
  { u: MONEY, n: /thiet hai/, spec: flow(0.5, 5, { season: S.fire, growth: [0, 0], noise: 0.3 }) },
  { u: MONEY, n: /doanh thu/, spec: flow(1_000, 3_000, { season: S.production }) },
  { u: MONEY, spec: flow(500, 1_500) },
  // Million USD a month
  { u: USD_M, n: /xuat nhap khau/, spec: flow(700, 2_800, { season: S.production, growth: [0.08, 0.14] }) },
  { u: USD_M, n: /dau tu ra nuoc ngoai/, spec: flow(0.5, 4, { growth: [0, 0.1], noise: 0.25 }) },
  { u: USD_M, n: /dau tu nuoc ngoai|fdi/, spec: flow(30, 150, { noise: 0.15 }) },
  { u: USD_M, n: /nhap khau.*(nong nghiep|go|che bien)/, spec: flow(50, 150, { season: S.production }) },
  { u: USD_M, n: /xuat khau.*(nong nghiep|che bien|van ep|tre|go)/, spec: flow(80, 250, { season: S.production }) },
  { u: USD_M, n: /xuat khau/, spec: flow(300, 1_500, { season: S.production, growth: [0.08, 0.14] }) },
  { u: USD_M, n: /nhap khau/, spec: flow(250, 1_300, { season: S.production, growth: [0.08, 0.14] }) },
  { u: USD_M, spec: flow(50, 300) },
  // People and visits
  { u: /^nguoi$/, n: /dan cu|dan so|dan sinh/, spec: stock(2_900_000, 3_100_000, { growth: [0.008, 0.012], noise: 0.0005 }) },
  { u: PEOPLE, n: /(chet|tu vong).*giao thong|giao thong.*(chet|tu vong)/, spec: flow(15, 35, { season: S.traffic }) },
  { u: PEOPLE, n: /chet|tu vong/, spec: flow(0.1, 0.8, { season: S.fire, growth: [0, 0] }) },
  { u: PEOPLE, n: /bi thuong/, spec: flow(0.3, 2, { season: S.fire, growth: [0, 0] }) },
  { u: PEOPLE, n: /tham gia.*(bhyt|bao hiem y te)/, spec: stock(2_600_000, 2_850_000, { growth: [0.01, 0.015] }) },
  { u: PEOPLE, n: /tham gia.*(bhtn|that nghiep)/, spec: stock(350_000, 500_000, { growth: [0.03, 0.05] }) },
  { u: PEOPLE, n: /tham gia/, spec: stock(450_000, 650_000, { growth: [0.04, 0.06] }) },
  { u: PEOPLE, n: /huong moi|giai quyet huong/, spec: flow(1_500, 4_000) },
  { u: PEOPLE, n: /mot lan/, spec: flow(800, 2_500) },
  { u: PEOPLE, n: /om dau/, spec: flow(8_000, 25_000) },
  { u: PEOPLE, n: /thai san/, spec: flow(1_500, 4_000) },
  { u: PEOPLE, n: /duong suc|phuc hoi suc khoe/, spec: flow(500, 2_000) },
  { u: PEOPLE, n: /kham chua benh/, spec: flow(150_000, 300_000) },
  { u: PEOPLE, n: /huong/, spec: stock(80_000, 150_000, { growth: [0.02, 0.04] }) },
  { u: PEOPLE, n: /quoc te/, spec: flow(20_000, 80_000, { season: S.internationalTourism, growth: [0.1, 0.2] }) },
  { u: PEOPLE, n: /noi dia|du lich/, spec: flow(150_000, 400_000, { season: S.domesticTourism, growth: [0.05, 0.1] }) },
  { u: PEOPLE, n: /xuat nhap canh|xuat canh|nhap canh/, spec: flow(30_000, 100_000, { season: S.internationalTourism }) },
  { u: PEOPLE, n: /tiep cong dan|khieu nai|to cao/, spec: flow(300, 1_500, { growth: [-0.02, 0.02] }) },
  { u: PEOPLE, n: /hanh khach|van tai/, spec: flow(8_000_000, 15_000_000, { season: S.production, growth: [0.06, 0.1] }) },
  { u: /^nguoi$/, n: /lao dong/, spec: stock(1_500_000, 1_700_000, { growth: [0.005, 0.01] }) },
  { u: /^nguoi$/, n: /nghe nghiep|hoc nghe|tuyen sinh/, spec: flow(1_500, 4_000, { season: S.production }) },
  { u: /^nguoi$/, n: /bao tro xa hoi/, spec: stock(50_000, 100_000, { growth: [0.01, 0.03] }) },
  { u: /^nguoi$/, n: /giao vien/, spec: stock(8_000, 15_000, { growth: [0, 0.01] }) },
  { u: /^nguoi$/, n: /giao duc|dao tao|hoc sinh/, spec: stock(550_000, 700_000, { growth: [0, 0.015] }) },
  { u: /^nguoi$/, n: /cong chuc|vien chuc/, spec: stock(40_000, 60_000, { growth: [-0.02, 0] }) },
  {
    u: /^nguoi$/,
    n: /dich benh|\bbenh\b|sot xuat huyet/,
    spec: flow(50, 400, { season: S.disease, growth: [-0.05, 0.05], noise: 0.2 }),
  },
  { u: PEOPLE, spec: flow(500, 5_000) },
  { u: /^hoc sinh$/, n: /tieu hoc/, spec: stock(200_000, 260_000) },
  { u: /^hoc sinh$/, spec: stock(150_000, 250_000) },
  { u: /^tre$/, spec: stock(80_000, 130_000) },
  { u: /^hoc vien$/, spec: stock(5_000, 15_000) },
  // Tonnes, cubic metres, energy, land a month
  { u: /^tan$/, n: /ho tro|xuat cap|cuu tro/, spec: flow(50, 1_000, { season: S.aid, growth: [0, 0], noise: 0.2 }) },
  { u: /^tan$/, n: /\blua\b/, spec: flow(80_000, 130_000, { season: S.rice, growth: [-0.01, 0.01] }) },
  { u: /^tan$/, n: /\bgao\b/, spec: flow(10_000, 30_000, { season: S.production }) },
  { u: /^tan$/, n: /hang hoa|van tai/, spec: flow(4_000_000, 8_000_000, { season: S.production }) },
  { u: /^tan$/, n: /xang dau/, spec: flow(30_000, 70_000) },
  { u: /^tan$/, n: /\bthan\b/, spec: flow(50_000, 150_000, { season: S.production }) },
  { u: /^tan$/, n: /chan nuoi|\bthit\b/, spec: flow(10_000, 25_000, { season: S.retail }) },
  { u: /^tan$/, n: /thuy san/, spec: flow(10_000, 35_000) },
  { u: /^tan$/, n: /cay an qua|trai cay/, spec: flow(20_000, 50_000) },
  { u: /^tan$/, n: /cay cong nghiep/, spec: flow(10_000, 30_000) },
  { u: /^tan$/, n: /vat lieu xay dung|xi mang/, spec: flow(100_000, 300_000, { season: S.production }) },
  { u: /^tan$/, n: /quang/, spec: flow(10_000, 50_000) },
  { u: /^tan$/, spec: flow(5_000, 50_000) },
  { u: /^m³$|^m3$/, n: /xang dau/, spec: flow(40_000, 80_000) },
  { u: /^m³$|^m3$/, n: /nuoc may|nuoc sach/, spec: flow(4_000_000, 8_000_000) },
  { u: /^m³$|^m3$/, n: /da xay dung/, spec: flow(200_000, 500_000, { season: S.production }) },
  { u: /^m³$|^m3$/, spec: flow(100_000, 1_000_000) },
  { u: /^kwh$/, spec: flow(500_000_000, 900_000_000, { season: S.production, growth: [0.08, 0.1] }) },
  { u: /^mw$/, spec: stock(1_000, 2_000, { growth: [0.08, 0.1], noise: 0.03 }) },
  { u: /^ha$/, n: /thiet hai|chay rung|mat rung/, spec: flow(3, 40, { season: S.forestLoss, growth: [0, 0], noise: 0.3 }) },
  { u: /^ha$/, n: /trong moi|trong rung/, spec: flow(300, 800, { season: S.planting }) },
  { u: /^ha$/, spec: flow(100, 1_000) },
  // Cases (vụ)
  { u: /^vu$/, n: /chay/, spec: flow(5, 25, { season: S.fire, growth: [-0.03, 0.03] }) },
  { u: /^vu$/, n: /giao thong/, spec: flow(30, 80, { season: S.traffic, growth: [-0.05, 0] }) },
  { u: /^vu$/, n: /ngo doc/, spec: flow(0.1, 1.5, { season: S.disease, growth: [0, 0] }) },
  { u: /^vu$/, n: /toi pham|pham toi|an ninh|ma tuy/, spec: flow(50, 120, { growth: [-0.03, 0.02] }) },
  { u: /^vu$/, spec: flow(5, 80) },
  // Enterprises, projects, works, institutions
  { u: /^doanh nghiep$/, n: /giai the|tam ngung|ngung hoat dong|rut lui/, spec: flow(60, 200, { season: S.enterprise }) },
  { u: /^doanh nghiep$/, n: /dang hoat dong|hien co/, spec: stock(5_000, 12_000, { growth: [0.03, 0.06] }) },
  { u: /^doanh nghiep$/, spec: flow(150, 400, { season: S.enterprise, growth: [0.03, 0.08] }) },
  { u: /^hop tac xa$/, spec: stock(700, 1_100, { growth: [0.02, 0.05] }) },
  { u: /^goi thau$/, spec: flow(300, 800, { season: S.spending }) },
  { u: /^khu$/, spec: stock(8, 15, { growth: [0.01, 0.03] }) },
  { u: /^du an$/, n: /quan trong|trong diem/, spec: stock(2, 6, { growth: [0, 0] }) },
  { u: /^du an$/, spec: stock(300, 800, { growth: [0, 0.03] }) },
  { u: /^cong trinh\/du an$/, spec: stock(2, 10, { growth: [0, 0] }) },
  { u: /^cong trinh$/, n: /nha o|bat dong san/, spec: flow(50, 300, { season: S.production }) },
  { u: /^cong trinh$/, n: /thuy dien/, spec: stock(10, 40, { growth: [0, 0.02] }) },
  { u: /^cong trinh$/, n: /thuy loi|ho chua/, spec: stock(50, 200, { growth: [0, 0.02] }) },
  { u: /^cong trinh$/, n: /thien tai/, spec: stock(150, 400, { growth: [0, 0.03] }) },
  { u: /^cong trinh$/, spec: stock(50, 300, { growth: [0, 0.03] }) },
  { u: /^huyen$/, spec: stock(3, 8, { growth: [0.03, 0.08] }) },
  { u: /^xa$/, n: /cong nhan|dat chuan/, spec: flow(0.5, 1.2, { growth: [0, 0] }) },
  { u: /^xa$/, spec: stock(60, 120, { growth: [0, 0] }) },
  { u: /^don vi$/, spec: stock(2, 8, { growth: [0.02, 0.05] }) },
  { u: /^co so$/, n: /khuyet tat/, spec: stock(5, 15, { growth: [0, 0.03] }) },
  { u: /^co so$/, n: /nghe nghiep/, spec: stock(20, 45, { growth: [-0.02, 0.02] }) },
  { u: /^co so$/, n: /moi truong/, spec: flow(50, 300) },
  { u: /^co so$/, n: /thuong xuyen/, spec: stock(10, 30, { growth: [0, 0] }) },
  { u: /^co so$/, spec: stock(20, 100, { growth: [0, 0.03] }) },
  { u: /^truong$/, n: /mam non/, spec: stock(200, 350, { growth: [0, 0.01] }) },
  { u: /^truong$/, n: /tieu hoc/, spec: stock(200, 350, { growth: [-0.01, 0] }) },
  { u: /^truong$/, n: /pho thong/, spec: stock(450, 750, { growth: [-0.01, 0] }) },
  { u: /^truong$/, n: /trung hoc/, spec: stock(250, 400, { growth: [-0.01, 0.01] }) },
  { u: /^truong$/, n: /dai hoc/, spec: stock(1, 5, { growth: [0, 0] }) },
  { u: /^truong$/, n: /thuong xuyen/, spec: stock(10, 30, { growth: [0, 0] }) },
  { u: /^truong$/, n: /giao duc va dao tao/, spec: stock(700, 1_100, { growth: [-0.01, 0.01] }) },
  { u: /^truong$/, spec: stock(100, 400, { growth: [0, 0.01] }) },
  { u: /^lop$/, n: /mam non/, spec: stock(2_500, 4_000, { growth: [0, 0.01] }) },
  { u: /^lop$/, n: /tieu hoc/, spec: stock(6_000, 9_000, { growth: [-0.01, 0.01] }) },
  { u: /^lop$/, n: /trung hoc/, spec: stock(5_000, 8_000, { growth: [0, 0.02] }) },
  { u: /^lop$/, n: /thuong xuyen/, spec: stock(100, 400, { growth: [0, 0] }) },
  { u: /^lop$/, spec: stock(2_000, 6_000, { growth: [0, 0.01] }) },
  // Administrative work
  { u: /^cuoc$/, n: /thanh tra/, spec: flow(20, 60, { growth: [0, 0] }) },
  { u: /^cuoc$/, n: /tiep cong dan|khieu nai/, spec: flow(100, 400, { growth: [0, 0] }) },
  { u: /^cuoc$/, spec: flow(10, 50, { growth: [0, 0] }) },
  { u: /^nhiem vu$/, spec: flow(30, 120, { growth: [0, 0] }) },
  { u: /^ban tin$/, spec: flow(150, 300, { growth: [0, 0] }) },
  { u: /^tau$/, spec: stock(2_000, 4_000, { growth: [-0.02, 0.01] }) },
  { u: /^ho$/, n: /dan sinh/, spec: stock(800_000, 1_000_000, { growth: [0.01, 0.015] }) },
  { u: /^ho$/, n: /ho tro|thien tai|luong thuc/, spec: flow(200, 2_000, { season: S.aid, growth: [0, 0], noise: 0.2 }) },
  { u: /^ho$/, n: /ngheo/, spec: stock(10_000, 60_000, { growth: [-0.15, -0.08] }) },
  { u: /^ho$/, spec: flow(500, 5_000) },
  { u: /^ho\/nguoi$/, spec: flow(200, 2_000, { season: S.aid, growth: [0, 0], noise: 0.2 }) },
  { u: /^ban do$/, spec: flow(5, 30, { growth: [0, 0] }) },
  { u: /^to$/, spec: flow(10, 100, { growth: [0, 0] }) },
  { u: /^don vi hien vat$/, spec: flow(10_000, 100_000, { season: S.production }) },
];

/** Units written with a multiplier ("nghìn tấn", "triệu kWh", "triệu đồng") are sized as their base unit. */
function canonicalUnit(folded: string): { unit: string; factor: number } {
  if (folded === "vnd/usd") return { unit: "dong/usd", factor: 1 };
  if (folded === "trieu dong") return { unit: "ty dong", factor: 1_000 };
  if (folded === "nghin dong") return { unit: "ty dong", factor: 1_000_000 };
  if (folded === "dong") return { unit: "ty dong", factor: 1_000_000_000 };
  if (folded === "trieu kwh") return { unit: "kwh", factor: 1e-6 };
  if (folded.startsWith("nghin ")) return { unit: folded.slice(6), factor: 1e-3 };
  if (folded.startsWith("trieu ") && folded !== "trieu usd" && !folded.includes("/"))
    return { unit: folded.slice(6), factor: 1e-6 };
  return { unit: folded, factor: 1 };
}

/** Decimals of an additive unit: money and areas to one decimal, counts and physical units whole. */
const additiveDecimals = (base: string, factor: number): number =>
  factor < 1 || (factor === 1 && /^(ty dong|trieu usd|ha)$/.test(base)) ? 1 : 0;

/** Rates, indices, prices, per-capita and per-10,000 figures are not scaled by the area's size. */
function scalesWithArea(unit: string, foldedName: string): boolean {
  const u = unit.toLowerCase();
  if (u.includes("%") || u.includes("/") || u.includes("điểm") || u.includes("chỉ số")) return false;
  return !/^chi so|ty le|binh quan|dau nguoi/.test(foldedName);
}

interface Profile {
  spec: Spec;
  factor: number;
  decimals: number;
  additive: boolean;
  scaled: boolean;
}

function resolveProfile(indicator: SampleIndicator, ancestorNames: string[]): Profile {
  const unit = indicator.unit!;
  const folded = foldVietnamese(unit);
  const { unit: base, factor } = canonicalUnit(folded);
  const name = foldVietnamese(indicator.name);
  const additive = isAdditiveUnit(unit);
  const ofUnit = rules.filter((r) => r.u.test(base));
  const spec =
    ofUnit.find((r) => r.n?.test(name))?.spec ??
    ancestorNames.map((a) => ofUnit.find((r) => r.n?.test(a))?.spec).find((s) => s !== undefined) ??
    ofUnit.find((r) => !r.n)?.spec ??
    (additive ? flow(100, 1_000) : rate(10, 90));
  const decimals = additive ? additiveDecimals(base, factor) : (spec.decimals ?? 1);
  const scaled = (spec.nature === "flow" || spec.nature === "stock") && !spec.national && scalesWithArea(unit, name);
  return { spec, factor, decimals, additive, scaled };
}

// ---------------------------------------------------------------------------------------------------------
// Periods

/** Months since year 0: 2024-01 = 24288. Trends are measured from January 2024, the level of the rules. */
const EPOCH = 2024 * 12;

interface PeriodInfo {
  code: string;
  start: string;
  /** The calendar months the period covers (month index, share of the month). */
  months: { mi: number; frac: number }[];
  /** The month the period ends in (stocks are levels at the end). */
  lastMi: number;
}

const generatedTypes = new Set<PeriodType>(["day", "week", "month", "quarter", "half_year", "year"]);
const pad = (n: number) => String(n).padStart(2, "0");
const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** The code of the period of `type` that contains the ISO date. */
function containing(type: PeriodType, isoDate: string): string {
  const y = Number(isoDate.slice(0, 4));
  const m = Number(isoDate.slice(5, 7));
  const d = Number(isoDate.slice(8, 10));
  switch (type) {
    case "year":
      return `${y}`;
    case "half_year":
      return `${y}S${m <= 6 ? 1 : 2}`;
    case "quarter":
      return `${y}Q${Math.ceil(m / 3)}`;
    case "month":
      return `${y}M${pad(m)}`;
    case "day":
      return `${y}${pad(m)}${pad(d)}`;
    default: {
      // ISO week: the week of the Thursday of the date's week.
      const date = new Date(Date.UTC(y, m - 1, d));
      const dow = date.getUTCDay() || 7;
      const thursday = new Date(date.getTime() + (4 - dow) * 86_400_000);
      const wy = thursday.getUTCFullYear();
      const week = 1 + Math.floor((thursday.getTime() - Date.UTC(wy, 0, 1)) / (7 * 86_400_000));
      return `${wy}W${pad(week)}`;
    }
  }
}

function periodInfo(p: Period): PeriodInfo {
  const y = Number(p.start.slice(0, 4));
  const m = Number(p.start.slice(5, 7));
  const mi = y * 12 + m - 1;
  if (p.type === "day") return { code: p.code, start: p.start, months: [{ mi, frac: 1 / daysInMonth(y, m) }], lastMi: mi };
  if (p.type === "week") {
    // A week counts in the month of its Thursday.
    const thu = new Date(Date.parse(`${p.start}T00:00:00Z`) + 3 * 86_400_000);
    const ty = thu.getUTCFullYear();
    const tm = thu.getUTCMonth() + 1;
    const tmi = ty * 12 + tm - 1;
    return { code: p.code, start: p.start, months: [{ mi: tmi, frac: 7 / daysInMonth(ty, tm) }], lastMi: tmi };
  }
  const count = p.type === "month" ? 1 : p.type === "quarter" ? 3 : p.type === "half_year" ? 6 : 12;
  const months = Array.from({ length: count }, (_, i) => ({ mi: mi + i, frac: 1 }));
  return { code: p.code, start: p.start, months, lastMi: mi + count - 1 };
}

/** Periods of `type` that start between the start of `from` and the end of `to` (a started period counts). */
function periodsOfType(type: PeriodType, rangeStart: string, rangeEnd: string): PeriodInfo[] {
  if (!generatedTypes.has(type)) return [];
  const first = parsePeriod(containing(type, rangeStart));
  const last = parsePeriod(containing(type, rangeEnd));
  if (!first || !last || first.start > last.start) return [];
  return periodsBetween(first, last)
    .filter((p) => p.start >= rangeStart && p.start <= rangeEnd)
    .map(periodInfo);
}

// ---------------------------------------------------------------------------------------------------------
// Generation

interface Series {
  base: number;
  growth: number;
  centre: number;
  cycle: number;
  phase: number;
}

/**
 * Sample values for every indicator × area × period of the indicator's `periodType` that starts within
 * [start of `periods.from`, end of `periods.to`]: the total (disaggregation "") and, for an additive
 * indicator with a `partition`, one value per option that add up to it exactly. Headings, textual indicators
 * (unit null) and period types without a period code (hour, nine_months, ad_hoc) give nothing.
 * The same input always gives the same output; `seed` picks another, equally plausible, set.
 */
export function sampleValues(
  indicators: SampleIndicator[],
  areas: SampleArea[],
  periods: { from: string; to: string },
  seed = "demo",
): SampleValue[] {
  const from = parsePeriod(periods.from);
  const to = parsePeriod(periods.to);
  if (!from) throw new Error(`sampleValues: '${periods.from}' is not a period code`);
  if (!to) throw new Error(`sampleValues: '${periods.to}' is not a period code`);
  const rangeStart = from.start;
  const rangeEnd = to.end;
  if (rangeStart > rangeEnd) return [];

  const byCode = new Map(indicators.map((i) => [i.code, i]));
  const usable = (i: SampleIndicator | undefined): i is SampleIndicator => !!i && i.kind !== "heading" && i.unit !== null;

  // Children bounded by their parent: same additive unit, a sub-indicator or "Trong đó" row.
  const boundParent = new Map<string, SampleIndicator>();
  const siblings = new Map<string, SampleIndicator[]>();
  for (const i of indicators) {
    if (!usable(i) || (i.kind !== "sub_indicator" && i.kind !== "of_which") || !i.parentCode) continue;
    const parent = byCode.get(i.parentCode);
    if (!usable(parent) || parent.unit !== i.unit || !isAdditiveUnit(i.unit) || parent.code === i.code) continue;
    boundParent.set(i.code, parent);
    if (!siblings.has(parent.code)) siblings.set(parent.code, []);
    siblings.get(parent.code)!.push(i);
  }

  const profiles = new Map<string, Profile>();
  const profileOf = (i: SampleIndicator): Profile => {
    let p = profiles.get(i.code);
    if (!p) {
      const names: string[] = [];
      const seen = new Set([i.code]);
      for (let a = i.parentCode ? byCode.get(i.parentCode) : undefined; a && !seen.has(a.code);) {
        seen.add(a.code);
        names.push(foldVietnamese(a.name));
        a = a.parentCode ? byCode.get(a.parentCode) : undefined;
      }
      p = resolveProfile(i, names);
      profiles.set(i.code, p);
    }
    return p;
  };

  const seriesCache = new Map<string, Series>();
  // A national figure (the exchange rate) is the same series in every area.
  const areaKey = (area: SampleArea, spec: Spec) => (spec.national ? "*" : area.id);
  const seriesOf = (i: SampleIndicator, area: SampleArea, spec: Spec): Series => {
    const key = `${seed}|${i.code}|${areaKey(area, spec)}`;
    let s = seriesCache.get(key);
    if (!s) {
      const rnd = rngFor(key);
      const r = spec.hi - spec.lo;
      const [c0, c1] = spec.centre ?? [spec.lo + 0.25 * r, spec.hi - 0.25 * r];
      const [g0, g1] = spec.growth ?? (spec.nature === "flow" ? [0.05, 0.08] : [0.01, 0.03]);
      s = {
        base: between(rnd, spec.lo, spec.hi),
        growth: between(rnd, g0, g1),
        centre: between(rnd, c0, c1),
        cycle: between(rnd, 30, 48),
        phase: between(rnd, 0, 2 * Math.PI),
      };
      seriesCache.set(key, s);
    }
    return s;
  };

  /** The figure before rounding, for an indicator that is not bounded by a parent. */
  const rawValue = (i: SampleIndicator, area: SampleArea, p: PeriodInfo, profile: Profile): number => {
    const { spec } = profile;
    const s = seriesOf(i, area, spec);
    const rnd = rngFor(`${seed}|${i.code}|${areaKey(area, spec)}|${p.code}`);
    const z = gauss(rnd);
    const weight = profile.scaled ? Math.max(0, area.weight) : 1;
    const trend = (mi: number) => Math.pow(1 + s.growth, (mi - EPOCH) / 12);
    if (spec.nature === "rate") {
      const r = spec.hi - spec.lo;
      const amp = spec.amp ?? 0.08 * r;
      const drift = spec.drift ?? 0;
      let sum = 0;
      let n = 0;
      for (const { mi } of p.months) {
        sum +=
          s.centre +
          drift * ((mi - EPOCH) / 12) +
          amp * Math.sin((2 * Math.PI * mi) / s.cycle + s.phase) +
          (spec.season?.[mi % 12] ?? 0);
        n++;
      }
      const v = sum / n + z * (spec.noise ?? 0.03 * r);
      return Math.min(spec.hi, Math.max(spec.lo, v));
    }
    if (spec.nature === "flow") {
      let expected = 0;
      for (const { mi, frac } of p.months) expected += frac * s.base * trend(mi) * (spec.season?.[mi % 12] ?? 1);
      expected *= weight * profile.factor;
      // Counts of rare events vary like a Poisson count.
      const sd = Math.max((spec.noise ?? 0.04) * expected, profile.decimals === 0 ? Math.sqrt(expected) : 0);
      return Math.max(0, expected + z * sd);
    }
    const levelNow = s.base * trend(p.lastMi) * weight * profile.factor;
    return Math.max(0, levelNow * (1 + z * (spec.noise ?? 0.004)));
  };

  // Totals in ticks (units of the last decimal), memoised for parents.
  const memo = new Map<string, number>();
  const totalTicks = (i: SampleIndicator, area: SampleArea, p: PeriodInfo, depth = 0): number => {
    const profile = profileOf(i);
    const parent = depth < 16 ? boundParent.get(i.code) : undefined;
    const key = `${i.code}|${area.id}|${p.code}`;
    const cached = memo.get(key);
    if (cached !== undefined) return cached;
    let ticks: number;
    if (parent) {
      const parentTicks = totalTicks(parent, area, p, depth + 1);
      const family = siblings.get(parent.code)!;
      const famRnd = rngFor(`${seed}|${parent.code}|${area.id}|children`);
      const coverage = family.length === 1 ? between(famRnd, 0.3, 0.85) : between(famRnd, 0.55, 0.9);
      let weightSum = 0;
      let own = 0;
      for (const c of family) {
        const w = between(rngFor(`${seed}|${c.code}|${area.id}|share`), 0.5, 1.5);
        weightSum += w;
        if (c.code === i.code) own = w;
      }
      // Jitter of at most ±4% on the share: the children together stay below 0.9 × 1.04 of the parent.
      const jitter = 1 + 0.04 * (rngFor(`${seed}|${i.code}|${area.id}|${p.code}|share`)() * 2 - 1);
      ticks = Math.floor(((coverage * own) / weightSum) * jitter * parentTicks);
    } else {
      ticks = Math.round(rawValue(i, area, p, profile) * 10 ** profile.decimals);
    }
    if (siblings.has(i.code)) memo.set(key, ticks);
    return ticks;
  };

  const out: SampleValue[] = [];
  const periodCache = new Map<PeriodType, PeriodInfo[]>();
  for (const indicator of indicators) {
    if (!usable(indicator)) continue;
    let ps = periodCache.get(indicator.periodType);
    if (!ps) {
      ps = periodsOfType(indicator.periodType, rangeStart, rangeEnd);
      periodCache.set(indicator.periodType, ps);
    }
    if (ps.length === 0) continue;
    const profile = profileOf(indicator);
    const scale = 10 ** profile.decimals;
    const partition = profile.additive && indicator.partition?.options.length ? indicator.partition : undefined;
    for (const area of areas) {
      const optionWeights = partition?.options.map((o) => {
        const [lo, hi] = partition.dimension === "sex" ? [0.9, 1.1] : [0.6, 1.4];
        return between(rngFor(`${seed}|${indicator.code}|${area.id}|${partition.dimension}=${o}`), lo, hi);
      });
      for (const p of ps) {
        const ticks = totalTicks(indicator, area, p);
        out.push({ indicator: indicator.code, area: area.id, period: p.code, disaggregation: "", value: ticks / scale });
        if (!partition || !optionWeights) continue;
        const rnd = rngFor(`${seed}|${indicator.code}|${area.id}|${p.code}|parts`);
        const weights = optionWeights.map((w) => w * (1 + 0.04 * (rnd() * 2 - 1)));
        for (const [k, part] of splitExactly(ticks, weights).entries())
          out.push({
            indicator: indicator.code,
            area: area.id,
            period: p.code,
            disaggregation: `${partition.dimension}=${partition.options[k]}`,
            value: part / scale,
          });
      }
    }
  }
  return out;
}

/**
 * Splits a whole number of ticks in proportion to `weights`: each part rounded down, then the ticks left over
 * go one each to the parts with the largest remainders (largest-remainder rounding). The parts are whole,
 * never negative, and add up to `total` exactly.
 */
function splitExactly(total: number, weights: number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  if (total <= 0 || sum <= 0) return weights.map((_, k) => (k === 0 ? total : 0));
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((s, x) => s + x, 0);
  const order = exact.map((x, k) => ({ k, rem: x - Math.floor(x) })).sort((a, b) => b.rem - a.rem || a.k - b.k);
  for (let j = 0; left > 0; j = (j + 1) % order.length, left--) {
    const k = order[j]!.k;
    parts[k] = parts[k]! + 1;
  }
  return parts;
}
