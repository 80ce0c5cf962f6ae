/**
 * The Sandbox Agent Java SDK: {@link dev.rivetkitjava.sandboxagent.SandboxAgent} talks to a Sandbox
 * Agent server (REST and the ACP transport over HTTP + SSE), keeps sessions in a {@link
 * dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver} and restores them when the server
 * lost them; {@link dev.rivetkitjava.sandboxagent.SandboxAgentServer} runs the server binary as a
 * child process.
 */
package dev.rivetkitjava.sandboxagent;
