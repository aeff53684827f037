import { existsSync } from "node:fs";
import fastifyCookie from "@fastify/cookie";
import fastifyHelmet from "@fastify/helmet";
import fastifyRateLimit from "@fastify/rate-limit";
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
import { isConnectionError, type Database } from "../db/database";
import { BatchError, DomainError } from "../errors";
import { webDist } from "../paths";
import { agencyRoutes } from "../agencies/routes";
import { auditRoutes } from "../audit/routes";
import { installAccessControl, type RouteRule } from "../auth/access";
import { authRoutes } from "../auth/routes";
import { defaultAuthSettings, type AuthSettings } from "../auth/service";
import { tokenRoutes } from "../tokens/routes";
import { userRoutes } from "../users/routes";
import { areaRoutes } from "../areas/routes";
import { boundaryRoutes } from "../boundaries/routes";
import { catalogueRoutes } from "../catalogue/routes";
import { dataValueRoutes } from "../datavalues/routes";
import { startPuller } from "../sync/puller";
import { syncRoutes } from "../sync/routes";
import { startWebhookSender } from "../sync/webhooks";
import { sdmxRoutes } from "../exchange/sdmx/routes";
import { dimensionRoutes } from "../dimensions/routes";
import { documentRoutes } from "../documents/routes";
import { targetRoutes } from "../targets/routes";
import { analyticsRoutes } from "../analytics/routes";
import { dashboardRoutes } from "../dashboards/routes";
import { profileRoutes } from "../profile/routes";
import { EventBus } from "../events/bus";
import type { RouteDeps } from "./deps";
import { installInputChecks } from "./input";
import { installCompression } from "./compress";
import { isClientRoute, staticCacheHeaders } from "./spa";
import { reportingRoutes } from "../reporting/routes";
import { healthRoutes } from "../health/routes";
import { taskRoutes } from "../tasks/routes";
import { notificationRoutes } from "../notifications/routes";
import { dhis2Routes } from "../exchange/dhis2/routes";

// Validation messages in Vietnamese for the people who read them.
z.config(z.locales.vi());

export type App = FastifyInstance;

declare module "fastify" {
  interface FastifyInstance {
    /** Every API route with its access rule (for the role × endpoint test matrix). */
    routeRules: RouteRule[];
    /** The bus writes announce their changes on (tests publish on it). */
    events: EventBus;
  }
}

export interface AppOptions {
  database: Database;
  authSettings?: AuthSettings;
  /**
   * The reverse proxies (addresses, CIDR ranges) whose X-Forwarded-* are believed: client addresses,
   * HTTPS for secure cookies and HSTS. See auth/proxy.ts (TRUST_PROXY); never every sender.
   */
  trustProxy?: false | string[];
  /** Serve the built web UI from web/dist when it exists (production). */
  serveWeb?: boolean;
  logger?: boolean;
  /** The clock for deadlines, locks and "not started yet"; tests fix it. */
  clock?: () => Date;
  /**
   * Run the links to other installs in this process (server/src/sync): the puller of every link and the
   * webhook sender. The server does; tests that build an app only for requests do not.
   */
  sync?: { intervalMs?: number; log?: (message: string) => void };
}

export async function buildApp(options: AppOptions): Promise<App> {
  const authSettings = options.authSettings ?? defaultAuthSettings;
  const app = Fastify({
    logger: options.logger ? { level: "info", redact: ["req.headers.authorization", "req.headers.cookie"] } : false,
    bodyLimit: 1_048_576,
    trustProxy: options.trustProxy ?? false,
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
        error: statusNames[err.statusCode] ?? "Bad Request",
        message: err.message,
        ...(err.field ? { field: err.field } : {}),
        ...(err instanceof BatchError ? { errors: err.errors, errorCount: err.errorCount } : {}),
      });
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 429) {
      return reply
        .code(429)
        .send({ statusCode: 429, error: "Too Many Requests", message: "Quá nhiều yêu cầu, vui lòng thử lại sau" });
    }
    if (status === 413) {
      return reply.code(413).send({ statusCode: 413, error: "Payload Too Large", message: "Dữ liệu gửi lên quá lớn" });
    }
    if (status && status >= 400 && status < 500) {
      return reply.code(status).send({ statusCode: status, error: "Bad Request", message: "Yêu cầu không hợp lệ" });
    }
    // The database is unreachable for a moment (restart, failover): say so, the pool reconnects by itself.
    if (isConnectionError(err)) {
      request.log.warn(err);
      return reply.code(503).header("retry-after", "5").send({
        statusCode: 503,
        error: "Service Unavailable",
        message:
          "Tạm thời không kết nối được cơ sở dữ liệu (đang khởi động lại hoặc chuyển dự phòng); vui lòng thử lại sau ít giây",
      });
    }
    // Never expose stack traces or SQL to clients; the log keeps the detail.
    request.log.error(err);
    return reply
      .code(500)
      .send({ statusCode: 500, error: "Internal Server Error", message: "Lỗi hệ thống, vui lòng thử lại sau" });
  });

  await app.register(fastifyCookie);
  // Writes are rate-limited per client address on top of the login limit. This hook must come before the
  // rate-limit plugin's own onRoute hook, which reads each route's limit when the route is added.
  const writeRate = authSettings.writeRatePerMinute ?? 600;
  app.addHook("onRoute", (route) => {
    const methods = [route.method].flat();
    if (methods.some((m) => ["POST", "PUT", "PATCH", "DELETE"].includes(m)) && !route.config?.rateLimit) {
      route.config = { ...route.config, rateLimit: { max: writeRate, timeWindow: "1 minute" } };
    }
  });
  await app.register(fastifyRateLimit, { global: false });
  // Security headers; the CSP is what the built web UI needs (Ant Design injects <style> elements).
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", "data:", "blob:"],
        fontSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        // Served over plain HTTP on a LAN (HOST=0.0.0.0), upgrading would make every asset fail: never.
        upgradeInsecureRequests: null,
      },
    },
    crossOriginEmbedderPolicy: false,
    // HSTS only over TLS (below): over plain HTTP it means nothing, and a proxy may serve both.
    strictTransportSecurity: false,
  });
  app.addHook("onRequest", async (request, reply) => {
    if (request.protocol === "https") reply.header("strict-transport-security", "max-age=15552000; includeSubDomains");
  });
  app.decorate("routeRules", [] as RouteRule[]);
  installAccessControl(app, options.database, authSettings, app.routeRules);
  installInputChecks(app); // NUL, half surrogate pairs and unknown query parameters: 400 (http/input.ts)
  installCompression(app); // larger JSON answers brotli/gzip per Accept-Encoding; streams untouched (http/compress.ts)

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
  // staticCSP: the documentation page sets its own CSP covering its inline scripts.
  // Its CSP would upgrade to HTTPS too (a blank page over plain HTTP): that directive is dropped.
  await app.register(fastifySwaggerUi, {
    routePrefix: "/api/docs",
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/g, ""),
  });
  app.get("/api/openapi.json", { config: { access: { permission: "reference.read" } }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  const deps: RouteDeps = {
    database: options.database,
    readDb: options.database.readDb ?? options.database.db,
    authSettings,
    clock: options.clock ?? (() => new Date()),
    events: new EventBus(options.database, (level, message) => app.log[level](message)),
    writes: { count: 0 },
  };
  if (options.sync) {
    const puller = startPuller(options.database.db, { intervalMs: options.sync.intervalMs, log: options.sync.log });
    const sender = startWebhookSender(options.database.db, { log: options.sync.log });
    deps.sync = puller;
    app.addHook("onClose", async () => {
      await puller.stop();
      await sender.stop();
    });
  }
  // Counted before the answer leaves (onSend), so that the writer's next request sees the new count.
  app.addHook("onSend", async (request, reply, payload) => {
    if (request.method !== "GET" && request.method !== "HEAD" && reply.statusCode < 400) deps.writes.count++;
    return payload;
  });
  app.decorate("events", deps.events);
  // A change heard (committed, in any process): the next dashboard read waits for the read replica to replay it.
  const replica = options.database.replica;
  if (replica) deps.events.onChange(() => replica.changed());
  // Changes are heard through the database (every server process on it): listening before serving.
  await deps.events.ready;
  app.addHook("onClose", () => deps.events.close());
  await app.register(healthRoutes, deps);
  await app.register(authRoutes, deps);
  await app.register(userRoutes, deps);
  await app.register(tokenRoutes, deps);
  await app.register(auditRoutes, deps);
  await app.register(areaRoutes, deps);
  await app.register(boundaryRoutes, deps);
  await app.register(agencyRoutes, deps);
  await app.register(catalogueRoutes, deps);
  await app.register(taskRoutes, deps);
  await app.register(notificationRoutes, deps);
  await app.register(dataValueRoutes, deps);
  await app.register(syncRoutes, deps);
  await app.register(sdmxRoutes, deps);
  await app.register(reportingRoutes, deps);
  await app.register(dimensionRoutes, deps);
  await app.register(documentRoutes, deps);
  await app.register(targetRoutes, deps);
  await app.register(analyticsRoutes, deps);
  await app.register(dashboardRoutes, deps);
  await app.register(profileRoutes, deps);
  await app.register(dhis2Routes, deps);

  if (options.serveWeb && existsSync(webDist)) {
    // wildcard: files are looked up per request, so a rebuilt UI is served without a restart.
    // preCompressed: the build writes .br and .gz beside each text file (web/vite.config.ts); the one the
    // browser accepts is sent. Hashed assets are cached for a year, the rest revalidated (spa.ts).
    await app.register(fastifyStatic, {
      root: webDist,
      prefix: "/",
      preCompressed: true,
      cacheControl: false,
      setHeaders: (res, filePath) => {
        for (const [name, value] of Object.entries(staticCacheHeaders(filePath))) res.setHeader(name, value);
      },
    });
    // Client-side routes (deep links included) get the app shell; a missing asset stays a 404.
    app.setNotFoundHandler((request, reply) => {
      const pathname = request.url.split("?")[0]!;
      if (isClientRoute(request.method, pathname)) {
        return reply.sendFile("index.html");
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

const statusNames: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  410: "Gone",
  413: "Payload Too Large",
  429: "Too Many Requests",
};
