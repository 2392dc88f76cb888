// Browser check of `transform docs serve` (driven by transform's docs browser test):
//   node docs.mjs URL NODE_ID SCREENSHOT.png
// Opens the node's page and prints `PAGE {...}`: its columns (with types and tests), tests, the lineage
// graph's nodes by role; then clicks the first parent in the graph and prints `NAVIGATED {...}`, then
// `DONE {problems}`.
import { open, say } from "./browser.mjs";

const [url, nodeId, screenshot] = process.argv.slice(2);
const { context, page, problems } = await open(new URL(url).origin);
const t0 = Date.now();
await page.goto(`${url}#!/model/${nodeId}`);
await page.waitForSelector("body[data-ready='1'], body[data-error]", { timeout: 60000 });
await page.waitForSelector(`#page[data-node='${nodeId}'] svg.lineage`, { timeout: 20000 });
const shownMs = Date.now() - t0;

const read = () => page.evaluate(() => ({
  node: document.querySelector("#page").dataset.node,
  columns: [...document.querySelectorAll("table.columns tbody tr")].map((tr) => ({
    name: tr.dataset.column, type: tr.querySelector(".type").textContent,
    tests: [...tr.querySelectorAll(".test-badge")].map((b) => b.textContent),
  })),
  tests: [...document.querySelectorAll("ul.tests li")].map((li) => li.dataset.test),
  lineage: [...document.querySelectorAll("svg.lineage g.node")].map((g) => ({ id: g.dataset.id, role: g.dataset.role })),
}));

const first = await read();
await page.screenshot({ path: screenshot, fullPage: true });
say("PAGE", { shown_ms: shownMs, ...first });
const parent = first.lineage.find((n) => n.role === "parent");
if (parent) {
  await page.click(`svg.lineage g.node[data-id='${parent.id}']`);
  await page.waitForSelector(`#page[data-node='${parent.id}'] svg.lineage`, { timeout: 10000 });
  say("NAVIGATED", await read());
}
say("DONE", problems);
await context.close();
