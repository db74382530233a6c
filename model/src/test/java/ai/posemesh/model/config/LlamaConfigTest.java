package ai.posemesh.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaConfigTest {

    @TempDir
    Path tmp;

    Path write(String json) throws IOException {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, json);
        return f;
    }

    static final String BASE = "\"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2, "
            + "\"num_attention_heads\": 4, \"vocab_size\": 259, \"max_position_embeddings\": 1024";

    @Test
    void currentAndLegacyLayoutsReadTheSame() throws IOException {
        LlamaConfig current = LlamaConfig.read(write("{" + BASE + ", \"rope_parameters\": {\"rope_type\": \"yarn\", "
                + "\"rope_theta\": 50000, \"factor\": 4, \"original_max_position_embeddings\": 256}}"));
        LlamaConfig legacyType = LlamaConfig.read(write("{" + BASE + ", \"rope_theta\": 50000, \"rope_scaling\": "
                + "{\"type\": \"yarn\", \"factor\": 4, \"original_max_position_embeddings\": 256}}"));
        LlamaConfig legacyRopeType = LlamaConfig.read(write("{" + BASE + ", \"rope_theta\": 50000, \"rope_scaling\": "
                + "{\"rope_type\": \"yarn\", \"factor\": 4, \"original_max_position_embeddings\": 256}}"));
        for (LlamaConfig c : new LlamaConfig[] {current, legacyType, legacyRopeType}) {
            assertEquals("yarn", c.rope().type());
            assertEquals(50000, c.rope().theta());
            assertEquals(4, c.rope().requireDouble("factor"));
            assertEquals(256, c.originalMaxPositionEmbeddings());
            assertEquals(1024, c.maxPositionEmbeddings());
            assertEquals(4, c.numKvHeads(), "num_key_value_heads defaults to num_attention_heads");
            assertEquals(16, c.headDim());
        }
    }

    @Test
    void defaultsFollowHf() throws IOException {
        LlamaConfig c = LlamaConfig.read(write("{" + BASE + "}"));
        assertEquals("default", c.rope().type());
        assertEquals(10000, c.rope().theta());
        assertEquals(1e-6, c.rmsNormEps());
        assertEquals(false, c.tieWordEmbeddings());
        // yarn without original_max_position_embeddings: HF defaults it to max_position_embeddings
        LlamaConfig y =
                LlamaConfig.read(write("{" + BASE + ", \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 2}}"));
        assertEquals(1024, y.rope().requireDouble("original_max_position_embeddings"));
    }

    @Test
    void writtenConfigReadsBackInBothLayouts() throws IOException {
        LlamaConfig c = TinyModels.config(
                4,
                2,
                true,
                RopeParameters.of(
                        "llama3",
                        500000.0,
                        Map.of(
                                "factor",
                                8.0,
                                "low_freq_factor",
                                1.0,
                                "high_freq_factor",
                                4.0,
                                "original_max_position_embeddings",
                                64)));
        for (LlamaConfig.Layout layout : LlamaConfig.Layout.values()) {
            ConfigJson.write(tmp.resolve("config.json"), c.toJson(layout));
            LlamaConfig back = LlamaConfig.read(tmp.resolve("config.json"));
            assertEquals(c.rope().toJson(), back.rope().toJson(), layout.name());
            assertEquals(c.withDtype("float32").toJson(layout), back.toJson(layout));
        }
    }

    @Test
    void badConfigsNameFileAndField() throws IOException {
        expect(write("{" + BASE.replace("\"num_hidden_layers\": 2, ", "") + "}"), "num_hidden_layers");
        expect(write("{" + BASE + ", \"num_key_value_heads\": 3}"), "num_key_value_heads");
        expect(write("{" + BASE + ", \"hidden_size\": \"big\"}"), "hidden_size");
        expect(write("{" + BASE + ", \"rope_scaling\": {\"type\": \"linear\", \"factor\": \"x\"}}"), "factor");
        expect(write("{" + BASE + ", \"rope_scaling\": 3}"), "rope_scaling");
        expect(write("{" + BASE + ", \"model_type\": \"gpt2\"}"), "model_type");
        expect(write("{" + BASE + ", \"hidden_act\": \"gelu\"}"), "hidden_act");
        expect(write("{\"hidden_size\": 64,"), "not valid JSON");
        expect(write(""), "empty");
        expect(tmp.resolve("missing/config.json"), "not found");
    }

    static void expect(Path file, String mention) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> LlamaConfig.read(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(mention), "'" + e.getMessage() + "' should mention " + mention);
    }
}
