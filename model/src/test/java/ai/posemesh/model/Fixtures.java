package ai.posemesh.model;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** Test resources as paths (they are directories on disk in every Maven test run). */
public final class Fixtures {

    private Fixtures() {}

    public static Path path(String resource) {
        try {
            return Path.of(Fixtures.class.getResource("/" + resource).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource missing: " + resource, e);
        }
    }
}
