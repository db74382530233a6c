package ai.posemesh.service.eval.suites;

import ai.posemesh.corpus.Corpus;
import ai.posemesh.corpus.CorpusException;
import ai.posemesh.corpus.Document;
import ai.posemesh.evaluation.EvalException;
import ai.posemesh.evaluation.RemoteBackend;
import ai.posemesh.evaluation.config.SuiteConfig;
import ai.posemesh.evaluation.passkey.PasskeyEval;
import ai.posemesh.evaluation.passkey.PasskeySpec;
import ai.posemesh.evaluation.perplexity.PerplexityEval;
import ai.posemesh.evaluation.perplexity.PerplexityResult;
import ai.posemesh.evaluation.perplexity.PerplexitySpec;
import ai.posemesh.evaluation.report.ReportData;
import io.grpc.Channel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The evaluation library's suites (the seed's perplexity protocol, the passkey test) over the inference service:
 * a {@link RemoteBackend} on the service's channel, so the numbers are the ones {@code ./pose eval --endpoint} prints.
 *
 * <p>The inference service refuses a context past a model's served max_context, so each model runs the configured
 * lengths it can take there. A checkpoint is served with its own window; the job's base, with
 * {@code posemesh.eval.base-past-window} (the default), is loaded with max_context = the suite's longest length, so its
 * series covers every length, past its window too (its perplexity there is the point of the comparison); without it
 * the base's series stops at its window. Every model reads the same documents: min/max tokens are fixed by the
 * configuration, not by the lengths run.
 */
public final class RemoteSuiteRunner implements SuiteRunner {

    @Override
    public Results run(Channel channel, String model, ModelLabel label, SuiteConfig suite, Progress progress)
            throws SuiteException {
        try (RemoteBackend backend = new RemoteBackend(channel, model)) {
            long t0 = System.nanoTime();
            List<ReportData.Ppl> ppl = perplexity(backend, suite, progress);
            long t1 = System.nanoTime();
            List<ReportData.Trial> trials = new ArrayList<>();
            List<ReportData.Passkey> passkey = passkey(backend, label, suite.passkey(), trials, progress);
            long t2 = System.nanoTime();
            return new Results(ppl, passkey, trials, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        } catch (EvalException | CorpusException e) {
            throw new SuiteException(e.getMessage());
        }
    }

    private static List<ReportData.Ppl> perplexity(RemoteBackend backend, SuiteConfig suite, Progress progress) {
        PerplexitySpec all = suite.perplexity();
        int[] lengths = Arrays.stream(all.lengths())
                .filter(l -> l <= backend.sequenceLimit())
                .toArray();
        if (lengths.length == 0) {
            return List.of();
        }
        PerplexitySpec spec =
                new PerplexitySpec(lengths, all.stride(), all.docs(), all.minTokens(), all.maxTokens(), all.truncate());
        Path corpus = Path.of(suite.corpus());
        List<Document> docs = Corpus.load(corpus.toString(), corpus.getParent());
        List<PerplexityResult> results = new PerplexityEval(backend)
                .run(
                        docs,
                        spec,
                        (length, done, total) ->
                                progress.update("perplexity " + length, (int) Math.min(done, Integer.MAX_VALUE), (int)
                                        Math.min(total, Integer.MAX_VALUE)))
                .results();
        return results.stream()
                .map(r -> new ReportData.Ppl(r.length(), r.ppl(), r.scoredTokens(), r.docs()))
                .toList();
    }

    private static List<ReportData.Passkey> passkey(
            RemoteBackend backend, ModelLabel label, PasskeySpec all, List<ReportData.Trial> log, Progress progress) {
        PasskeyEval eval = new PasskeyEval(backend);
        int[] lengths = Arrays.stream(all.lengths())
                .filter(l -> (long) eval.promptBudget(l) + PasskeyEval.MAX_NEW_TOKENS <= backend.sequenceLimit())
                .toArray();
        if (lengths.length == 0) {
            return List.of();
        }
        List<PasskeyEval.LengthResult> results = eval.run(
                        new PasskeySpec(lengths, all.trials(), all.seed()),
                        t -> log.add(new ReportData.Trial(
                                label.name(),
                                label.manifestSha256(),
                                label.rope(),
                                t.length(),
                                t.promptTokens(),
                                t.fillerUnits() == 0 ? 0 : (double) t.depth() / t.fillerUnits(),
                                t.trial(),
                                String.valueOf(t.expected()),
                                t.answer(),
                                t.passed())),
                        (length, done, total) -> progress.update("passkey " + length, (int) done, (int) total))
                .results();
        return results.stream()
                .map(r -> new ReportData.Passkey(r.length(), r.trials(), r.passed(), r.accuracy()))
                .toList();
    }
}
