package ai.posemesh.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --dir}: the mesh's folder, the same option for {@code up}, {@code status}, {@code down} and {@code demo}. */
final class MeshDir {

    static final String DEFAULT = ".pose/mesh";

    @Option(
            names = "--dir",
            defaultValue = DEFAULT,
            description = "The mesh's folder: kafka/, checkpoints/, reports/, logs/, mesh.json (default: "
                    + "${DEFAULT-VALUE}).")
    Path dir;

    /** The flag to repeat in a hint ({@code ./pose down --dir …}), empty for the default folder. */
    String flag() {
        return dir.equals(Path.of(DEFAULT)) ? "" : " --dir " + dir;
    }
}
