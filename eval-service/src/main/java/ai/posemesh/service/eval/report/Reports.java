package ai.posemesh.service.eval.report;

import ai.posemesh.evaluation.report.EvalResults;
import ai.posemesh.evaluation.report.ReportData;
import ai.posemesh.evaluation.report.ReportWriter;
import ai.posemesh.proto.events.v1.EvalCompleted;
import ai.posemesh.proto.events.v1.Trigger;
import ai.posemesh.service.eval.kafka.ResultsView;
import ai.posemesh.service.eval.pipeline.Suites;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adapts results to the evaluation library's report writer: EvalCompleted → {@link ReportData}, the job's other
 * evaluations from the results view. The folder is {@code <reports root>/<evaluation id>/}, served at
 * {@code /reports/<evaluation id>/}.
 */
public final class Reports {

    public static final String URL_PREFIX = "/reports/";

    private final ReportWriter writer;
    private final ResultsView view;

    public Reports(Path root, ResultsView view) {
        this.writer = new ReportWriter(root);
        this.view = view;
    }

    public Path root() {
        return writer.root();
    }

    /** Writes the evaluation's folder and the index; returns the result with report_path and report_url set. */
    public synchronized EvalCompleted write(EvalCompleted e, List<ReportData.Trial> trials, int depthBins) {
        EvalCompleted done = e.toBuilder()
                .setReportPath(e.getEvaluationId())
                .setReportUrl(URL_PREFIX + e.getEvaluationId() + "/index.html")
                .build();
        ReportData.Evaluation subject = EvalResults.evaluation(done);
        ReportData.Evaluation base = EvalResults.baseline(done);
        List<ReportData.Evaluation> job = new ArrayList<>();
        List<ReportData.Evaluation> all = new ArrayList<>();
        for (EvalCompleted other : view.all()) {
            if (other.getEvaluationId().equals(done.getEvaluationId())) {
                continue;
            }
            all.add(EvalResults.evaluation(other));
            if (sameSeries(other, done)) {
                job.add(EvalResults.evaluation(other));
            }
        }
        job.add(subject);
        all.add(subject);
        writer.writeEvaluation(subject, base, job, trials, depthBins, meta(done));
        writer.writeIndex(all);
        return done;
    }

    /** Checkpoints of the same job under the same suites are one chart's series. */
    private static boolean sameSeries(EvalCompleted a, EvalCompleted b) {
        return !b.getModel().getJobId().isEmpty()
                && a.getModel().getJobId().equals(b.getModel().getJobId())
                && a.getSuiteConfigSha256().equals(b.getSuiteConfigSha256())
                && a.getTrigger() == Trigger.TRIGGER_CHECKPOINT;
    }

    private static Map<String, Object> meta(EvalCompleted e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("evaluation_id", e.getEvaluationId());
        m.put("trigger", e.getTrigger().name());
        m.put("checkpoint_id", e.getModel().getCheckpointId());
        m.put("uri", e.getModel().getUri());
        m.put("manifest_sha256", e.getModel().getManifestSha256());
        m.put("job_id", e.getModel().getJobId());
        m.put("step", e.getModel().getStep());
        m.put("method", e.getModel().getMethod());
        m.put("rope", e.getModel().getRope().getRopeType());
        m.put("train_len", e.getModel().getTrainLen());
        m.put("target_len", e.getModel().getTargetLen());
        m.put("base_model", e.getModel().getBaseModel());
        m.put("base_model_sha256", e.getModel().getBaseModelSha256());
        m.put("base_identity_kind", e.getModel().getBaseIdentityKind());
        m.put("suite_config_sha256", e.getSuiteConfigSha256());
        m.put("suite_config", suiteJson(e));
        m.put("started_at_ms", e.getTimings().getStartedAtMs());
        m.put("finished_at_ms", e.getTimings().getFinishedAtMs());
        m.put("perplexity_seconds", e.getTimings().getPerplexitySeconds());
        m.put("passkey_seconds", e.getTimings().getPasskeySeconds());
        m.put("baseline_seconds", e.getTimings().getBaselineSeconds());
        m.put("replica", e.getReplica());
        return m;
    }

    /** The suites as their canonical JSON (what the sha256 is taken over); the message's text if it is not valid. */
    private static String suiteJson(EvalCompleted e) {
        try {
            return Suites.fromProto(e.getSuiteConfig()).canonicalJson();
        } catch (IllegalArgumentException bad) {
            return e.getSuiteConfig().toString().replace('\n', ' ').trim();
        }
    }
}
