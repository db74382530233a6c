package ai.posemesh.corpus.fetch;

/** Text clean-up shared by the corpus builders: newlines, BOM, Project Gutenberg header and licence. */
final class Gutenberg {

    private Gutenberg() {}

    /** CRLF/CR to LF, no byte-order mark, no trailing whitespace at the end. */
    static String normalize(String s) {
        if (!s.isEmpty() && s.charAt(0) == '\uFEFF') {
            s = s.substring(1);
        }
        s = s.replace("\r\n", "\n").replace('\r', '\n');
        return s.stripTrailing();
    }

    /**
     * The body of a Project Gutenberg e-text: after the "*** START OF ..." line and before the "*** END OF ..." line
     * (and before a closing "End of Project Gutenberg's ..." / "End of the Project Gutenberg ..." line). Text without
     * the markers is returned whole. Input must be normalized.
     */
    static String stripHeader(String s) {
        int start = markerLine(s, "*** START OF", 0);
        if (start >= 0) {
            int eol = s.indexOf('\n', start);
            s = eol < 0 ? "" : s.substring(eol + 1);
        }
        int end = markerLine(s, "*** END OF", 0);
        if (end >= 0) {
            s = s.substring(0, end);
        }
        for (String tail : new String[] {"End of Project Gutenberg", "End of the Project Gutenberg"}) {
            int t = markerLine(s, tail, Math.max(0, s.length() - 2000));
            if (t >= 0) {
                s = s.substring(0, t);
            }
        }
        return s.strip();
    }

    /** Start of the first line at or after {@code from} that begins with {@code prefix} (case-insensitive). */
    private static int markerLine(String s, String prefix, int from) {
        int i = 0;
        if (from > 0) {
            int nl = s.indexOf('\n', from);
            i = nl < 0 ? -1 : nl + 1;
        }
        while (i >= 0 && i < s.length()) {
            if (s.regionMatches(true, i, prefix, 0, prefix.length())) {
                return i;
            }
            int eol = s.indexOf('\n', i);
            i = eol < 0 ? -1 : eol + 1;
        }
        return -1;
    }
}
