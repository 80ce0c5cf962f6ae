package dev.rivetkitjava.workspace;

/**
 * What one workspace takes from its users, each limit refused with an error that names it. {@code
 * serve} sets them from its flags.
 *
 * @param maxPromptBytes a prompt's text, UTF-8 ({@code --max-prompt-bytes}, default 32 KiB)
 * @param maxQueuedPrompts prompts waiting for the agent ({@code --max-queued-prompts}, default 100)
 * @param maxQueuedPromptsPerUser prompts one user may have waiting ({@code
 *     --max-queued-prompts-per-user}, default 10)
 * @param maxConnections open connections ({@code --max-connections-per-workspace}, default 1 000)
 * @param historyMaxEvents timeline entries kept; older ones are deleted ({@code
 *     --history-max-events}, default 0: unlimited)
 */
public record WorkspaceLimits(
        int maxPromptBytes,
        int maxQueuedPrompts,
        int maxQueuedPromptsPerUser,
        int maxConnections,
        long historyMaxEvents) {

    public static final WorkspaceLimits DEFAULTS =
            new WorkspaceLimits(32 * 1024, 100, 10, 1_000, 0);

    public WorkspaceLimits {
        if (maxPromptBytes < 1
                || maxQueuedPrompts < 1
                || maxQueuedPromptsPerUser < 1
                || maxConnections < 1
                || historyMaxEvents < 0) {
            throw new IllegalArgumentException(
                    "workspace limits are positive (historyMaxEvents: 0 = unlimited)");
        }
    }
}
