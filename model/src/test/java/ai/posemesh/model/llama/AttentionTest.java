package ai.posemesh.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.posemesh.model.Engines;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The generated TorchScript SDPA module against plain ops, for full and suffix (chunked/decode) queries. */
class AttentionTest {

    static NDManager m;

    @BeforeAll
    static void start() {
        m = Engines.newManager();
    }

    @AfterAll
    static void stop() {
        m.close();
    }

    @Test
    void fusedEqualsPlainWhenQueriesEqualKeys() {
        NDArray q = m.randomNormal(new Shape(2, 4, 37, 16));
        NDArray k = m.randomNormal(new Shape(2, 4, 37, 16));
        NDArray v = m.randomNormal(new Shape(2, 4, 37, 16));
        assertClose(Attention.plain().attend(q, k, v), Attention.fused().attend(q, k, v));
    }

    @Test
    void fusedEqualsPlainWhenQueriesAreASuffixOfKeys() {
        NDArray k = m.randomNormal(new Shape(1, 4, 50, 16));
        NDArray v = m.randomNormal(new Shape(1, 4, 50, 16));
        NDArray qAll = m.randomNormal(new Shape(1, 4, 50, 16));
        NDArray full = Attention.plain().attend(qAll, k, v);
        for (int tq : new int[] {1, 7, 49}) {
            NDArray q = qAll.get(new NDIndex(":, :, {}:", 50 - tq));
            NDArray fused = Attention.fused().attend(q, k, v);
            // the last tq rows of a full causal pass are what a chunked prefill/decode step must produce
            assertClose(full.get(new NDIndex(":, :, {}:", 50 - tq)), fused);
        }
    }

    @Test
    void causalMaskHidesTheFuture() {
        NDArray q = m.randomNormal(new Shape(1, 1, 5, 8));
        NDArray k = m.randomNormal(new Shape(1, 1, 5, 8));
        NDArray v = m.randomNormal(new Shape(1, 1, 5, 8));
        NDArray before = Attention.fused().attend(q, k, v);
        NDArray k2 = k.duplicate();
        k2.set(new NDIndex(":, :, 4"), 100f); // change only the last key
        NDArray after = Attention.fused().attend(q, k2, v);
        assertClose(before.get(new NDIndex(":, :, :4")), after.get(new NDIndex(":, :, :4")));
        assertTrue(
                before.get(new NDIndex(":, :, 4"))
                                .sub(after.get(new NDIndex(":, :, 4")))
                                .abs()
                                .max()
                                .getFloat()
                        > 1e-3,
                "the last query must see the last key");
    }

    static void assertClose(NDArray expected, NDArray actual) {
        assertEquals(expected.getShape(), actual.getShape());
        float diff = expected.sub(actual).abs().max().getFloat();
        assertTrue(diff < 1e-5, "max abs diff " + diff);
    }
}
