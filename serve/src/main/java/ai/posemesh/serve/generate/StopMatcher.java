package ai.posemesh.serve.generate;

import java.util.List;

/**
 * Finds stop sequences in streamed text. Text that could still be the start of a stop sequence is held back, so what
 * has been released never contains (part of) a stop sequence; on a match the text before it is released and the stop
 * text itself is not.
 */
final class StopMatcher {

    private final List<String> stops;
    private final int longest;
    private String pending = "";
    private String matched;

    StopMatcher(List<String> stops) {
        this.stops = stops;
        this.longest = stops.stream().mapToInt(String::length).max().orElse(0);
    }

    /** Adds text; returns what is now safe to release. After a match, {@link #matched()} names the stop. */
    String push(String text) {
        if (stops.isEmpty() || matched != null) {
            return matched != null ? "" : text;
        }
        String s = pending + text;
        int at = -1;
        for (String stop : stops) {
            int i = s.indexOf(stop);
            if (i >= 0 && (at < 0 || i < at)) {
                at = i;
                matched = stop;
            }
        }
        if (matched != null) {
            pending = "";
            return s.substring(0, at);
        }
        int hold = heldSuffix(s);
        pending = s.substring(s.length() - hold);
        return s.substring(0, s.length() - hold);
    }

    /** The held-back text, released when generation ends for another reason. */
    String flush() {
        String s = pending;
        pending = "";
        return s;
    }

    /** The stop sequence found, or null. */
    String matched() {
        return matched;
    }

    /** Length of the longest suffix of {@code s} that is a proper prefix of some stop sequence. */
    private int heldSuffix(String s) {
        for (int k = Math.min(s.length(), longest - 1); k > 0; k--) {
            String tail = s.substring(s.length() - k);
            for (String stop : stops) {
                if (stop.startsWith(tail)) {
                    return k;
                }
            }
        }
        return 0;
    }
}
