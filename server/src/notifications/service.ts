import { formatDate, formatPeriod, parsePeriod } from "@dieuhanh/core";
import type { Executor } from "../db/bulk";
import { findRecipients, recipientFinder, recipientsByIds, taskArea, type Recipient } from "./recipients";

export type NotificationKind =
  | "due_soon"
  | "overdue"
  | "report_returned"
  | "report_approved"
  | "figures_submitted"
  | "task_assigned"
  | "progress_reported"
  | "progress_accepted"
  | "progress_returned"
  | "sync_late";

export interface Notice {
  kind: NotificationKind;
  /** One line for the bell. */
  message: string;
  /** E-mail subject and body (the body names the task or the indicators concerned). */
  subject: string;
  body: string;
  link: string | null;
  taskCode?: string | null;
  agency?: string | null;
  /** Identifies the event: a person is told of one event once, however often it is announced. */
  key: string;
  /** False: in the app only (reminders reach the mailbox as one daily digest instead). */
  mail?: boolean;
}

/**
 * Tells each person of an event: a notification in the app and, for those with an e-mail address, a message in
 * the outbox — both in the caller's transaction, so the event, the notice and the e-mail stand or fall together.
 * Returns the number of persons newly told.
 */
export async function notify(trx: Executor, people: readonly Recipient[], notice: Notice): Promise<number> {
  const unique = [...new Map(people.map((p) => [p.id, p])).values()];
  if (unique.length === 0) return 0;
  const inserted = await trx
    .insertInto("notifications")
    .values(
      unique.map((p) => ({
        user_id: p.id,
        agency_code: notice.agency ?? null,
        kind: notice.kind,
        task_code: notice.taskCode ?? null,
        message: notice.message,
        link: notice.link,
        dedupe_key: `${notice.key}|${p.id}`,
      })),
    )
    .onConflict((oc) => oc.column("dedupe_key").doNothing())
    .returning("user_id")
    .execute();
  const told = new Set(inserted.map((r) => r.user_id));
  const mail = notice.mail === false ? [] : unique.filter((p) => told.has(p.id) && p.email);
  if (mail.length)
    await trx
      .insertInto("outbound_messages")
      .values(
        mail.map((p) => ({
          channel: "email" as const,
          user_id: p.id,
          agency_code: notice.agency ?? null,
          recipient: p.email,
          subject: notice.subject,
          body: `Kính gửi ${p.displayName},\n\n${notice.body}\n\n— Hệ thống Điều hành (thư tự động, vui lòng không trả lời)`,
          dedupe_key: `mail|${notice.key}|${p.id}`,
        })),
      )
      .onConflict((oc) => oc.column("dedupe_key").doNothing())
      .execute();
  return told.size;
}

const periodLabel = (code: string) => {
  const p = parsePeriod(code);
  return p ? formatPeriod(p) : code;
};

async function reportNames(trx: Executor, agency: string, area: string) {
  const a = await trx.selectFrom("agencies").select("name").where("code", "=", agency).executeTakeFirst();
  const ar = await trx.selectFrom("areas").select("full_name").where("id", "=", area).executeTakeFirst();
  return { agencyName: a?.name ?? agency, areaName: ar?.full_name ?? area };
}

async function indicatorNames(trx: Executor, codes: readonly string[]) {
  if (codes.length === 0) return new Map<string, string>();
  const rows = await trx
    .selectFrom("indicators")
    .select(["code", "name"])
    .where("code", "in", [...codes])
    .execute();
  return new Map(rows.map((r) => [r.code, r.name]));
}

const formLink = (agency: string, area: string, period: string) =>
  `/nhap-so-lieu?${new URLSearchParams({ agency, area, period }).toString()}`;

export interface ReviewDecision {
  indicator: string;
  action: "approve" | "return";
  comment: string | null;
  /** Who submitted the figure being decided (the reporter to tell). */
  submittedBy: string | null;
}

/** A report returned or approved (row by row): each reporter who submitted a decided figure hears of their rows. */
export async function reportReviewed(
  trx: Executor,
  key: { agency: string; area: string; period: string; batchId: string | null },
  decisions: readonly ReviewDecision[],
) {
  const { agencyName, areaName } = await reportNames(trx, key.agency, key.area);
  const names = await indicatorNames(
    trx,
    decisions.map((d) => d.indicator),
  );
  const label = periodLabel(key.period);
  const bySubmitter = new Map<string, ReviewDecision[]>();
  for (const d of decisions) if (d.submittedBy) bySubmitter.set(d.submittedBy, [...(bySubmitter.get(d.submittedBy) ?? []), d]);
  const people = await recipientsByIds(trx, [...bySubmitter.keys()]);
  let told = 0;
  for (const person of people) {
    const mine = dedupeByIndicator(bySubmitter.get(person.id) ?? []);
    const returned = mine.filter((d) => d.action === "return");
    const approved = mine.filter((d) => d.action === "approve");
    const what = `báo cáo ${agencyName} · ${areaName} · ${label}`;
    const message = returned.length
      ? `Trả lại ${returned.length} chỉ số của ${what}: ${returned.map((d) => `${names.get(d.indicator) ?? d.indicator} (${d.comment ?? ""})`).join("; ")}`
      : `Đã duyệt ${approved.length} chỉ số của ${what}`;
    const lines = [
      ...returned.map((d) => `- TRẢ LẠI: ${names.get(d.indicator) ?? d.indicator} [${d.indicator}] — lý do: ${d.comment ?? ""}`),
      ...approved.map((d) => `- Đã duyệt: ${names.get(d.indicator) ?? d.indicator} [${d.indicator}]`),
    ];
    told += await notify(trx, [person], {
      kind: returned.length ? "report_returned" : "report_approved",
      message,
      subject: returned.length
        ? `[Điều hành] Số liệu bị trả lại: ${agencyName} · ${areaName} · ${label}`
        : `[Điều hành] Số liệu đã được duyệt: ${agencyName} · ${areaName} · ${label}`,
      body: `Kết quả duyệt ${what}:\n${lines.join("\n")}\n\n${returned.length ? "Vui lòng sửa các chỉ số bị trả lại và gửi lại." : ""}`.trim(),
      link: formLink(key.agency, key.area, key.period),
      agency: key.agency,
      key: `review|${key.batchId ?? `${key.agency}|${key.area}|${key.period}|${Date.now()}`}`,
    });
  }
  return told;
}

const dedupeByIndicator = (ds: readonly ReviewDecision[]) => [
  ...new Map(ds.map((d) => [`${d.indicator}|${d.action}`, d])).values(),
];

/** Figures submitted: the approvers whose scope covers the agency and the area are asked to review them. */
export async function figuresSubmitted(
  trx: Executor,
  submission: {
    agency: string;
    area: string;
    period: string;
    indicators: readonly string[];
    batchId: string;
    submittedBy: string | null;
  },
  known?: Recipient[],
) {
  const people =
    known ??
    (await findRecipients(trx, {
      roles: ["approver"],
      agency: submission.agency,
      area: submission.area,
      exclude: submission.submittedBy,
    }));
  if (people.length === 0) return 0;
  const { agencyName, areaName } = await reportNames(trx, submission.agency, submission.area);
  const names = await indicatorNames(trx, submission.indicators);
  const label = periodLabel(submission.period);
  const list = submission.indicators.map((c) => `- ${names.get(c) ?? c} [${c}]`);
  return notify(trx, people, {
    kind: "figures_submitted",
    message: `${submission.indicators.length} số liệu chờ duyệt: ${agencyName} · ${areaName} · ${label}`,
    subject: `[Điều hành] Số liệu chờ duyệt: ${agencyName} · ${areaName} · ${label}`,
    body: `${agencyName} đã gửi ${submission.indicators.length} số liệu của ${areaName}, ${label}, chờ anh/chị duyệt:\n${list.slice(0, 50).join("\n")}${list.length > 50 ? `\n… và ${list.length - 50} chỉ số khác` : ""}`,
    link: formLink(submission.agency, submission.area, submission.period),
    agency: submission.agency,
    key: `submitted|${submission.batchId}|${submission.agency}|${submission.area}|${submission.period}`,
  });
}

async function taskFacts(trx: Executor, code: string) {
  return trx
    .selectFrom("tasks")
    .select(["code", "name", "deadline_date", "deadline_to", "deadline_as_written", "extended_to"])
    .where("code", "=", code)
    .executeTakeFirstOrThrow();
}

const taskLink = (code: string) => `/nhiem-vu/${encodeURIComponent(code)}`;
const dueText = (t: {
  deadline_date: string | null;
  deadline_to: string | null;
  deadline_as_written: string | null;
  extended_to: string | null;
}) => {
  const due = t.extended_to ?? t.deadline_date ?? t.deadline_to;
  return due ? formatDate(due) : (t.deadline_as_written ?? "không ghi thời hạn");
};

/** A task assigned: the reporters of each lead agency (today's, after the mergers), within their area, are told. */
export async function taskAssigned(trx: Executor, code: string, leads: readonly string[], by: string | null) {
  const task = await taskFacts(trx, code);
  const area = await taskArea(trx, code);
  let told = 0;
  for (const agency of leads) {
    const people = await findRecipients(trx, { roles: ["reporter", "approver"], agency, area, exclude: by });
    told += await notify(trx, people, {
      kind: "task_assigned",
      message: `Nhiệm vụ mới ${task.code}, hạn ${dueText(task)}: ${task.name}`,
      subject: `[Điều hành] Được giao nhiệm vụ ${task.code}: ${task.name}`,
      body: `Cơ quan của anh/chị được giao chủ trì nhiệm vụ ${task.code} — ${task.name}.\nThời hạn: ${dueText(task)}.`,
      link: taskLink(task.code),
      taskCode: task.code,
      agency,
      key: `assigned|${task.code}|${agency}`,
    });
  }
  return told;
}

/** A progress (or completion) report awaiting review: the office specialists whose area covers the task are told. */
export async function progressReported(
  trx: Executor,
  report: { id: string; taskCode: string; agency: string; what: string; by: string | null },
) {
  const task = await taskFacts(trx, report.taskCode);
  const area = await taskArea(trx, report.taskCode);
  const people = await findRecipients(trx, { roles: ["office_specialist"], area, exclude: report.by });
  const agency = await trx.selectFrom("agencies").select("name").where("code", "=", report.agency).executeTakeFirst();
  const what = report.what;
  return notify(trx, people, {
    kind: "progress_reported",
    message: `${what} nhiệm vụ ${task.code} chờ đánh giá (${agency?.name ?? report.agency})`,
    subject: `[Điều hành] ${what} chờ đánh giá: nhiệm vụ ${task.code}`,
    body: `${agency?.name ?? report.agency} đã gửi: ${what} — nhiệm vụ ${task.code}: ${task.name}.\nChờ anh/chị xem xét, đánh giá.`,
    link: taskLink(task.code),
    taskCode: task.code,
    agency: report.agency,
    key: `progress|${report.id}`,
  });
}

/** A submission's figures, one notice per report (agency, area, period) they belong to. */
export async function figuresAwaitingApproval(
  trx: Executor,
  rows: readonly { indicator: string; area: string; period: string; agency: string | null; action: string }[],
  batchId: string,
  submittedBy: string | null,
) {
  const reports = new Map<string, { agency: string; area: string; period: string; indicators: Set<string> }>();
  for (const r of rows) {
    if (!r.agency || r.action === "delete") continue;
    const k = `${r.agency}|${r.area}|${r.period}`;
    if (!reports.has(k)) reports.set(k, { agency: r.agency, area: r.area, period: r.period, indicators: new Set() });
    reports.get(k)!.indicators.add(r.indicator);
  }
  // A large import spans many periods of the same agency and area: find their approvers once.
  const approvers = new Map<string, Recipient[]>();
  const finder = recipientFinder(trx);
  let told = 0;
  for (const r of reports.values()) {
    const k = `${r.agency}|${r.area}`;
    if (!approvers.has(k))
      approvers.set(k, await finder.find({ roles: ["approver"], agency: r.agency, area: r.area, exclude: submittedBy }));
    told += await figuresSubmitted(trx, { ...r, indicators: [...r.indicators], batchId, submittedBy }, approvers.get(k));
  }
  return told;
}

/** The office's decision on a progress report (accepted, extension granted, returned): the person who reported it is told. */
export async function progressReviewed(
  trx: Executor,
  review: { id: string; taskCode: string; agency: string; reportedBy: string; what: string; returned: boolean },
) {
  const task = await taskFacts(trx, review.taskCode);
  const people = await recipientsByIds(trx, [review.reportedBy]);
  return notify(trx, people, {
    kind: review.returned ? "progress_returned" : "progress_accepted",
    message: `Nhiệm vụ ${task.code}: ${review.what}`,
    subject: `[Điều hành] ${review.returned ? "Báo cáo bị trả lại" : "Báo cáo đã được xem xét"}: nhiệm vụ ${task.code}`,
    body: `Văn phòng đã xem xét báo cáo của anh/chị về nhiệm vụ ${task.code} — ${task.name}:\n${review.what}`,
    link: taskLink(task.code),
    taskCode: task.code,
    agency: review.agency,
    key: `progress-review|${review.id}`,
  });
}
