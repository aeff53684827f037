import { foldVietnamese } from "@dieuhanh/core";
import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { escapeLike } from "../areas/repository";
import { recordAudit } from "../audit/service";
import type { RequestContext } from "../auth/principal";
import { pageWithTotal } from "../db/paging";
import type { DocumentKind, Schema } from "../db/schema";
import { ForbiddenError, InvalidInputError, NotFoundError } from "../errors";
import { scopeChecker } from "../auth/scope";

export const documentKindLabels: Record<DocumentKind, string> = {
  decision: "Quyết định",
  plan: "Kế hoạch",
  resolution: "Nghị quyết",
  conclusion_notice: "Thông báo kết luận",
  official_letter: "Công văn",
  directive: "Chỉ thị",
  other: "Văn bản khác",
};

/** The kind of a document from its number's symbol: 1012/QĐ-TTg → decision, 256/KH-UBND → plan. */
export function documentKindOf(number: string | null, title: string): DocumentKind {
  const symbol = foldVietnamese(number ?? "").toUpperCase();
  if (/\/QD-/.test(symbol)) return "decision";
  if (/\/KH-/.test(symbol)) return "plan";
  if (/\/NQ-/.test(symbol)) return "resolution";
  if (/\/TB-/.test(symbol)) return "conclusion_notice";
  if (/\/CT-/.test(symbol)) return "directive";
  if (/^\d+\/[A-Z]/.test(symbol)) return "official_letter";
  const t = foldVietnamese(title);
  if (t.startsWith("ke hoach")) return "plan";
  if (t.startsWith("quyet dinh")) return "decision";
  return "other";
}

export function documentService(db: Kysely<Schema>) {
  const present = (d: {
    id: string;
    kind: DocumentKind;
    number: string | null;
    issued_on: string | null;
    issuer: string;
    title: string;
    area_id: string | null;
    attachment_id: string | null;
    origin: "seed" | "manual";
  }) => ({
    id: d.id,
    kind: d.kind,
    kindLabel: documentKindLabels[d.kind],
    number: d.number,
    issuedOn: d.issued_on ? String(d.issued_on).slice(0, 10) : null,
    issuer: d.issuer,
    title: d.title,
    areaId: d.area_id,
    attachmentId: d.attachment_id,
    origin: d.origin,
  });

  return {
    async list(q: { kind?: DocumentKind; q?: string; limit: number; offset: number }) {
      let query = db.selectFrom("documents");
      if (q.kind) query = query.where("kind", "=", q.kind);
      if (q.q) query = query.where("search_text", "like", `%${escapeLike(foldVietnamese(q.q))}%`);
      const { items, total } = await pageWithTotal(query, (x) =>
        x.selectAll().orderBy("issued_on", "desc").orderBy("id").limit(q.limit).offset(q.offset),
      );
      const counts = items.length
        ? await db
            .selectFrom("tasks")
            .select(["document_id", (eb) => eb.fn.countAll<number>().as("n")])
            .where(
              "document_id",
              "in",
              items.map((d) => d.id),
            )
            .groupBy("document_id")
            .execute()
        : [];
      return {
        items: items.map((d) => ({ ...present(d), taskCount: Number(counts.find((c) => c.document_id === d.id)?.n ?? 0) })),
        total,
      };
    },

    async get(id: string) {
      const d = await db.selectFrom("documents").selectAll().where("id", "=", id).executeTakeFirst();
      if (!d) throw new NotFoundError(`Không có văn bản '${id}'`);
      const count = await db
        .selectFrom("tasks")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("document_id", "=", id)
        .executeTakeFirstOrThrow();
      return { ...present(d), taskCount: Number(count.n) };
    },

    async create(
      ctx: RequestContext,
      input: {
        kind: DocumentKind;
        number: string | null;
        issuedOn: string | null;
        issuer: string;
        title: string;
        areaId: string | null;
        attachmentId: string | null;
      },
    ) {
      if (input.issuedOn && input.issuedOn > new Date().toISOString().slice(0, 10))
        throw new InvalidInputError("Ngày ban hành không thể ở tương lai", "issuedOn");
      if (input.number) {
        const same = await db
          .selectFrom("documents")
          .select("id")
          .where("number", "=", input.number)
          .where("issuer", "=", input.issuer)
          .executeTakeFirst();
        if (same) throw new InvalidInputError(`Văn bản số ${input.number} của ${input.issuer} đã có (mã ${same.id})`, "number");
      }
      if (input.areaId && !(await db.selectFrom("areas").select("id").where("id", "=", input.areaId).executeTakeFirst()))
        throw new InvalidInputError(`Không có địa bàn mã '${input.areaId}'`, "areaId");
      // A province's office records its own province's documents: the area defaults to its scope and stays within it.
      const scopeArea = ctx.principal?.scope.areaId ?? null;
      if (scopeArea) {
        input = { ...input, areaId: input.areaId ?? scopeArea };
        if (!(await scopeChecker(db).coversArea(ctx.principal!, input.areaId!)))
          throw new ForbiddenError(`Địa bàn '${input.areaId}' của văn bản ngoài phạm vi được giao của bạn`);
      }
      if (
        input.attachmentId &&
        !(await db.selectFrom("attachments").select("id").where("id", "=", input.attachmentId).executeTakeFirst())
      )
        throw new InvalidInputError("Tệp đính kèm không tồn tại", "attachmentId");
      const row = {
        id: randomUUID(),
        kind: input.kind,
        number: input.number,
        issued_on: input.issuedOn,
        issuer: input.issuer,
        title: input.title,
        area_id: input.areaId,
        attachment_id: input.attachmentId,
        origin: "manual" as const,
        created_by: ctx.principal?.userId ?? null,
        search_text: foldVietnamese([input.number, input.issuer, input.title].filter(Boolean).join(" ")),
      };
      return db.transaction().execute(async (trx) => {
        await trx.insertInto("documents").values(row).execute();
        await recordAudit(trx, ctx, { action: "document.create", entityType: "document", entityId: row.id, after: input });
        return present({ ...row, origin: "manual" });
      });
    },
  };
}
