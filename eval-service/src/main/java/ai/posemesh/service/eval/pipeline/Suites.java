package ai.posemesh.service.eval.pipeline;

import ai.posemesh.evaluation.config.SuiteConfig;
import ai.posemesh.proto.events.v1.PasskeySuite;
import ai.posemesh.proto.events.v1.PerplexitySuite;
import java.nio.file.Path;
import java.util.Arrays;

/** The suite configuration between the library's record and its proto message. */
public final class Suites {

    private Suites() {}

    public static ai.posemesh.proto.events.v1.SuiteConfig toProto(SuiteConfig s) {
        return ai.posemesh.proto.events.v1.SuiteConfig.newBuilder()
                .setPerplexity(PerplexitySuite.newBuilder()
                        .addAllLengths(Arrays.stream(s.pplLengths()).boxed().toList())
                        .setCorpus(s.corpus())
                        .setCorpusSha256(s.corpusSha256())
                        .setDocs(s.docs()))
                .setPasskey(PasskeySuite.newBuilder()
                        .addAllLengths(Arrays.stream(s.passkeyLengths()).boxed().toList())
                        .setTrials(s.trials())
                        .setSeed(s.seed())
                        .setDepthBins(s.depthBins()))
                .build();
    }

    /**
     * A RunSuite request's suites over the defaults: a suite the request sets replaces the default one (its corpus
     * hashed again when it names another file). Bad values: IllegalArgumentException naming the field.
     */
    public static SuiteConfig override(SuiteConfig defaults, ai.posemesh.proto.events.v1.SuiteConfig req) {
        int[] ppl = defaults.pplLengths();
        String corpus = defaults.corpus();
        int docs = defaults.docs();
        int[] pk = defaults.passkeyLengths();
        int trials = defaults.trials();
        long seed = defaults.seed();
        int bins = defaults.depthBins();
        if (req.hasPerplexity()) {
            PerplexitySuite p = req.getPerplexity();
            ppl = p.getLengthsList().stream().mapToInt(Integer::intValue).toArray();
            corpus = p.getCorpus().isEmpty() ? corpus : p.getCorpus();
            docs = p.getDocs() == 0 ? docs : p.getDocs();
        }
        if (req.hasPasskey()) {
            PasskeySuite p = req.getPasskey();
            pk = p.getLengthsList().stream().mapToInt(Integer::intValue).toArray();
            trials = p.getTrials() == 0 ? trials : p.getTrials();
            seed = p.getSeed();
            bins = p.getDepthBins() == 0 ? bins : p.getDepthBins();
        }
        if (corpus.equals(defaults.corpus()) && !defaults.corpusSha256().isEmpty()) {
            return new SuiteConfig(ppl, corpus, defaults.corpusSha256(), docs, pk, trials, seed, bins);
        }
        return SuiteConfig.withCorpus(ppl, Path.of(corpus), docs, pk, trials, seed, bins);
    }
}
