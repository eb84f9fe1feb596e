// Shared pieces of every page: severity badges, counts, links to the
// detail pages, and the focus rule (after a view changes, focus returns to
// the control that changed it, else to the page's heading, so keyboard and
// screen-reader users stay where they were).
import { h, num, type Child } from "./dom.js";
import { href } from "./router.js";
import { canonical } from "./links.js";
import type { ImageSummary, Links, Severity, SeverityCounts } from "./types.js";
import { SEVERITIES } from "./types.js";

let pendingFocus: string | null = null;
export function focusNext(id: string | null): void {
  pendingFocus = id;
}
export function restoreFocus(root: HTMLElement): void {
  const el = pendingFocus ? document.getElementById(pendingFocus) : null;
  pendingFocus = null;
  if (el) el.focus();
  else root.querySelector<HTMLElement>("h1")?.focus();
}

export function sev(s: Severity): HTMLElement {
  return h("span", { class: "sev sev-" + s.toLowerCase() }, s.charAt(0) + s.slice(1).toLowerCase());
}

export function sevCells(c: SeverityCounts): HTMLElement[] {
  return SEVERITIES.map((s) => h("td", { class: "n" }, num(c[s] ?? 0)));
}

export function imageName(i: ImageSummary): string {
  return i.refs && i.refs.length ? i.refs[0] : i.digest;
}

export function imageLink(i: ImageSummary): HTMLElement {
  return h("a", { href: href(["image", i.digest]) }, h("code", {}, imageName(i)),
    i.refs && i.refs.length > 1 ? h("small", {}, " +" + (i.refs.length - 1)) : null);
}

export function vulnLink(id: string): HTMLElement {
  return h("a", { href: href(["vuln", id]) }, h("code", {}, id));
}

// The id to the console's page, and a second link out to the advisory.
export function vulnCell(id: string, links?: Links): Child[] {
  const url = canonical(id, links);
  return [vulnLink(id), url ? h("a", { href: url, class: "ext", rel: "noopener noreferrer",
    target: "_blank", "aria-label": "advisory " + id + " (opens a new tab)" }, "↗") : null];
}

export function pkgLink(eco: string | null, name: string): HTMLElement {
  return eco ? h("a", { href: href(["package", eco, name]) }, h("code", {}, name)) : h("code", {}, name);
}

export function errorBox(e: unknown): HTMLElement {
  const msg = e instanceof Error ? e.message : String(e);
  return h("p", { class: "error", role: "alert" }, "Could not load: " + msg);
}

export function card(label: string, value: string, cls = ""): HTMLElement {
  return h("div", { class: "card " + cls }, h("div", { class: "v" }, value), h("div", { class: "l" }, label));
}

export function section(title: string, ...children: Child[]): HTMLElement {
  const id = "s-" + title.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...children);
}
