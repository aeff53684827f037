/** Thin typed client over the JSON API; errors carry the server's Vietnamese message. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export async function apiGet<T>(path: string, params: Record<string, string | number | undefined | null> = {}): Promise<T> {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") query.set(k, String(v));
  const url = query.size ? `${path}?${query}` : path;
  const res = await fetch(url, { headers: { accept: "application/json" } });
  if (!res.ok) {
    let message = `Lỗi ${res.status}`;
    try {
      message = ((await res.json()) as { message?: string }).message ?? message;
    } catch {
      // not JSON: keep the status text
    }
    throw new ApiError(message, res.status);
  }
  return (await res.json()) as T;
}

export interface Page<T> {
  items: T[];
  total: number;
}
