package ai.posemesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.corpus.Family;
import ai.posemesh.corpus.Manifest;
import ai.posemesh.corpus.fetch.DataFetcher;
import ai.posemesh.corpus.fetch.FetchException;
import ai.posemesh.corpus.fetch.PackageRef;
import ai.posemesh.corpus.fetch.PackageSource;
import ai.posemesh.model.io.CheckpointManifest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ./pose data fetch} as a user drives it, with the network replaced by a package source that fails. */
class DataCommandTest {

    @TempDir
    Path tmp;

    /** Every download fails the way apt-get does for an unknown package. */
    static final class NoNetwork implements PackageSource {
        final List<String> asked = new ArrayList<>();

        @Override
        public Path download(PackageRef ref, Path dir) {
            asked.add(ref.name());
            throw new FetchException("could not download " + ref.describe() + " (apt-get download exited 100): "
                    + "E: Unable to locate package " + ref.name());
        }

        @Override
        public String version(PackageRef ref, Path archive) {
            return "0";
        }

        @Override
        public void unpack(PackageRef ref, Path archive, Path dest) {
            throw new AssertionError("nothing to unpack");
        }
    }

    record Run(int code, String out, String err) {}

    final NoNetwork source = new NoNetwork();

    Run run(String... args) {
        CommandLine.IFactory dflt = CommandLine.defaultFactory();
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            @SuppressWarnings("unchecked")
            public <K> K create(Class<K> cls) throws Exception {
                return cls == DataCommand.Fetch.class ? (K) new DataCommand.Fetch(log -> source) : dflt.create(cls);
            }
        };
        CommandLine cl = new CommandLine(new PoseCommand(), factory);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return new Run(cl.execute(args), out.toString(), err.toString());
    }

    @Test
    void aFailedDownloadExitsNonZeroNamingThePackage() {
        Path out = tmp.resolve("data");
        Run r = run("data", "fetch", "--family", "math", "--out", out.toString());
        assertEquals(1, r.code());
        assertEquals(
                "pose data fetch: error: could not download Debian package 'metamath-databases' "
                        + "(apt-get download exited 100): E: Unable to locate package metamath-databases\n",
                r.err());
        assertTrue(r.out().contains("math: building (not built yet)"), r.out());
        assertEquals(List.of("metamath-databases"), source.asked);
        assertFalse(Files.exists(out.resolve("math.jsonl")));
    }

    @Test
    void upToDateFamiliesDownloadNothing() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("data"));
        Path books = Files.writeString(
                out.resolve("books.jsonl"),
                "{\"id\":\"austen/emma\",\"source\":\"s\"," + "\"license\":\"public-domain\",\"text\":\"EMMA\"}\n");
        Manifest m = new Manifest();
        m.put(
                Family.BOOKS,
                new Manifest.Entry(
                        DataFetcher.BUILDER,
                        "books.jsonl",
                        CheckpointManifest.sha256(books),
                        1,
                        4,
                        0,
                        0,
                        Map.of("austen", 1L),
                        List.of(),
                        null));
        m.write(out);

        Run r = run("data", "fetch", "--family", "books", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("books: up to date (books.jsonl: 1 documents, 4 chars, sha256 "), r.out());
        assertTrue(r.out().contains("up to date: books in " + out), r.out());
        assertEquals(List.of(), source.asked);

        // --force means rebuild, which needs the packages: the first download fails
        Run forced = run("data", "fetch", "--family", "books", "--out", out.toString(), "--force");
        assertEquals(1, forced.code());
        assertTrue(forced.err().contains("'r-cran-janeaustenr'"), forced.err());
    }

    @Test
    void usage() {
        Run bad = run("data", "fetch", "--family", "novels");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("books, reports, math, general, all"), bad.err());

        Run help = run("data", "fetch", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--family") && help.out().contains("general  Brown corpus"), help.out());
        assertTrue(run("data").out().contains("fetch"));
        assertTrue(run("--help").out().contains("data"));
    }
}
