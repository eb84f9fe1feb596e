// The console's entry: the header's search box and navigation, and the
// router that renders one page into <main> for each hash change. Pages are
// async functions returning an element; a newer navigation wins over a
// slower earlier one.
import { clear, h } from "./dom.js";
import { current, go, type Route } from "./router.js";
import { restoreFocus } from "./ui.js";
import { dashboard } from "./pages/dashboard.js";
import { images, packages, repositories, vulns } from "./pages/lists.js";
import { image, pkg, vuln } from "./pages/detail.js";
import { search, target } from "./pages/search.js";

async function render(r: Route): Promise<HTMLElement> {
  const [page, a, b] = r.path;
  switch (page) {
    case undefined: return dashboard();
    case "images": return images(r.params);
    case "image": return image(a || "", r.params);
    case "vulns": return vulns(r.params);
    case "vuln": return vuln(a || "", r.params);
    case "packages": return packages(r.params);
    case "package": return pkg(a || "", b || "", r.params);
    case "repositories": return repositories(r.params);
    case "search": return search(r.params);
    default: return h("div", {}, h("h1", { tabindex: -1 }, "Not found"), h("p", {}, "No such page."));
  }
}

let seq = 0;
async function show(): Promise<void> {
  const main = document.getElementById("main") as HTMLElement;
  const mine = ++seq;
  const r = current();
  main.setAttribute("aria-busy", "true");
  const el = await render(r);
  if (mine !== seq) return;
  clear(main);
  main.appendChild(el);
  main.removeAttribute("aria-busy");
  const h1 = el.querySelector("h1");
  document.title = (h1 ? h1.textContent + " · " : "") + "scanfarm";
  for (const a of document.querySelectorAll<HTMLAnchorElement>("header nav a")) {
    const here = a.getAttribute("href") === "#/" + (r.path[0] || "");
    if (here) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  restoreFocus(main);
}

function init(): void {
  const form = document.getElementById("search") as HTMLFormElement;
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = document.getElementById("q") as HTMLInputElement;
    const t = target(input.value);
    if (t) go(t.path, t.params);
  });
  // the skip link must not change the hash (that is the router's)
  document.getElementById("skip")?.addEventListener("click", (ev) => {
    ev.preventDefault();
    (document.getElementById("main") as HTMLElement).focus();
  });
  window.addEventListener("hashchange", () => void show());
  void show();
}

init();
