import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { NotFoundError } from "../errors";
import type { RouteDeps } from "../http/deps";
import { dataPath } from "../paths";
import { communeBoundaries } from "./communes";

/**
 * Province boundaries for the browser map, simplified at build time (data/admin/boundaries).
 * They always contain the Hoàng Sa and Trường Sa archipelagos (Đà Nẵng and Khánh Hòa features).
 */
export const boundaryRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app) => {
  let cached: { body: Buffer; etag: string } | undefined;
  const load = () => {
    if (!cached) {
      const body = readFileSync(dataPath("admin", "boundaries", "provinces-34.geojson"));
      cached = { body, etag: `"${createHash("sha1").update(body).digest("hex").slice(0, 16)}"` };
    }
    return cached;
  };

  app.get(
    "/api/boundaries/provinces",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["areas"],
        summary: "Ranh giới 34 tỉnh, thành phố (GeoJSON, đã đơn giản hóa; gồm quần đảo Hoàng Sa và Trường Sa)",
      },
    },
    async (request, reply) => {
      const { body, etag } = load();
      reply.header("etag", etag).header("cache-control", "public, max-age=3600");
      if (request.headers["if-none-match"] === etag) return reply.code(304).send();
      return reply.type("application/geo+json; charset=utf-8").send(body);
    },
  );

  // Converted once per province and kept: 34 at most, 100–800 kB each.
  const communes = new Map<string, { body: string; etag: string }>();
  app.get(
    "/api/boundaries/communes/:province",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["areas"],
        summary:
          "Ranh giới các xã, phường, đặc khu của một tỉnh, thành phố (GeoJSON; mã trùng với /api/areas; Đà Nẵng gồm đặc khu Hoàng Sa, Khánh Hòa gồm đặc khu Trường Sa)",
        params: z.object({ province: z.string().max(20).describe("Mã tỉnh, thành phố, ví dụ 92") }),
      },
    },
    async (request, reply) => {
      const { province } = request.params;
      let entry = communes.get(province);
      if (!entry) {
        const geo = communeBoundaries(province);
        if (!geo) throw new NotFoundError(`Không có ranh giới cấp xã của tỉnh, thành phố mã ${province}`, "province");
        const body = JSON.stringify(geo);
        entry = { body, etag: `"${createHash("sha1").update(body).digest("hex").slice(0, 16)}"` };
        communes.set(province, entry);
      }
      reply.header("etag", entry.etag).header("cache-control", "public, max-age=3600");
      if (request.headers["if-none-match"] === entry.etag) return reply.code(304).send();
      return reply.type("application/geo+json; charset=utf-8").send(entry.body);
    },
  );
};
