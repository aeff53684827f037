import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { RouteDeps } from "../http/deps";
import { dataPath } from "../paths";

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
};
