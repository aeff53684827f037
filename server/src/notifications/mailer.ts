import nodemailer from "nodemailer";
import type { Executor } from "../db/bulk";

/** Something that delivers one e-mail; nodemailer over SMTP in the product. */
export interface MailTransport {
  name: string;
  send(mail: { from: string; to: string; subject: string; text: string }): Promise<void>;
}

/** SMTP through nodemailer, e.g. `smtp://user:pass@mail.example.gov.vn:587` (or smtps:// for TLS from the start). */
export function smtpTransport(smtpUrl: string): MailTransport & { close(): void } {
  const transporter = nodemailer.createTransport(smtpUrl);
  return {
    name: "smtp",
    async send(mail) {
      await transporter.sendMail(mail);
    },
    close: () => transporter.close(),
  };
}

/** How long a claimed message is held by the sender that claimed it. */
const LEASE_MS = 5 * 60_000;

/** Waits before the next attempt: 1, 2, 4 … minutes, at most an hour. */
export const retryDelayMs = (attempts: number) => Math.min(60, 2 ** Math.max(0, attempts - 1)) * 60_000;

/**
 * Delivers what the outbox holds and is due, oldest first. A message is marked sent right after the SMTP server
 * accepted it; a failure records the error and schedules a retry, so nothing is lost while the server is down.
 * Runs one at a time (the caller's loop), so a message is never handed to SMTP twice by this process.
 */
export async function deliverOutbox(
  db: Executor,
  transport: MailTransport,
  options: { from: string; now?: Date; limit?: number },
): Promise<{ sent: number; failed: number }> {
  const now = options.now ?? new Date();
  // Claim the due messages with a lease (skipping any another server holds): a second instance never sends the
  // same message at the same time, and one that died mid-send lets its messages go again when the lease ends.
  const due = await db
    .updateTable("outbound_messages")
    .set({ next_attempt_at: new Date(now.getTime() + LEASE_MS) })
    .where(
      "id",
      "in",
      db
        .selectFrom("outbound_messages")
        .select("id")
        .where("sent_at", "is", null)
        .where("recipient", "is not", null)
        .where("next_attempt_at", "<=", now)
        .orderBy("id")
        .limit(options.limit ?? 100)
        .forUpdate()
        .skipLocked(),
    )
    .returning(["id", "recipient", "subject", "body", "attempts"])
    .execute();
  due.sort((a, b) => Number(a.id) - Number(b.id));
  let sent = 0;
  let failed = 0;
  for (const m of due) {
    try {
      await transport.send({ from: options.from, to: m.recipient!, subject: m.subject, text: m.body });
      await db
        .updateTable("outbound_messages")
        .set({ sent_at: new Date(), sender: transport.name, attempts: m.attempts + 1, last_error: null })
        .where("id", "=", m.id)
        .execute();
      sent++;
    } catch (e) {
      const attempts = m.attempts + 1;
      await db
        .updateTable("outbound_messages")
        .set({
          attempts,
          last_error: (e instanceof Error ? e.message : String(e)).slice(0, 1000),
          next_attempt_at: new Date(now.getTime() + retryDelayMs(attempts)),
        })
        .where("id", "=", m.id)
        .execute();
      failed++;
    }
  }
  return { sent, failed };
}

/**
 * The sender loop of a running server: delivers the outbox every `intervalMs`. Without SMTP_URL the messages
 * stay in the outbox (visible to the administrator) and are sent once SMTP is configured.
 */
export function startMailer(
  db: Executor,
  settings: { smtpUrl: string; from: string; intervalMs?: number; log?: (line: string) => void },
) {
  const transport = smtpTransport(settings.smtpUrl);
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const r = await deliverOutbox(db, transport, { from: settings.from });
      if (r.sent || r.failed) settings.log?.(`thư điện tử: gửi ${r.sent}, lỗi ${r.failed} (sẽ thử lại)`);
    } catch (e) {
      settings.log?.(`thư điện tử: ${(e as Error).message}`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), settings.intervalMs ?? 30_000);
  timer.unref();
  void tick();
  return {
    tick,
    stop() {
      clearInterval(timer);
      transport.close();
    },
  };
}
