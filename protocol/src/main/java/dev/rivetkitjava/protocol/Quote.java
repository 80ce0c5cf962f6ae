package dev.rivetkitjava.protocol;

/**
 * Quotes untrusted text for an error message, cut short so a hostile value cannot flood the logs.
 */
final class Quote {
    private static final int MAX_CHARS = 64;

    private Quote() {}

    static String of(Object value) {
        if (value == null) {
            return "null";
        }
        String s = value.toString();
        return s.length() <= MAX_CHARS ? '"' + s + '"' : '"' + s.substring(0, MAX_CHARS) + "\"...";
    }
}
