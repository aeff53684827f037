import { z } from "zod";

/** An agency as a document names it, with today's agency after the 2025 mergers (response schema). */
export const AgencyLinkSchema = z.object({
  code: z.string(),
  name: z.string(),
  asWritten: z.string().describe("Tên cơ quan như văn bản ghi"),
  dissolvedOn: z.string().nullable(),
  current: z.object({ code: z.string(), name: z.string() }).describe("Cơ quan hiện nay (sau hợp nhất năm 2025)"),
});
