package ai.posemesh.service.eval.pipeline;

import ai.posemesh.proto.eval.v1.EvalState;
import ai.posemesh.proto.eval.v1.EvalUpdate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** The evaluations running (or queued) on this replica and their latest update, for WatchEval. In-process only. */
public final class Tracker {

    private final Map<String, EvalUpdate> latest = new ConcurrentHashMap<>();
    private final Map<String, List<Consumer<EvalUpdate>>> watchers = new ConcurrentHashMap<>();

    public void update(EvalUpdate u) {
        latest.put(u.getEvaluationId(), u);
        for (Consumer<EvalUpdate> w : watchers.getOrDefault(u.getEvaluationId(), List.of())) {
            w.accept(u);
        }
        if (terminal(u.getState())) {
            latest.remove(u.getEvaluationId());
            watchers.remove(u.getEvaluationId());
        }
    }

    public void progress(String id, String stage, int done, int total) {
        update(EvalUpdate.newBuilder()
                .setEvaluationId(id)
                .setState(EvalState.EVAL_STATE_RUNNING)
                .setStage(stage)
                .setDone(done)
                .setTotal(total)
                .build());
    }

    /** The latest update of an evaluation running here, or null. */
    public EvalUpdate latest(String id) {
        return latest.get(id);
    }

    /** Calls {@code w} with every later update of {@code id}; the returned handle stops that. */
    public AutoCloseable watch(String id, Consumer<EvalUpdate> w) {
        watchers.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(w);
        return () -> {
            List<Consumer<EvalUpdate>> l = watchers.get(id);
            if (l != null) {
                l.remove(w);
            }
        };
    }

    public static boolean terminal(EvalState s) {
        return s == EvalState.EVAL_STATE_SUCCEEDED || s == EvalState.EVAL_STATE_FAILED;
    }
}
