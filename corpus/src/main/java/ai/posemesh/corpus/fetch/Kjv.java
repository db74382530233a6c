package ai.posemesh.corpus.fetch;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The King James Bible as exported by the {@code bible} program ({@code bible -f "Gen1:1-Rev22:21"}: one verse per
 * line, {@code <Abbrev><chapter>:<verse> <text>}) split into its 66 books. A book's text is its name, a blank line,
 * then one verse per line as {@code chapter:verse text} (the Project Gutenberg KJV layout), with a blank line between
 * chapters. Books are recognised by order: the n-th distinct abbreviation is the n-th book of the canon.
 */
public final class Kjv {

    /** The 66 books in canonical order. */
    public static final List<String> BOOKS = List.of(
            "Genesis",
            "Exodus",
            "Leviticus",
            "Numbers",
            "Deuteronomy",
            "Joshua",
            "Judges",
            "Ruth",
            "1 Samuel",
            "2 Samuel",
            "1 Kings",
            "2 Kings",
            "1 Chronicles",
            "2 Chronicles",
            "Ezra",
            "Nehemiah",
            "Esther",
            "Job",
            "Psalms",
            "Proverbs",
            "Ecclesiastes",
            "Song of Solomon",
            "Isaiah",
            "Jeremiah",
            "Lamentations",
            "Ezekiel",
            "Daniel",
            "Hosea",
            "Joel",
            "Amos",
            "Obadiah",
            "Jonah",
            "Micah",
            "Nahum",
            "Habakkuk",
            "Zephaniah",
            "Haggai",
            "Zechariah",
            "Malachi",
            "Matthew",
            "Mark",
            "Luke",
            "John",
            "Acts",
            "Romans",
            "1 Corinthians",
            "2 Corinthians",
            "Galatians",
            "Ephesians",
            "Philippians",
            "Colossians",
            "1 Thessalonians",
            "2 Thessalonians",
            "1 Timothy",
            "2 Timothy",
            "Titus",
            "Philemon",
            "Hebrews",
            "James",
            "1 Peter",
            "2 Peter",
            "1 John",
            "2 John",
            "3 John",
            "Jude",
            "Revelation");

    private static final Pattern VERSE = Pattern.compile("^(\\d?[A-Za-z]+)(\\d+):(\\d+)\\s(.*)$");

    /** One book: its canonical index (0-based), name and text. */
    public record Book(int index, String name, String text) {}

    private Kjv() {}

    /** Splits the exporter's output into books; lines that do not start a verse continue the previous verse. */
    public static List<Book> split(String export) {
        List<Book> books = new ArrayList<>();
        String abbrev = null;
        String chapter = null;
        StringBuilder sb = null;
        int n = 0;
        for (String line : export.split("\r?\n")) {
            if (line.isBlank()) {
                continue;
            }
            Matcher m = VERSE.matcher(line);
            if (!m.matches()) {
                if (sb == null) {
                    throw new IllegalArgumentException("KJV export does not start with a verse: " + line);
                }
                sb.setLength(sb.length() - 1); // the verse's newline
                sb.append(' ').append(line.strip()).append('\n');
                continue;
            }
            if (!m.group(1).equals(abbrev)) {
                if (sb != null) {
                    books.add(new Book(n - 1, BOOKS.get(n - 1), sb.toString()));
                }
                if (n >= BOOKS.size()) {
                    throw new IllegalArgumentException("KJV export has more than 66 books (at " + m.group(1) + ")");
                }
                abbrev = m.group(1);
                chapter = null;
                sb = new StringBuilder(BOOKS.get(n)).append('\n');
                n++;
            }
            if (!m.group(2).equals(chapter)) {
                sb.append('\n');
                chapter = m.group(2);
            }
            sb.append(m.group(2))
                    .append(':')
                    .append(m.group(3))
                    .append(' ')
                    .append(m.group(4).strip())
                    .append('\n');
        }
        if (sb != null) {
            books.add(new Book(n - 1, BOOKS.get(n - 1), sb.toString()));
        }
        return books;
    }
}
