// What the browser scripts of this folder share: Debian's chromium launched by playwright-core, one browser context
// per person with its errors and console collected, numbered screenshots, the page's common locators, and the
// JSON-lines conversation with the JUnit test that runs the script (BrowserScript.java).
import { mkdirSync, rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

// What works as root on these machines, with no network beyond loopback (machine notes).
const CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
export const WAIT = { timeout: 30_000 };

/** Empties the screenshot directory `shots` and launches chromium ($CHROMIUM, else /usr/bin/chromium). */
export async function launch(shots) {
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: CHROMIUM_FLAGS });
}

/** A browser context of its own (1100×720), as one person sees the page. */
export async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  return context.newPage();
}

/**
 * People on `browser`, each in a page of their own: `person(who)` opens one, `screenshot(name, ...pages)` takes the
 * next numbered shot of each page into `shots`, `report()` shows what the pages showed and logged when it went
 * wrong. Each page counts the WebSockets it opened (`page.sockets`).
 */
export function people(browser, shots) {
  const pages = [];
  const pageErrors = [];
  const consoleLog = [];
  let shot = 0;
  async function person(who) {
    const page = await newPage(browser);
    page.who = who;
    page.on("pageerror", (error) => pageErrors.push(`${who}: ${error.stack ?? error.message}`));
    page.on("console", (message) => consoleLog.push(`${who} ${message.type()}: ${message.text()}`));
    page.on("response", (r) => r.status() >= 400 && consoleLog.push(`${who} HTTP ${r.status()} ${r.request().method()} ${r.url()}`));
    page.on("websocket", () => { page.sockets = (page.sockets ?? 0) + 1; });
    pages.push(page);
    return page;
  }
  async function screenshot(name, ...shown) {
    shot += 1;
    for (const page of shown) {
      await page.screenshot({ path: `${shots}/${String(shot).padStart(2, "0")}-${name}-${page.who}.png` });
    }
  }
  async function report() {
    await screenshot("failure", ...pages).catch(() => {});
    console.error([...consoleLog.slice(-100), ...pageErrors].join("\n"));
  }
  return { pages, pageErrors, person, screenshot, report };
}

/**
 * The test's side of the conversation: `say(step, detail)` prints one JSON line; `handOver(step, detail)` says it and
 * waits for a line "ok" (the test acts meanwhile). `close()` it at the end, else the open stdin keeps node running and
 * the test waits for its end of output.
 */
export function conversation() {
  const input = createInterface({ input: process.stdin });
  const stdin = input[Symbol.asyncIterator]();
  const say = (step, detail = {}) => console.log(JSON.stringify({ step, ...detail }));
  return {
    say,
    async handOver(step, detail) {
      say(step, detail);
      const { value, done } = await stdin.next();
      if (done || value.trim() !== "ok") throw new Error(`no "ok" after ${step}`);
    },
    close: () => input.close(),
  };
}

/**
 * Runs the script's `steps`; when they fail, `report()`s what the pages showed and logged (for the test's report)
 * before failing; at the end `close()`s the conversation and the browser.
 */
export async function run(steps, { browser, report, close }) {
  try {
    await steps();
  } catch (error) {
    await report();
    throw error;
  } finally {
    close();
    await browser.close();
  }
}

export const status = (page, state) => page.locator(`[data-testid=connection][data-status=${state}]`);
export const timeline = (page) => page.locator("[data-testid=timeline]");
export async function sees(page, selector, text) {
  await page.locator(selector, { hasText: text }).first().waitFor(WAIT);
}
/** Sends a prompt from the page's composer. */
export async function prompt(page, text) {
  await page.locator("textarea[name=prompt]").fill(text);
  await page.locator("button[type=submit]").click();
}
/** Waits until `count` turns on the page ended with `reason` ("end_turn", "cancelled", …). */
export const stopsWith = (page, reason, count) => page.waitForFunction(([reason, count]) => [...document.querySelectorAll(".stop")]
  .filter((e) => e.textContent === `turn ended: ${reason}`).length === count, [reason, count], WAIT);
