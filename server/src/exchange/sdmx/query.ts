import { fromSdmxPeriod, parsePeriod, type Period } from "@dieuhanh/core";
import { DomainError, InvalidInputError, NotFoundError } from "../../errors";
import {
  FREQ_OF,
  SDMX_AGENCY,
  SDMX_DSD,
  SDMX_FLOW,
  SDMX_TOTAL,
  SDMX_VERSION,
  dimensionId,
  indicatorCode,
  type SdmxCodes,
} from "./codes";

/** What a data query selects: per key position the values allowed (absent: any). */
export interface DataSelection {
  periodTypes?: Period["type"][];
  indicators?: string[];
  areas?: string[];
  /** Disaggregation dimension → options allowed ("" = the total). */
  parts: Map<string, Set<string>>;
}

const ID = /^[A-Za-z0-9_@$-]+$/;
const periodTypeOf = Object.fromEntries(Object.entries(FREQ_OF).map(([t, f]) => [f, t])) as Record<string, Period["type"]>;
const anyVersion = new Set(["*", "+", "~", "latest", SDMX_VERSION, `${SDMX_VERSION}.0`]);

export class NotImplementedError extends DomainError {
  constructor(message: string) {
    super(message, 501);
  }
}

/**
 * The path of a data query after `/api/sdmx/data/`: SDMX REST 2 `dataflow/VN_DH/DF_DIEUHANH/1.0/{key}`
 * (context dataflow or datastructure; `*` and the latest-version operators accepted) or 1.x
 * `DF_DIEUHANH/{key}` (flow `DF_DIEUHANH`, `VN_DH,DF_DIEUHANH` or `VN_DH,DF_DIEUHANH,1.0`). Another
 * dataflow is 404 (NoResultsFound); a provision agreement too (the product has none).
 */
export function parseDataPath(path: string): { key: string } {
  const segments = path.split("/").map((s) => decodeURIComponent(s));
  const unknown = (what: string) =>
    new NotFoundError(`Không có ${what}: luồng dữ liệu là ${SDMX_AGENCY}:${SDMX_FLOW}(${SDMX_VERSION})`);
  const context = segments[0] ?? "";
  if (["dataflow", "datastructure", "provisionagreement", "*"].includes(context)) {
    const [, agency = "*", id = "*", version = "*", key = "*", ...rest] = segments;
    if (rest.length) throw new InvalidInputError("Đường dẫn truy vấn dữ liệu thừa phần sau khóa");
    if (context === "provisionagreement") throw unknown("thỏa thuận cung cấp dữ liệu");
    if (agency !== "*" && agency !== SDMX_AGENCY) throw unknown(`cơ quan ${agency}`);
    const ids = context === "datastructure" ? [SDMX_DSD, "*"] : context === "*" ? [SDMX_FLOW, SDMX_DSD, "*"] : [SDMX_FLOW, "*"];
    if (!ids.includes(id)) throw unknown(`${context} ${id}`);
    if (!version.split(",").some((v) => anyVersion.has(v))) throw unknown(`phiên bản ${version}`);
    return { key: key };
  }
  const [flow = "", key = "all", provider = "all", ...rest] = segments;
  if (rest.length) throw new InvalidInputError("Đường dẫn truy vấn dữ liệu thừa phần sau khóa");
  const parts = flow.split(",");
  const [agency, id, version] =
    parts.length === 1 ? [SDMX_AGENCY, parts[0], "latest"] : [parts[0], parts[1], parts[2] ?? "latest"];
  if ((agency !== SDMX_AGENCY && agency !== "all") || (id !== SDMX_FLOW && id !== "all") || !anyVersion.has(version!))
    throw unknown(`luồng dữ liệu ${flow}`);
  if (provider !== "all" && provider !== SDMX_AGENCY) throw unknown(`nhà cung cấp ${provider}`);
  return { key };
}

/**
 * A key: dimension values in the data structure's order (FREQ.INDICATOR.REF_AREA.<disaggregation
 * dimensions>), separated by dots; a value empty or `*` is any value, `+` is OR (`M.CT_A_I_3+CT_A_I_4.92`);
 * positions left out at the end are any value; `all` is everything. Several keys (`,`) are not supported.
 */
export function parseKey(key: string, codes: SdmxCodes): DataSelection {
  const selection: DataSelection = { parts: new Map() };
  if (key === "" || key === "all" || key === "*") return selection;
  if (key.includes(","))
    throw new NotImplementedError("Truy vấn nhiều khóa (dấu ,) chưa được hỗ trợ: gửi từng khóa, dùng + cho nhiều giá trị");
  const positions = ["FREQ", "INDICATOR", "REF_AREA", ...codes.dimensions.map(dimensionId)];
  const values = key.split(".");
  if (values.length > positions.length)
    throw new InvalidInputError(`Khóa có ${values.length} chiều, cấu trúc có ${positions.length}: ${positions.join(".")}`, "key");
  values.forEach((cell, i) => {
    if (cell === "" || cell === "*") return;
    const options = cell.split("+");
    const bad = options.find((o) => !ID.test(o));
    if (bad !== undefined) throw new InvalidInputError(`Khóa: giá trị '${bad}' của ${positions[i]} không phải mã SDMX`, "key");
    if (i === 0) {
      const unknown = options.find((o) => !periodTypeOf[o]);
      if (unknown) throw new InvalidInputError(`Khóa: FREQ '${unknown}' không có (A, S, Q, M, W, D)`, "key");
      selection.periodTypes = options.map((o) => periodTypeOf[o]!);
    } else if (i === 1) selection.indicators = options.map(indicatorCode);
    else if (i === 2) selection.areas = options;
    else selection.parts.set(codes.dimensions[i - 3]!, new Set(options.map((o) => (o === SDMX_TOTAL ? "" : o))));
  });
  return selection;
}

/** Whether a figure's disaggregation key is in the selection's dimensions. */
export function partsMatch(selection: DataSelection, parts: Record<string, string>): boolean {
  for (const [dim, allowed] of selection.parts) if (!allowed.has(parts[dim] ?? "")) return false;
  return true;
}

/** startPeriod / endPeriod: an SDMX period (2025, 2025-Q3, 2025-07, 2025-07-15…) or the product's code. */
export function readPeriodBound(text: string | undefined, name: string): Period | undefined {
  if (text === undefined) return undefined;
  const p = fromSdmxPeriod(text) ?? parsePeriod(text);
  if (!p) throw new InvalidInputError(`${name} '${text}' không phải kỳ (ví dụ 2025, 2025-Q3, 2025-07, 2025-07-15)`, name);
  return p;
}

/** The response a client accepts: SDMX-CSV 2.0 (labels id or both) or SDMX-JSON 2.0; null: none of ours (406). */
export function negotiate(accept: string | undefined): { kind: "csv" | "json"; labels: "id" | "both" } | null {
  const ranges = (accept ?? "*/*")
    .split(",")
    .map((r) => {
      const [type = "", ...params] = r.split(";").map((x) => x.trim());
      const p = Object.fromEntries(params.map((x) => x.split("=").map((y) => y.trim().replace(/^"|"$/g, "").toLowerCase())));
      return { type: type.toLowerCase(), params: p as Record<string, string>, q: p.q === undefined ? 1 : Number(p.q) };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const r of ranges) {
    const version = r.params.version;
    if (r.type === "application/vnd.sdmx.data+csv" || r.type === "text/csv") {
      if (version && !version.startsWith("2.")) continue;
      const labels = r.params.labels ?? "id";
      if (labels !== "id" && labels !== "both") continue;
      return { kind: "csv", labels };
    }
    if (r.type === "application/vnd.sdmx.data+json" || r.type === "application/json") {
      if (version && !version.startsWith("2.")) continue;
      return { kind: "json", labels: "id" };
    }
    if (r.type === "*/*" || r.type === "application/*") return { kind: "json", labels: "id" };
  }
  return null;
}
