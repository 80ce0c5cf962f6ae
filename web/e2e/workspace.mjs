// Two people in one workspace, in two browser contexts of Debian's chromium, driven by playwright-core:
//   node workspace.mjs <page url> <screenshot dir>
// Prints one JSON line per step. At {"step":"kill-server"}, {"step":"start-server"} and {"step":"kill-agent"} it waits
// for a line "ok" on stdin (the JUnit test does it meanwhile). Exits non-zero when something expected does not appear.
import { conversation, launch, people, prompt, run, sees, status, stopsWith, timeline, WAIT } from "./lib.mjs";

const [base, shots] = process.argv.slice(2);
const workspaceId = process.env.WORKSPACE_ID ?? `e2e-${Date.now()}`;
// User text that would run script if it were ever rendered as HTML.
const PROMPT = 'Add a health check <img src=x onerror="window.__injected=1">';

const { say, handOver, close } = conversation();
const browser = await launch(shots);
const { pageErrors, person, screenshot, report } = people(browser, shots);
const participants = (page) => page.locator("[data-testid=participants] li");
async function join(page, url) {
  await page.goto(url);
  await page.locator("input[name=workspace]").fill(workspaceId);
  await page.locator("input[name=name]").fill(page.who);
  await screenshot("join-form", page);
  await page.locator("button[type=submit]").click();
  await status(page, "connected").waitFor(WAIT);
}
async function participantsOf(page) {
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=participants] li").length === 2, null, WAIT);
  return (await participants(page).allInnerTexts()).map((t) => t.trim()).sort();
}

// What the stand-in agent (the ACP SDK's example agent) says in each turn.
const FIRST_WORDS = "I'll help you with that.";
const EDIT = "Modifying critical configuration file";
const APPROVED = "Perfect! I've successfully updated the configuration.";
const DENIED = "I understand you prefer not to make that change.";

await run(async () => {
  const alice = await person("alice");
  const bob = await person("bob");
  await join(alice, `${base}/`);                      // creates the workspace from the form
  await join(bob, `${base}/?w=${encodeURIComponent(workspaceId)}`);  // follows a shared link
  say("joined", { url: alice.url(), alice: await participantsOf(alice), bob: await participantsOf(bob) });
  await screenshot("joined", alice, bob);

  await prompt(alice, PROMPT);
  for (const page of [alice, bob]) {
    await sees(page, ".item-user", PROMPT);
    await sees(page, ".item-turn .agent-text", FIRST_WORDS);
    await sees(page, ".permission.pending", EDIT);
  }
  await screenshot("permission-asked", alice, bob);
  await bob.locator(".permission.pending button.reply-once").click();
  for (const page of [alice, bob]) {
    await sees(page, ".resolution", "Approved by bob");
    await sees(page, ".agent-text", APPROVED);
    await stopsWith(page, "end_turn", 1);
  }
  await screenshot("turn-ended", alice, bob);
  const injected = await Promise.all([alice, bob].map((p) => p.evaluate(() =>
    window.__injected !== undefined || document.querySelector("[data-testid=timeline] img") !== null)));
  const afterTurn = await timeline(alice).innerText();
  say("turn", { alice: afterTurn, bob: await timeline(bob).innerText(), injected });

  await bob.reload();
  await status(bob, "connected").waitFor(WAIT);
  await stopsWith(bob, "end_turn", 1);
  say("reloaded", { bob: await timeline(bob).innerText(), participants: await participantsOf(bob) });

  await handOver("kill-server");
  for (const page of [alice, bob]) await page.locator("[data-testid=connection]:not([data-status=connected])").waitFor(WAIT);
  await screenshot("server-down", alice);
  await handOver("start-server");
  // The official client retries with back-off doubling from 250 ms up to 30 s, so a page may wait that long.
  const serverUp = Date.now();
  const reconnectMillis = await Promise.all([alice, bob].map(async (page) => {
    await status(page, "connected").waitFor({ timeout: 60_000 });
    return Date.now() - serverUp;
  }));
  for (const page of [alice, bob]) await stopsWith(page, "end_turn", 1);
  say("reconnected", { alice: await timeline(alice).innerText(), bob: await timeline(bob).innerText(),
    participants: await participantsOf(alice), reconnectMillis });

  // Live again after the restart (the session restored on a new Sandbox Agent server): bob asks, alice denies.
  await prompt(bob, "Now remove it again");
  for (const page of [alice, bob]) await sees(page, ".permission.pending", EDIT);
  await alice.locator(".permission.pending button.reply-reject").click();
  for (const page of [alice, bob]) {
    await sees(page, ".resolution", "Denied by alice");
    await sees(page, ".agent-text", DENIED);
    await stopsWith(page, "end_turn", 2);
  }
  await screenshot("after-restart", alice, bob);

  // The queue: alice sends two prompts at once, the second waits its turn; bob cancels both turns.
  await prompt(alice, "First of two");
  await prompt(alice, "Second of two");
  for (const page of [alice, bob]) await sees(page, "[data-testid=queue]", "Waiting (1)");
  await screenshot("queued", bob);
  await bob.locator("[data-testid=queue] button", { hasText: "Cancel turn" }).click();
  for (const page of [alice, bob]) {
    await page.locator("[data-testid=queue]", { hasText: "Second of two", hasNotText: "Waiting" }).waitFor(WAIT);
  }
  await bob.locator("[data-testid=queue] button", { hasText: "Cancel turn" }).click();
  for (const page of [alice, bob]) {
    await stopsWith(page, "cancelled", 2);
    await sees(page, "[data-testid=queue]", "Idle");
  }

  // An agent process that dies mid-turn shows as an error to everyone; the next prompt restores the session.
  await prompt(alice, "Try something risky");
  for (const page of [alice, bob]) {
    await page.locator(".item-turn", { has: page.locator(".stop.working") }).locator(".agent-text").first().waitFor(WAIT);
  }
  await handOver("kill-agent");
  for (const page of [alice, bob]) await sees(page, ".item-error", "Agent error");
  await screenshot("agent-died", alice, bob);
  await prompt(bob, "Once more, carefully");
  for (const page of [alice, bob]) await sees(page, ".permission.pending", EDIT);
  await bob.locator(".permission.pending button.reply-once").click();
  for (const page of [alice, bob]) await stopsWith(page, "end_turn", 3);
  await screenshot("final", alice, bob);
  say("done", { alice: await timeline(alice).innerText(), bob: await timeline(bob).innerText(), pageErrors });
}, { browser, report, close });
