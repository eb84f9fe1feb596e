// The search box: an advisory id opens its vulnerability page, an image
// reference or digest its image page, anything else is a package or
// repository name and lists the matches.
import { h, num } from "../dom.js";
import { get } from "../api.js";
import { href, type Route } from "../router.js";
import { errorBox, pkgLink, section } from "../ui.js";
import { repoName } from "./dashboard.js";
import type { Page, PackageSummary, Repository } from "../types.js";

const VULN_ID = /^(CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|[A-Z][A-Z0-9]*-[A-Za-z0-9._:-]+)$/i;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
// Name matching walks the API's lists page by page (the API filters by
// ecosystem, not by name); bounded so a huge fleet costs a few requests.
const SCAN_PAGES = 4;

export function target(q: string): Route | null {
  const t = q.trim();
  if (!t) return null;
  if (DIGEST.test(t) || /[/@]/.test(t) || /^[^:]+:[^:]+$/.test(t) && !VULN_ID.test(t))
    return { path: ["image", t], params: new URLSearchParams() };
  if (VULN_ID.test(t) && /\d/.test(t)) {
    const id = /^(cve|ghsa)-/i.test(t) ? t.replace(/^(cve|ghsa)/i, (m) => m.toUpperCase()) : t;
    return { path: ["vuln", id.startsWith("CVE-") ? id.toUpperCase() : id], params: new URLSearchParams() };
  }
  return { path: ["search"], params: new URLSearchParams({ q: t }) };
}

async function scan<T>(endpoint: string, sort: string, match: (x: T) => boolean): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < SCAN_PAGES; i++) {
    const p: Page<T> = await get<Page<T>>(endpoint, { sort, order: "asc", limit: 500, cursor });
    out.push(...p.items.filter(match));
    cursor = p.next_cursor;
    if (!cursor) break;
  }
  return out;
}

export async function search(params: URLSearchParams): Promise<HTMLElement> {
  const q = (params.get("q") || "").trim();
  const main = h("div", {}, h("h1", { tabindex: -1 }, "Search: ", h("q", {}, q)));
  const needle = q.toLowerCase();
  try {
    const [pk, rp] = await Promise.all([
      scan<PackageSummary>("packages", "name", (p) => p.name.toLowerCase().includes(needle)),
      scan<Repository>("repositories", "name", (r) => repoName(r).toLowerCase().includes(needle)),
    ]);
    main.appendChild(h("p", { role: "status" }, `${num(pk.length)} packages, ${num(rp.length)} repositories match.`));
    if (pk.length) main.appendChild(section("Packages", h("ul", { class: "hits" }, pk.map((p) => h("li", {},
      pkgLink(p.ecosystem, p.name), ` ${p.ecosystem} · ${num(p.images)} images · ${num(p.versions)} versions`)))));
    if (rp.length) main.appendChild(section("Repositories", h("ul", { class: "hits" }, rp.map((r) => h("li", {},
      h("a", { href: href(["images"], { registry: r.registry, repository: r.repository }) }, h("code", {}, repoName(r))),
      ` · ${num(r.counts.images)} images`)))));
  } catch (e) {
    main.appendChild(errorBox(e));
  }
  return main;
}
