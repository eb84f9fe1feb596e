// The one door to scanfarm-api: GET /v1/... relative to the page's origin
// (the console is served by the same program). A non-2xx answer becomes an
// ApiError carrying the server's reason, which pages show in place.

export type Params = Record<string, string | number | boolean | null | undefined>;

export class ApiError extends Error {
  constructor(public status: number, message: string, public parameter?: string | null) {
    super(message);
  }
}

let token: string | null = null;
try {
  token = sessionStorage.getItem("scanfarm.token");
} catch {
  token = null;
}

export function query(params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === "") continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? "?" + s : "";
}

export async function get<T>(path: string, params: Params = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  const res = await fetch("/v1/" + path + query(params), { headers });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const e = body && body.error;
    throw new ApiError(res.status, e && e.message ? e.message : res.status + " " + res.statusText,
      e ? e.parameter : null);
  }
  return body as T;
}

// Path segment for ids that may hold '/', ':' or '@' (image refs).
export function seg(s: string): string {
  return encodeURIComponent(s);
}
