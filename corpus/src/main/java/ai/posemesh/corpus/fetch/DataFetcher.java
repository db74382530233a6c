package ai.posemesh.corpus.fetch;

import ai.posemesh.corpus.Corpus;
import ai.posemesh.corpus.Document;
import ai.posemesh.corpus.Family;
import ai.posemesh.corpus.Jsonl;
import ai.posemesh.corpus.Manifest;
import ai.posemesh.model.io.CheckpointManifest;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code ./pose data fetch}: builds {@code <out>/<family>.jsonl} for each asked family from the packages of
 * {@link Recipes}, and records what it built in {@code <out>/manifest.json}.
 *
 * <p>A family whose JSONL file still has the sha256 the manifest recorded (and was built by this builder version) is
 * up to date: nothing is downloaded or rebuilt. Otherwise its packages come from the cache {@code <out>/.packages}
 * (reused when present and, if the manifest knows the archive, matching its sha256) or are downloaded there by the
 * {@link PackageSource}; they are unpacked into {@code <out>/.work} (deleted afterwards), the documents are built,
 * and the JSONL file and manifest are replaced atomically.
 */
public final class DataFetcher {

    /** Bump when a recipe changes what it produces: families built by another version are rebuilt. */
    public static final int BUILDER = 1;

    public static final String CACHE = ".packages";
    static final String WORK = ".work";

    /** What happened to one family. */
    public record Result(Family family, boolean built, Manifest.Entry entry) {}

    private final PackageSource source;
    private final Path out;
    private final Consumer<String> log;

    public DataFetcher(PackageSource source, Path out, Consumer<String> log) {
        this.source = source;
        this.out = out;
        this.log = log;
    }

    /**
     * Makes the families present and up to date.
     *
     * @param force rebuild even when up to date (cached packages are still reused)
     * @throws FetchException naming the package or file when something cannot be downloaded, unpacked or built
     */
    public List<Result> fetch(List<Family> families, boolean force) throws IOException {
        Files.createDirectories(out);
        Manifest manifest;
        try {
            manifest = Manifest.read(out);
        } catch (IOException e) {
            log.accept("ignoring unreadable " + Manifest.FILE + " (" + e.getMessage() + "); rebuilding");
            manifest = new Manifest();
        }
        List<Result> results = new ArrayList<>();
        List<Family> todo = new ArrayList<>();
        for (Family f : families) {
            String stale = staleReason(f, manifest.get(f), force);
            if (stale == null) {
                Manifest.Entry e = manifest.get(f);
                log.accept(String.format(
                        "%s: up to date (%s: %,d documents, %,d chars, sha256 %s)",
                        f.id(), e.file(), e.documents(), e.chars(), e.sha256()));
                results.add(new Result(f, false, e));
            } else {
                log.accept(f.id() + ": building (" + stale + ")");
                todo.add(f);
            }
        }
        if (todo.isEmpty()) {
            log.accept("up to date: "
                    + String.join(", ", families.stream().map(Family::id).toList()) + " in " + out);
            return results;
        }

        Set<PackageRef> refs = new LinkedHashSet<>();
        todo.forEach(f -> refs.addAll(Recipes.packages(f)));
        Map<PackageRef, Manifest.PackageInfo> cached = new LinkedHashMap<>();
        for (PackageRef ref : refs) {
            cached.put(ref, ensureCached(ref, manifest));
        }

        Path work = out.resolve(WORK);
        deleteTree(work);
        Files.createDirectories(work);
        try {
            Map<PackageRef, Path> roots = new HashMap<>();
            for (PackageRef ref : refs) {
                Path dest = work.resolve(ref.cacheKey());
                Files.createDirectories(dest);
                source.unpack(ref, out.resolve(cached.get(ref).file()), dest);
                roots.put(ref, dest);
            }
            Path scratch = Files.createDirectories(work.resolve("scratch"));
            Recipes.Unpacked unpacked = new Recipes.Unpacked() {
                @Override
                public Path root(PackageRef ref) {
                    Path r = roots.get(ref);
                    if (r == null) {
                        throw new IllegalStateException(ref + " was not unpacked");
                    }
                    return r;
                }

                @Override
                public String label(PackageRef ref) {
                    Manifest.PackageInfo p = cached.get(ref);
                    return ref.registry().id() + ":" + ref.name()
                            + (ref.registry() == PackageRef.Registry.NPM ? "@" : "=") + p.version();
                }

                @Override
                public void exec(List<String> command, Path stdout) throws IOException {
                    source.exec(command, stdout);
                }

                @Override
                public Path scratch() {
                    return scratch;
                }
            };

            Map<Family, List<Document>> built = new EnumMap<>(Family.class);
            for (Family f : todo) {
                long t0 = System.nanoTime();
                List<Document> docs = Recipes.build(f, unpacked);
                if (docs.isEmpty()) {
                    throw new FetchException(f.id() + ": no documents were built");
                }
                built.put(f, docs);
                log.accept(String.format(
                        "%s: %,d documents built in %.1f s", f.id(), docs.size(), (System.nanoTime() - t0) / 1e9));
            }
            if (built.containsKey(Family.GENERAL)) {
                checkHeldOut(built.get(Family.GENERAL), built);
            }
            for (Family f : todo) {
                List<Manifest.PackageInfo> pkgs =
                        Recipes.packages(f).stream().map(cached::get).toList();
                Manifest.Entry e = write(f, built.get(f), pkgs);
                manifest.put(f, e);
                manifest.write(out);
                log.accept(String.format(
                        "%s: wrote %s (%,d documents, %,d chars, %d >= 32k, %d >= 128k, sha256 %s)",
                        f.id(),
                        out.resolve(e.file()),
                        e.documents(),
                        e.chars(),
                        e.documentsAtLeast32k(),
                        e.documentsAtLeast128k(),
                        e.sha256()));
                results.add(new Result(f, true, e));
            }
        } finally {
            deleteTree(work);
        }
        results.sort(Comparator.comparing(r -> families.indexOf(r.family())));
        return results;
    }

    /** Why a family must be built, or null when it is up to date. */
    private String staleReason(Family f, Manifest.Entry e, boolean force) throws IOException {
        if (force) {
            return "--force";
        }
        if (e == null) {
            return "not built yet";
        }
        if (e.builder() != BUILDER) {
            return "built by builder " + e.builder() + ", this is " + BUILDER;
        }
        Path file = out.resolve(f.fileName());
        if (!Files.isRegularFile(file)) {
            return file.getFileName() + " is missing";
        }
        if (!CheckpointManifest.sha256(file).equals(e.sha256())) {
            return file.getFileName() + " does not match the manifest's sha256";
        }
        return null;
    }

    /** The package's archive in the cache, downloading it when absent or corrupt. */
    private Manifest.PackageInfo ensureCached(PackageRef ref, Manifest manifest) throws IOException {
        Path dir = out.resolve(CACHE).resolve(ref.cacheKey());
        Path archive = single(dir);
        if (archive != null) {
            String rel = relative(archive);
            String sha = CheckpointManifest.sha256(archive);
            String known = manifest.knownSha256(rel);
            if (known == null || known.equals(sha)) {
                log.accept("using cached " + ref.describe() + " (" + rel + ")");
                return new Manifest.PackageInfo(
                        ref.registry().id(), ref.name(), source.version(ref, archive), rel, sha);
            }
            log.accept(
                    "cached " + rel + " does not match its recorded sha256; downloading " + ref.describe() + " again");
        }
        log.accept("downloading " + ref.describe());
        Path tmp = out.resolve(CACHE).resolve(".download");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        try {
            Path got = source.download(ref, tmp);
            deleteTree(dir);
            Files.createDirectories(dir);
            archive = dir.resolve(got.getFileName().toString());
            Files.move(got, archive, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            deleteTree(tmp);
        }
        String rel = relative(archive);
        return new Manifest.PackageInfo(
                ref.registry().id(), ref.name(), source.version(ref, archive), rel, CheckpointManifest.sha256(archive));
    }

    /**
     * The holdout rule, checked: general must not contain a document (by id or by text) that is in books, reports or
     * math, whether those were built now or earlier.
     */
    private void checkHeldOut(List<Document> general, Map<Family, List<Document>> built) throws IOException {
        Map<String, String> evalIds = new HashMap<>();
        Map<String, String> evalTexts = new HashMap<>();
        for (Family f : List.of(Family.BOOKS, Family.REPORTS, Family.MATH)) {
            List<Document> docs = built.get(f);
            if (docs == null && Files.isRegularFile(out.resolve(f.fileName()))) {
                docs = Corpus.loadJsonl(out.resolve(f.fileName()));
            }
            if (docs == null) {
                continue;
            }
            for (Document d : docs) {
                evalIds.put(d.id(), f.id());
                evalTexts.put(
                        CheckpointManifest.sha256(d.text().getBytes(StandardCharsets.UTF_8)), f.id() + " as " + d.id());
            }
        }
        for (Document d : general) {
            String in = evalIds.get(d.id());
            if (in == null) {
                in = evalTexts.get(CheckpointManifest.sha256(d.text().getBytes(StandardCharsets.UTF_8)));
            }
            if (in != null) {
                throw new FetchException("general would contain " + d.id() + ", which is in " + in
                        + " (evaluation documents are held out of general)");
            }
        }
    }

    private Manifest.Entry write(Family f, List<Document> docs, List<Manifest.PackageInfo> pkgs) throws IOException {
        Path file = out.resolve(f.fileName());
        Path tmp = out.resolve("." + f.fileName() + ".tmp");
        long chars = 0;
        long ge32 = 0;
        long ge128 = 0;
        Map<String, Long> sources = new TreeMap<>();
        try (OutputStream os = Files.newOutputStream(tmp);
                BufferedWriter w = new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8), 1 << 16)) {
            for (Document d : docs) {
                Jsonl.write(w, d);
                int n = Recipes.chars(d.text());
                chars += n;
                ge32 += n >= 32768 ? 1 : 0;
                ge128 += n >= 131072 ? 1 : 0;
                int slash = d.id().indexOf('/');
                sources.merge(slash < 0 ? d.id() : d.id().substring(0, slash), 1L, Long::sum);
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Manifest.Entry(
                BUILDER,
                f.fileName(),
                CheckpointManifest.sha256(file),
                docs.size(),
                chars,
                ge32,
                ge128,
                sources,
                pkgs,
                f == Family.GENERAL ? Recipes.GENERAL_RULE : null);
    }

    private String relative(Path p) {
        return out.relativize(p).toString().replace('\\', '/');
    }

    /** The one archive in a cache directory, or null. */
    private static Path single(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return null;
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.filter(Files::isRegularFile).toList();
            return files.size() == 1 ? files.get(0) : null;
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.delete(q);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
