package ai.posemesh.model;

import java.nio.file.Path;

/**
 * A checkpoint (config.json, safetensors, tokenizer) or an input to the model is not usable. The message always names
 * the file and the field, so a person can fix it without reading a stack trace.
 */
public class CheckpointException extends RuntimeException {

    private final Path file;
    private final String field;

    public CheckpointException(Path file, String field, String problem) {
        this(file, field, problem, null);
    }

    public CheckpointException(Path file, String field, String problem, Throwable cause) {
        super(describe(file, field, problem), cause);
        this.file = file;
        this.field = field;
    }

    /** The file at fault, or null when the fault is in a request (token ids, positions). */
    public Path file() {
        return file;
    }

    /** The field (JSON path, tensor name, or argument) at fault; may be null. */
    public String field() {
        return field;
    }

    private static String describe(Path file, String field, String problem) {
        StringBuilder sb = new StringBuilder();
        if (file != null) {
            sb.append(file);
        }
        if (field != null) {
            sb.append(sb.length() > 0 ? ": " : "").append(field);
        }
        return sb.length() == 0 ? problem : sb + ": " + problem;
    }
}
