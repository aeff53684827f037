import type { FastifyReply } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { requestContext } from "../auth/access";
import { scopeChecker } from "../auth/scope";
import { streamListener } from "../auth/stream";
import { vietnamDate } from "../clock";
import { recordAudit } from "../audit/service";
import { ForbiddenError, InvalidInputError, UnauthorizedError } from "../errors";
import { announce, onAnnounced } from "../events/change";
import type { RouteDeps } from "../http/deps";
import { errorResponses, ErrorBody } from "../http/schemas";
import { tableWorkbook, XLSX_TYPE } from "../http/xlsx";
import { refreshRollupForAreas } from "../readmodel/maintain";
import { AnswerCache } from "./cache";
import { analyticsService } from "./service";

const list = (max: number) =>
  z
    .string()
    .max(4000)
    .transform((s) =>
      s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().max(60)).max(max));

const Query = z.object({
  indicators: list(50).describe("Mã chỉ số, cách nhau bởi dấu phẩy"),
  areas: list(4000).optional().describe("Mã địa bàn (mặc định VN)"),
  parent: z.string().max(20).optional().describe("Thay cho areas: các đơn vị con của địa bàn này (tỉnh của VN, xã của tỉnh)"),
  from: z.string().max(10).describe("Kỳ đầu, ví dụ 2025M01"),
  to: z.string().max(10).describe("Kỳ cuối, cùng loại kỳ"),
  disaggregation: z.string().max(200).optional().describe("Phân tổ, mặc định tổng số"),
  comparisons: z
    .stringbool()
    .default(false)
    .describe("Kèm các so sánh: kỳ trước, tháng 12 năm trước, cùng kỳ, lũy kế, bình quân, kế hoạch"),
  asOf: z.iso.datetime({ offset: true }).optional().describe("Số liệu như đã có tại thời điểm này"),
});

const Comparison = z.object({ base: z.number().nullable(), change: z.number().nullable(), changeUnit: z.enum(["%", "điểm %"]) });
const Span = z.object({ value: z.number().nullable(), lastYear: z.number().nullable(), change: z.number().nullable() });
const Point = z.object({
  period: z.string(),
  value: z.number().nullable(),
  source: z
    .enum(["reported", "aggregated", "estimated"])
    .nullable()
    .describe("reported: báo cáo; aggregated: cộng từ đơn vị con/đơn vị cũ; estimated: có phân bổ ước tính"),
  coverage: z.object({ reported: z.number().int(), expected: z.number().int() }).optional(),
  sample: z
    .literal(true)
    .optional()
    .describe("Có mặt khi số là số liệu mẫu hoặc được cộng từ số liệu mẫu (không phải số liệu thật)"),
  unapproved: z.literal(true).optional().describe("Có mặt khi số (hoặc một số được cộng vào) đã gửi nhưng chưa được duyệt"),
  comparisons: z
    .object({
      previousPeriod: Comparison,
      previousDecember: Comparison.nullable(),
      samePeriodLastYear: Comparison,
      ytdCumulative: Span.nullable(),
      ytdAverage: Span.nullable(),
      plan: z.object({ target: z.number().nullable(), percentOfPlan: z.number().nullable() }).nullable(),
    })
    .optional(),
});
const Indicator = z.object({
  code: z.string(),
  name: z.string(),
  unit: z.string().nullable(),
  group: z.string(),
  subgroup: z.string().nullable(),
  catalogueId: z.string(),
  aggregation: z.enum(["sum", "none"]),
  lowerIsBetter: z.boolean(),
});
const Result = z.object({
  indicators: z.array(Indicator),
  areas: z.array(z.object({ id: z.string(), name: z.string(), level: z.string(), areaKm2: z.number().nullable() })),
  periods: z.array(z.object({ code: z.string(), label: z.string() })),
  series: z.array(z.object({ indicator: z.string(), area: z.string(), points: z.array(Point) })),
  asOf: z.string(),
});

const Latest = z.object({
  area: z.string(),
  items: z.array(
    z.object({
      indicator: Indicator,
      latest: Point.extend({ label: z.string() }).nullable(),
      sparkline: z.array(z.object({ period: z.string(), value: z.number().nullable() })),
    }),
  ),
});

const yearOf = (period: string) => Number(period.slice(0, 4));

export const analyticsRoutes: FastifyPluginAsyncZod<RouteDeps> = async (
  app,
  { database, readDb, authSettings, clock, events },
) => {
  // Dashboard reads go to the read replica when there is one (DATABASE_READ_URL, db/replica.ts); writes below use database.db.
  const service = analyticsService(readDb);
  // Dashboard answers kept until a published change they read is announced (in any server process).
  const cache = new AnswerCache();
  const offHeard = events.onChange((e) => cache.invalidate(e));
  const offAnnounced = onAnnounced((e) => cache.invalidate(e));
  app.addHook("onClose", async () => {
    offHeard();
    offAnnounced();
  });
  /** An answer from the cache (its JSON as the route's schema gives it), or computed and kept. */
  const cached = async (
    reply: FastifyReply,
    key: string,
    deps: { indicators: string[]; years: [number, number] | null },
    asOf: Date | undefined,
    compute: () => Promise<string>,
  ) => {
    // "As at" an instant not yet past is not final: never kept.
    const { body, hit } =
      asOf && asOf.getTime() >= clock().getTime() - 1_000
        ? { body: await compute(), hit: false }
        : await cache.get(key, { indicators: await events.seriesOf(deps.indicators), years: deps.years }, compute);
    return reply
      .header("x-cache", hit ? "hit" : "miss")
      .type("application/json; charset=utf-8")
      .send(body);
  };
  const principalOf = (request: Parameters<typeof requestContext>[0]) => {
    const p = requestContext(request).principal;
    if (!p) throw new UnauthorizedError();
    return p;
  };
  const parse = (q: z.infer<typeof Query>) => ({ ...q, asOf: q.asOf ? new Date(q.asOf) : undefined });

  app.get(
    "/api/analytics",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["analytics"],
        summary: "Phân tích: chỉ số × địa bàn × khoảng kỳ, cộng dồn theo cấp hành chính và qua sắp xếp 2025, kèm các so sánh",
        description:
          "Ví dụ: /api/analytics?indicators=QG.A.II.1&parent=VN&from=2025M01&to=2025M10&comparisons=true. Mỗi số cho biết là số báo cáo, số cộng dồn hay số ước tính (phân bổ cho đơn vị bị chia tách).",
        querystring: Query,
        response: { 200: Result, ...errorResponses, 403: ErrorBody },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const q = parse(request.query);
      return cached(
        reply,
        AnswerCache.key("analytics", principal, request.query),
        // Comparisons read the year before (same period last year, last December).
        { indicators: q.indicators, years: [yearOf(q.from) - 1, yearOf(q.to)] },
        q.asOf,
        async () => JSON.stringify(Result.parse(await service.query(principal, q))),
      );
    },
  );

  app.get(
    "/api/analytics/export",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["analytics"],
        summary: "Xuất kết quả phân tích ra Excel (một dòng mỗi chỉ số, địa bàn, kỳ)",
        querystring: Query,
      },
    },
    async (request, reply) => {
      const r = await service.query(principalOf(request), { ...parse(request.query), comparisons: true });
      const rows = r.series.flatMap((s) =>
        s.points.map((p) => ({
          s,
          p,
          ind: r.indicators.find((i) => i.code === s.indicator)!,
          area: r.areas.find((a) => a.id === s.area)!,
        })),
      );
      const sourceLabels = { reported: "Báo cáo", aggregated: "Cộng dồn", estimated: "Ước tính" } as const;
      const file = await tableWorkbook(
        "SỐ LIỆU PHÂN TÍCH",
        [
          { header: "Mã chỉ số", width: 14, value: (x) => x.ind.code },
          { header: "Chỉ số", width: 40, value: (x) => x.ind.name },
          { header: "Đơn vị", width: 12, value: (x) => x.ind.unit },
          { header: "Địa bàn", width: 20, value: (x) => x.area.name },
          { header: "Kỳ", width: 12, value: (x) => r.periods.find((p) => p.code === x.p.period)!.label },
          { header: "Giá trị", width: 14, value: (x) => x.p.value },
          { header: "Nguồn", width: 12, value: (x) => (x.p.source ? sourceLabels[x.p.source] : "") },
          // Sample figures are never mistaken for real ones once they leave the product.
          { header: "Số liệu mẫu", width: 12, value: (x) => (x.p.sample ? "Mẫu" : "") },
          // A figure sent but not yet approved says so (docs/decisions/0008).
          { header: "Duyệt", width: 12, value: (x) => (x.p.value === null ? "" : x.p.unapproved ? "Chưa duyệt" : "Đã duyệt") },
          { header: "So kỳ trước", width: 12, value: (x) => x.p.comparisons?.previousPeriod.change ?? null },
          { header: "So cùng kỳ", width: 12, value: (x) => x.p.comparisons?.samePeriodLastYear.change ?? null },
          { header: "Lũy kế", width: 14, value: (x) => x.p.comparisons?.ytdCumulative?.value ?? null },
        ],
        rows,
        "Số liệu",
      );
      return reply.type(XLSX_TYPE).header("content-disposition", 'attachment; filename="phan-tich.xlsx"').send(file);
    },
  );

  app.get(
    "/api/analytics/latest",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["analytics"],
        summary: "Số mới nhất của mỗi chỉ số cho một địa bàn, với các so sánh và 12 kỳ gần nhất (ô tổng quan)",
        querystring: z.object({
          indicators: list(30),
          area: z.string().max(20).default("VN"),
          asOf: z.iso.datetime({ offset: true }).optional(),
        }),
        response: {
          200: Latest,
          ...errorResponses,
          403: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const q = {
        indicators: request.query.indicators,
        area: request.query.area,
        today: vietnamDate(clock()),
        asOf: request.query.asOf ? new Date(request.query.asOf) : undefined,
      };
      return cached(
        reply,
        AnswerCache.key("latest", principal, { ...request.query, today: q.today }),
        { indicators: q.indicators, years: null }, // the latest figure may be of any year
        q.asOf,
        async () => JSON.stringify(Latest.parse(await service.latest(principal, q))),
      );
    },
  );

  app.put(
    "/api/areas/split-weights",
    {
      config: { access: { permission: "catalogue.manage" } },
      schema: {
        tags: ["analytics"],
        summary: "Đặt tỷ lệ phân bổ số liệu của một đơn vị cũ bị chia tách cho các đơn vị mới (theo dân số, diện tích…)",
        description:
          "Mặc định chia đều. Các tỷ lệ của một đơn vị cũ phải cộng lại bằng 1. Số liệu phân bổ luôn được đánh dấu là ước tính.",
        body: z.object({
          oldArea: z.string().max(20),
          basis: z.enum(["population", "area", "other"]),
          weights: z
            .array(z.object({ newArea: z.string().max(20), weight: z.number().min(0).max(1) }))
            .min(2)
            .max(20),
          reason: z.string().min(5).max(2000),
        }),
        response: { 200: z.object({ oldArea: z.string(), weights: z.number().int() }), ...errorResponses },
      },
    },
    async (request) => {
      const b = request.body;
      const parts = await database.db
        .selectFrom("area_merges")
        .select("new_area_id")
        .where("old_area_id", "=", b.oldArea)
        .where("merge_type", "=", "partial")
        .execute();
      const expected = new Set(parts.map((p) => p.new_area_id));
      if (expected.size < 2) throw new InvalidInputError(`${b.oldArea} không bị chia tách cho nhiều đơn vị mới`, "oldArea");
      const given = new Set(b.weights.map((w) => w.newArea));
      if (given.size !== expected.size || [...given].some((g) => !expected.has(g)))
        throw new InvalidInputError(`Cần đủ tỷ lệ cho các đơn vị mới: ${[...expected].join(", ")}`, "weights");
      const sum = b.weights.reduce((s, w) => s + w.weight, 0);
      if (Math.abs(sum - 1) > 0.001) throw new InvalidInputError(`Các tỷ lệ cộng lại bằng ${sum}, phải bằng 1`, "weights");
      const ctx = requestContext(request);
      // The shares decide the figures of the new units: only an office whose area holds all of them sets them.
      const scope = scopeChecker(database.db);
      for (const area of expected)
        if (!ctx.principal || !(await scope.coversArea(ctx.principal, area)))
          throw new ForbiddenError(`Đơn vị ${area} nằm ngoài phạm vi của bạn`);
      await database.db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom("area_split_weights").selectAll().where("old_area_id", "=", b.oldArea).execute();
        await trx.deleteFrom("area_split_weights").where("old_area_id", "=", b.oldArea).execute();
        await trx
          .insertInto("area_split_weights")
          .values(
            b.weights.map((w) => ({
              old_area_id: b.oldArea,
              new_area_id: w.newArea,
              weight: w.weight,
              basis: b.basis,
              updated_by: ctx.principal?.userId ?? null,
            })),
          )
          .execute();
        // Every figure apportioned from the old unit changes: dashboards everywhere reload (after the commit).
        await announce(trx, { indicators: null, areas: null, periods: null, at: new Date().toISOString() });
        // The shares change the cells of the units the old one was split into (readmodel/maintain.ts).
        await refreshRollupForAreas(trx, [b.oldArea]);
        await recordAudit(trx, ctx, {
          action: "area.split_weights",
          entityType: "area",
          entityId: b.oldArea,
          before,
          after: b,
          reason: b.reason,
        });
      });
      return { oldArea: b.oldArea, weights: b.weights.length };
    },
  );

  app.get(
    "/api/events",
    {
      config: { access: { permission: "reference.read" } },
      schema: {
        tags: ["analytics"],
        summary: "Kênh đẩy (Server-Sent Events): báo ngay khi số liệu thay đổi để bảng điều khiển tải lại",
        querystring: z.object({ once: z.stringbool().default(false).describe("Đóng ngay sau sự kiện ready (kiểm tra kết nối)") }),
      },
    },
    async (request, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      res.write(`event: ready\ndata: {}\n\n`);
      if (request.query.once) {
        res.end();
        return;
      }
      // Each message goes only to listeners whose scope reaches its areas, and only while their session lives.
      const listener = streamListener(database.db, authSettings, request);
      let open = true;
      const close = () => {
        if (!open) return;
        open = false;
        clearInterval(ping);
        off();
        res.end();
      };
      // A change naming no areas (too many to name) may concern anyone's area: it goes to every listener.
      const off = events.onData((e) => {
        void listener.visibleAreas(e.areas ?? []).then(
          (areas) => {
            if (areas === null) return close();
            if (open && (e.areas === null || areas.length))
              res.write(`event: data\ndata: ${JSON.stringify({ ...e, areas: e.areas === null ? null : areas })}\n\n`);
          },
          () => close(),
        );
      });
      const ping = setInterval(() => {
        void listener.current().then(
          (principal) => (principal ? open && res.write(`: ping\n\n`) : close()),
          () => close(),
        );
      }, 25_000);
      request.raw.on("close", close);
    },
  );
};
