// Advisory pages for an id when the API gave none, by the same rules as the
// HTML report (common/vuln/advisory.c): the id's namespace picks the page.
import type { Links } from "./types.js";

const SAFE = /^[A-Za-z0-9._:-]{1,128}$/;
const NS: [string, string][] = [
  ["CVE-", "https://nvd.nist.gov/vuln/detail/"],
  ["GHSA-", "https://github.com/advisories/"],
  ["DSA-", "https://security-tracker.debian.org/tracker/"],
  ["DLA-", "https://security-tracker.debian.org/tracker/"],
  ["USN-", "https://ubuntu.com/security/notices/"],
  ["RHSA-", "https://access.redhat.com/errata/"],
];
const TRACKERS: Record<string, string> = {
  alpine: "https://security.alpinelinux.org/vuln/",
  debian: "https://security-tracker.debian.org/tracker/",
  ubuntu: "https://ubuntu.com/security/",
  rhel: "https://access.redhat.com/security/cve/",
  centos: "https://access.redhat.com/security/cve/",
  rocky: "https://access.redhat.com/security/cve/",
  almalinux: "https://access.redhat.com/security/cve/",
};

export function canonical(id: string, links?: Links): string | null {
  if (links) {
    const l = links.nvd || links.ghsa || links.osv || links.tracker;
    if (l && /^https:\/\//.test(l)) return l;
  }
  if (!SAFE.test(id)) return null;
  for (const [p, u] of NS) if (id.startsWith(p)) return u + id;
  return /^[A-Z]+-/.test(id) ? "https://osv.dev/vulnerability/" + id : null;
}

// Every page we know for id: the API's links first, then the computed ones.
export function all(id: string, links: Links | undefined, oses: string[]): [string, string][] {
  const out: [string, string][] = [];
  const add = (label: string, url: string | undefined | null) => {
    if (url && /^https:\/\//.test(url) && !out.some(([, u]) => u === url)) out.push([label, url]);
  };
  if (links) {
    add("NVD", links.nvd);
    add("GitHub advisory", links.ghsa);
    add("OSV", links.osv);
    add("Distro tracker", links.tracker);
  }
  if (SAFE.test(id)) {
    if (id.startsWith("CVE-")) add("NVD", NS[0][1] + id);
    if (id.startsWith("GHSA-")) add("GitHub advisory", NS[1][1] + id);
    add("OSV", "https://osv.dev/vulnerability/" + id);
    if (id.startsWith("CVE-"))
      for (const os of oses) {
        const fam = os.split(/[ :/]/)[0];
        if (TRACKERS[fam]) add(fam[0].toUpperCase() + fam.slice(1) + " tracker", TRACKERS[fam] + id);
      }
  }
  return out;
}
