// A list of any resource as one component: the filter form, sortable
// column headers, the table and cursor pagination, all driven by the URL
// (filters, sort, order, limit, cursor), so each state is a link. The
// cursors of earlier pages are remembered per list so "Previous" works
// although the API's cursors only go forward.
import { h, num, type Child } from "./dom.js";
import { get, type Params } from "./api.js";
import { go, href } from "./router.js";
import { errorBox, focusNext } from "./ui.js";
import { SEVERITIES, type Page } from "./types.js";

export interface Column<T> {
  label: string;
  sort?: string;   // the API's sort key, when sortable
  num?: boolean;
  cell: (row: T) => Child;
}

export type Filter = "severity" | "fixable" | "registry" | "repository" | "tag" | "ecosystem" | "cvss_min" | "running";

export interface ListOpts<T> {
  id: string;               // unique on the page: ids of its controls
  route: string[];          // where this list lives
  endpoint: string;         // API path after /v1/
  caption: string;
  columns: Column<T>[];
  filters: Filter[];
  sorts: string[];          // every sort key the endpoint takes
  defaultSort: string;
  fixed?: Params;           // parameters the page sets itself
  prefix?: string;          // URL parameter prefix when a page has two lists
}

const KEYS = ["severity", "fixable", "registry", "repository", "tag", "ecosystem", "cvss_min", "running",
  "sort", "order", "limit", "cursor"];
const trails = new Map<string, string[]>();
export const PAGE_SIZES = [25, 50, 100, 200];

function own(opts: ListOpts<unknown>, params: URLSearchParams): Params {
  const p: Params = {};
  const pre = opts.prefix || "";
  for (const k of KEYS) {
    const v = params.get(pre + k);
    if (v !== null && v !== "") p[k] = v;
  }
  return p;
}

function trailKey(opts: ListOpts<unknown>, p: Params): string {
  const rest = { ...p };
  delete rest.cursor;
  return opts.endpoint + "|" + JSON.stringify(rest);
}

function navigate(opts: ListOpts<unknown>, params: URLSearchParams, change: Params, focus: string | null): void {
  const pre = opts.prefix || "";
  const next = new URLSearchParams(params);
  for (const [k, v] of Object.entries(change)) {
    if (v === null || v === undefined || v === "") next.delete(pre + k);
    else next.set(pre + k, String(v));
  }
  focusNext(focus);
  go(opts.route, next);
}

function filterForm(opts: ListOpts<unknown>, p: Params, params: URLSearchParams): HTMLElement | null {
  if (!opts.filters.length) return null;
  const id = (k: string) => opts.id + "-f-" + k;
  const fields: Child[] = [];
  const text = (k: Filter, label: string, ph: string) =>
    h("div", { class: "field" }, h("label", { for: id(k) }, label),
      h("input", { id: id(k), name: k, type: "text", value: (p[k] as string) || "", placeholder: ph }));
  const tri = (k: Filter, label: string, yes: string, no: string) =>
    h("div", { class: "field" }, h("label", { for: id(k) }, label),
      h("select", { id: id(k), name: k },
        h("option", { value: "", selected: !p[k] }, "any"),
        h("option", { value: "true", selected: p[k] === "true" }, yes),
        h("option", { value: "false", selected: p[k] === "false" }, no)));
  if (opts.filters.includes("severity")) {
    const chosen = String(p.severity || "").split(",");
    fields.push(h("fieldset", { class: "sevs" }, h("legend", {}, "Severity"),
      SEVERITIES.map((s) => h("label", { class: "check" },
        h("input", { type: "checkbox", name: "severity", value: s, id: id("sev-" + s), checked: chosen.includes(s) }),
        " " + s.charAt(0) + s.slice(1).toLowerCase()))));
  }
  if (opts.filters.includes("fixable")) fields.push(tri("fixable", "Fix available", "yes", "no"));
  if (opts.filters.includes("running")) fields.push(tri("running", "Running now", "yes", "no"));
  if (opts.filters.includes("registry")) fields.push(text("registry", "Registry", "registry.example:5000"));
  if (opts.filters.includes("repository")) fields.push(text("repository", "Repository", "registry/repo"));
  if (opts.filters.includes("tag")) fields.push(text("tag", "Tag", "latest"));
  if (opts.filters.includes("ecosystem")) fields.push(text("ecosystem", "Ecosystem", "Alpine"));
  if (opts.filters.includes("cvss_min"))
    fields.push(h("div", { class: "field" }, h("label", { for: id("cvss_min") }, "CVSS at least"),
      h("input", { id: id("cvss_min"), name: "cvss_min", type: "number", min: 0, max: 10, step: 0.1,
        value: (p.cvss_min as string) || "" })));
  const form = h("form", { class: "filters", "aria-label": "Filter " + opts.caption },
    ...fields,
    h("div", { class: "actions" },
      h("button", { type: "submit", id: opts.id + "-apply" }, "Apply filters"),
      h("button", { type: "button", id: opts.id + "-reset", onclick: () => {
        const clearAll: Params = {};
        for (const k of KEYS) if (k !== "sort" && k !== "order" && k !== "limit") clearAll[k] = null;
        navigate(opts as ListOpts<unknown>, params, clearAll, opts.id + "-reset");
      } }, "Clear")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const fd = new FormData(form as HTMLFormElement);
    const change: Params = { cursor: null };
    for (const k of opts.filters) {
      if (k === "severity") change.severity = fd.getAll("severity").join(",");
      else change[k] = String(fd.get(k) || "").trim();
    }
    navigate(opts as ListOpts<unknown>, params, change, opts.id + "-apply");
  });
  return form;
}

function header<T>(opts: ListOpts<T>, c: Column<T>, p: Params, params: URLSearchParams): HTMLElement {
  const sort = (p.sort as string) || opts.defaultSort;
  const order = (p.order as string) || "desc";
  if (!c.sort) return h("th", { scope: "col", class: c.num ? "n" : "" }, c.label);
  const active = sort === c.sort;
  const bid = opts.id + "-sort-" + c.sort;
  return h("th", { scope: "col", class: c.num ? "n" : "", "aria-sort": active ? (order === "asc" ? "ascending" : "descending") : "none" },
    h("button", { type: "button", class: "sort", id: bid,
      onclick: () => navigate(opts as ListOpts<unknown>, params,
        { sort: c.sort, order: active && order === "desc" ? "asc" : "desc", cursor: null }, bid) },
      c.label, h("span", { "aria-hidden": "true" }, active ? (order === "asc" ? " ▲" : " ▼") : " ↕")));
}

export async function listView<T>(opts: ListOpts<T>, params: URLSearchParams): Promise<HTMLElement> {
  const o = opts as ListOpts<unknown>;
  const p = own(o, params);
  const root = h("div", { class: "list", id: opts.id });
  const form = filterForm(o, p, params);
  if (form) root.appendChild(form);
  const status = h("p", { class: "status", role: "status", id: opts.id + "-status" }, "Loading…");
  root.appendChild(status);
  let page: Page<T>;
  try {
    page = await get<Page<T>>(opts.endpoint, { ...p, ...(opts.fixed || {}) });
  } catch (e) {
    status.replaceWith(errorBox(e));
    return root;
  }
  const key = trailKey(o, p);
  const trail = trails.get(key) || [];
  trails.set(key, trail);
  const cursor = (p.cursor as string) || "";
  // a cursor reached by Back/Forward rather than our buttons: cut the trail there
  const at = trail.indexOf(cursor);
  if (cursor === "") trail.length = 0;
  else if (at >= 0) trail.length = at;
  const pageNo = cursor === "" ? 1 : trail.length + 1;
  const limit = Number(p.limit || 50);
  const first = (pageNo - 1) * limit + 1;
  const last = first + page.items.length - 1;
  status.textContent = page.total === 0 ? "Nothing matches." :
    `${num(first)}–${num(last)} of ${num(page.total)} · page ${pageNo} of ${num(Math.max(1, Math.ceil(page.total / limit)))}`;
  if (page.items.length) {
    const table = h("table", {},
      h("caption", { class: "vh" }, opts.caption),
      h("thead", {}, h("tr", {}, opts.columns.map((c) => header(opts, c, p, params)))),
      h("tbody", {}, page.items.map((row) => h("tr", {},
        opts.columns.map((c) => h("td", { class: c.num ? "n" : "" }, c.cell(row)))))));
    root.appendChild(h("div", { class: "wrap" }, table));
  }
  const nav = h("nav", { class: "pager", "aria-label": opts.caption + " pages" },
    h("button", { type: "button", id: opts.id + "-prev", disabled: pageNo === 1, onclick: () => {
      const prev = trail.pop();
      navigate(o, params, { cursor: prev || null }, opts.id + "-prev");
    } }, "← Previous"),
    h("label", { for: opts.id + "-limit" }, "Per page "),
    h("select", { id: opts.id + "-limit", onchange: (ev: Event) => {
      navigate(o, params, { limit: (ev.target as HTMLSelectElement).value, cursor: null }, opts.id + "-limit");
    } }, PAGE_SIZES.map((n) => h("option", { value: n, selected: n === limit }, String(n)))),
    h("button", { type: "button", id: opts.id + "-next", disabled: !page.next_cursor, onclick: () => {
      trail.push(cursor);
      navigate(o, params, { cursor: page.next_cursor }, opts.id + "-next");
    } }, "Next →"));
  root.appendChild(nav);
  return root;
}

export function listHref(route: string[], params: Record<string, string>): string {
  return href(route, params);
}
