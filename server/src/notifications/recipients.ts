import type { Role } from "@dieuhanh/core";
import { agencyRepository, type AgencyRow } from "../agencies/repository";
import { currentAgency, withPredecessors } from "../agencies/succession";
import { scopeChecker } from "../auth/scope";
import type { Executor } from "../db/bulk";

export interface Recipient {
  id: string;
  email: string | null;
  displayName: string;
}

/**
 * Who must act: active users of some roles whose scope reaches an agency (the one carrying its functions
 * today, after the 2025 mergers) and an area. A user scoped to a province never hears of another's work.
 */
export async function findRecipients(
  db: Executor,
  rule: { roles: readonly Role[]; agency?: string | null; area?: string | null; exclude?: string | null },
): Promise<Recipient[]> {
  const users = await db
    .selectFrom("users")
    .select(["id", "email", "display_name", "scope_agencies", "scope_area_id"])
    .where("role", "in", [...rule.roles])
    .where("disabled_at", "is", null)
    .execute();
  if (users.length === 0) return [];
  const scope = scopeChecker(db);
  let reaches: ((u: (typeof users)[number]) => boolean) | null = null;
  if (rule.agency) {
    const all = await agencyRepository(db).all();
    const target = currentAgency(rule.agency, new Map(all.map((a) => [a.code, a])))?.code ?? rule.agency;
    // A scope naming the successor also reaches its predecessors; a scope naming only a dissolved agency does not
    // reach its successor (that account has not been moved yet).
    reaches = (u) => u.scope_agencies === null || u.scope_agencies.some((code) => withPredecessors(code, all).includes(target));
  }
  const result: Recipient[] = [];
  for (const u of users) {
    if (u.id === rule.exclude) continue;
    if (reaches && !reaches(u)) continue;
    if (rule.area !== undefined && u.scope_area_id !== null) {
      if (!rule.area || !(await scope.subtree(u.scope_area_id)).has(rule.area)) continue;
    }
    result.push({ id: u.id, email: u.email, displayName: u.display_name });
  }
  return result;
}

export async function recipientsByIds(db: Executor, ids: readonly string[]): Promise<Recipient[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom("users")
    .select(["id", "email", "display_name"])
    .where("id", "in", [...ids])
    .where("disabled_at", "is", null)
    .execute();
  return rows.map((u) => ({ id: u.id, email: u.email, displayName: u.display_name }));
}

/**
 * The area a task belongs to: its document's area (carried across the 2025 merges), else the province of its
 * lead agency as it is today, else the whole country.
 */
export async function taskArea(db: Executor, taskCode: string): Promise<string> {
  const task = await db
    .selectFrom("tasks as t")
    .leftJoin("documents as d", "d.id", "t.document_id")
    .select(["d.area_id"])
    .where("t.code", "=", taskCode)
    .executeTakeFirst();
  let area = task?.area_id ?? null;
  if (!area) {
    const leads = await db
      .selectFrom("task_agencies")
      .select("agency_code")
      .where("task_code", "=", taskCode)
      .where("role", "=", "lead")
      .execute();
    const all = await agencyRepository(db).all();
    const byCode = new Map(all.map((a) => [a.code, a]));
    area = leads.map((l) => currentAgency(l.agency_code, byCode)?.province_code).find((p): p is string => !!p) ?? "VN";
  }
  const merged = await db.selectFrom("area_merges").select("new_area_id").where("old_area_id", "=", area).executeTakeFirst();
  return merged?.new_area_id ?? area;
}

/** The province an agency serves today (after succession), if it is a provincial one. */
export function agencyProvince(code: string, byCode: Map<string, AgencyRow>): string | null {
  return currentAgency(code, byCode)?.province_code ?? null;
}
