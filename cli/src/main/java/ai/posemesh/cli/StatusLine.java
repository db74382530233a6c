package ai.posemesh.cli;

import java.io.PrintWriter;

/**
 * A progress line on stderr: on a terminal rewritten in place ({@code \r}) at most 5 times a second; otherwise (a
 * log file, a pipe) one line every 5 seconds. {@code ./pose train}'s bar and {@code ./pose generate}'s prefill line.
 */
final class StatusLine {
    private static final int BAR_WIDTH = 24;

    private final PrintWriter err;
    private final boolean tty = System.console() != null;
    private long lastPrint;
    /** A terminal line is open (rewritten in place, no newline yet). */
    private boolean open;

    StatusLine(PrintWriter err) {
        this.err = err;
    }

    /** Whether a line should be shown now: always when {@code force}, else when the last one is old enough. */
    boolean due(boolean force) {
        long now = System.nanoTime();
        if (!force && lastPrint != 0 && now - lastPrint < (tty ? 200_000_000L : 5_000_000_000L)) {
            return false;
        }
        lastPrint = now;
        return true;
    }

    /** Shows {@code line}: in place on a terminal (ended when {@code last}), as its own line otherwise. */
    void show(String line, boolean last) {
        err.print(tty ? "\r" + line + (last ? "\n" : "") : line + "\n");
        open = tty && !last;
        err.flush();
    }

    /** Ends the line being rewritten in place, if any, so that what follows starts on its own line. */
    void breakLine() {
        if (open) {
            err.println();
            err.flush();
            open = false;
        }
    }

    /** {@code [#####-------]} for a fraction in [0, 1]. */
    static String bar(double fraction) {
        int filled = (int) Math.round(BAR_WIDTH * Math.max(0.0, Math.min(1.0, fraction)));
        return "[" + "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled) + "]";
    }
}
