import { formatDate, parsePeriod, taskStatusLabels } from "@dieuhanh/core";
import { sql, type Kysely } from "kysely";
import type { Schema } from "../db/schema";
import type { PreparedRow } from "../datavalues/validation";
import { writeRows } from "../datavalues/writer";
import { loadTaskRows, statusOf } from "./facts";
import { scorecard } from "./scorecard";

/** Delivers outbound messages (the daily digest). The default only writes them to the log. */
export interface MessageSender {
  name: string;
  send(message: { agencyCode: string; subject: string; body: string }): Promise<void>;
}

export const logSender = (log: (line: string) => void = () => undefined): MessageSender => ({
  name: "log",
  async send(m) {
    log(`[thư điện tử, chỉ ghi nhật ký] ${m.agencyCode}: ${m.subject}`);
  },
});

/**
 * Reminders (đôn đốc) for one day: an in-app notification to each lead agency when a task becomes due soon
 * and when it becomes overdue (once per task and due date), and a daily digest per agency listing its due-soon
 * and overdue tasks, handed to the sender. Running it twice on the same day sends nothing new.
 */
export async function runReminders(db: Kysely<Schema>, today: string, sender: MessageSender) {
  const tasks = (await loadTaskRows(db)).filter((t) => !t.closed_as && !t.completed_on);
  const leads = await db.selectFrom("task_agencies").select(["task_code", "agency_code"]).where("role", "=", "lead").execute();
  const notes: { agency_code: string; kind: string; task_code: string; message: string; dedupe_key: string }[] = [];
  const perAgency = new Map<string, string[]>();
  for (const t of tasks) {
    const s = statusOf(t, today);
    if (s.status !== "due_soon" && s.status !== "overdue") continue;
    const message =
      s.status === "due_soon"
        ? `Nhiệm vụ ${t.code} sắp đến hạn ${formatDate(s.dueDate)} (còn ${s.daysLeft} ngày): ${t.name}`
        : `Nhiệm vụ ${t.code} ${s.dueDate ? `quá hạn từ ${formatDate(s.dueDate)}` : "chậm báo cáo định kỳ"}: ${t.name}`;
    for (const l of leads.filter((x) => x.task_code === t.code)) {
      notes.push({
        agency_code: l.agency_code,
        kind: s.status,
        task_code: t.code,
        message,
        dedupe_key: `${s.status}|${t.code}|${s.dueDate ?? today.slice(0, 7)}|${l.agency_code}`,
      });
      if (!perAgency.has(l.agency_code)) perAgency.set(l.agency_code, []);
      perAgency.get(l.agency_code)!.push(`- ${taskStatusLabels[s.status]}: ${message}`);
    }
  }
  let created = 0;
  if (notes.length) {
    const r = await db
      .insertInto("notifications")
      .values(notes)
      .onConflict((oc) => oc.column("dedupe_key").doNothing())
      .executeTakeFirst();
    created = Number(r.numInsertedOrUpdatedRows ?? 0);
  }
  let digests = 0;
  for (const [agency, lines] of perAgency) {
    const subject = `[Điều hành] Nhiệm vụ cần đôn đốc ngày ${formatDate(today)}: ${lines.length} nhiệm vụ`;
    const inserted = await db
      .insertInto("outbound_messages")
      .values({ channel: "email", agency_code: agency, subject, body: lines.join("\n"), dedupe_key: `digest|${agency}|${today}` })
      .onConflict((oc) => oc.column("dedupe_key").doNothing())
      .returning("id")
      .executeTakeFirst();
    if (!inserted) continue;
    await sender.send({ agencyCode: agency, subject, body: lines.join("\n") });
    await db
      .updateTable("outbound_messages")
      .set({ sent_at: new Date(), sender: sender.name })
      .where("id", "=", inserted.id)
      .execute();
    digests++;
  }
  return { notifications: created, digests };
}

/**
 * Feeds the task scorecard into the analytics as indicator QG.A.XIII.7 ("nhóm chỉ số theo dõi việc thực hiện
 * nhiệm vụ") for a month: for the nation (tasks of national documents) and each province whose documents
 * assign tasks, the number of tasks due by the month's end (total) and by status (`task_status=…`), and per
 * lead agency (`ministry=…`). Written as system figures, a new version only when a number changed.
 */
export async function publishTaskIndicator(db: Kysely<Schema>, month: string, today: string) {
  const period = parsePeriod(month);
  if (!period || period.type !== "month") throw new Error(`Kỳ tháng không hợp lệ: ${month}`);
  const asOf = today < period.end ? today : period.end;
  const documents = await db.selectFrom("documents").select(["id", "area_id"]).execute();
  const merged = await db.selectFrom("area_merges").select(["old_area_id", "new_area_id"]).execute();
  const areaOfDocument = (id: string | null) => {
    const area = documents.find((d) => d.id === id)?.area_id ?? "VN";
    return merged.find((m) => m.old_area_id === area)?.new_area_id ?? area;
  };
  const tasks = await loadTaskRows(db);
  const areas = [...new Set(tasks.map((t) => areaOfDocument(t.document_id)))];
  const statusCode: Record<string, string> = {
    doneOnTime: "DONE_ON_TIME",
    doneLate: "DONE_LATE",
    overdue: "OVERDUE",
    inProgress: "IN_PROGRESS",
  };
  const rows: PreparedRow[] = [];
  const push = (area: string, disaggregation: string, value: number) =>
    rows.push({
      indicator: "QG.A.XIII.7",
      area,
      period: month,
      periodType: "month",
      disaggregation,
      value,
      valueText: null,
      comment: null,
      action: "upsert",
      agency: "VPCP",
      flags: [],
    });
  for (const area of areas) {
    const inArea = (t: { document_id: string | null }) => areaOfDocument(t.document_id) === area;
    const byAgency = await scorecard(db, { by: "agency", to: period.end }, asOf, inArea);
    push(area, "", byAgency.totals.assigned - byAgency.totals.closed);
    for (const [col, code] of Object.entries(statusCode))
      push(area, `task_status=${code}`, byAgency.totals[col as keyof typeof byAgency.totals] as number);
    for (const a of byAgency.items) {
      const agency = a.key.replace(/\./g, "_");
      push(area, `ministry=${agency}`, a.assigned - a.closed);
      for (const [col, code] of Object.entries(statusCode))
        push(area, `ministry=${agency};task_status=${code}`, a[col as keyof typeof a] as number);
    }
  }
  const exists = await sql<{ n: number }>`SELECT count(*)::int AS n FROM indicators WHERE code = 'QG.A.XIII.7'`.execute(db);
  if (!exists.rows[0]?.n) return { values: 0, created: 0, updated: 0, deleted: 0, unchanged: 0, dryRun: false, batchId: null };
  const ctx = { principal: null, ip: null, userAgent: "task-indicator" };
  const summary = await db
    .transaction()
    .execute((trx) => writeRows(trx, ctx, rows, { channel: "system", status: "approved" }, { dryRun: false, now: new Date() }));
  return { values: rows.length, ...summary };
}
