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
 * One finder reads the users, the agencies and each area subtree once, however many events it routes.
 */
export function recipientFinder(db: Executor) {
  const scope = scopeChecker(db);
  let users: Promise<
    {
      id: string;
      email: string | null;
      display_name: string;
      role: Role;
      scope_agencies: string[] | null;
      scope_area_id: string | null;
    }[]
  > | null = null;
  let agencies: Promise<AgencyRow[]> | null = null;
  const reachCache = new Map<string, Set<string>>();
  const allUsers = () =>
    (users ??= db
      .selectFrom("users")
      .select(["id", "email", "display_name", "role", "scope_agencies", "scope_area_id"])
      .where("disabled_at", "is", null)
      .execute());
  const allAgencies = () => (agencies ??= agencyRepository(db).all());
  /** The agencies a scope entry reaches: itself and those merged into it. */
  const reach = async (code: string) => {
    let r = reachCache.get(code);
    if (!r) reachCache.set(code, (r = new Set(withPredecessors(code, await allAgencies()))));
    return r;
  };

  return {
    async find(rule: {
      roles: readonly Role[];
      agency?: string | null;
      area?: string | null;
      exclude?: string | null;
    }): Promise<Recipient[]> {
      const candidates = (await allUsers()).filter((u) => rule.roles.includes(u.role) && u.id !== rule.exclude);
      let target: string | null = null;
      if (rule.agency) {
        const all = await allAgencies();
        target = currentAgency(rule.agency, new Map(all.map((a) => [a.code, a])))?.code ?? rule.agency;
      }
      const result: Recipient[] = [];
      for (const u of candidates) {
        // A scope naming the successor also reaches its predecessors; one naming only a dissolved agency does not
        // reach its successor (that account has not been moved yet).
        if (target && u.scope_agencies !== null) {
          let covered = false;
          for (const code of u.scope_agencies) if ((await reach(code)).has(target)) covered = true;
          if (!covered) continue;
        }
        if (rule.area !== undefined && u.scope_area_id !== null) {
          if (!rule.area || !(await scope.subtree(u.scope_area_id)).has(rule.area)) continue;
        }
        result.push({ id: u.id, email: u.email, displayName: u.display_name });
      }
      return result;
    },

    /**
     * The area a task belongs to: its document's area (carried across the 2025 merges), else the province of its
     * lead agency as it is today, else the whole country.
     */
    async taskArea(taskCode: string): Promise<string> {
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
        const byCode = new Map((await allAgencies()).map((a) => [a.code, a]));
        area = leads.map((l) => currentAgency(l.agency_code, byCode)?.province_code).find((p): p is string => !!p) ?? "VN";
      }
      const merged = await db.selectFrom("area_merges").select("new_area_id").where("old_area_id", "=", area).executeTakeFirst();
      return merged?.new_area_id ?? area;
    },
  };
}

export const findRecipients = (db: Executor, rule: Parameters<ReturnType<typeof recipientFinder>["find"]>[0]) =>
  recipientFinder(db).find(rule);

export const taskArea = (db: Executor, taskCode: string) => recipientFinder(db).taskArea(taskCode);

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
