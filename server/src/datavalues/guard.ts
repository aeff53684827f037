import { sql } from "kysely";
import type { Executor } from "../db/bulk";
import { ConflictError } from "../errors";

/** How many codes a refusal names before "…". */
const NAMED = 20;

/**
 * `data_values` keeps no foreign keys to indicators and areas (each was a lookup per inserted figure:
 * migration 20261202T0300). What they guaranteed is kept here: code that deletes indicators or areas
 * (the reference data reload) calls this, inside its transaction, with the codes it removed; any of them
 * that still has figures refuses the whole change with a message naming them.
 */
export async function refuseRemovingWithFigures(
  db: Executor,
  removed: { indicators?: readonly string[]; areas?: readonly string[] },
): Promise<void> {
  const problems: string[] = [];
  if (removed.indicators?.length) {
    const r = await sql<{ code: string }>`SELECT DISTINCT indicator_code AS code FROM data_values
      WHERE indicator_code = ANY(${[...removed.indicators]}::text[]) ORDER BY 1`.execute(db);
    if (r.rows.length) problems.push(`${r.rows.length} chỉ số đã có số liệu: ${named(r.rows.map((x) => x.code))}`);
  }
  if (removed.areas?.length) {
    const r = await sql<{ id: string }>`SELECT DISTINCT area_id AS id FROM data_values
      WHERE area_id = ANY(${[...removed.areas]}::text[]) ORDER BY 1`.execute(db);
    if (r.rows.length) problems.push(`${r.rows.length} đơn vị hành chính đã có số liệu: ${named(r.rows.map((x) => x.id))}`);
  }
  if (problems.length)
    throw new ConflictError(
      `Không thể xóa ${problems.join("; ")}. Số liệu đã ghi không được mất: giữ các mã này trong dữ liệu tham chiếu ` +
        `(có thể đánh dấu ngừng sử dụng), hoặc chuyển số liệu của chúng sang mã khác trước.`,
    );
}

const named = (codes: string[]) => codes.slice(0, NAMED).join(", ") + (codes.length > NAMED ? ", …" : "");
