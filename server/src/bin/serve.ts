import { readConfig } from "../config";
import { buildApp } from "../http/app";
import { isReferenceDataLoaded, loadReferenceData } from "../reference/load";
import { describeDatabase, openConfiguredDatabase } from "./open";

/** `npm start`: migrate, load the reference data on first start, serve the API and the web UI. */
const config = readConfig();
const database = await openConfiguredDatabase(config);
console.log(`Cơ sở dữ liệu: ${describeDatabase(config)}`);
if (!(await isReferenceDataLoaded(database.db))) {
  console.log("Lần chạy đầu: đang nạp dữ liệu tham chiếu (đơn vị hành chính, cơ quan, bộ chỉ số, nhiệm vụ)…");
  const summary = await loadReferenceData(database.db);
  console.log(
    `Đã nạp ${summary.areas.provinces} tỉnh, ${summary.areas.communes} xã; ` +
      `${summary.catalogues.map((c) => `${c.id}: ${c.rows}`).join(", ")} dòng chỉ số.`,
  );
}
const app = await buildApp({ database, serveWeb: true, logger: process.env.LOG_LEVEL !== "silent" });
const shutdown = async () => {
  await app.close();
  await database.close();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
await app.listen({ port: config.port, host: config.host });
const shownHost = config.host === "0.0.0.0" ? "localhost" : config.host;
console.log(`\nĐiều hành đang chạy: http://${shownHost}:${config.port}/  (API: http://${shownHost}:${config.port}/api/docs)\n`);
