import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** Below this an answer goes as it is: compressing a few hundred bytes saves less than it costs. */
export const COMPRESS_THRESHOLD = 1024;

/** Text answers worth compressing; never the event stream (it is hijacked anyway) nor zip-based files (xlsx). */
const COMPRESSIBLE = /^(?:text\/(?!event-stream)|application\/(?:json|javascript|xml|[\w.-]+\+(?:json|xml))|image\/svg\+xml)/i;

export function isCompressible(contentType: string): boolean {
  return COMPRESSIBLE.test(contentType);
}

/**
 * The encoding to answer in, from the request's Accept-Encoding: brotli when accepted, then gzip, else none.
 * A coding with q=0 is refused; "*" accepts both.
 */
export function chooseEncoding(acceptEncoding: string | undefined): "br" | "gzip" | null {
  if (!acceptEncoding) return null;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.toLowerCase().split(",")) {
    const [name, ...params] = part.trim().split(";");
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name.trim(), Number.isFinite(value) ? value : 0);
  }
  const accepted = (coding: string) => (q.get(coding) ?? q.get("*") ?? 0) > 0;
  if (accepted("br")) return "br";
  if (accepted("gzip")) return "gzip";
  return null;
}

function addVary(reply: FastifyReply, field: string) {
  const current = reply.getHeader("vary");
  const list =
    current === undefined
      ? []
      : String(current)
          .split(",")
          .map((s) => s.trim());
  if (list.includes("*") || list.some((v) => v.toLowerCase() === field.toLowerCase())) return;
  reply.header("vary", [...list.filter(Boolean), field].join(", "));
}

/**
 * Compresses the API's larger text answers (brotli, or gzip for older clients) per Accept-Encoding, with
 * `Vary: Accept-Encoding`. Only answers already in memory (a string or a buffer) are touched: streamed
 * answers (the built UI's files, which are precompressed at build time, and downloads) pass as they are, and the
 * live event stream (/api/events) hijacks its reply, so it is never buffered here.
 */
export function installCompression(app: FastifyInstance) {
  app.addHook("onSend", async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (typeof payload !== "string" && !Buffer.isBuffer(payload)) return payload;
    if (reply.hasHeader("content-encoding")) return payload;
    if (reply.statusCode === 204 || reply.statusCode === 304) return payload;
    const type = String(reply.getHeader("content-type") ?? "");
    if (!isCompressible(type)) return payload;
    addVary(reply, "Accept-Encoding");
    const size = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
    if (size < COMPRESS_THRESHOLD) return payload;
    const encoding = chooseEncoding(request.headers["accept-encoding"]);
    if (!encoding) return payload;
    // Brotli at quality 5: about gzip's speed with a smaller answer; the built UI is precompressed at 11.
    const body =
      encoding === "br"
        ? await brotli(payload, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: 5,
              [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
              [constants.BROTLI_PARAM_SIZE_HINT]: size,
            },
          })
        : await gz(payload, { level: 6 });
    reply.header("content-encoding", encoding);
    reply.removeHeader("content-length");
    return body;
  });
}
