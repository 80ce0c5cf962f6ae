// One workspace on a cluster of two `serve`s, each person's page served by another node, in browser contexts of
// Debian's chromium driven by playwright-core:
//   node cluster.mjs <first node's page url> <screenshot dir>
// with SECOND_URL (the second node's page url) and WORKSPACE_ID (owned by the second node) in the environment.
// Prints one JSON line per step. At {"step":"kill-owner"} it waits for a line "ok" on stdin (the JUnit test kills the
// second node meanwhile). Exits non-zero when something expected does not appear.
import { conversation, launch, people, prompt, run, sees, status, stopsWith, timeline, WAIT } from "./lib.mjs";

const [base, shots] = process.argv.slice(2);
const { SECOND_URL: secondBase, WORKSPACE_ID: workspaceId } = process.env;
// What the stand-in agent (the ACP SDK's example agent) says in each turn.
const FIRST_WORDS = "I'll help you with that.";
const EDIT = "Modifying critical configuration file";
const APPROVED = "Perfect! I've successfully updated the configuration.";

const { say, handOver, close } = conversation();
const browser = await launch(shots);
const { pageErrors, person, screenshot, report } = people(browser, shots);
async function join(page, url) {
  await page.goto(`${url}/?w=${encodeURIComponent(workspaceId)}`);
  await page.locator("input[name=name]").fill(page.who);
  await page.locator("button[type=submit]").click();
  await status(page, "connected").waitFor(WAIT);
}

await run(async () => {
  const alice = await person("alice");
  const bob = await person("bob");
  await join(alice, base);
  await join(bob, secondBase);
  for (const page of [alice, bob]) {
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=participants] li").length === 2, null, WAIT);
  }
  say("joined", { alice: alice.url(), bob: bob.url() });

  // Alice asks through the first node; bob, on the owner's node, answers the agent's permission request.
  await prompt(alice, "Add a health check");
  for (const page of [alice, bob]) await sees(page, ".permission.pending", EDIT);
  await bob.locator(".permission.pending button.reply-once").click();
  for (const page of [alice, bob]) {
    await sees(page, ".resolution", "Approved by bob");
    await sees(page, ".agent-text", APPROVED);
    await stopsWith(page, "end_turn", 1);
  }
  await screenshot("shared-turn", alice, bob);
  say("turn", { alice: await timeline(alice).innerText(), bob: await timeline(bob).innerText() });

  // The owner's node dies mid-turn: alice's connection, through her node, follows the workspace to its new owner.
  await prompt(alice, "Try something risky");
  await alice.locator(".item-turn").nth(1).locator(".agent-text", { hasText: FIRST_WORDS }).waitFor(WAIT);
  await handOver("kill-owner");
  await sees(alice, ".item-error", "stopped during alice's prompt");
  await status(alice, "connected").waitFor(WAIT);
  await screenshot("owner-lost", alice);
  await prompt(alice, "Once more, carefully");
  await sees(alice, ".permission.pending", EDIT);
  await alice.locator(".permission.pending button.reply-once").click();
  await stopsWith(alice, "end_turn", 2);
  await screenshot("restored", alice);
  say("done", { alice: await timeline(alice).innerText(), pageErrors });
}, { browser, report, close });
