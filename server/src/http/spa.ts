/**
 * Which missing paths are files (answered 404) and which are the web UI's own addresses (answered with the
 * app shell, so a reloaded or shared deep link opens its page). Codes in addresses end in ".<digit>"
 * (/dieu-hanh/chi-so/QG.A.II.1, /nhiem-vu/CT.NV.II.4), so "has a dot" cannot mean "is a file": only the
 * build's folder and the extensions of files a browser fetches do.
 */
const FILE_EXTENSIONS = new Set([
  "js",
  "mjs",
  "css",
  "map",
  "html",
  "json",
  "webmanifest",
  "txt",
  "xml",
  "ico",
  "png",
  "jpg",
  "jpeg",
  "gif",
  "svg",
  "webp",
  "avif",
  "woff",
  "woff2",
  "ttf",
  "otf",
  "eot",
  "wasm",
  "geojson",
  "topojson",
  "pdf",
  "csv",
  "xlsx",
  "zip",
]);

export function isFilePath(pathname: string): boolean {
  if (pathname.startsWith("/assets/")) return true;
  const last = pathname.slice(pathname.lastIndexOf("/") + 1);
  const dot = last.lastIndexOf(".");
  return dot > 0 && FILE_EXTENSIONS.has(last.slice(dot + 1).toLowerCase());
}

/** A GET for a page of the web UI (not the API, not a file). */
export function isClientRoute(method: string, pathname: string): boolean {
  return (method === "GET" || method === "HEAD") && pathname !== "/api" && !pathname.startsWith("/api/") && !isFilePath(pathname);
}

/** A file of the build named by its content (vite's `assets/<name>-<hash>.<ext>`, and its .br/.gz beside it). */
const HASHED_ASSET = /(?:^|[\\/])assets[\\/][^\\/]+-[A-Za-z0-9_-]{8}\.[a-z0-9]+(?:\.br|\.gz)?$/i;

export function isHashedAsset(filePath: string): boolean {
  return HASHED_ASSET.test(filePath);
}

/**
 * Caching of the built UI's files: a file named by its content never changes, so browsers keep it a year
 * without asking again; everything else (index.html, the app shell of deep links, the icon) is revalidated on
 * every use (`no-cache` with its ETag: a 304 when unchanged), so a new deploy is picked up at the next load.
 * Files are served precompressed (.br, .gz beside them), so caches must key on Accept-Encoding.
 */
export function staticCacheHeaders(filePath: string): Record<string, string> {
  return {
    "cache-control": isHashedAsset(filePath) ? "public, max-age=31536000, immutable" : "no-cache",
    vary: "Accept-Encoding",
  };
}
