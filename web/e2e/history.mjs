// A long workspace's timeline in Debian's chromium, driven by playwright-core:
//   node history.mjs <page url> <screenshot dir>      (WORKSPACE_ID, LAST_TEXT: the newest entry's text)
// Opens the workspace, times how long the latest page takes to show, then scrolls the timeline to its top until the
// workspace's first entry is there. Prints one JSON line: {"step":"done", ...}.
import { launch, newPage, WAIT } from "./lib.mjs";

const [base, shots] = process.argv.slice(2);
const { WORKSPACE_ID: workspaceId, LAST_TEXT: lastText } = process.env;

const browser = await launch(shots);
const pageErrors = [];
try {
  const page = await newPage(browser);
  page.on("pageerror", (error) => pageErrors.push(error.stack ?? error.message));
  await page.goto(`${base}/?w=${encodeURIComponent(workspaceId)}`);
  await page.locator("input[name=name]").fill("reader");
  await page.locator("form.join button[type=submit]").click();
  // Measured in the page: from the connection opening to the newest entry on screen.
  const latestMillis = await page.evaluate(([lastText]) => new Promise((resolve, reject) => {
    let connectedAt = null;
    const check = () => {
      const status = document.querySelector("[data-testid=connection]")?.dataset.status;
      if (connectedAt === null && status === "connected") connectedAt = performance.now();
      const timeline = document.querySelector("[data-testid=timeline]");
      if (connectedAt !== null && timeline?.textContent.includes(lastText)) {
        resolve(performance.now() - connectedAt);
        return true;
      }
      return false;
    };
    if (check()) return;
    const observer = new MutationObserver(() => check() && observer.disconnect());
    observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    setTimeout(() => reject(new Error("the latest page did not show within 30 s")), 30_000);
  }), [lastText]);
  await page.screenshot({ path: `${shots}/01-latest-page.png` });
  const state = () => page.locator("[data-testid=timeline]").evaluate((el) => ({
    firstSeq: Number(el.dataset.firstSeq), reachedStart: el.dataset.reachedStart === "true",
    scrollTop: el.parentElement.scrollTop, entries: el.querySelectorAll("li[data-key]").length,
  }));
  const latest = await state();
  // Scrolled to the top, the timeline loads the page before and keeps the view where it was.
  let loads = 0;
  let keptPosition = null;
  let current = latest;
  const started = Date.now();
  while (!current.reachedStart) {
    await page.locator(".timeline-scroll").evaluate((el) => { el.scrollTop = 0; });
    await page.waitForFunction(([before]) => {
      const el = document.querySelector("[data-testid=timeline]");
      return el.dataset.loading === "false" && (Number(el.dataset.firstSeq) < before || el.dataset.reachedStart === "true");
    }, [current.firstSeq], WAIT);
    loads += 1;
    current = await state();
    if (keptPosition === null) keptPosition = current.scrollTop;
    if (loads === 1) await page.screenshot({ path: `${shots}/02-after-one-older-page.png` });
    if (loads > 10_000) throw new Error("the timeline never reached its start");
  }
  await page.locator(".timeline-scroll").evaluate((el) => { el.scrollTop = 0; });
  await page.locator("[data-testid=timeline-start]").waitFor(WAIT);
  await page.screenshot({ path: `${shots}/03-beginning.png` });
  const first = await page.locator("[data-testid=timeline] li[data-key]").first().innerText();
  const start = await page.locator("[data-testid=timeline-start]").count();
  console.log(JSON.stringify({ step: "done", latestMillis, latest, loads, keptPosition, final: current,
    scrollMillis: Date.now() - started, first, start, pageErrors }));
} finally {
  await browser.close();
}
