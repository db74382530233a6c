package ai.posemesh.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.posemesh.model.generate.GreedyDecoder;
import ai.posemesh.model.llama.Llama;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GreedyDecoderTest {

    /** The reference: re-run the whole sequence without a cache at every step and take the argmax. */
    static long[] naive(Llama model, long[] prompt, int maxNew, NDManager m) {
        long[] seq = prompt;
        long[] out = new long[maxNew];
        for (int i = 0; i < maxNew; i++) {
            long[] pos = new long[seq.length];
            Arrays.setAll(pos, k -> k);
            NDArray h = model.forward(
                    m.create(seq, new Shape(1, seq.length)),
                    m.create(pos, new Shape(1, seq.length)),
                    null,
                    prompt.length + maxNew);
            out[i] = model.logits(h.get(new NDIndex("0, -1"))).argMax().getLong();
            seq = Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = out[i];
        }
        return out;
    }

    @Test
    void cachedGreedyEqualsRecomputingEverything() {
        try (NDManager m = Engines.newManager();
                Llama model = Llama.random(TinyModels.gqa(), 21, 0.3, m.newSubManager())) {
            long[] prompt = TinyModels.ids(37, 4);
            long[] want = naive(model, prompt, 12, m);
            for (int chunk : new int[] {1, 8, 64}) {
                assertArrayEquals(want, GreedyDecoder.generate(model, prompt, 12, Set.of(), chunk), "chunk " + chunk);
            }
            long stop = want[3];
            long[] stopped = GreedyDecoder.generate(model, prompt, 12, Set.of(stop), 64);
            int firstStop = 0;
            while (want[firstStop] != stop) {
                firstStop++;
            }
            assertEquals(firstStop + 1, stopped.length, "stops at (and includes) the first stop id");
        }
    }
}
