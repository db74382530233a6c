package ai.posemesh.corpus.fetch;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The tagged Brown corpus (form C: {@code word/tag} tokens, one sentence per line, a tab opening each paragraph)
 * turned back into readable text: tags stripped, tokens joined with English spacing, {@code ``} and {@code ''} as
 * double quotes, headlines (every tag {@code *-hl}) as paragraphs of their own, paragraphs separated by a blank line;
 * the doubled semicolons of the tagged files are written once and closing quotes go after a comma or period.
 */
public final class BrownCorpus {

    /** Tokens written without a space before them. */
    private static final Set<String> NO_SPACE_BEFORE =
            Set.of(",", ".", ";", ":", "?", "!", ")", "]", "}", "''", "'", "%", "...");
    /** Tokens written without a space after them. */
    private static final Set<String> NO_SPACE_AFTER = Set.of("``", "`", "(", "[", "{", "$");

    private BrownCorpus() {}

    /** The word of a {@code word/tag} token: everything before the last '/' (a token without '/' is kept whole). */
    public static String stripTag(String token) {
        int slash = token.lastIndexOf('/');
        return slash <= 0 ? token : token.substring(0, slash);
    }

    /** One tagged file as plain text. */
    public static String detokenize(String tagged) {
        List<List<String>> paragraphs = new ArrayList<>();
        List<String> current = null;
        boolean afterBlank = true;
        boolean afterHeadline = false;
        for (String raw : tagged.split("\r?\n", -1)) {
            if (raw.isBlank()) {
                afterBlank = true;
                continue;
            }
            String[] tokens = raw.trim().split("\\s+");
            boolean headline = isHeadline(tokens);
            if (current == null || afterBlank || afterHeadline || headline || raw.startsWith("\t")) {
                current = new ArrayList<>();
                paragraphs.add(current);
            }
            for (String t : tokens) {
                current.add(stripTag(t));
            }
            afterBlank = false;
            afterHeadline = headline;
        }
        StringBuilder sb = new StringBuilder();
        for (List<String> p : paragraphs) {
            if (sb.length() > 0) {
                sb.append("\n\n");
            }
            sb.append(join(p));
        }
        return sb.toString();
    }

    /**
     * Tokens joined with English spacing. Two quirks of the tagged corpus are undone first: every semicolon is
     * doubled ({@code ;/. ;/.}), and closing quotes precede the comma or period they enclose in print.
     */
    static String join(List<String> tokens) {
        List<String> words = new ArrayList<>(tokens.size());
        for (String w : tokens) {
            int n = words.size();
            if (w.equals(";") && n > 0 && words.get(n - 1).equals(";")) {
                continue;
            }
            if ((w.equals(",") || w.equals(".")) && n > 0 && words.get(n - 1).equals("''")) {
                words.add(n - 1, w);
                continue;
            }
            words.add(w);
        }
        StringBuilder sb = new StringBuilder();
        boolean glueNext = true;
        for (String w : words) {
            String out = switch (w) {
                case "``", "''" -> "\"";
                case "`" -> "'";
                default -> w;
            };
            if (!glueNext && !NO_SPACE_BEFORE.contains(w)) {
                sb.append(' ');
            }
            sb.append(out);
            glueNext = NO_SPACE_AFTER.contains(w);
        }
        return sb.toString();
    }

    private static boolean isHeadline(String[] tokens) {
        for (String t : tokens) {
            int slash = t.lastIndexOf('/');
            if (slash < 0 || !t.substring(slash + 1).endsWith("-hl")) {
                return false;
            }
        }
        return tokens.length > 0;
    }
}
