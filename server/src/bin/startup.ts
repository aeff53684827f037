import { analyzeAll } from "../db/statistics";
import { sql, type Kysely } from "kysely";
import { ensureYearPartitions } from "../archive/partitions";
import { authService } from "../auth/service";
import { vietnamDate } from "../clock";
import type { Schema } from "../db/schema";
import { migrate, withSchemaLock } from "../db/migrate";
import { recoverUnfinishedBatches } from "../datavalues/writer";
import { loadSampleData, SAMPLE_STARTUP_STEP } from "../demo/load";
import { rebuildReadModel, READ_MODEL_STARTUP_STEP } from "../readmodel/maintain";
import { isReferenceDataLoaded, loadReferenceData } from "../reference/load";

export interface StartupOptions {
  /** Generate the sample figures at the first start (DEMO_DATA, default true). */
  demoData: boolean;
  initialAdminPassword: string | undefined;
  log: (line: string) => void;
  /**
   * A batch left half-written by a crash is undone at start once it has not progressed for this long: 0 when
   * this process is the database's only user (PGlite); on PostgreSQL another server may be writing it now.
   */
  unfinishedBatchIdleMinutes?: number;
}

/**
 * What a start does before serving: migrate, load the reference data and the sample figures on the first
 * start, create the first administrator. All of it under the schema's advisory lock, so that instances
 * starting together do it once (the others wait, then find it done). The sample figures are a pending step
 * written before the reference data: a first start killed during either load redoes what did not commit.
 */
export async function prepareDatabase(db: Kysely<Schema>, options: StartupOptions) {
  return withSchemaLock(db, async (conn) => {
    await migrate(conn);
    // This year's and next year's partitions of the figures, and those of any year stored in the default one.
    const years = await ensureYearPartitions(conn, vietnamDate(new Date()));
    if (years.length > 0) options.log(`Đã tạo phân vùng số liệu cho năm ${years.join(", ")}.`);
    const undone = await recoverUnfinishedBatches(conn, { idleMinutes: options.unfinishedBatchIdleMinutes ?? 0 });
    if (undone > 0) options.log(`Đã hoàn lại ${undone} lô số liệu bị gián đoạn giữa chừng (máy chủ dừng đột ngột).`);
    if (!(await isReferenceDataLoaded(conn))) {
      if (options.demoData) {
        await sql`INSERT INTO pending_startup_steps (step) VALUES (${SAMPLE_STARTUP_STEP}) ON CONFLICT DO NOTHING`.execute(conn);
      }
      options.log("Lần chạy đầu: đang nạp dữ liệu tham chiếu (đơn vị hành chính, cơ quan, bộ chỉ số, nhiệm vụ)…");
      const summary = await loadReferenceData(conn);
      options.log(
        `Đã nạp ${summary.areas.provinces} tỉnh, ${summary.areas.communes} xã; ` +
          `${summary.catalogues.map((c) => `${c.id}: ${c.rows}`).join(", ")} dòng chỉ số.`,
      );
    }
    // The read model of an upgraded database (or one whose rebuild was interrupted) is filled before serving.
    const readModel = await sql<{
      step: string;
    }>`SELECT step FROM pending_startup_steps WHERE step = ${READ_MODEL_STARTUP_STEP}`.execute(conn);
    if (readModel.rows.length > 0) {
      options.log("Đang tính mô hình đọc của bảng điều hành từ các số liệu đã có…");
      await conn.transaction().execute(async (trx) => {
        const r = await rebuildReadModel(trx);
        await sql`DELETE FROM pending_startup_steps WHERE step = ${READ_MODEL_STARTUP_STEP}`.execute(trx);
        options.log(`Mô hình đọc: ${r.facts} số liệu hiện hành, ${r.cells} ô tổng hợp.`);
      });
      await analyzeAll(conn);
    }
    const pending = await sql<{
      step: string;
    }>`SELECT step FROM pending_startup_steps WHERE step = ${SAMPLE_STARTUP_STEP}`.execute(conn);
    if (pending.rows.length > 0 && !options.demoData) {
      await sql`DELETE FROM pending_startup_steps WHERE step = ${SAMPLE_STARTUP_STEP}`.execute(conn);
    } else if (pending.rows.length > 0) {
      options.log("Đang sinh SỐ LIỆU MẪU để minh họa (tắt: DEMO_DATA=false; xóa: npm run cli -- demo remove)…");
      const demo = await loadSampleData(conn, new Date(), {
        progress: (written, total) => options.log(`Số liệu mẫu: đã ghi ${written}/${total}…`),
      });
      options.log(`Đã sinh ${demo.values} số liệu mẫu trong ${demo.seconds.toFixed(1)} giây.`);
    }
    return authService(conn).ensureInitialAdmin(options.initialAdminPassword);
  });
}
