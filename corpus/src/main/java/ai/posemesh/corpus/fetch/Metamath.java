package ai.posemesh.corpus.fetch;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits a Metamath database ({@code set.mm}) into documents at its section markers. A marker is a comment opening
 * {@code $(} on its own line followed by a rule of {@code ####...} (a part) or {@code #*#*...} (a section); the title
 * is the line after the rule. Pieces shorter than {@link #MIN_CHARS} (a part's title page, the file's preamble) are
 * merged into the piece that follows them (the last one into the one before), so every document is a real section.
 */
public final class Metamath {

    /** Pieces shorter than this are merged into a neighbour. */
    public static final int MIN_CHARS = 4096;

    /** A section: its title (the first merged piece's) and its text. */
    public record Section(String title, String text) {}

    private Metamath() {}

    public static List<Section> split(String mm) {
        String[] lines = mm.split("\n", -1);
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        for (int i = 0; i + 1 < lines.length; i++) {
            if (lines[i].strip().equals("$(") && isRule(lines[i + 1]) && i > 0) {
                starts.add(i);
            }
        }
        List<Section> pieces = new ArrayList<>();
        for (int k = 0; k < starts.size(); k++) {
            int a = starts.get(k);
            int b = k + 1 < starts.size() ? starts.get(k + 1) : lines.length;
            String title = a + 2 < lines.length && isRule(lines[a + 1]) ? lines[a + 2].strip() : "preamble";
            String text = String.join("\n", java.util.Arrays.asList(lines).subList(a, b));
            if (!text.isBlank()) {
                pieces.add(new Section(title.isEmpty() ? "untitled" : title, text));
            }
        }
        // Merge short pieces forward (the last one backward).
        List<Section> out = new ArrayList<>();
        Section pending = null;
        for (Section s : pieces) {
            Section cur = pending == null ? s : new Section(pending.title(), pending.text() + "\n" + s.text());
            if (cur.text().length() < MIN_CHARS) {
                pending = cur;
            } else {
                out.add(cur);
                pending = null;
            }
        }
        if (pending != null) {
            if (out.isEmpty()) {
                out.add(pending);
            } else {
                Section last = out.remove(out.size() - 1);
                out.add(new Section(last.title(), last.text() + "\n" + pending.text()));
            }
        }
        return out;
    }

    /** A lower-case slug of a title for document ids: letters and digits, '-' between words, at most 60 chars. */
    public static String slug(String title) {
        String s = title.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        if (s.length() > 60) {
            s = s.substring(0, 60).replaceAll("-+$", "");
        }
        return s.isEmpty() ? "section" : s;
    }

    private static boolean isRule(String line) {
        String t = line.strip();
        return t.length() >= 8 && (t.startsWith("########") || t.startsWith("#*#*#*#*"));
    }
}
