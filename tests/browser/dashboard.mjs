// Browser check of `transform dashboard serve` (driven by transform's dashboard browser test):
//   node dashboard.mjs URL SCREENSHOT.png [--wait-update]
// Prints `READY {...}` once every panel is drawn (per-panel points, log and range checks, problems), then
// with --wait-update waits for a line on stdin (the test has synced and built again) and prints
// `UPDATED {...}` when the KPI strip shows the new data, and finally `DONE {problems}`.
import { createHash } from "node:crypto";
import { open, say, nextLine } from "./browser.mjs";

const [url, screenshot, ...flags] = process.argv.slice(2);
const origin = url.startsWith("file:") ? null : new URL(url).origin;
const { context, page, problems } = await open(origin);
const t0 = Date.now();
await page.goto(url);
await page.waitForSelector("body[data-ready='1'], body[data-error]", { timeout: 60000 });
const drawnMs = Date.now() - t0;

const panels = await page.$$eval("section.panel", (els) => els.map((e) => ({
  name: e.dataset.panel, kind: e.dataset.kind, points: e.dataset.points ?? null, rows: e.dataset.rows ?? null,
  visible: e.dataset.visible ?? null, renders: e.dataset.renders ?? null, error: e.querySelector("p.error").hidden || e.querySelector("p.error.empty") ? null : e.querySelector("p.error").textContent,
  as_of: e.dataset.asOf ?? null, fresh: e.querySelector(".fresh").textContent,
})));

/** A hash of the pixels of the panel's chart, so "what is drawn changed" is checked on the canvas itself. */
const pixels = async (name) => createHash("sha256").update(await page.locator(`#panel-${name} .chart`).screenshot()).digest("hex");
const attr = (name, a) => page.$eval(`#panel-${name}`, (e, a) => e.dataset[a] ?? null, a);
const rendered = async (name, before) => {
  await page.waitForFunction(([n, b]) => Number(document.querySelector(`#panel-${n}`).dataset.renders) > b, [name, Number(before)], { timeout: 10000 });
};

async function interact(name) {
  const out = { panel: name };
  out.before = { scale: await attr(name, "yScale"), visible: await attr(name, "visible"), pixels: await pixels(name) };
  let r = await attr(name, "renders");
  await page.click(`#panel-${name} [data-toggle='log']`);
  await rendered(name, r);
  out.log = { scale: await attr(name, "yScale"), visible: await attr(name, "visible"), pixels: await pixels(name), url: page.url() };
  r = await attr(name, "renders");
  await page.click(`#panel-${name} [data-range-button='1M']`);
  await rendered(name, r);
  out.range = { range: await attr(name, "range"), visible: await attr(name, "visible"), pixels: await pixels(name), url: page.url() };
  // A tooltip: ECharts draws it on hover (it must not trip the Content-Security-Policy).
  const box = await page.locator(`#panel-${name} .chart`).boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + 120);
  await page.waitForTimeout(300);
  // Back to the defaults so the screenshot shows the page as a visitor first sees it.
  await page.click(`#panel-${name} [data-toggle='log']`);
  await page.click(`#panel-${name} [data-range-button='1Y']`);
  return out;
}

/** The "SQL" button's dialog: the panel's models and compiled SQL, as the page shows them. */
async function sqlDialog(name) {
  await page.click(`#panel-${name} button.sql`);
  const shown = await page.$eval("#sql-dialog", (d) => ({ open: d.open, models: [...d.querySelectorAll(".models code")].map((c) => c.textContent), sql: d.querySelector(".sql").textContent }));
  await page.click("#sql-dialog button.close");
  return shown;
}

const price = panels.find((p) => p.kind === "timeseries");
const interaction = price && !price.error && Number(price.points) > 31 ? await interact(price.name) : null;
const kpi = async () => page.$$eval(".kpi", (els) => Object.fromEntries(els.map((e) => [e.dataset.column, e.dataset.value])));
const kpisBefore = await kpi();
await page.screenshot({ path: screenshot, fullPage: true });
const dialog = price ? await sqlDialog(price.name) : null;
say("READY", { drawn_ms: drawnMs, panels, interaction, dialog, kpis: kpisBefore, version: await page.$eval("body", (b) => b.dataset.version), problems });

if (flags.includes("--wait-update")) {
  await nextLine();
  const t1 = Date.now();
  const before = await page.$eval("body", (b) => Number(b.dataset.version));
  try {
    await page.waitForFunction((v) => Number(document.body.dataset.version) > v, before, { timeout: 30000 });
    say("UPDATED", { after_ms: Date.now() - t1, kpis: await kpi(), version: await page.$eval("body", (b) => b.dataset.version) });
  } catch (e) {
    say("UPDATED", { error: String(e), kpis: await kpi() });
  }
}
say("DONE", problems);
await context.close();
