// Detail pages: an image (findings grouped by package, with the fixed
// version and the layer that brought the package in), a vulnerability
// (its advisory pages, fixed versions, packages and every affected image)
// and a package (its versions in the fleet and the images carrying it).
import { h, num, shortDigest, when, type Child } from "../dom.js";
import { ApiError, get, seg } from "../api.js";
import { go, href } from "../router.js";
import { listView } from "../table.js";
import { all } from "../links.js";
import { errorBox, focusNext, imageName, pkgLink, section, sev, vulnCell } from "../ui.js";
import { imageColumns, IMAGE_SORTS } from "./lists.js";
import { SEVERITIES, type Finding, type ImageDetail, type ImageSummary, type Page, type PackageDetail,
  type Severity, type VulnDetail } from "../types.js";

// An image has at most a few thousand findings; fetch them all in pages of
// the API's maximum so grouping by package sees every one.
const FINDINGS_PAGE = 500;
const FINDINGS_MAX = 20000;

function dl(rows: [string, Child][]): HTMLElement {
  return h("dl", { class: "facts" }, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function notFound(what: string, e: unknown): HTMLElement {
  return h("div", {}, h("h1", { tabindex: -1 }, what),
    e instanceof ApiError && e.status === 404 ? h("p", { role: "alert" }, "Not in the fleet view.") : errorBox(e));
}

function sevFilter(route: string[], params: URLSearchParams): HTMLElement {
  const chosen = (params.get("severity") || "").split(",");
  const form = h("form", { class: "filters", "aria-label": "Filter findings" },
    h("fieldset", { class: "sevs" }, h("legend", {}, "Severity"),
      SEVERITIES.map((s) => h("label", { class: "check" },
        h("input", { type: "checkbox", name: "severity", value: s, id: "fsev-" + s, checked: chosen.includes(s) }),
        " " + s.charAt(0) + s.slice(1).toLowerCase()))),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "findings-apply" }, "Apply filter")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const next = new URLSearchParams(params);
    const sv = new FormData(form as HTMLFormElement).getAll("severity").join(",");
    if (sv) next.set("severity", sv);
    else next.delete("severity");
    focusNext("findings-apply");
    go(route, next);
  });
  return form;
}

async function allFindings(image: string, severity: string | null): Promise<{ items: Finding[]; total: number }> {
  const items: Finding[] = [];
  let cursor: string | null = null, total = 0;
  do {
    const p: Page<Finding> = await get<Page<Finding>>("images/" + seg(image) + "/findings",
      { severity, sort: "severity", limit: FINDINGS_PAGE, cursor });
    items.push(...p.items);
    total = p.total;
    cursor = p.next_cursor;
  } while (cursor && items.length < FINDINGS_MAX);
  return { items, total };
}

const RANK: Record<Severity, number> = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3, UNKNOWN: 4 };

function grouped(findings: Finding[], layerNo: Map<string, number>): HTMLElement {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const k = [f.ecosystem || "", f.package, f.installed || ""].join("\u0000");
    const g = groups.get(k);
    if (g) g.push(f);
    else groups.set(k, [f]);
  }
  const worst = (g: Finding[]) => Math.min(...g.map((f) => RANK[f.severity]));
  const order = [...groups.values()].sort((a, b) => worst(a) - worst(b) || b.length - a.length ||
    a[0].package.localeCompare(b[0].package));
  const layer = (d: string | null | undefined) => {
    if (!d) return "–";
    const n = layerNo.get(d);
    return h("span", { title: d }, (n !== undefined ? "#" + (n + 1) + " " : "") + shortDigest(d));
  };
  return h("div", { class: "wrap" }, h("table", { class: "grouped" },
    h("caption", { class: "vh" }, "Findings grouped by package"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "vulnerability"), h("th", { scope: "col" }, "severity"),
      h("th", { scope: "col", class: "n" }, "CVSS"), h("th", { scope: "col" }, "fixed in"))),
    order.map((g) => {
      const f0 = g[0];
      const fixes = [...new Set(g.map((f) => f.fixed).filter((x): x is string => !!x))];
      return h("tbody", {},
        h("tr", { class: "group" }, h("th", { scope: "rowgroup", colspan: 4 },
          pkgLink(f0.ecosystem, f0.package), " ", h("code", {}, f0.installed || "?"),
          h("span", { class: "meta" }, ` · ${g.length} finding${g.length === 1 ? "" : "s"} · fixed in `,
            fixes.length ? h("code", {}, fixes.join(", ")) : "no fix yet", " · layer ", layer(f0.layer)))),
        g.map((f) => h("tr", {}, h("td", {}, vulnCell(f.id, f.links)), h("td", {}, sev(f.severity)),
          h("td", { class: "n" }, f.cvss === null ? "–" : f.cvss.toFixed(1)),
          h("td", {}, f.fixed ? h("code", {}, f.fixed) : "–"))));
    })));
}

export async function image(ref: string, params: URLSearchParams): Promise<HTMLElement> {
  let d: ImageDetail;
  try {
    d = await get<ImageDetail>("images/" + seg(ref));
  } catch (e) {
    return notFound("Image " + ref, e);
  }
  const main = h("div", {}, h("h1", { tabindex: -1 }, "Image ", h("code", {}, imageName(d))));
  main.appendChild(dl([
    ["digest", h("code", {}, d.digest)],
    ["tags", d.refs.length ? h("ul", { class: "refs" }, d.refs.map((r) => h("li", {}, h("code", {}, r)))) : "–"],
    ["platform", d.platform || "–"], ["OS", d.os || "–"], ["run", d.run_id], ["scanned", when(d.scanned_at)],
    ["vulnerability DB", d.db_version || "–"],
    ["findings", `${num(d.findings)} (${num(d.fixable)} fixable)`],
    ...(d.error ? [["scan error", h("span", { class: "err" }, d.error)] as [string, Child]] : []),
  ]));
  if (d.platforms && d.platforms.length)
    main.appendChild(section("Platforms", h("ul", {}, d.platforms.map((p) =>
      h("li", {}, h("a", { href: href(["image", p.digest]) }, p.platform || shortDigest(p.digest)))))));
  if (d.running_where && d.running_where.length)
    main.appendChild(section("Running where", h("div", { class: "wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ["cluster", "namespace", "workload", "pod", "container"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, d.running_where.map((r) => h("tr", {}, h("td", {}, r.cluster), h("td", {}, r.namespace),
        h("td", {}, r.owner_name ? (r.owner_kind || "") + " " + r.owner_name : "–"), h("td", {}, r.pod), h("td", {}, r.container))))))));
  const layerNo = new Map<string, number>();
  (d.layers || []).forEach((l, i) => layerNo.set(l.digest, i));
  const sevParam = params.get("severity");
  const fsec = section("Findings by package", sevFilter(["image", ref], params));
  try {
    const f = await allFindings(d.digest, sevParam);
    fsec.appendChild(h("p", { class: "status", role: "status", id: "findings-status" },
      `${num(f.total)} finding${f.total === 1 ? "" : "s"}${sevParam ? " of " + sevParam.toLowerCase().split(",").join(", ") : ""}` +
      (f.items.length < f.total ? ` (first ${num(f.items.length)} shown)` : "")));
    if (f.items.length) fsec.appendChild(grouped(f.items, layerNo));
  } catch (e) {
    fsec.appendChild(errorBox(e));
  }
  main.appendChild(fsec);
  if (d.layers && d.layers.length)
    main.appendChild(section("Layers", h("ol", { class: "layers" }, d.layers.map((l) =>
      h("li", {}, h("code", { title: l.digest }, shortDigest(l.digest)), l.size ? " · " + num(l.size) + " bytes" : "",
        l.error ? h("span", { class: "err" }, " · " + l.error) : "")))));
  return main;
}

export async function vuln(id: string, params: URLSearchParams): Promise<HTMLElement> {
  let v: VulnDetail;
  try {
    v = await get<VulnDetail>("vulnerabilities/" + seg(id));
  } catch (e) {
    return notFound("Vulnerability " + id, e);
  }
  // distro trackers need the OS of the images carrying it: the first page does
  let oses: string[] = [];
  try {
    const p = await get<Page<ImageSummary>>("vulnerabilities/" + seg(v.id) + "/images", { limit: 100 });
    oses = [...new Set(p.items.map((i) => i.os).filter((o): o is string => !!o))];
  } catch {
    oses = [];
  }
  const links = all(v.id, v.links, oses);
  const main = h("div", {}, h("h1", { tabindex: -1 }, h("code", {}, v.id), " ", sev(v.severity)));
  main.appendChild(dl([
    ["aliases", v.aliases && v.aliases.length ? v.aliases.join(", ") : "–"],
    ["CVSS", v.cvss === null ? "–" : v.cvss.toFixed(1)], ["EPSS", v.epss === null ? "–" : v.epss.toFixed(3)],
    ["known exploited (KEV)", v.kev ? "yes" : "no"], ["images", num(v.images)],
    ["fixed in", v.fixed_versions.length ? h("code", {}, v.fixed_versions.join(", ")) : "no fix yet"],
  ]));
  main.appendChild(section("Advisory", links.length ? h("ul", { class: "links" }, links.map(([label, url]) =>
    h("li", {}, h("a", { href: url, rel: "noopener noreferrer", class: "advisory" }, label + ": " + url)))) :
    h("p", {}, "No advisory page is known for this id.")));
  main.appendChild(section("Packages", h("div", { class: "wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "package"), h("th", { scope: "col" }, "ecosystem"),
      h("th", { scope: "col" }, "installed"), h("th", { scope: "col" }, "fixed in"), h("th", { scope: "col", class: "n" }, "images"))),
    h("tbody", {}, v.packages.map((p) => h("tr", {}, h("td", {}, pkgLink(p.ecosystem, p.name)), h("td", {}, p.ecosystem || "–"),
      h("td", {}, h("code", {}, p.installed || "–")), h("td", {}, p.fixed ? h("code", {}, p.fixed) : "–"),
      h("td", { class: "n" }, num(p.images)))))))));
  main.appendChild(section("Affected images", await listView<ImageSummary>({ id: "vimages", route: ["vuln", id],
    endpoint: "vulnerabilities/" + seg(v.id) + "/images", caption: "Images carrying " + v.id, columns: imageColumns(),
    filters: ["severity", "fixable", "running", "registry", "repository", "tag"], sorts: IMAGE_SORTS, defaultSort: "risk" }, params)));
  return main;
}

export async function pkg(eco: string, name: string, params: URLSearchParams): Promise<HTMLElement> {
  let p: PackageDetail;
  try {
    p = await get<PackageDetail>("packages/" + seg(eco) + "/" + seg(name));
  } catch (e) {
    return notFound("Package " + name, e);
  }
  const main = h("div", {}, h("h1", { tabindex: -1 }, "Package ", h("code", {}, p.name), " ", h("small", {}, p.ecosystem)));
  main.appendChild(section("Versions in the fleet", h("div", { class: "wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "version"), h("th", { scope: "col", class: "n" }, "images"))),
    h("tbody", {}, p.version_list.map((x) => h("tr", {}, h("td", {}, h("a", {
      href: href(["package", eco, name], { version: x.version }) }, h("code", {}, x.version))),
      h("td", { class: "n" }, num(x.images)))))))));
  const version = params.get("version");
  main.appendChild(section(version ? "Images with " + version : "Images", await listView<ImageSummary>({ id: "pimages",
    route: ["package", eco, name], endpoint: "packages/" + seg(eco) + "/" + seg(name) + "/images",
    caption: "Images carrying " + p.name, columns: imageColumns(), fixed: { version },
    filters: ["severity", "fixable", "running", "registry", "repository"], sorts: IMAGE_SORTS, defaultSort: "risk" }, params)));
  return main;
}
