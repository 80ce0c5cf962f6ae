// A team workspace on `serve --auth-secret-file`, in browser contexts of Debian's chromium driven by playwright-core:
//   node team.mjs <page url> <screenshot dir>
// with the join links in the environment: ALICE_LINK (member), CAROL_LINK (viewer), EXPIRED_LINK, FORGED_LINK, and
// SOLO_LINK (alice, to a workspace whose turn ran with nobody listening).
// Prints one JSON line per step. At {"step":"carol-refused"} and {"step":"forged-user"} it waits for a line "ok" on
// stdin (the JUnit test calls the actor meanwhile). Exits non-zero when something expected does not appear.
import { conversation, launch, people, run, sees, status, timeline, WAIT } from "./lib.mjs";

const [base, shots] = process.argv.slice(2);
const { ALICE_LINK, CAROL_LINK, EXPIRED_LINK, FORGED_LINK, SOLO_LINK, WORKSPACE_ID: workspaceId } = process.env;
const EDIT = "Modifying critical configuration file";
const APPROVED = "Perfect! I've successfully updated the configuration.";

const { say, handOver, close } = conversation();
const browser = await launch(shots);
const { pages, pageErrors, person, screenshot, report } = people(browser, shots);
async function signsIn(page, link) {
  await page.goto(link);
  await status(page, "connected").waitFor(WAIT);
  await page.locator("[data-testid=me][data-role]:not([data-role=''])").waitFor(WAIT);
  return {
    url: page.url(),
    me: (await page.locator("[data-testid=me]").innerText()).replace(/\s+/g, " ").trim(),
    role: await page.locator("[data-testid=me]").getAttribute("data-role"),
    // What the page keeps: the token in this tab's sessionStorage, not in the address bar or localStorage.
    stored: await page.evaluate(() => Object.keys(sessionStorage)),
    local: await page.evaluate(() => Object.values(localStorage).some((v) => v.includes("."))),
  };
}
async function controls(page) {
  return page.evaluate(() => ({
    textarea: document.querySelector("textarea[name=prompt]").disabled,
    send: document.querySelector(".composer button[type=submit]").disabled,
    cancel: [...document.querySelectorAll("[data-testid=queue] button")].find((b) => b.textContent === "Cancel turn")?.disabled,
    replies: [...document.querySelectorAll(".permission.pending .actions button")].map((b) => b.disabled),
    hint: document.querySelector("[data-testid=view-only]")?.textContent ?? null,
  }));
}
async function refusal(page, link) {
  await page.goto(link);
  const error = page.locator("[data-testid=auth-error]");
  await error.waitFor(WAIT);
  page.socketsAtRefusal = page.sockets ?? 0;
  return { code: await error.getAttribute("data-code"), text: (await error.innerText()).replace(/\s+/g, " "),
    url: page.url() };
}

await run(async () => {
  const alice = await person("alice");
  const carol = await person("carol");
  const aliceIn = await signsIn(alice, ALICE_LINK);
  const carolIn = await signsIn(carol, CAROL_LINK);
  await alice.waitForFunction(() => document.querySelectorAll("[data-testid=participants] li").length === 2, null, WAIT);
  const participants = (await alice.locator("[data-testid=participants] li").allInnerTexts()).map((t) => t.trim()).sort();
  say("signed-in", { alice: aliceIn, carol: carolIn, participants, carolControls: await controls(carol) });
  await screenshot("signed-in", alice, carol);

  await alice.locator("textarea[name=prompt]").fill("Add a health check");
  await alice.locator(".composer button[type=submit]").click();
  for (const page of [alice, carol]) {
    await sees(page, ".item-user", "Add a health check");
    await sees(page, ".permission.pending", EDIT);
  }
  await screenshot("permission-asked", alice, carol);
  const asked = { alice: await controls(alice), carol: await controls(carol),
    author: await carol.locator(".item-user .who").first().innerText() };
  // While the request waits, the test calls prompt and respondPermission with carol's token: both refused.
  await handOver("carol-refused", asked);
  await alice.locator(".permission.pending button.reply-once").click();
  for (const page of [alice, carol]) {
    await sees(page, ".resolution", "Approved by Alice");
    await sees(page, ".agent-text", APPROVED);
    await page.waitForFunction(() => [...document.querySelectorAll(".stop")]
      .filter((e) => e.textContent === "turn ended: end_turn").length === 1, null, WAIT);
  }
  await screenshot("approved", alice, carol);

  // The test prompts with alice's token and a forged userId; alice approves its permission here.
  await handOver("forged-user");
  for (const page of [alice, carol]) await sees(page, ".item-user", "Signed by mallory?");
  await sees(alice, ".permission.pending", EDIT);
  await alice.locator(".permission.pending button.reply-once").click();
  for (const page of [alice, carol]) {
    await page.waitForFunction(() => [...document.querySelectorAll(".stop")]
      .filter((e) => e.textContent === "turn ended: end_turn").length === 2, null, WAIT);
  }
  const forgedAuthor = await carol.locator(".item-user", { hasText: "Signed by mallory?" }).locator(".who").innerText();
  await screenshot("forged-user", carol);
  say("turns", { alice: await timeline(alice).innerText(), carol: await timeline(carol).innerText(), forgedAuthor });

  // A turn that ran with nobody listening: its permission was answered by the workspace's policy.
  await alice.goto(SOLO_LINK);
  await status(alice, "connected").waitFor(WAIT);
  await alice.locator(".resolution.by-policy").waitFor(WAIT);
  const policy = await alice.locator(".resolution.by-policy").innerText();
  await screenshot("resolved-by-policy", alice);

  const refused = {};
  for (const [who, link] of [["expired", EXPIRED_LINK], ["forged", FORGED_LINK],
    ["missing", `${base}/?w=${encodeURIComponent(workspaceId)}`]]) {
    const page = await person(who);
    if (who === "missing") {
      // No token: the open-mode form, whose self-declared name the server refuses.
      await page.goto(link);
      await page.locator("input[name=name]").fill("mallory");
      await page.locator("form.join button[type=submit]").click();
      const error = page.locator("[data-testid=auth-error]");
      await error.waitFor(WAIT);
      refused[who] = { code: await error.getAttribute("data-code"), text: (await error.innerText()).replace(/\s+/g, " ") };
    } else {
      refused[who] = await refusal(page, link);
    }
    await screenshot("refused", page);
  }
  // Refused for good: a page that showed its refusal dialled no more while the others were tried.
  for (const page of pages.filter((p) => p.socketsAtRefusal !== undefined)) {
    refused[page.who].socketsSince = (page.sockets ?? 0) - page.socketsAtRefusal;
  }
  say("done", { refused, policy, pageErrors });
}, { browser, report, close });
