import type { Kysely } from "kysely";
import { recordAudit } from "../audit/service";
import type { RequestContext } from "../auth/principal";
import { servedArea } from "../catalogue/repository";
import type { Executor } from "../db/bulk";
import type { Schema } from "../db/schema";
import { ConflictError, InvalidInputError } from "../errors";

/**
 * The install profile (hồ sơ triển khai): whom this install serves — the Government Office, a ministry or
 * a province — and so which catalogue, area and tiles every page opens with. Set at first start from the
 * environment (INSTALL_PROFILE=province:92, or INSTALL_KIND / INSTALL_AREA / INSTALL_CATALOGUE /
 * INSTALL_AGENCY / INSTALL_NAME / INSTALL_TILES); default: the Government Office, national catalogue.
 * An administrator edits it afterwards (validated, audited). docs/decisions/0009.
 */
export const profileKinds = ["government_office", "ministry", "province"] as const;
export type ProfileKind = (typeof profileKinds)[number];

export const profileKindLabels: Record<ProfileKind, string> = {
  government_office: "Văn phòng Chính phủ",
  ministry: "Bộ, cơ quan ngang bộ",
  province: "Tỉnh, thành phố",
};

export const NATIONAL_CATALOGUE = "qd1012";

/** What the Prime Minister's office watches first: prices, budget, investment, firms, FDI, retail, tourism, traffic. */
export const NATIONAL_TILES = [
  "QG.A.I.1",
  "QG.A.II.1",
  "QG.A.II.3",
  "QG.A.IV.1",
  "QG.A.IV.6",
  "QG.A.IX.1",
  "QG.A.IX.3",
  "QG.A.XI.4",
];

export interface ProfileInput {
  kind: ProfileKind;
  name?: string | null;
  catalogueId?: string | null;
  areaId?: string | null;
  agencyCode?: string | null;
  defaultTiles?: string[] | null;
}

export interface InstallProfile {
  kind: ProfileKind;
  kindLabel: string;
  name: string;
  catalogue: { id: string; name: string; codePrefix: string };
  area: { id: string; name: string; level: string };
  agency: { code: string; name: string } | null;
  defaultTiles: string[];
  version: number;
  updatedAt: string | null;
  /** false until first start (or an administrator) stored it: the defaults are shown. */
  stored: boolean;
}

/** Reads the first-start settings; throws a Vietnamese message naming the variable when they are malformed. */
export function profileFromEnv(env: NodeJS.ProcessEnv): ProfileInput {
  let kind = env.INSTALL_KIND?.trim() || undefined;
  let area = env.INSTALL_AREA?.trim() || undefined;
  let agency = env.INSTALL_AGENCY?.trim() || undefined;
  const compact = env.INSTALL_PROFILE?.trim();
  if (compact) {
    const [k, arg] = compact.split(":", 2).map((s) => s.trim());
    kind = k;
    if (k === "province") area = arg || area;
    if (k === "ministry") agency = arg || agency;
  }
  kind ??= "government_office";
  if (!(profileKinds as readonly string[]).includes(kind))
    throw new InvalidInputError(
      `INSTALL_PROFILE/INSTALL_KIND '${kind}' không hợp lệ: dùng government_office, ministry:<mã bộ> hoặc province:<mã tỉnh>`,
      "kind",
    );
  return {
    kind: kind as ProfileKind,
    areaId: area ?? null,
    agencyCode: agency ?? null,
    catalogueId: env.INSTALL_CATALOGUE?.trim() || null,
    name: env.INSTALL_NAME?.trim() || null,
    defaultTiles: env.INSTALL_TILES
      ? env.INSTALL_TILES.split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : null,
  };
}

export function profileService(db: Kysely<Schema>) {
  /** Fills what the input leaves out and checks every field against the reference data. */
  async function resolve(trx: Executor, input: ProfileInput) {
    const kind = input.kind;
    const areaId = input.areaId?.trim() || "VN";
    const area = await trx
      .selectFrom("areas")
      .select(["id", "name", "full_name", "level", "valid_to"])
      .where("id", "=", areaId)
      .executeTakeFirst();
    if (!area || area.valid_to !== null) throw new InvalidInputError(`Không có địa bàn hiện hành ${areaId}`, "areaId");
    if (kind === "province" && area.level !== "province")
      throw new InvalidInputError(`Hồ sơ tỉnh cần địa bàn là một tỉnh, thành phố (không phải ${area.name})`, "areaId");
    if (kind !== "province" && area.id !== "VN")
      throw new InvalidInputError(`${profileKindLabels[kind]} phục vụ cả nước: địa bàn phải là VN`, "areaId");

    let agency: { code: string; name: string } | null = null;
    if (kind === "ministry") {
      const code = input.agencyCode?.trim();
      if (!code) throw new InvalidInputError("Hồ sơ bộ cần mã cơ quan (agencyCode)", "agencyCode");
      const a = await trx
        .selectFrom("agencies")
        .select(["code", "name", "level", "dissolved_on"])
        .where("code", "=", code)
        .executeTakeFirst();
      if (!a) throw new InvalidInputError(`Không có cơ quan ${code}`, "agencyCode");
      if (a.dissolved_on) throw new InvalidInputError(`Cơ quan ${a.name} đã giải thể hoặc hợp nhất`, "agencyCode");
      if (a.level !== "central") throw new InvalidInputError(`${a.name} không phải bộ, cơ quan trung ương`, "agencyCode");
      agency = { code: a.code, name: a.name };
    } else if (input.agencyCode) {
      throw new InvalidInputError("Chỉ hồ sơ bộ mới có cơ quan", "agencyCode");
    }

    // A province's own catalogue when it has one (Cần Thơ's 104 rows), else the national one.
    const catalogues = await trx
      .selectFrom("catalogues as c")
      .leftJoin("area_merges as m", "m.old_area_id", "c.issuing_area_id")
      .select(["c.id", "c.name", "c.code_prefix", "c.issuing_area_id", "m.new_area_id"])
      .orderBy("c.id")
      .execute();
    const serves = (c: (typeof catalogues)[number]) => servedArea(c);
    const catalogueId =
      input.catalogueId?.trim() ||
      (kind === "province" ? catalogues.find((c) => serves(c) === area.id)?.id : undefined) ||
      NATIONAL_CATALOGUE;
    const catalogue = catalogues.find((c) => c.id === catalogueId);
    if (!catalogue) throw new InvalidInputError(`Không có bộ chỉ số ${catalogueId}`, "catalogueId");
    if (serves(catalogue) !== "VN" && serves(catalogue) !== area.id)
      throw new InvalidInputError(
        `Bộ chỉ số ${catalogue.id} là của địa bàn ${serves(catalogue)}, không phải ${area.name}`,
        "catalogueId",
      );

    const name =
      input.name?.trim() ||
      (kind === "province"
        ? `Ủy ban nhân dân ${area.full_name.charAt(0).toLocaleLowerCase("vi") + area.full_name.slice(1)}`
        : kind === "ministry"
          ? agency!.name
          : "Văn phòng Chính phủ");
    if (name.length > 200) throw new InvalidInputError("Tên đơn vị dài quá 200 ký tự", "name");

    let tiles = input.defaultTiles?.map((t) => t.trim()).filter(Boolean) ?? null;
    if (tiles) {
      if (tiles.length === 0 || tiles.length > 24)
        throw new InvalidInputError("Chọn từ 1 đến 24 chỉ số mặc định", "defaultTiles");
      const dup = tiles.find((t, i) => tiles!.indexOf(t) !== i);
      if (dup) throw new InvalidInputError(`Chỉ số ${dup} lặp lại`, "defaultTiles");
      const found = await trx
        .selectFrom("indicators")
        .select(["code", "kind", "value_type"])
        .where("code", "in", tiles)
        .execute();
      for (const [k, t] of tiles.entries()) {
        const f = found.find((x) => x.code === t);
        if (!f) throw new InvalidInputError(`Chỉ số mặc định thứ ${k + 1}: không có chỉ số ${t}`, "defaultTiles");
        if (f.kind === "heading" || f.value_type !== "number")
          throw new InvalidInputError(`Chỉ số mặc định thứ ${k + 1} (${t}) không có số liệu dạng số`, "defaultTiles");
      }
    } else {
      tiles = await defaultTilesFor(trx, catalogue.id);
    }
    return {
      row: {
        kind,
        name,
        catalogue_id: catalogue.id,
        area_id: area.id,
        agency_code: agency?.code ?? null,
        default_tiles: tiles,
      },
      present: (version: number, updatedAt: Date | null, stored: boolean): InstallProfile => ({
        kind,
        kindLabel: profileKindLabels[kind],
        name,
        catalogue: { id: catalogue.id, name: catalogue.name, codePrefix: catalogue.code_prefix },
        area: { id: area.id, name: area.name, level: area.level },
        agency,
        defaultTiles: tiles!,
        version,
        updatedAt: updatedAt ? new Date(updatedAt).toISOString() : null,
        stored,
      }),
    };
  }

  const stored = (trx: Executor) => trx.selectFrom("install_profile").selectAll().where("id", "=", 1).executeTakeFirst();
  const inputOf = (r: NonNullable<Awaited<ReturnType<typeof stored>>>): ProfileInput => ({
    kind: r.kind,
    name: r.name,
    catalogueId: r.catalogue_id,
    areaId: r.area_id,
    agencyCode: r.agency_code,
    defaultTiles: (typeof r.default_tiles === "string" ? JSON.parse(r.default_tiles) : r.default_tiles) as string[],
  });

  /** Reads with `exec`: inside a transaction, its own connection (PGlite has only one). */
  async function read(exec: Executor): Promise<InstallProfile> {
    const row = await stored(exec);
    if (row) {
      try {
        return (await resolve(exec, inputOf(row))).present(row.version, row.updated_at, true);
      } catch {
        // The reference data changed under it (a catalogue reloaded without its row): defaults for its kind
        // and area, else the Government Office's, until an administrator fixes it.
        try {
          return (await resolve(exec, { kind: row.kind, areaId: row.area_id })).present(row.version, row.updated_at, true);
        } catch {
          return (await resolve(exec, { kind: "government_office" })).present(row.version, row.updated_at, true);
        }
      }
    }
    return (await resolve(exec, { kind: "government_office" })).present(0, null, false);
  }

  return {
    /** The stored profile, or the Government Office's until one is stored. */
    get: () => read(db),

    /** First start: stores the profile the environment names, unless one is stored already. */
    async ensure(input: ProfileInput): Promise<{ created: boolean; profile: InstallProfile }> {
      // Read outside the transaction: inside it, `db` waits for the connection the transaction holds
      // (PGlite has one), so a second start never came up.
      if (await stored(db)) return { created: false, profile: await read(db) };
      return db.transaction().execute(async (trx) => {
        if (await stored(trx)) return { created: false, profile: await read(trx) };
        const r = await resolve(trx, input);
        await trx
          .insertInto("install_profile")
          .values({ ...r.row, id: 1, default_tiles: JSON.stringify(r.row.default_tiles) })
          .execute();
        const profile = r.present(1, new Date(), true);
        await recordAudit(
          trx,
          { principal: null, ip: null, userAgent: "first-start" },
          { action: "install_profile.create", entityType: "install_profile", entityId: "1", after: r.row },
        );
        return { created: true, profile };
      });
    },

    /** An administrator's change; `version` guards against overwriting someone else's. */
    async update(ctx: RequestContext, input: ProfileInput & { version: number }): Promise<InstallProfile> {
      await db.transaction().execute(async (trx) => {
        const before = await stored(trx);
        const current = before?.version ?? 0;
        if (input.version !== current) throw new ConflictError("Hồ sơ vừa được người khác sửa; tải lại rồi sửa", "version");
        const r = await resolve(trx, input);
        const values = { ...r.row, default_tiles: JSON.stringify(r.row.default_tiles) };
        if (before) {
          await trx
            .updateTable("install_profile")
            .set({ ...values, version: current + 1, updated_by: ctx.principal?.userId ?? null, updated_at: new Date() })
            .where("id", "=", 1)
            .execute();
        } else {
          await trx
            .insertInto("install_profile")
            .values({ ...values, id: 1, updated_by: ctx.principal?.userId ?? null })
            .execute();
        }
        await recordAudit(trx, ctx, {
          action: "install_profile.update",
          entityType: "install_profile",
          entityId: "1",
          before: before ? inputOf(before) : null,
          after: r.row,
        });
      });
      return read(db);
    },
  };
}

/**
 * The tiles a catalogue opens with: the national ones, or, for a province's catalogue, its rows that
 * implement them (Cần Thơ's CPI, budget revenue, … in place of the national codes), in the same order.
 */
export async function defaultTilesFor(db: Executor, catalogueId: string): Promise<string[]> {
  if (catalogueId === NATIONAL_CATALOGUE) return [...NATIONAL_TILES];
  const rows = await db
    .selectFrom("indicators")
    .select(["code", "national_code", "kind", "value_type"])
    .where("catalogue_id", "=", catalogueId)
    .where("national_code", "in", NATIONAL_TILES)
    .orderBy("seq")
    .execute();
  const tiles = NATIONAL_TILES.map(
    (n) => rows.find((r) => r.national_code === n && r.kind !== "heading" && r.value_type === "number")?.code,
  ).filter((c): c is string => !!c);
  if (tiles.length) return tiles;
  // A catalogue with no link to the national tiles: its first figures.
  const first = await db
    .selectFrom("indicators")
    .select("code")
    .where("catalogue_id", "=", catalogueId)
    .where("kind", "!=", "heading")
    .where("value_type", "=", "number")
    .where("unit", "is not", null)
    .orderBy("seq")
    .limit(8)
    .execute();
  return first.map((r) => r.code);
}
