package ai.posemesh.evaluation.report;

import ai.posemesh.proto.events.v1.Baseline;
import ai.posemesh.proto.events.v1.EvalCompleted;
import ai.posemesh.proto.events.v1.PasskeyResult;
import ai.posemesh.proto.events.v1.PerplexityResult;
import ai.posemesh.proto.events.v1.Trigger;
import java.util.List;

/**
 * An {@code EvalCompleted} event as the report writer's {@link ReportData}: the evaluated model, and the job's base
 * whose numbers the event carries. eval-service's reports and {@code ./pose demo}'s summary read results this way.
 */
public final class EvalResults {

    private EvalResults() {}

    /** The evaluated model, labelled "step N" for a checkpoint and by its name for an on-demand evaluation. */
    public static ReportData.Evaluation evaluation(EvalCompleted e) {
        String label = e.getTrigger() == Trigger.TRIGGER_CHECKPOINT
                ? "step " + e.getModel().getStep()
                : e.getModel().getCheckpointId();
        return evaluation(e, label);
    }

    /** The evaluated model under another label. */
    public static ReportData.Evaluation evaluation(EvalCompleted e, String label) {
        return new ReportData.Evaluation(
                e.getEvaluationId(),
                label,
                e.getModel().getJobId(),
                e.getModel().getStep(),
                false,
                e.getModel().getTargetLen(),
                e.getTimings().getFinishedAtMs(),
                ppl(e.getPerplexityList()),
                passkey(e.getPasskeyList()));
    }

    /** The job's base as the event carries it (labelled "base"), or null when it carries none. */
    public static ReportData.Evaluation baseline(EvalCompleted e) {
        if (!e.hasBaseline()) {
            return null;
        }
        Baseline b = e.getBaseline();
        return new ReportData.Evaluation(
                b.getMeasuredBy(),
                "base",
                e.getModel().getJobId(),
                0,
                true,
                e.getModel().getTargetLen(),
                e.getTimings().getFinishedAtMs(),
                ppl(b.getPerplexityList()),
                passkey(b.getPasskeyList()));
    }

    private static List<ReportData.Ppl> ppl(List<PerplexityResult> l) {
        return l.stream()
                .map(p -> new ReportData.Ppl(p.getLength(), p.getPpl(), p.getScoredTokens(), p.getDocs()))
                .toList();
    }

    private static List<ReportData.Passkey> passkey(List<PasskeyResult> l) {
        return l.stream()
                .map(p -> new ReportData.Passkey(p.getLength(), p.getTrials(), p.getPassed(), p.getAccuracy()))
                .toList();
    }
}
