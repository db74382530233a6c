package ai.posemesh.service.eval.suites;

import ai.posemesh.evaluation.config.SuiteConfig;
import ai.posemesh.evaluation.report.ReportData;
import io.grpc.Channel;
import java.util.List;

/**
 * The seam between the service and the evaluation library: runs a suite configuration against a model loaded on the
 * inference service, over gRPC. Failures are the inference service's gRPC statuses (StatusRuntimeException) or
 * {@link SuiteException} for the suite's own inputs.
 */
public interface SuiteRunner {

    Results run(Channel inference, String model, ModelLabel label, SuiteConfig suite, Progress progress)
            throws SuiteException;

    /** What the per-trial records say about the model. */
    record ModelLabel(String name, String manifestSha256, String rope) {}

    /** Per-length results, every passkey trial, and the time each suite took. */
    record Results(
            List<ReportData.Ppl> ppl,
            List<ReportData.Passkey> passkey,
            List<ReportData.Trial> trials,
            double pplSeconds,
            double passkeySeconds) {}

    /** Where a run is: a stage name and units done of total. */
    interface Progress {
        void update(String stage, int done, int total);

        Progress NONE = (stage, done, total) -> {};
    }

    /** The suite cannot run for a reason of its inputs (a corpus without documents long enough, …). */
    final class SuiteException extends Exception {
        public SuiteException(String message) {
            super(message);
        }
    }
}
