// Browser test of the console against a running scanfarm-api, in Debian's
// Chromium driven by playwright-core (no browser download):
//   node tests/console.test.mjs BASE_URL EXPECT.json SHOT_DIR
// EXPECT.json (computed by tests/integration/test_web_console.sh straight
// from the results it fed): images, cve, cve_images, image_ref,
// fleet_registry, fleet_images, fleet_critical_images, running (the
// digests the inventory it wrote runs).
// Steps: dashboard (its "Running now" and the list it links to; also at
// 420 px: no sideways scroll), search a CVE with the keyboard, open an image from it, filter a list by severity, page
// through the 1,000-image list; a screenshot of each; any console error or
// page exception fails the run.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const [base, expectFile, shots] = process.argv.slice(2);
const want = JSON.parse(readFileSync(expectFile, "utf8"));
mkdirSync(shots, { recursive: true });
const problems = [];
const t0 = Date.now();
const log = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
function check(cond, what) {
  if (!cond) throw new Error("FAIL: " + what);
  log("ok: " + what);
}
const n = (s) => Number(String(s).replace(/[^0-9]/g, ""));

const browser = await chromium.launch({
  executablePath: process.env.SF_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
let rc = 0;
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("requestfailed", (r) => { if (r.url().startsWith(base)) problems.push("request failed: " + r.url()); });
  // the console must need nothing but its own server
  await page.route((u) => !u.href.startsWith(base), (r) => { problems.push("external fetch: " + r.request().url()); r.abort(); });
  const shot = async (name) => { await page.screenshot({ path: join(shots, name), fullPage: true }); log("screenshot " + name); };
  const status = (id) => page.locator(`#${id}-status`);

  // 1. dashboard
  await page.goto(base + "/");
  await page.getByRole("heading", { level: 1, name: "Fleet dashboard" }).waitFor();
  await page.locator("#s-worst-images").waitFor();
  const cards = await page.locator(".card").allTextContents();
  const images = cards.find((c) => /images$/.test(c));
  check(images && n(images) === want.images, `dashboard shows ${want.images} images (${images})`);
  check(await page.locator("figure.chart svg polyline").count() === 5, "trend has a line per severity");
  check(await page.locator("#s-worst-images ~ * a[href^='#/image/'], #s-worst-images + div a[href^='#/image/']").count() > 0,
    "worst images link to image pages");
  await shot("dashboard.png");
  // "Running now": exactly the images the inventory runs, and its link lists them
  const hex = (d) => d.slice("sha256:".length);
  const runHrefs = await page.locator("section[aria-labelledby='s-running-now'] tbody a[href^='#/image/']")
    .evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  const runSeen = want.running.filter((d) => runHrefs.some((h) => h.includes(hex(d))));
  check(runHrefs.length === want.running.length && runSeen.length === want.running.length,
    `"Running now" lists the ${want.running.length} running images (${runHrefs.length} rows)`);
  await page.getByRole("link", { name: "All running images" }).click();
  await status("images").filter({ hasText: `of ${want.running.length} ·` }).waitFor();
  const listed = await page.locator("#images tbody a[href^='#/image/']").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  check(listed.length === want.running.length && want.running.every((d) => listed.some((h) => h.includes(hex(d)))),
    `"All running images" lists the ${want.running.length} running images`);
  await page.goto(base + "/");
  await page.locator("#s-worst-images").waitFor();
  await page.setViewportSize({ width: 420, height: 900 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 420, `readable at 420 px: page is ${wide} px wide`);
  await shot("dashboard-420.png");
  await page.setViewportSize({ width: 1280, height: 900 });

  // 2. search a CVE, with the keyboard only
  await page.locator("#q").focus();
  await page.keyboard.type(want.cve.toLowerCase());
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { level: 1, name: new RegExp(want.cve) }).waitFor();
  const nvd = page.locator(`a.advisory[href="https://nvd.nist.gov/vuln/detail/${want.cve}"]`);
  check(await nvd.count() === 1, "CVE page links to its NVD page");
  await status("vimages").filter({ hasText: "of" }).waitFor();
  const vs = await status("vimages").textContent();
  check(vs.includes(`of ${want.cve_images.toLocaleString("en")}`), `${want.cve} is in ${want.cve_images} images (${vs})`);
  await shot("vulnerability.png");

  // 3. open an image from it
  const first = page.locator("#vimages tbody a[href^='#/image/']").first();
  const ref = (await first.textContent()).trim();
  await first.click();
  await page.getByRole("heading", { level: 1, name: /^Image/ }).waitFor();
  await page.locator("#findings-status").waitFor();
  check((await page.locator("h1").textContent()).includes(ref.replace(/ \+\d+$/, "")), "image page of the clicked image");
  const groups = page.locator("table.grouped tbody tr.group");
  check(await groups.count() > 0, `findings grouped by package (${await groups.count()} packages)`);
  const g0 = await groups.first().textContent();
  check(/fixed in/.test(g0) && /layer/.test(g0), "group shows fixed version and layer: " + g0.trim().slice(0, 120));
  check(await page.locator(`table.grouped a[href="#/vuln/${want.cve}"]`).count() >= 1, "the searched CVE is among its findings");
  await shot("image.png");
  // severity filter on the image's findings (keyboard: Space toggles, Enter submits)
  await page.locator("#fsev-CRITICAL").focus();
  await page.keyboard.press("Space");
  await page.locator("#findings-apply").click();
  await page.locator("#findings-status").filter({ hasText: "critical" }).waitFor();
  const sevs = await page.locator("table.grouped tbody tr:not(.group) .sev").allTextContents();
  check(sevs.every((s) => s === "Critical"), `image findings filtered to critical (${sevs.length})`);

  // 4. search an image reference
  await page.locator("#q").fill(want.image_ref);
  await page.locator("#q").press("Enter");
  await page.getByRole("heading", { level: 1, name: new RegExp("Image " + want.image_ref.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) }).waitFor();
  log("ok: image reference search opens its page");

  // 5. filter a list by severity
  await page.goto(base + "/#/images?registry=" + encodeURIComponent(want.fleet_registry) + "&limit=100");
  await status("images").filter({ hasText: "of" }).waitFor();
  check((await status("images").textContent()).includes(`of ${want.fleet_images.toLocaleString("en")}`),
    `the fleet registry lists ${want.fleet_images} images`);
  await page.getByRole("checkbox", { name: "Critical" }).check();
  await page.getByRole("button", { name: "Apply filters" }).click();
  await status("images").filter({ hasText: `of ${want.fleet_critical_images.toLocaleString("en")}` }).waitFor();
  const crit = await page.locator("#images tbody tr td:nth-child(3)").allTextContents();
  check(crit.length > 0 && crit.every((c) => n(c) > 0), `severity filter: ${want.fleet_critical_images} images, each with a critical`);
  check(await page.evaluate(() => document.activeElement && document.activeElement.id) === "images-apply",
    "focus stays on the Apply button");
  await shot("images-critical.png");

  // 6. page through the 1,000-image list (Next by keyboard)
  await page.goto(base + "/#/images?registry=" + encodeURIComponent(want.fleet_registry) + "&limit=100&sort=digest&order=asc");
  const seen = new Set();
  const pages = Math.ceil(want.fleet_images / 100);
  for (let p = 1; ; p++) {
    // the whole status: the previous list's "page 1 of" must not match
    await status("images").filter({ hasText: `of ${want.fleet_images.toLocaleString("en")} · page ${p} of ${pages}` }).waitFor();
    const hrefs = await page.locator("#images tbody a[href^='#/image/']").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    hrefs.forEach((h) => seen.add(h));
    if (process.env.SF_WEB_DEBUG) log(`page ${p}: ${hrefs.length} rows, first ${hrefs[0]}`);
    const next = page.locator("#images-next");
    if (await next.isDisabled()) break;
    if (p > 20) throw new Error("FAIL: more pages than expected");
    await next.focus();
    await page.keyboard.press("Enter");
    await page.locator("#images-next:focus").waitFor();
  }
  check(seen.size === want.fleet_images, `paged through ${seen.size} distinct images of ${want.fleet_images}`);
  await shot("images-last-page.png");
  await page.locator("#images-prev").click();
  await status("images").filter({ hasText: `page ${pages - 1} of ${pages}` }).waitFor();
  log("ok: Previous goes back a page");
  // sort by a column header (a real button) and the order flips
  await page.getByRole("button", { name: /findings/ }).click();
  await page.locator("th[aria-sort=descending] button", { hasText: "findings" }).waitFor();
  const f = (await page.locator("#images tbody tr td:nth-child(8)").allTextContents()).map(n);
  check(f.every((x, i) => i === 0 || f[i - 1] >= x), "sorted by findings, most first");
  check(problems.length === 0, "no console errors, page errors or external fetches" +
    (problems.length ? ": " + problems.slice(0, 5).join(" | ") : ""));
} catch (e) {
  console.error(e && e.stack ? e.stack : String(e));
  if (problems.length) console.error("also: " + problems.slice(0, 10).join("\n  "));
  rc = 1;
} finally {
  await browser.close();
}
log(rc ? "FAILED" : "passed");
process.exit(rc);
