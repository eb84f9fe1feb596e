// The dashboard: fleet totals, the trend over runs, the worst images, the
// most widespread vulnerabilities, per-registry and per-repository counts,
// and what is running now when the running-images inventory is present.
import { h, num } from "../dom.js";
import { get } from "../api.js";
import { href } from "../router.js";
import { trend } from "../chart.js";
import { card, errorBox, imageLink, section, sev, sevCells, vulnCell } from "../ui.js";
import { SEVERITIES, type History, type ImageSummary, type Page, type Registry, type Repository,
  type Summary, type VulnSummary } from "../types.js";

export const repoName = (r: Repository) =>
  r.repository.startsWith(r.registry + "/") ? r.repository : r.registry + "/" + r.repository;

const sevHead = () => SEVERITIES.map((s) => h("th", { scope: "col", class: "n" }, s.toLowerCase()));

function imagesTable(caption: string, items: ImageSummary[]): HTMLElement {
  return h("div", { class: "wrap" }, h("table", {}, h("caption", { class: "vh" }, caption),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "image"), h("th", { scope: "col" }, "platform"),
      ...sevHead(), h("th", { scope: "col", class: "n" }, "fixable"))),
    h("tbody", {}, items.map((i) => h("tr", {}, h("td", {}, imageLink(i)), h("td", {}, i.platform || "–"),
      ...sevCells(i.severity), h("td", { class: "n" }, num(i.fixable)))))));
}

function countsTable<T extends { counts: Registry["counts"] }>(caption: string, first: string,
    rows: T[], name: (r: T) => HTMLElement): HTMLElement {
  return h("div", { class: "wrap" }, h("table", {}, h("caption", { class: "vh" }, caption),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, first), h("th", { scope: "col", class: "n" }, "images"),
      h("th", { scope: "col", class: "n" }, "vulnerable"), ...sevHead(), h("th", { scope: "col", class: "n" }, "fixable"))),
    h("tbody", {}, rows.map((r) => h("tr", {}, h("td", {}, name(r)), h("td", { class: "n" }, num(r.counts.images)),
      h("td", { class: "n" }, num(r.counts.vulnerable)), ...sevCells(r.counts.severity),
      h("td", { class: "n" }, num(r.counts.fixable)))))));
}

async function part(title: string, load: () => Promise<HTMLElement>, more?: [string, string]): Promise<HTMLElement> {
  let body: HTMLElement;
  try {
    body = await load();
  } catch (e) {
    body = errorBox(e);
  }
  return section(title, body, more ? h("p", { class: "more" }, h("a", { href: more[1] }, more[0])) : null);
}

export async function dashboard(): Promise<HTMLElement> {
  const main = h("div", {}, h("h1", { tabindex: -1 }, "Fleet dashboard"));
  let sum: Summary;
  try {
    sum = await get<Summary>("summary");
  } catch (e) {
    main.appendChild(errorBox(e));
    return main;
  }
  const c = sum.counts;
  main.appendChild(h("p", { class: "sub" }, sum.latest_run ? "Latest run " + sum.latest_run : "No run yet"));
  main.appendChild(h("div", { class: "cards" },
    card("images", num(c.images)), card("with findings", num(c.vulnerable)), card("findings", num(c.findings)),
    ...SEVERITIES.map((s) => card(s.toLowerCase(), num(c.severity[s] || 0), "sev-" + s.toLowerCase())),
    card("fixable", num(c.fixable)), card("failed", num(c.errors))));
  const parts = await Promise.all([
    sum.running_known ? part("Running now", async () => {
      const p = await get<Page<ImageSummary>>("images", { running: true, sort: "risk", limit: 10 });
      return p.items.length ? imagesTable("Running images, worst first", p.items) : h("p", {}, "No running image has findings.");
    }, ["All running images", href(["images"], { running: "true" })]) : null,
    part("Trend over runs", async () => trend((await get<History>("history", { runs: 20 })).points)),
    part("Worst images", async () => imagesTable("Worst images",
      (await get<Page<ImageSummary>>("images", { sort: "risk", limit: 10 })).items), ["All images", href(["images"])]),
    part("Most widespread vulnerabilities", async () => {
      const p = await get<Page<VulnSummary>>("vulnerabilities", { sort: "images", limit: 10 });
      return h("div", { class: "wrap" }, h("table", {}, h("caption", { class: "vh" }, "Most widespread vulnerabilities"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "vulnerability"), h("th", { scope: "col" }, "severity"),
          h("th", { scope: "col", class: "n" }, "CVSS"), h("th", { scope: "col", class: "n" }, "images"),
          h("th", { scope: "col" }, "fix"))),
        h("tbody", {}, p.items.map((v) => h("tr", {}, h("td", {}, vulnCell(v.id, v.links)), h("td", {}, sev(v.severity)),
          h("td", { class: "n" }, v.cvss === null ? "–" : v.cvss.toFixed(1)), h("td", { class: "n" }, num(v.images)),
          h("td", {}, v.fixable ? "yes" : "no"))))));
    }, ["All vulnerabilities", href(["vulns"])]),
    part("Registries", async () => countsTable("Registries", "registry",
      (await get<Page<Registry>>("registries", { sort: "images", limit: 20 })).items,
      (r) => h("a", { href: href(["images"], { registry: r.registry }) }, h("code", {}, r.registry)))),
    part("Repositories", async () => countsTable("Repositories", "repository",
      (await get<Page<Repository>>("repositories", { sort: "critical", limit: 20 })).items,
      (r) => h("a", { href: href(["images"], { registry: r.registry, repository: r.repository }) },
        h("code", {}, repoName(r)))), ["All repositories", href(["repositories"])]),
  ]);
  for (const p of parts) if (p) main.appendChild(p);
  return main;
}
