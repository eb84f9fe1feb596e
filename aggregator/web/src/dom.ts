// Building DOM from data without innerHTML: every string from the API is a
// text node or an attribute value, so nothing a result carries can become
// markup (image refs and advisory ids come from untrusted registries).

export type Child = Node | string | number | null | undefined | false | Child[];
export type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

// SVG needs its own namespace; same rules as h().
export function s(tag: string, attrs: Record<string, string | number> = {}, ...children: Child[]): SVGElement {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

export const fmt = new Intl.NumberFormat("en");
export function num(n: number | null | undefined): string {
  return n === null || n === undefined ? "–" : fmt.format(n);
}

export function when(ms: number | null | undefined): string {
  if (!ms) return "–";
  return new Date(ms).toISOString().replace("T", " ").replace(/:\d\d\.\d+Z$/, " UTC");
}

export function shortDigest(d: string | null | undefined): string {
  if (!d) return "–";
  const m = /^(sha256:)?([0-9a-f]{12})/.exec(d);
  return m ? m[2] : d;
}
