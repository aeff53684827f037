import { formatDate, parsePeriod } from "@dieuhanh/core";
import { sql, type Kysely } from "kysely";
import type { Schema } from "../db/schema";
import type { PreparedRow } from "../datavalues/validation";
import { writeRows } from "../datavalues/writer";
import { agencyRepository } from "../agencies/repository";
import { currentAgency } from "../agencies/succession";
import { recipientFinder, type Recipient } from "../notifications/recipients";
import { notify } from "../notifications/service";
import { loadTaskRows, statusOf } from "./facts";
import { scorecard } from "./scorecard";

/**
 * Reminders (đôn đốc) for one day, to the persons who must act: when a task becomes due soon or overdue (once per
 * task and due date), the reporters of its lead agency — the agency that carries its functions today, after the
 * 2025 mergers — within the task's area; when it is overdue, also the leaders and office specialists whose area
 * covers it. Each person with an e-mail address gets one digest a day through the outbox. Running it twice on
 * the same day tells nobody anything new.
 */
export async function runReminders(db: Kysely<Schema>, today: string) {
  const tasks = (await loadTaskRows(db)).filter((t) => !t.closed_as && !t.completed_on);
  const leads = await db.selectFrom("task_agencies").select(["task_code", "agency_code"]).where("role", "=", "lead").execute();
  const agencies = await agencyRepository(db).all();
  const byCode = new Map(agencies.map((a) => [a.code, a]));
  const perPerson = new Map<string, { person: Recipient; lines: string[] }>();
  let created = 0;
  await db.transaction().execute(async (trx) => {
    const finder = recipientFinder(trx);
    for (const t of tasks) {
      const s = statusOf(t, today);
      if (s.status !== "due_soon" && s.status !== "overdue") continue;
      const message =
        s.status === "due_soon"
          ? `Nhiệm vụ ${t.code} sắp đến hạn ${formatDate(s.dueDate)} (còn ${s.daysLeft} ngày): ${t.name}`
          : `Nhiệm vụ ${t.code} ${s.dueDate ? `quá hạn từ ${formatDate(s.dueDate)}` : "chậm báo cáo định kỳ"}: ${t.name}`;
      const area = await finder.taskArea(t.code);
      const due = s.dueDate ?? today.slice(0, 7);
      const audiences: { agency: string | null; people: Recipient[] }[] = [];
      for (const l of leads.filter((x) => x.task_code === t.code))
        audiences.push({
          // The agency that carries the lead's functions today (a dissolved lead's successor).
          agency: currentAgency(l.agency_code, byCode)?.code ?? l.agency_code,
          people: await finder.find({ roles: ["reporter", "approver"], agency: l.agency_code, area }),
        });
      if (s.status === "overdue")
        audiences.push({ agency: null, people: await finder.find({ roles: ["leader", "office_specialist"], area }) });
      for (const { agency, people } of audiences) {
        const fresh = people.filter((p) => !perPerson.get(p.id)?.lines.includes(message));
        const told = await notify(trx, fresh, {
          kind: s.status,
          message,
          subject: "",
          body: "",
          link: `/nhiem-vu/${encodeURIComponent(t.code)}`,
          taskCode: t.code,
          agency,
          key: `${s.status}|${t.code}|${due}`,
          mail: false,
        });
        created += told;
        for (const p of fresh) {
          const entry = perPerson.get(p.id) ?? { person: p, lines: [] };
          entry.lines.push(message);
          perPerson.set(p.id, entry);
        }
      }
    }
  });
  let digests = 0;
  for (const { person, lines } of perPerson.values()) {
    if (!person.email) continue;
    const inserted = await db
      .insertInto("outbound_messages")
      .values({
        channel: "email",
        user_id: person.id,
        recipient: person.email,
        subject: `[Điều hành] Nhiệm vụ cần đôn đốc ngày ${formatDate(today)}: ${lines.length} nhiệm vụ`,
        body: `Kính gửi ${person.displayName},\n\nCác nhiệm vụ sắp đến hạn hoặc quá hạn trong phạm vi của anh/chị:\n${lines.map((l) => `- ${l}`).join("\n")}\n\n— Hệ thống Điều hành (thư tự động, vui lòng không trả lời)`,
        dedupe_key: `digest|${person.id}|${today}`,
      })
      .onConflict((oc) => oc.column("dedupe_key").doNothing())
      .returning("id")
      .executeTakeFirst();
    if (inserted) digests++;
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
