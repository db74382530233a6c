package ai.posemesh.model.config;

import ai.posemesh.model.CheckpointException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * The RoPE block of a config.json, normalised to HF's current layout: one flat object holding {@code rope_type},
 * {@code rope_theta} and the type's own fields ({@code factor}, {@code original_max_position_embeddings}, ...).
 * Typed getters name the config field when a value is missing or malformed.
 */
public final class RopeParameters {

    private final ObjectNode fields;
    private final Path file;
    private final String section;

    RopeParameters(ObjectNode fields, Path file, String section) {
        this.fields = fields;
        this.file = file;
        this.section = section;
    }

    /** Builds parameters programmatically (e.g. {@code ./pose init-model}); {@code extra} holds the type's fields. */
    public static RopeParameters of(String ropeType, double theta, Map<String, ?> extra) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("rope_type", ropeType);
        node.put("rope_theta", theta);
        extra.forEach((k, v) -> node.putPOJO(k, v));
        return new RopeParameters((ObjectNode) ConfigJson.MAPPER.valueToTree(node), null, "rope_parameters");
    }

    public String type() {
        return fields.path("rope_type").asText("default");
    }

    public double theta() {
        return requireDouble("rope_theta");
    }

    /** A required number; the error names the field. */
    public double requireDouble(String name) {
        JsonNode n = fields.get(name);
        if (n == null || n.isNull()) {
            throw new CheckpointException(file, section + "." + name, "missing; rope_type '" + type() + "' needs it");
        }
        return number(n, name);
    }

    /** An optional number with HF's default when absent or null. */
    public double optDouble(String name, double dflt) {
        JsonNode n = fields.get(name);
        return n == null || n.isNull() ? dflt : number(n, name);
    }

    /** An optional number; null when absent or null. */
    public Double optDouble(String name) {
        JsonNode n = fields.get(name);
        return n == null || n.isNull() ? null : number(n, name);
    }

    public boolean optBoolean(String name, boolean dflt) {
        JsonNode n = fields.get(name);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isBoolean()) {
            throw new CheckpointException(file, section + "." + name, "must be true or false, got " + n);
        }
        return n.asBoolean();
    }

    private double number(JsonNode n, String name) {
        if (!n.isNumber()) {
            throw new CheckpointException(file, section + "." + name, "must be a number, got " + n);
        }
        double v = n.asDouble();
        if (!Double.isFinite(v)) {
            throw new CheckpointException(file, section + "." + name, "must be finite, got " + v);
        }
        return v;
    }

    /** The file these parameters came from (null when built in code), for error messages. */
    public Path file() {
        return file;
    }

    /** Where in the file they came from ({@code rope_parameters} or {@code rope_scaling}). */
    public String section() {
        return section;
    }

    /** A copy of the flat object, in HF's current layout. */
    public ObjectNode toJson() {
        return fields.deepCopy();
    }

    /** The scaling fields alone (everything except {@code rope_type} and {@code rope_theta}), for the legacy layout. */
    public ObjectNode scalingFields() {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals("rope_type")
                    && !e.getKey().equals("rope_theta")
                    && !e.getKey().equals("type")) {
                out.set(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return fields.toString();
    }
}
