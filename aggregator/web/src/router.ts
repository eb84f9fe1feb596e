// Hash routes (#/images?severity=HIGH), so the server needs no fallback
// route and every view, filter and page is a link that can be shared,
// bookmarked and reached with the Back button.

export interface Route {
  path: string[];            // decoded segments after "#/"
  params: URLSearchParams;   // the part after "?"
}

export function current(): Route {
  const raw = location.hash.replace(/^#\/?/, "");
  const qi = raw.indexOf("?");
  const p = qi < 0 ? raw : raw.slice(0, qi);
  const q = qi < 0 ? "" : raw.slice(qi + 1);
  return { path: p.split("/").filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(q) };
}

export function href(path: string[], params?: URLSearchParams | Record<string, string>): string {
  const p = path.map(encodeURIComponent).join("/");
  const q = params instanceof URLSearchParams ? params : new URLSearchParams(params || {});
  const qs = q.toString();
  return "#/" + p + (qs ? "?" + qs : "");
}

export function go(path: string[], params?: URLSearchParams | Record<string, string>): void {
  location.hash = href(path, params);
}
