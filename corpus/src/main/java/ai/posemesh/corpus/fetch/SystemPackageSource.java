package ai.posemesh.corpus.fetch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Packages from the machine's own package clients: Debian packages with {@code apt-get download} (no root install;
 * {@code apt-get update} runs once, only when a download fails, e.g. for want of package lists) unpacked with
 * {@code dpkg-deb -x}; npm packages with {@code npm pack NAME@VERSION}, unpacked in Java.
 */
public final class SystemPackageSource implements PackageSource {

    private static final Duration DOWNLOAD_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration UPDATE_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration LOCAL_TIMEOUT = Duration.ofMinutes(5);

    private final Consumer<String> log;
    private boolean aptUpdated;

    public SystemPackageSource(Consumer<String> log) {
        this.log = log;
    }

    @Override
    public Path download(PackageRef ref, Path dir) throws IOException {
        return switch (ref.registry()) {
            case DEBIAN -> downloadDebian(ref, dir);
            case NPM -> downloadNpm(ref, dir);
        };
    }

    private Path downloadDebian(PackageRef ref, Path dir) throws IOException {
        List<String> cmd = List.of("apt-get", "download", ref.name());
        Proc.Result r = start(ref, cmd, dir, DOWNLOAD_TIMEOUT);
        if (r.exit() != 0 && !aptUpdated) {
            // Usually "Unable to locate package": no package lists yet. Fetch them once and retry.
            aptUpdated = true;
            log.accept("apt-get download " + ref.name() + " failed (" + r.summary() + "); running apt-get update");
            Proc.Result u = start(ref, List.of("apt-get", "update"), dir, UPDATE_TIMEOUT);
            if (u.exit() != 0) {
                throw new FetchException("could not download " + ref.describe() + " (apt-get download "
                        + status(r) + ": " + r.summary() + "; then apt-get update " + status(u) + ": "
                        + u.summary() + ")");
            }
            clear(dir);
            r = start(ref, cmd, dir, DOWNLOAD_TIMEOUT);
        }
        if (r.exit() != 0) {
            throw new FetchException(
                    "could not download " + ref.describe() + " (apt-get download " + status(r) + "): " + r.summary());
        }
        return single(ref, dir, ".deb");
    }

    private Path downloadNpm(PackageRef ref, Path dir) throws IOException {
        Proc.Result r = start(
                ref,
                List.of("npm", "pack", "--ignore-scripts", "--no-fund", "--no-audit", ref.spec()),
                dir,
                DOWNLOAD_TIMEOUT);
        if (r.exit() != 0) {
            throw new FetchException(
                    "could not download " + ref.describe() + " (npm pack " + status(r) + "): " + r.summary());
        }
        return single(ref, dir, ".tgz");
    }

    @Override
    public String version(PackageRef ref, Path archive) throws IOException {
        if (ref.registry() == PackageRef.Registry.NPM) {
            return ref.version();
        }
        Path out = Files.createTempFile("pose-dpkg", ".txt");
        try {
            Proc.Result r =
                    Proc.run(List.of("dpkg-deb", "-f", archive.toString(), "Version"), null, out, LOCAL_TIMEOUT);
            String v = Files.readString(out).strip();
            if (r.exit() != 0 || v.isEmpty()) {
                throw new FetchException(archive + ": cannot read the version of " + ref.describe() + " (dpkg-deb "
                        + status(r) + "): " + r.summary());
            }
            return v;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    @Override
    public void unpack(PackageRef ref, Path archive, Path dest) throws IOException {
        if (ref.registry() == PackageRef.Registry.NPM) {
            Tar.extractTgz(archive, dest);
            return;
        }
        Proc.Result r =
                Proc.run(List.of("dpkg-deb", "-x", archive.toString(), dest.toString()), null, null, LOCAL_TIMEOUT);
        if (r.exit() != 0) {
            throw new FetchException("could not unpack " + ref.describe() + " from " + archive + " (dpkg-deb -x "
                    + status(r) + "): " + r.summary());
        }
    }

    private static Proc.Result start(PackageRef ref, List<String> cmd, Path dir, Duration timeout) {
        try {
            return Proc.run(cmd, dir, null, timeout);
        } catch (IOException e) {
            throw new FetchException("could not download " + ref.describe() + ": " + e.getMessage(), e);
        }
    }

    private static String status(Proc.Result r) {
        return r.exit() < 0 ? "timed out" : "exited " + r.exit();
    }

    private static Path single(PackageRef ref, Path dir, String ext) throws IOException {
        List<Path> found;
        try (Stream<Path> s = Files.list(dir)) {
            found = s.filter(p -> p.getFileName().toString().endsWith(ext)).toList();
        }
        if (found.size() != 1) {
            throw new FetchException("could not download " + ref.describe() + ": expected one " + ext + " file in "
                    + dir + ", found " + found.size());
        }
        return found.get(0);
    }

    private static void clear(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
