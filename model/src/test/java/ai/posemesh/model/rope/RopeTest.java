package ai.posemesh.model.rope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.Engines;
import ai.posemesh.model.Fixtures;
import ai.posemesh.model.config.ConfigJson;
import ai.posemesh.model.config.RopeParameters;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every variant against the reference vectors (d=8, b=1e4, s=4, L_orig=2048) computed in float64 by HF transformers
 * 5.18 and PoSE's own rotary classes. The two posemesh-only variants (ntk, yarn-pose) are checked here, against the
 * formulas, since HF cannot load them.
 */
class RopeTest {

    static final JsonNode V = ConfigJson.read(Fixtures.path("rope_vectors.json"));
    static final int D = 8;

    static RopeParameters params(String type, Object... kv) {
        Map<String, Object> extra = new LinkedHashMap<>();
        if (!type.equals("default")) {
            extra.put("factor", 4.0);
            extra.put("original_max_position_embeddings", 2048);
        }
        for (int i = 0; i < kv.length; i += 2) {
            extra.put((String) kv[i], kv[i + 1]);
        }
        return RopeParameters.of(type, 10000.0, extra);
    }

    static void assertInvFreq(String vectorKey, Rope.Frequencies f) {
        JsonNode want = V.get(vectorKey).get("inv_freq");
        assertEquals(want.size(), f.invFreq().length);
        for (int i = 0; i < want.size(); i++) {
            double w = want.get(i).asDouble();
            assertEquals(w, f.invFreq()[i], Math.abs(w) * 1e-6, vectorKey + " inv_freq[" + i + "]");
        }
    }

    @Test
    void plainLinearNtkMatchVectors() {
        assertInvFreq("plain", Rope.frequencies(params("default"), D, 8192, 8192));
        assertInvFreq("linear", Rope.frequencies(params("linear"), D, 8192, 8192));
        Rope.Frequencies ntk = Rope.frequencies(params("ntk"), D, 8192, 8192);
        assertInvFreq("ntk_aware_static", ntk);
        assertEquals(1.0, ntk.attentionFactor());
        // the defining property of static NTK: the lowest frequency is exactly θ_{d/2−1}/s
        assertEquals(0.001 / 4, ntk.invFreq()[3], 1e-12);
    }

    @Test
    void dynamicMatchesVectorAndIsPlainInsideTheWindow() {
        JsonNode ex = V.get("dynamic_ntk_example");
        int maxPos = ex.get("max_position_embeddings").asInt();
        RopeParameters p = params("dynamic");
        assertInvFreq(
                "dynamic_ntk_example",
                Rope.frequencies(p, D, maxPos, ex.get("seq_len").asInt()));
        assertInvFreq("plain", Rope.frequencies(p, D, maxPos, maxPos));
        assertInvFreq("plain", Rope.frequencies(p, D, maxPos, 100));
    }

    @Test
    void yarnVariantsMatchVectors() {
        Rope.Frequencies hf = Rope.frequencies(params("yarn"), D, 8192, 8192);
        assertInvFreq("yarn_hf", hf);
        assertEquals(V.get("yarn_hf").get("mscale").asDouble(), hf.attentionFactor(), 1e-12);
        assertInvFreq("yarn_hf_truncate_false", Rope.frequencies(params("yarn", "truncate", false), D, 8192, 8192));
        Rope.Frequencies pose = Rope.frequencies(params("yarn-pose"), D, 8192, 8192);
        assertInvFreq("yarn_pose_revised", pose);
        assertEquals(V.get("yarn_pose_revised").get("mscale").asDouble(), pose.attentionFactor(), 1e-12);
        // an explicit attention_factor overrides mscale
        assertEquals(
                1.3,
                Rope.frequencies(params("yarn", "attention_factor", 1.3), D, 8192, 8192)
                        .attentionFactor(),
                0);
    }

    @Test
    void cosSinAtPosition1000MatchVectors() {
        JsonNode want = V.get("cos_sin_at_position_1000");
        Map<String, RopeParameters> cases = Map.of(
                "plain",
                params("default"),
                "linear",
                params("linear"),
                "ntk_aware_static",
                params("ntk"),
                "yarn_hf",
                params("yarn"));
        try (NDManager m = Engines.newManager()) {
            for (var e : cases.entrySet()) {
                RotaryEmbedding rope = new RotaryEmbedding(e.getValue(), D, 8192);
                NDList cs = rope.cosSin(m.create(new long[] {1000}).reshape(1, 1), 1001);
                float[] cos = cs.get(0).toFloatArray();
                float[] sin = cs.get(1).toFloatArray();
                for (int i = 0; i < D; i++) {
                    assertEquals(want.get(e.getKey()).get("cos").get(i).asDouble(), cos[i], 1e-5, e.getKey());
                    assertEquals(want.get(e.getKey()).get("sin").get(i).asDouble(), sin[i], 1e-5, e.getKey());
                }
            }
        }
    }

    @Test
    void rotationMatchesVectorAndDependsOnlyOnRelativePosition() {
        JsonNode ex = V.get("apply_rope_plain_example");
        try (NDManager m = Engines.newManager()) {
            RotaryEmbedding rope = new RotaryEmbedding(params("default"), D, 8192);
            NDArray q = m.create(floats(ex.get("q"))).reshape(1, 1, 1, D);
            NDArray k = m.create(floats(ex.get("k"))).reshape(1, 1, 1, D);
            NDArray q1000 = rotate(rope, q, 1000);
            float[] got = q1000.toFloatArray();
            for (int i = 0; i < D; i++) {
                assertEquals(ex.get("q_at_1000").get(i).asDouble(), got[i], 1e-4);
            }
            float near = q1000.mul(rotate(rope, k, 990)).sum().getFloat();
            float far = rotate(rope, q, 5000).mul(rotate(rope, k, 4990)).sum().getFloat();
            assertEquals(ex.get("dot_q1000_k990").asDouble(), near, 1e-3);
            assertEquals(near, far, 1e-3);
        }
    }

    @Test
    void unknownTypeAndMissingFieldsNameTheField() {
        CheckpointException unknown = assertThrows(
                CheckpointException.class,
                () -> Rope.frequencies(RopeParameters.of("su", 10000.0, Map.of()), D, 2048, 2048));
        assertTrue(
                unknown.getMessage().contains("rope_type")
                        && unknown.getMessage().contains("'su'"),
                unknown.getMessage());
        CheckpointException noFactor = assertThrows(
                CheckpointException.class,
                () -> Rope.frequencies(RopeParameters.of("linear", 10000.0, Map.of()), D, 2048, 2048));
        assertTrue(noFactor.getMessage().contains("factor"), noFactor.getMessage());
        CheckpointException llama3 = assertThrows(
                CheckpointException.class,
                () -> Rope.frequencies(RopeParameters.of("llama3", 10000.0, Map.of("factor", 8.0)), D, 2048, 2048));
        assertTrue(llama3.getMessage().contains("low_freq_factor"), llama3.getMessage());
    }

    @Test
    void theTableSaysWhatEachVariantIs() {
        assertEquals(Set.of("default", "linear", "dynamic", "yarn", "llama3", "ntk", "yarn-pose"), Rope.types());
        assertEquals(Set.of("dynamic"), typesWhere(Rope.Variant::lengthDependent));
        assertEquals(Set.of("ntk", "yarn-pose"), typesWhere(v -> !v.hfLoadable()));
        assertEquals(
                Set.of("yarn", "llama3", "yarn-pose"), typesWhere(Rope.Variant::readsOriginalMaxPositionEmbeddings));
        assertTrue(Rope.find("longrope").isEmpty());
    }

    static Set<String> typesWhere(Predicate<Rope.Variant> p) {
        return Rope.types().stream()
                .filter(t -> p.test(Rope.find(t).orElseThrow()))
                .collect(Collectors.toSet());
    }

    static NDArray rotate(RotaryEmbedding rope, NDArray x, long pos) {
        NDList cs = rope.cosSin(x.getManager().create(new long[] {pos}).reshape(1, 1), (int) pos + 1);
        return RotaryEmbedding.apply(x, cs.get(0), cs.get(1));
    }

    static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) a.get(i).asDouble();
        }
        return out;
    }
}
