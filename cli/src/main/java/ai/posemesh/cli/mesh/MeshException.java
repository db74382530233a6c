package ai.posemesh.cli.mesh;

/**
 * A mesh that cannot start, or a mesh command that cannot do what it was asked: one line for the user, and the exit
 * status (2 for bad input such as a port in use or a missing file, 1 for a service that failed).
 */
public final class MeshException extends RuntimeException {
    private final int exitCode;

    public MeshException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
