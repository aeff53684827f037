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
