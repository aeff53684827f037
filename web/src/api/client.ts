/** Thin typed client over the JSON API; errors carry the server's Vietnamese message. */
import type { paths } from "./openapi.gen";

/** The error answer every route shares (ErrorBody in server/src/http/schemas.ts). */
type ErrorBody = paths["/api/data-values"]["post"]["responses"][400]["content"]["application/json"];

/** One problem of a refused batch, by row and field. */
export type RowError = NonNullable<ErrorBody["errors"]>[number];

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly field?: string,
    /** Every problem of a refused batch, by row and field. */
    readonly errors: RowError[] = [],
  ) {
    super(message);
  }
}

/** The session's CSRF token, echoed on every write (it comes with /api/me and the login answer). */
let csrfToken: string | null = null;
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Fired when the server says the session is gone, so the app can show the login page. */
export const SIGNED_OUT_EVENT = "dieuhanh:signed-out";

async function request<T>(method: string, url: string, body?: unknown, contentType = "application/json"): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = contentType;
  if (method !== "GET" && csrfToken) headers["x-csrf-token"] = csrfToken;
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : contentType === "application/json" ? JSON.stringify(body) : (body as BodyInit),
    credentials: "same-origin",
  });
  if (!res.ok) {
    let message = `Lỗi ${res.status}`;
    let field: string | undefined;
    let errors: RowError[] = [];
    try {
      const json = (await res.json()) as Partial<ErrorBody>;
      message = json.message ?? message;
      field = json.field;
      errors = json.errors ?? [];
    } catch {
      // not JSON: keep the status text
    }
    if (res.status === 401 && url !== "/api/auth/login") window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
    throw new ApiError(message, res.status, field, errors);
  }
  return (await res.json()) as T;
}

/** Sends a file as the request body (spreadsheets, CSV). */
export function apiUpload<T>(path: string, file: Blob, contentType: string): Promise<T> {
  return request<T>("POST", path, file, contentType);
}

export function apiGet<T>(path: string, params: Record<string, string | number | undefined | null> = {}): Promise<T> {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") query.set(k, String(v));
  return request<T>("GET", query.size ? `${path}?${query}` : path);
}

export function apiSend<T>(method: "POST" | "PATCH" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T> {
  return request<T>(method, path, body);
}

export interface Page<T> {
  items: T[];
  total: number;
}
