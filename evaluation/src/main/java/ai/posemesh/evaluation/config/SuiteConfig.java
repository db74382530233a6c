package ai.posemesh.evaluation.config;

import ai.posemesh.model.config.ConfigJson;
import ai.posemesh.model.io.CheckpointManifest;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What an evaluation runs, with everything that changes its numbers, and the hash that names it. Two evaluations of
 * the same model (by manifest sha256) under configurations with the same {@link #sha256()} are the same evaluation:
 * eval-service runs it once.
 *
 * @param pplLengths perplexity context lengths (ascending, distinct)
 * @param corpus the held-out JSONL corpus file (as configured; its content is named by {@code corpusSha256})
 * @param corpusSha256 sha256 of the corpus file
 * @param docs documents per perplexity length
 * @param passkeyLengths passkey prompt lengths (ascending, distinct)
 * @param trials passkey trials per length
 * @param seed passkey keys and depths
 * @param depthBins heatmap depth bins (presentation only, but part of the hash: the report changes)
 */
public record SuiteConfig(
        int[] pplLengths,
        String corpus,
        String corpusSha256,
        int docs,
        int[] passkeyLengths,
        int trials,
        long seed,
        int depthBins) {

    public SuiteConfig {
        pplLengths = Arrays.stream(pplLengths).distinct().sorted().toArray();
        passkeyLengths = Arrays.stream(passkeyLengths).distinct().sorted().toArray();
        check(Arrays.stream(pplLengths).allMatch(l -> l >= 2), "perplexity.lengths", "every length must be >= 2");
        check(Arrays.stream(passkeyLengths).allMatch(l -> l >= 1), "passkey.lengths", "every length must be >= 1");
        check(pplLengths.length == 0 || docs >= 1, "perplexity.docs", "must be >= 1, got " + docs);
        check(pplLengths.length == 0 || !corpus.isBlank(), "perplexity.corpus", "must name a JSONL file");
        check(passkeyLengths.length == 0 || trials >= 1, "passkey.trials", "must be >= 1, got " + trials);
        check(depthBins >= 1 && depthBins <= 100, "passkey.depth_bins", "must be in [1, 100], got " + depthBins);
        check(pplLengths.length + passkeyLengths.length > 0, "suite", "no perplexity or passkey length to run");
    }

    /** The same with the corpus file's sha256 filled in (reads the file). */
    public static SuiteConfig withCorpus(
            int[] pplLengths, Path corpus, int docs, int[] passkeyLengths, int trials, long seed, int depthBins) {
        String sha = pplLengths.length == 0 ? "" : CheckpointManifest.sha256(corpus);
        return new SuiteConfig(
                pplLengths,
                pplLengths.length == 0 ? "" : corpus.toString(),
                sha,
                docs,
                passkeyLengths,
                trials,
                seed,
                depthBins);
    }

    /**
     * The canonical JSON the hash is taken over: keys in a fixed order, no whitespace. The corpus is named by its
     * sha256 only, so the same file under another path is the same configuration.
     */
    public String canonicalJson() {
        ObjectNode j = ConfigJson.MAPPER.createObjectNode();
        ObjectNode p = j.putObject("perplexity");
        Arrays.stream(pplLengths).forEach(p.putArray("lengths")::add);
        p.put("corpus_sha256", corpusSha256);
        p.put("docs", pplLengths.length == 0 ? 0 : docs);
        ObjectNode k = j.putObject("passkey");
        Arrays.stream(passkeyLengths).forEach(k.putArray("lengths")::add);
        k.put("trials", passkeyLengths.length == 0 ? 0 : trials);
        k.put("seed", seed);
        k.put("depth_bins", depthBins);
        try {
            return ConfigJson.ONE_LINE.writeValueAsString(j);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** sha256 (lowercase hex) of {@link #canonicalJson()}. */
    public String sha256() {
        return CheckpointManifest.sha256(canonicalJson().getBytes(StandardCharsets.UTF_8));
    }

    private static void check(boolean ok, String field, String reason) {
        if (!ok) {
            throw new IllegalArgumentException(field + ": " + reason);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SuiteConfig s && s.canonicalJson().equals(canonicalJson());
    }

    @Override
    public int hashCode() {
        return canonicalJson().hashCode();
    }

    @Override
    public String toString() {
        return canonicalJson();
    }
}
