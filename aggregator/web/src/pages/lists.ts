// The list pages: images, vulnerabilities, packages, repositories, each
// one listView with the filters its endpoint takes (openapi.json).
import { h, num, when } from "../dom.js";
import { listView } from "../table.js";
import { href } from "../router.js";
import { imageLink, pkgLink, sev, vulnCell } from "../ui.js";
import { repoName } from "./dashboard.js";
import type { ImageSummary, PackageSummary, Repository, VulnSummary } from "../types.js";

export const IMAGE_SORTS = ["risk", "findings", "critical", "cvss", "time", "digest"];

export function imageColumns() {
  return [
    { label: "image", sort: "digest", cell: (i: ImageSummary) => imageLink(i) },
    { label: "platform", cell: (i: ImageSummary) => i.platform || "–" },
    { label: "critical", sort: "critical", num: true, cell: (i: ImageSummary) => num(i.severity.CRITICAL) },
    { label: "high", num: true, cell: (i: ImageSummary) => num(i.severity.HIGH) },
    { label: "medium", num: true, cell: (i: ImageSummary) => num(i.severity.MEDIUM) },
    { label: "low", num: true, cell: (i: ImageSummary) => num(i.severity.LOW) },
    { label: "unknown", num: true, cell: (i: ImageSummary) => num(i.severity.UNKNOWN) },
    { label: "findings", sort: "findings", num: true, cell: (i: ImageSummary) => num(i.findings) },
    { label: "max CVSS", sort: "cvss", num: true, cell: (i: ImageSummary) => i.cvss_max === null ? "–" : i.cvss_max.toFixed(1) },
    { label: "scanned", sort: "time", cell: (i: ImageSummary) => i.error ? h("span", { class: "err" }, "failed: " + i.error) : when(i.scanned_at) },
  ];
}

export async function images(params: URLSearchParams): Promise<HTMLElement> {
  return h("div", {}, h("h1", { tabindex: -1 }, "Images"),
    await listView<ImageSummary>({ id: "images", route: ["images"], endpoint: "images", caption: "Images",
      columns: imageColumns(), filters: ["severity", "fixable", "running", "registry", "repository", "tag", "ecosystem", "cvss_min"],
      sorts: IMAGE_SORTS, defaultSort: "risk" }, params));
}

export async function vulns(params: URLSearchParams): Promise<HTMLElement> {
  return h("div", {}, h("h1", { tabindex: -1 }, "Vulnerabilities"),
    await listView<VulnSummary>({ id: "vulns", route: ["vulns"], endpoint: "vulnerabilities", caption: "Vulnerabilities",
      columns: [
        { label: "vulnerability", sort: "id", cell: (v) => vulnCell(v.id, v.links) },
        { label: "severity", sort: "severity", cell: (v) => sev(v.severity) },
        { label: "CVSS", sort: "cvss", num: true, cell: (v) => v.cvss === null ? "–" : v.cvss.toFixed(1) },
        { label: "EPSS", sort: "epss", num: true, cell: (v) => v.epss === null ? "–" : v.epss.toFixed(3) },
        { label: "KEV", cell: (v) => v.kev ? h("strong", {}, "exploited") : "–" },
        { label: "images", sort: "images", num: true, cell: (v) => num(v.images) },
        { label: "fix", cell: (v) => v.fixable ? "yes" : "no" },
        { label: "first seen", sort: "first_seen", cell: (v) => when(v.first_seen) },
      ],
      filters: ["severity", "fixable", "running", "registry", "repository", "tag", "ecosystem", "cvss_min"],
      sorts: ["images", "severity", "cvss", "epss", "id", "first_seen"], defaultSort: "images" }, params));
}

export async function packages(params: URLSearchParams): Promise<HTMLElement> {
  return h("div", {}, h("h1", { tabindex: -1 }, "Packages"),
    await listView<PackageSummary>({ id: "packages", route: ["packages"], endpoint: "packages", caption: "Packages",
      columns: [
        { label: "package", sort: "name", cell: (p) => pkgLink(p.ecosystem, p.name) },
        { label: "ecosystem", cell: (p) => p.ecosystem },
        { label: "versions", num: true, cell: (p) => num(p.versions) },
        { label: "images", sort: "images", num: true, cell: (p) => num(p.images) },
        { label: "vulnerable", cell: (p) => p.vulnerable ? "yes" : "no" },
      ],
      filters: ["severity", "fixable", "registry", "repository", "ecosystem"],
      sorts: ["images", "name"], defaultSort: "images" }, params));
}

export async function repositories(params: URLSearchParams): Promise<HTMLElement> {
  return h("div", {}, h("h1", { tabindex: -1 }, "Repositories"),
    await listView<Repository>({ id: "repos", route: ["repositories"], endpoint: "repositories", caption: "Repositories",
      columns: [
        { label: "repository", sort: "name", cell: (r) => h("a", { href: href(["images"], { registry: r.registry, repository: r.repository }) }, h("code", {}, repoName(r))) },
        { label: "images", sort: "images", num: true, cell: (r) => num(r.counts.images) },
        { label: "vulnerable", num: true, cell: (r) => num(r.counts.vulnerable) },
        { label: "critical", sort: "critical", num: true, cell: (r) => num(r.counts.severity.CRITICAL) },
        { label: "high", num: true, cell: (r) => num(r.counts.severity.HIGH) },
        { label: "unknown", num: true, cell: (r) => num(r.counts.severity.UNKNOWN) },
        { label: "findings", sort: "findings", num: true, cell: (r) => num(r.counts.findings) },
        { label: "fixable", num: true, cell: (r) => num(r.counts.fixable) },
      ],
      filters: ["registry"], sorts: ["images", "findings", "critical", "name"], defaultSort: "images" }, params));
}
