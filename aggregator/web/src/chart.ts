// The dashboard's trend: findings per severity over the last runs as SVG
// lines, with the same numbers in a table beside it for screen readers and
// for copying (the chart is aria-hidden; the table is the content).
import { h, s, num, when } from "./dom.js";
import { SEVERITIES, type HistoryPoint } from "./types.js";

const W = 640, H = 220, PAD_L = 48, PAD_B = 28, PAD_T = 10, PAD_R = 12;

export function trend(points: HistoryPoint[]): HTMLElement {
  if (points.length === 0) return h("p", {}, "No run history yet.");
  const pts = [...points].sort((a, b) => a.started_at - b.started_at);
  const max = Math.max(1, ...pts.flatMap((p) => SEVERITIES.map((sv) => p.counts.severity[sv] || 0)));
  const x = (i: number) => PAD_L + (pts.length === 1 ? (W - PAD_L - PAD_R) / 2 : i * (W - PAD_L - PAD_R) / (pts.length - 1));
  const y = (v: number) => PAD_T + (H - PAD_T - PAD_B) * (1 - v / max);
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "trend", "aria-hidden": "true", focusable: "false" },
    s("line", { x1: PAD_L, y1: y(0), x2: W - PAD_R, y2: y(0), class: "axis" }),
    s("text", { x: PAD_L - 6, y: y(max) + 4, "text-anchor": "end", class: "tick" }, num(max)),
    s("text", { x: PAD_L - 6, y: y(0) + 4, "text-anchor": "end", class: "tick" }, "0"),
    ...SEVERITIES.map((sv) => {
      const d = pts.map((p, i) => `${x(i).toFixed(1)},${y(p.counts.severity[sv] || 0).toFixed(1)}`).join(" ");
      return s("g", { class: "line sev-" + sv.toLowerCase() },
        s("polyline", { points: d, fill: "none" }),
        ...pts.map((p, i) => s("circle", { cx: x(i).toFixed(1), cy: y(p.counts.severity[sv] || 0).toFixed(1), r: 3 })));
    }),
    s("text", { x: PAD_L, y: H - 8, class: "tick" }, pts[0].run_id),
    pts.length > 1 ? s("text", { x: W - PAD_R, y: H - 8, "text-anchor": "end", class: "tick" }, pts[pts.length - 1].run_id) : null);
  const legend = h("ul", { class: "legend", "aria-hidden": "true" },
    SEVERITIES.map((sv) => h("li", {}, h("span", { class: "swatch sev-" + sv.toLowerCase() }), sv.toLowerCase())));
  const table = h("details", {}, h("summary", {}, "Trend as a table"),
    h("div", { class: "wrap" }, h("table", {},
      h("caption", { class: "vh" }, "Findings by severity per run"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "run"), h("th", { scope: "col" }, "started"),
        SEVERITIES.map((sv) => h("th", { scope: "col", class: "n" }, sv.toLowerCase())),
        h("th", { scope: "col", class: "n" }, "new"), h("th", { scope: "col", class: "n" }, "resolved"))),
      h("tbody", {}, pts.map((p) => h("tr", {}, h("th", { scope: "row" }, p.run_id), h("td", {}, when(p.started_at)),
        SEVERITIES.map((sv) => h("td", { class: "n" }, num(p.counts.severity[sv] || 0))),
        h("td", { class: "n" }, num(p.new)), h("td", { class: "n" }, num(p.resolved))))))));
  return h("figure", { class: "chart" }, svg, legend,
    h("figcaption", {}, `Findings by severity over the last ${pts.length} run${pts.length === 1 ? "" : "s"}`), table);
}
