package ai.posemesh.cli;

import ai.posemesh.cli.mesh.Services;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where this CLI runs from: the repository that holds its build, and how to start this CLI again in another JVM. */
final class Repository {

    /** Names the repository explicitly (embedding, tests run from another module). */
    static final String PROPERTY = "posemesh.repository";

    private Repository() {}

    /**
     * The repository root: {@value #PROPERTY} when set, else the folder above cli/ of this CLI's classes
     * (cli/target/pose.jar or cli/target/classes). Unknown: a CLI error (exit 1).
     */
    static Path root() {
        String set = System.getProperty(PROPERTY);
        if (set != null && !set.isBlank()) {
            return Path.of(set).toAbsolutePath().normalize();
        }
        Path code = codeLocation();
        Path target = code == null ? null : code.toAbsolutePath().getParent(); // cli/target
        Path root = target == null || target.getParent() == null
                ? null
                : target.getParent().getParent();
        if (root == null || !Files.isRegularFile(root.resolve("pom.xml"))) {
            throw new PoseCommand.CliException(
                    "cannot tell which repository this CLI belongs to (it runs from " + code + "); set -D" + PROPERTY,
                    1);
        }
        return root;
    }

    /** Where this CLI's classes come from: cli/target/pose.jar, or cli/target/classes. */
    static Path codeLocation() {
        try {
            var src = Repository.class.getProtectionDomain().getCodeSource();
            return src == null ? null : Path.of(src.getLocation().toURI());
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    /** {@code java … ai.posemesh.cli.PoseCommand}: this CLI in a new JVM, offline, with this one's class path. */
    static List<String> javaCommand() {
        List<String> c = new ArrayList<>();
        c.add(Services.java());
        c.add("-Dai.djl.offline=true");
        c.add("-DOPT_OUT_TRACKING=true");
        c.add("-D" + PROPERTY + "=" + root());
        c.add("-cp");
        c.add(System.getProperty("java.class.path"));
        c.add(PoseCommand.class.getName());
        return c;
    }
}
