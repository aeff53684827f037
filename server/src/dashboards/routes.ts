import { randomUUID } from "node:crypto";
import { hasPermission, roles } from "@dieuhanh/core";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { requestContext } from "../auth/access";
import { recordAudit } from "../audit/service";
import type { Principal } from "../auth/principal";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, UnauthorizedError } from "../errors";
import type { RouteDeps } from "../http/deps";
import { errorResponses, ErrorBody, listOf } from "../http/schemas";

const Tile = z.object({
  indicator: z.string().min(1).max(60),
  area: z.string().max(20).nullable().default(null).describe("Địa bàn riêng của ô; mặc định địa bàn của bảng"),
  chart: z.enum(["tile", "line", "bar", "map"]).default("tile"),
  periods: z.number().int().min(3).max(60).default(12),
});
const Dashboard = z.object({
  id: z.string(),
  name: z.string(),
  ownerUserId: z.string().nullable(),
  forRole: z.enum(roles).nullable(),
  shared: z.boolean(),
  area: z.string(),
  tiles: z.array(Tile),
  version: z.number().int(),
  updatedAt: z.string(),
  canEdit: z.boolean(),
});
const Body = z.object({
  name: z.string().min(1).max(200),
  forRole: z.enum(roles).nullable().default(null).describe("Bảng dùng chung cho một vai trò (cần quyền quản lý danh mục)"),
  shared: z.boolean().default(false).describe("Ai đăng nhập có đường dẫn đều xem được (số liệu vẫn theo phạm vi của người xem)"),
  area: z.string().max(20).default("VN"),
  tiles: z.array(Tile).min(1).max(24),
});

type Row = {
  id: string;
  name: string;
  owner_user_id: string | null;
  for_role: string | null;
  shared: boolean;
  area_id: string;
  tiles: unknown;
  version: number;
  updated_at: Date;
};

/** Who may see a dashboard: its owner, the role it is for, anyone when shared; administrators always. */
const visible = (p: Principal, d: Row) => p.role === "admin" || d.owner_user_id === p.userId || d.for_role === p.role || d.shared;
const editable = (p: Principal, d: Row) =>
  p.role === "admin" || d.owner_user_id === p.userId || (d.for_role !== null && hasPermission(p.role, "catalogue.manage"));

export const dashboardRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database }) => {
  const db = database.db;
  const present = (p: Principal, d: Row) => ({
    id: d.id,
    name: d.name,
    ownerUserId: d.owner_user_id,
    forRole: d.for_role as (typeof roles)[number] | null,
    shared: d.shared,
    area: d.area_id,
    tiles: z.array(Tile).parse(typeof d.tiles === "string" ? JSON.parse(d.tiles) : d.tiles),
    version: d.version,
    updatedAt: new Date(d.updated_at).toISOString(),
    canEdit: editable(p, d),
  });
  const principalOf = (request: Parameters<typeof requestContext>[0]) => {
    const p = requestContext(request).principal;
    if (!p?.userId) throw new UnauthorizedError();
    return p;
  };
  async function check(body: z.infer<typeof Body>, p: Principal) {
    if (body.forRole && !hasPermission(p.role, "catalogue.manage"))
      throw new ForbiddenError("Chỉ chuyên viên quản lý mới lưu bảng cho một vai trò");
    const codes = [...new Set(body.tiles.map((t) => t.indicator))];
    const found = await db.selectFrom("indicators").select("code").where("code", "in", codes).execute();
    const missing = codes.filter((c) => !found.some((f) => f.code === c));
    if (missing.length) throw new InvalidInputError(`Không có chỉ số ${missing.join(", ")}`, "tiles");
    const areas = [...new Set([body.area, ...body.tiles.map((t) => t.area).filter((a): a is string => !!a)])];
    const foundAreas = await db.selectFrom("areas").select("id").where("id", "in", areas).execute();
    const unknown = areas.filter((a) => !foundAreas.some((f) => f.id === a));
    if (unknown.length) throw new InvalidInputError(`Không có địa bàn ${unknown.join(", ")}`, "area");
  }
  const get = async (id: string) =>
    (await db.selectFrom("dashboards").selectAll().where("id", "=", id).executeTakeFirst()) as Row | undefined;

  app.get(
    "/api/dashboards",
    {
      config: { access: { permission: "account.self" } },
      schema: {
        tags: ["analytics"],
        summary: "Bảng điều khiển của tôi, của vai trò tôi, và được chia sẻ",
        response: { 200: listOf(Dashboard), ...errorResponses },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const rows = (await db.selectFrom("dashboards").selectAll().orderBy("name").execute()) as Row[];
      const items = rows
        .filter((d) => d.owner_user_id === p.userId || d.for_role === p.role || (p.role === "admin" && d.for_role !== null))
        .map((d) => present(p, d));
      return { items, total: items.length };
    },
  );

  app.get(
    "/api/dashboards/:id",
    {
      config: { access: { permission: "account.self" } },
      schema: {
        tags: ["analytics"],
        summary: "Một bảng điều khiển (mở bằng đường dẫn chia sẻ)",
        params: z.object({ id: z.uuid() }),
        response: { 200: Dashboard, ...errorResponses, 403: ErrorBody },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const d = await get(request.params.id);
      if (!d) throw new NotFoundError("Không có bảng điều khiển này");
      if (!visible(p, d)) throw new ForbiddenError("Bảng điều khiển này không được chia sẻ với bạn");
      return present(p, d);
    },
  );

  app.post(
    "/api/dashboards",
    {
      config: { access: { permission: "account.self" } },
      schema: {
        tags: ["analytics"],
        summary: "Lưu bảng điều khiển mới (cho mình, hoặc cho một vai trò)",
        body: Body,
        response: { 200: Dashboard, ...errorResponses, 403: ErrorBody },
      },
    },
    async (request) => {
      const p = principalOf(request);
      await check(request.body, p);
      const row = {
        id: randomUUID(),
        name: request.body.name.trim(),
        owner_user_id: p.userId,
        for_role: request.body.forRole,
        shared: request.body.shared,
        area_id: request.body.area,
        tiles: JSON.stringify(request.body.tiles),
      };
      await db.insertInto("dashboards").values(row).execute();
      await recordAudit(db, requestContext(request), {
        action: "dashboard.create",
        entityType: "dashboard",
        entityId: row.id,
        after: request.body,
      });
      return present(p, (await get(row.id))!);
    },
  );

  app.put(
    "/api/dashboards/:id",
    {
      config: { access: { permission: "account.self" } },
      schema: {
        tags: ["analytics"],
        summary: "Sửa bảng điều khiển (thêm, bỏ, sắp xếp ô); version chống ghi đè",
        params: z.object({ id: z.uuid() }),
        body: Body.extend({ version: z.number().int() }),
        response: { 200: Dashboard, ...errorResponses, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const d = await get(request.params.id);
      if (!d) throw new NotFoundError("Không có bảng điều khiển này");
      if (!editable(p, d)) throw new ForbiddenError("Bạn không sửa được bảng điều khiển này");
      if (d.version !== request.body.version) throw new ConflictError("Bảng vừa được người khác sửa; tải lại rồi sửa", "version");
      await check(request.body, p);
      const { version, ...body } = request.body;
      await db
        .updateTable("dashboards")
        .set({
          name: body.name.trim(),
          for_role: body.forRole,
          shared: body.shared,
          area_id: body.area,
          tiles: JSON.stringify(body.tiles),
          version: version + 1,
          updated_at: new Date(),
        })
        .where("id", "=", d.id)
        .execute();
      await recordAudit(db, requestContext(request), {
        action: "dashboard.update",
        entityType: "dashboard",
        entityId: d.id,
        before: present(p, d),
        after: body,
      });
      return present(p, (await get(d.id))!);
    },
  );

  app.delete(
    "/api/dashboards/:id",
    {
      config: { access: { permission: "account.self" } },
      schema: {
        tags: ["analytics"],
        summary: "Xóa bảng điều khiển",
        params: z.object({ id: z.uuid() }),
        response: { 200: z.object({ ok: z.boolean() }), ...errorResponses, 403: ErrorBody },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const d = await get(request.params.id);
      if (!d) throw new NotFoundError("Không có bảng điều khiển này");
      if (!editable(p, d)) throw new ForbiddenError("Bạn không xóa được bảng điều khiển này");
      await db.deleteFrom("dashboards").where("id", "=", d.id).execute();
      await recordAudit(db, requestContext(request), {
        action: "dashboard.delete",
        entityType: "dashboard",
        entityId: d.id,
        before: present(p, d),
      });
      return { ok: true };
    },
  );
};
