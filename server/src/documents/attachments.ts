import { createHash, randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { Executor } from "../db/bulk";
import { InvalidInputError } from "../errors";

/**
 * Files attached to documents and reports. What a file is comes from its first bytes, not from its name
 * or the type the browser claims: a ".pdf" that is not a PDF is refused.
 */
const kinds: { ext: string[]; type: string; magic: (b: Buffer) => boolean; label: string }[] = [
  { ext: ["pdf"], type: "application/pdf", magic: (b) => b.subarray(0, 5).toString("latin1") === "%PDF-", label: "PDF" },
  {
    ext: ["docx"],
    type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    magic: (b) => b[0] === 0x50 && b[1] === 0x4b && b.includes(Buffer.from("word/")),
    label: "Word (.docx)",
  },
  {
    ext: ["xlsx"],
    type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    magic: (b) => b[0] === 0x50 && b[1] === 0x4b && b.includes(Buffer.from("xl/")),
    label: "Excel (.xlsx)",
  },
  {
    ext: ["png"],
    type: "image/png",
    magic: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
    label: "PNG",
  },
  { ext: ["jpg", "jpeg"], type: "image/jpeg", magic: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff, label: "JPEG" },
];

export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;

export function checkFile(fileName: string, content: Buffer): { contentType: string } {
  const ext = fileName.toLowerCase().split(".").pop() ?? "";
  const kind = kinds.find((k) => k.ext.includes(ext));
  if (!kind)
    throw new InvalidInputError(
      `Chỉ nhận tệp ${kinds.map((k) => k.ext.join("/")).join(", ")}; '${fileName}' không thuộc loại nào`,
      "file",
    );
  if (content.length === 0) throw new InvalidInputError("Tệp rỗng", "file");
  if (content.length > MAX_ATTACHMENT_BYTES) throw new InvalidInputError("Tệp lớn hơn 20 MB", "file");
  if (!kind.magic(content))
    throw new InvalidInputError(`Nội dung tệp '${fileName}' không phải ${kind.label}: tệp hỏng hoặc sai phần mở rộng`, "file");
  return { contentType: kind.type };
}

export function attachmentRepository(db: Executor) {
  return {
    async save(fileName: string, content: Buffer, userId: string | null) {
      const { contentType } = checkFile(fileName, content);
      const row = {
        id: randomUUID(),
        // eslint-disable-next-line no-control-regex -- path separators and control characters out of stored names
        file_name: fileName.replace(/[\\/\u0000-\u001f]/g, "_").slice(0, 200),
        content_type: contentType,
        size_bytes: content.length,
        sha256: createHash("sha256").update(content).digest("hex"),
        content,
        uploaded_by: userId,
      };
      await db.insertInto("attachments").values(row).execute();
      return { id: row.id, fileName: row.file_name, contentType, sizeBytes: row.size_bytes, sha256: row.sha256 };
    },

    async get(id: string) {
      return db.selectFrom("attachments").selectAll().where("id", "=", id).executeTakeFirst();
    },

    /** Where a file is used: the documents it is attached to and the agencies of the tasks whose reports carry it. */
    async usage(id: string) {
      const documents = await db.selectFrom("documents").select("area_id").where("attachment_id", "=", id).execute();
      const reports = await db
        .selectFrom("task_reports as r")
        .select(["r.task_code", "r.agency_code"])
        .where(sql<boolean>`${id}::uuid = ANY(r.attachment_ids)`)
        .execute();
      const taskCodes = [...new Set(reports.map((r) => r.task_code))];
      const inCharge = taskCodes.length
        ? await db.selectFrom("task_agencies").select("agency_code").where("task_code", "in", taskCodes).execute()
        : [];
      return {
        documentAreas: documents.map((d) => d.area_id),
        taskAgencies: [...new Set([...reports.map((r) => r.agency_code), ...inCharge.map((l) => l.agency_code)])],
      };
    },

    async exist(ids: string[]): Promise<boolean> {
      if (ids.length === 0) return true;
      const found = await db.selectFrom("attachments").select("id").where("id", "in", ids).execute();
      return found.length === new Set(ids).size;
    },
  };
}
