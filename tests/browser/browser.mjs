// Launches Debian's headless Chromium through playwright-core (found in BROWSER_HARNESS_DIR, see
// scripts/browser-setup.sh) with the flags this machine needs, and records what a page does wrong:
// console errors, uncaught exceptions, failed requests and any request to a host other than the server.
import { createRequire } from "node:module";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const harness = process.env.BROWSER_HARNESS_DIR;
if (!harness) throw new Error("BROWSER_HARNESS_DIR is not set: run scripts/browser-setup.sh");
const { chromium } = createRequire(join(harness, "package.json"))("playwright-core");

export const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** A browser and a page on `origin`; `problems` collects everything that must stay empty. */
export async function open(origin, viewport) {
  const userDataDir = mkdtempSync(join(tmpdir(), "chromium-profile-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: FLAGS,
    viewport: viewport || { width: 1400, height: 1000 },
  });
  const page = context.pages()[0] || (await context.newPage());
  const problems = { console: [], exceptions: [], foreign: [], failed: [] };
  const allowed = origin ? new URL(origin).host : null;
  page.on("console", (m) => m.type() === "error" && problems.console.push(m.text()));
  page.on("pageerror", (e) => problems.exceptions.push(String(e)));
  page.on("requestfailed", (r) => problems.failed.push(`${r.url()} ${r.failure() && r.failure().errorText}`));
  await context.route("**/*", (route) => {
    const u = new URL(route.request().url());
    const local = u.protocol === "data:" || u.protocol === "blob:" || u.protocol === "file:" || u.host === allowed;
    if (!local) {
      problems.foreign.push(u.href);
      return route.abort();
    }
    return route.continue();
  });
  return { context, page, problems };
}

/** One JSON line on stdout: `TAG {json}` (the Rust test reads these). */
export function say(tag, value) {
  process.stdout.write(`${tag} ${JSON.stringify(value)}\n`);
}

/** Resolves with the next line on stdin. */
export function nextLine() {
  return new Promise((resolve) => {
    let buf = "";
    const on = (chunk) => {
      buf += chunk;
      const i = buf.indexOf("\n");
      if (i >= 0) {
        process.stdin.off("data", on);
        process.stdin.pause();
        resolve(buf.slice(0, i));
      }
    };
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", on);
    process.stdin.resume();
  });
}
