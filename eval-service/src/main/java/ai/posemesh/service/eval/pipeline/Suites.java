package ai.posemesh.service.eval.pipeline;

import ai.posemesh.evaluation.config.SuiteConfig;
import ai.posemesh.evaluation.passkey.PasskeySpec;
import ai.posemesh.evaluation.perplexity.PerplexitySpec;
import ai.posemesh.model.CheckpointException;
import ai.posemesh.proto.events.v1.PasskeySuite;
import ai.posemesh.proto.events.v1.PerplexitySuite;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The suite configuration between the library's record and its proto message. */
public final class Suites {

    private Suites() {}

    public static ai.posemesh.proto.events.v1.SuiteConfig toProto(SuiteConfig s) {
        PerplexitySpec p = s.perplexity();
        PasskeySpec k = s.passkey();
        return ai.posemesh.proto.events.v1.SuiteConfig.newBuilder()
                .setPerplexity(PerplexitySuite.newBuilder()
                        .addAllLengths(boxed(p.lengths()))
                        .setCorpus(s.corpus())
                        .setCorpusSha256(s.corpusSha256())
                        .setDocs(p.docs())
                        .setStride(p.stride())
                        .setMinTokens(p.minTokens())
                        .setMaxTokens(p.maxTokens())
                        .setTruncate(p.truncate()))
                .setPasskey(PasskeySuite.newBuilder()
                        .addAllLengths(boxed(k.lengths()))
                        .setTrials(k.trials())
                        .setSeed(k.seed())
                        .setDepthBins(s.depthBins()))
                .build();
    }

    /** The configuration an event carries, back as the library's record (for its canonical JSON). */
    public static SuiteConfig fromProto(ai.posemesh.proto.events.v1.SuiteConfig s) {
        PerplexitySuite p = s.getPerplexity();
        PasskeySuite k = s.getPasskey();
        return new SuiteConfig(perplexity(p, 0), p.getCorpus(), p.getCorpusSha256(), passkey(k, 0), k.getDepthBins());
    }

    /** The message's perplexity suite; docs 0 takes {@code defaultDocs}. */
    private static PerplexitySpec perplexity(PerplexitySuite p, int defaultDocs) {
        return new PerplexitySpec(
                ints(p.getLengthsList()),
                p.getStride(),
                p.getDocs() == 0 ? defaultDocs : p.getDocs(),
                p.getMinTokens(),
                p.getMaxTokens(),
                p.getTruncate());
    }

    /** The message's passkey suite; trials 0 takes {@code defaultTrials}. */
    private static PasskeySpec passkey(PasskeySuite p, int defaultTrials) {
        return new PasskeySpec(
                ints(p.getLengthsList()), p.getTrials() == 0 ? defaultTrials : p.getTrials(), p.getSeed());
    }

    /**
     * A RunSuite request's suites over the defaults: a suite the request sets replaces the default one (unset numbers
     * keep the default; its corpus hashed again when it names another file). Bad values: IllegalArgumentException
     * naming the field.
     */
    public static SuiteConfig override(SuiteConfig defaults, ai.posemesh.proto.events.v1.SuiteConfig req) {
        PerplexitySpec ppl = defaults.perplexity();
        String corpus = defaults.corpus();
        PasskeySpec pk = defaults.passkey();
        int bins = defaults.depthBins();
        if (req.hasPerplexity()) {
            PerplexitySuite p = req.getPerplexity();
            ppl = perplexity(p, ppl.docs());
            corpus = p.getCorpus().isEmpty() ? corpus : p.getCorpus();
        }
        if (req.hasPasskey()) {
            PasskeySuite p = req.getPasskey();
            pk = passkey(p, pk.trials());
            bins = p.getDepthBins() == 0 ? bins : p.getDepthBins();
        }
        if (!req.hasPerplexity() && !defaults.corpusSha256().isEmpty()) {
            return new SuiteConfig(ppl, corpus, defaults.corpusSha256(), pk, bins);
        }
        try {
            return SuiteConfig.withCorpus(ppl, Path.of(corpus), pk, bins);
        } catch (CheckpointException e) {
            // the corpus named cannot be hashed (missing, unreadable): the request's fault, not an internal error
            throw new IllegalArgumentException("perplexity.corpus: " + e.getMessage(), e);
        }
    }

    private static List<Integer> boxed(int[] a) {
        return Arrays.stream(a).boxed().toList();
    }

    private static int[] ints(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }
}
