package ai.posemesh.corpus.fetch;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where corpus packages come from: the only part of {@code ./pose data fetch} that touches the network and the
 * package tools. {@link SystemPackageSource} is the real one (apt-get, npm, dpkg-deb); tests use a double.
 */
public interface PackageSource {

    /**
     * Downloads {@code ref} into {@code dir} (an existing, empty directory) and returns the archive file.
     *
     * @throws FetchException naming the package when it cannot be downloaded
     */
    Path download(PackageRef ref, Path dir) throws IOException;

    /** The version of a downloaded archive of {@code ref} (read from the archive, not from the network). */
    String version(PackageRef ref, Path archive) throws IOException;

    /** Unpacks the archive into {@code dest} (an existing, empty directory). */
    void unpack(PackageRef ref, Path archive, Path dest) throws IOException;

    /**
     * Runs a program shipped inside an unpacked package (the KJV exporter), writing its standard output to
     * {@code stdout}.
     */
    default void exec(java.util.List<String> command, Path stdout) throws IOException {
        Proc.Result r = Proc.run(command, null, stdout, java.time.Duration.ofMinutes(5));
        if (r.exit() != 0) {
            throw new FetchException("could not run " + command.get(0) + " (exited " + r.exit() + "): " + r.summary());
        }
    }
}
