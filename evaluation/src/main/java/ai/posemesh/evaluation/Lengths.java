package ai.posemesh.evaluation;

import java.util.ArrayList;
import java.util.List;

/** Evaluation lengths derived from the model when none are given. */
public final class Lengths {

    private Lengths() {}

    /**
     * Half the base window Lc, doubling up to the target Lt ({@code max_position_embeddings}; Lt itself always
     * included), and one doubling past it (2·Lt) to show where the extension stops — the last only when the backend
     * accepts it ({@code sequenceLimit}; a service refuses sequences past Lt). E.g. Lc 256, Lt 2048: 128, 256, 512,
     * 1024, 2048, 4096; the unscaled tiny base (Lc = Lt = 256): 128, 256, 512.
     */
    public static int[] defaults(EvalModel m, int sequenceLimit) {
        int target = m.maxContext();
        int base = Math.max(2, Math.min(m.baseContext(), target));
        List<Integer> out = new ArrayList<>();
        for (long l = Math.max(2, base / 2); l < target; l *= 2) {
            out.add((int) l);
        }
        out.add(target);
        long past = 2L * target;
        if (past <= sequenceLimit) {
            out.add((int) past);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
