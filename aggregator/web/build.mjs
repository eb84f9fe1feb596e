// Build the console into a directory the server serves (--web-root):
//   node build.mjs [OUT]      OUT defaults to ./out
// TypeScript compiles src/ to OUT/js (ES modules the browser loads as
// they are: no bundler, nothing fetched at run time), static/ is copied.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || process.env.SF_WEB_OUT || resolve(here, "out"));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const tsc = resolve(here, "node_modules", "typescript", "bin", "tsc");
execFileSync(process.execPath, [tsc, "-p", here, "--outDir", resolve(out, "js")], { stdio: "inherit" });
cpSync(resolve(here, "static"), out, { recursive: true });
if (!existsSync(resolve(out, "js", "main.js"))) {
  console.error("build: js/main.js missing");
  process.exit(1);
}
console.log("console built into " + out);
