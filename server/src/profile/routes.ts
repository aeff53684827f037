import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { requestContext } from "../auth/access";
import type { RouteDeps } from "../http/deps";
import { errorResponses, ErrorBody } from "../http/schemas";
import { profileKinds, profileService } from "./service";

const Profile = z.object({
  kind: z.enum(profileKinds),
  kindLabel: z.string(),
  name: z.string(),
  catalogue: z.object({ id: z.string(), name: z.string(), codePrefix: z.string() }),
  area: z.object({ id: z.string(), name: z.string(), level: z.string() }),
  agency: z.object({ code: z.string(), name: z.string() }).nullable(),
  defaultTiles: z.array(z.string()),
  version: z.number().int(),
  updatedAt: z.string().nullable(),
  stored: z.boolean(),
});

const Body = z.strictObject({
  kind: z.enum(profileKinds).describe("government_office, ministry hoặc province"),
  name: z.string().max(200).nullable().optional().describe("Tên đơn vị; mặc định theo loại và địa bàn"),
  catalogueId: z.string().max(60).nullable().optional().describe("Bộ chỉ số chính; mặc định bộ của tỉnh, hoặc bộ quốc gia"),
  areaId: z.string().max(20).nullable().optional().describe("Địa bàn chính: VN hoặc mã tỉnh"),
  agencyCode: z.string().max(40).nullable().optional().describe("Cơ quan (chỉ với hồ sơ bộ)"),
  defaultTiles: z.array(z.string().max(60)).max(24).nullable().optional().describe("Các chỉ số các trang mở ra"),
  version: z.number().int().min(0).describe("Phiên bản đang sửa (0 khi chưa lưu lần nào)"),
});

export const profileRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { database }) => {
  const service = profileService(database.db);

  app.get(
    "/api/profile",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["profile"],
        summary: "Hồ sơ triển khai: đơn vị sử dụng, bộ chỉ số, địa bàn và các chỉ số mặc định",
        response: { 200: Profile, ...errorResponses },
      },
    },
    async () => service.get(),
  );

  app.put(
    "/api/profile",
    {
      config: { access: { permission: "users.manage" } },
      schema: {
        tags: ["profile"],
        summary: "Sửa hồ sơ triển khai (quản trị hệ thống); ghi nhật ký",
        body: Body,
        response: { 200: Profile, ...errorResponses, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => service.update(requestContext(request), request.body),
  );
};
