package ai.posemesh.model.config;

import ai.posemesh.model.CheckpointException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading and writing the small JSON files of an HF directory, with errors that name the file. */
public final class ConfigJson {

    public static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The same mapper writing one line per value: for JSON on stdout and JSON-lines files. */
    public static final ObjectWriter ONE_LINE = MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT);

    private ConfigJson() {}

    /** Parses a JSON file; a missing, unreadable or malformed file is a {@link CheckpointException} naming it. */
    public static JsonNode read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, null, "file not found");
        } catch (IOException e) {
            throw new CheckpointException(file, null, "cannot be read: " + e.getMessage(), e);
        }
        try {
            JsonNode node = MAPPER.readTree(bytes);
            if (node == null || node.isMissingNode()) {
                throw new CheckpointException(file, null, "is empty, expected a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new CheckpointException(
                    file,
                    null,
                    "is not valid JSON: " + e.getOriginalMessage() + " (line "
                            + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr() + ")",
                    e);
        } catch (IOException e) {
            throw new CheckpointException(file, null, "cannot be read: " + e.getMessage(), e);
        }
    }

    public static void write(Path file, JsonNode node) throws IOException {
        Files.writeString(file, MAPPER.writeValueAsString(node) + "\n");
    }
}
