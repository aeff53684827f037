import { existsSync } from "node:fs";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance } from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { z } from "zod";
import type { Database } from "../db/database";
import { DomainError } from "../errors";
import { repoRoot } from "../paths";
import { agencyRoutes } from "../agencies/routes";
import { areaRoutes } from "../areas/routes";
import { boundaryRoutes } from "../boundaries/routes";
import { catalogueRoutes } from "../catalogue/routes";
import { healthRoutes } from "../health/routes";
import { taskRoutes } from "../tasks/routes";

// Validation messages in Vietnamese for the people who read them.
z.config(z.locales.vi());

export type App = FastifyInstance;

export interface AppOptions {
  database: Database;
  /** Serve the built web UI from web/dist when it exists (production). */
  serveWeb?: boolean;
  logger?: boolean;
}

export async function buildApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    logger: options.logger ? { level: "info" } : false,
    bodyLimit: 1_048_576,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((err, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const issue = err.validation[0];
      const field = issue?.instancePath.replace(/^\//, "").replace(/\//g, ".") || undefined;
      const where =
        err.validationContext === "querystring" ? "Tham số" : err.validationContext === "params" ? "Đường dẫn" : "Trường";
      return reply.code(400).send({
        statusCode: 400,
        error: "Bad Request",
        message: `${where} '${field ?? "?"}' không hợp lệ: ${issue?.message ?? "sai định dạng"}`,
        ...(field ? { field } : {}),
      });
    }
    if (err instanceof DomainError) {
      return reply.code(err.statusCode).send({
        statusCode: err.statusCode,
        error: err.statusCode === 404 ? "Not Found" : "Bad Request",
        message: err.message,
        ...(err.field ? { field: err.field } : {}),
      });
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply.code(status).send({ statusCode: status, error: "Bad Request", message: "Yêu cầu không hợp lệ" });
    }
    // Never expose stack traces or SQL to clients; the log keeps the detail.
    request.log.error(err);
    return reply
      .code(500)
      .send({ statusCode: 500, error: "Internal Server Error", message: "Lỗi hệ thống, vui lòng thử lại sau" });
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: "Điều hành — API",
        description: "Hệ thống thông tin chỉ đạo, điều hành dựa trên dữ liệu (Quyết định 1012/QĐ-TTg)",
        version: "0.1.0",
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/api/docs" });
  app.get("/api/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  const deps = { database: options.database };
  await app.register(healthRoutes, deps);
  await app.register(areaRoutes, deps);
  await app.register(boundaryRoutes, deps);
  await app.register(agencyRoutes, deps);
  await app.register(catalogueRoutes, deps);
  await app.register(taskRoutes, deps);

  const webDist = path.join(repoRoot, "web", "dist");
  if (options.serveWeb && existsSync(webDist)) {
    // wildcard: files are looked up per request, so a rebuilt UI is served without a restart.
    await app.register(fastifyStatic, { root: webDist, prefix: "/" });
    // Client-side routes (no file extension, not the API) get the app shell; a missing asset stays a 404.
    app.setNotFoundHandler((request, reply) => {
      const pathname = request.url.split("?")[0]!;
      if (request.method === "GET" && !pathname.startsWith("/api/") && !/\.[a-z0-9]+$/i.test(pathname)) {
        return reply.header("cache-control", "no-cache").sendFile("index.html");
      }
      return reply.code(404).send({ statusCode: 404, error: "Not Found", message: "Không tìm thấy đường dẫn" });
    });
  } else {
    app.setNotFoundHandler((_request, reply) =>
      reply.code(404).send({ statusCode: 404, error: "Not Found", message: "Không tìm thấy đường dẫn" }),
    );
  }
  return app;
}

export interface RouteDeps {
  database: Database;
}
