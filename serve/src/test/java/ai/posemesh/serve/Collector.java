package ai.posemesh.serve;

import ai.posemesh.serve.generate.GenerationListener;
import ai.posemesh.serve.generate.GenerationResult;
import java.util.ArrayList;
import java.util.List;

/** Records a generation's events. */
public final class Collector implements GenerationListener {

    public final List<int[]> prefill = new ArrayList<>();
    public final List<Long> ids = new ArrayList<>();
    public final List<Double> logprobs = new ArrayList<>();
    public final StringBuilder text = new StringBuilder();
    public GenerationResult result;
    private final Runnable onToken;

    public Collector() {
        this(() -> {});
    }

    /** @param onToken runs after each token (e.g. to cancel) */
    public Collector(Runnable onToken) {
        this.onToken = onToken;
    }

    @Override
    public void onPrefill(int done, int total) {
        prefill.add(new int[] {done, total});
    }

    @Override
    public void onToken(int id, String t, double logprob) {
        ids.add((long) id);
        logprobs.add(logprob);
        text.append(t);
        onToken.run();
    }

    @Override
    public void onFinal(GenerationResult r) {
        if (result != null) {
            throw new AssertionError("two final events");
        }
        result = r;
    }

    public long[] idArray() {
        return ids.stream().mapToLong(Long::longValue).toArray();
    }
}
