package ai.posemesh.evaluation.config;

import ai.posemesh.evaluation.passkey.PasskeySpec;
import ai.posemesh.evaluation.perplexity.PerplexitySpec;
import ai.posemesh.model.config.ConfigJson;
import ai.posemesh.model.io.CheckpointManifest;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What an evaluation runs, with everything that changes its numbers, and the hash that names it: the library's
 * perplexity and passkey specs, the held-out corpus (by its sha256) and the report's depth bins. Two evaluations of
 * the same model (by manifest sha256) under configurations with the same {@link #sha256()} are the same evaluation:
 * eval-service runs it once.
 *
 * @param perplexity the perplexity protocol (no lengths: no perplexity suite); min/max tokens are explicit here
 * @param corpus the held-out corpus as configured (a JSONL file; its content is named by {@code corpusSha256})
 * @param corpusSha256 sha256 of the corpus file
 * @param passkey the passkey protocol (no lengths: no passkey suite)
 * @param depthBins heatmap depth bins (presentation only, but part of the hash: the report changes)
 */
public record SuiteConfig(
        PerplexitySpec perplexity, String corpus, String corpusSha256, PasskeySpec passkey, int depthBins) {

    public SuiteConfig {
        perplexity = new PerplexitySpec(
                Arrays.stream(perplexity.lengths()).distinct().sorted().toArray(),
                perplexity.stride(),
                perplexity.docs(),
                perplexity.minTokens(),
                perplexity.maxTokens(),
                perplexity.truncate());
        passkey = new PasskeySpec(
                Arrays.stream(passkey.lengths()).distinct().sorted().toArray(), passkey.trials(), passkey.seed());
        boolean ppl = perplexity.lengths().length > 0;
        boolean pk = passkey.lengths().length > 0;
        check(Arrays.stream(perplexity.lengths()).allMatch(l -> l >= 2), "perplexity.lengths", "every length >= 2");
        check(Arrays.stream(passkey.lengths()).allMatch(l -> l >= 1), "passkey.lengths", "every length >= 1");
        check(!ppl || perplexity.docs() >= 1, "perplexity.docs", "must be >= 1, got " + perplexity.docs());
        check(perplexity.stride() >= 0, "perplexity.stride", "must be >= 1, or 0 for half of each window");
        check(
                !ppl || (perplexity.minTokens() >= 1 && perplexity.minTokens() <= perplexity.maxTokens()),
                "perplexity.min-tokens",
                "must be in [1, max-tokens], got " + perplexity.minTokens() + " and " + perplexity.maxTokens());
        check(!ppl || !corpus.isBlank(), "perplexity.corpus", "must name a JSONL file");
        check(!pk || passkey.trials() >= 1, "passkey.trials", "must be >= 1, got " + passkey.trials());
        check(depthBins >= 1 && depthBins <= 100, "passkey.depth_bins", "must be in [1, 100], got " + depthBins);
        check(ppl || pk, "suite", "no perplexity or passkey length to run");
    }

    /**
     * A configuration with the corpus file's sha256 filled in (reads the file). {@code minTokens} / {@code maxTokens}
     * of 0 mean the longest perplexity length (the library's default: every document fills the longest window, and
     * every length reads the same tokens of the same documents).
     */
    public static SuiteConfig withCorpus(PerplexitySpec perplexity, Path corpus, PasskeySpec passkey, int depthBins) {
        int[] lengths = perplexity.lengths();
        int longest = Arrays.stream(lengths).max().orElse(0);
        PerplexitySpec resolved = new PerplexitySpec(
                lengths,
                perplexity.stride(),
                perplexity.docs(),
                perplexity.minTokens() > 0 ? perplexity.minTokens() : longest,
                perplexity.maxTokens() > 0 ? perplexity.maxTokens() : longest,
                perplexity.truncate());
        boolean ppl = lengths.length > 0;
        return new SuiteConfig(
                resolved,
                ppl ? corpus.toString() : "",
                ppl ? CheckpointManifest.sha256(corpus) : "",
                passkey,
                depthBins);
    }

    /**
     * The canonical JSON the hash is taken over: keys in a fixed order, no whitespace. The corpus is named by its
     * sha256 only, so the same file under another path is the same configuration.
     */
    public String canonicalJson() {
        ObjectNode j = ConfigJson.MAPPER.createObjectNode();
        ObjectNode p = j.putObject("perplexity");
        boolean ppl = perplexity.lengths().length > 0;
        Arrays.stream(perplexity.lengths()).forEach(p.putArray("lengths")::add);
        p.put("corpus_sha256", corpusSha256);
        p.put("docs", ppl ? perplexity.docs() : 0);
        p.put("stride", ppl ? perplexity.stride() : 0);
        p.put("min_tokens", ppl ? perplexity.minTokens() : 0);
        p.put("max_tokens", ppl ? perplexity.maxTokens() : 0);
        p.put("truncate", ppl && perplexity.truncate());
        ObjectNode k = j.putObject("passkey");
        boolean pk = passkey.lengths().length > 0;
        Arrays.stream(passkey.lengths()).forEach(k.putArray("lengths")::add);
        k.put("trials", pk ? passkey.trials() : 0);
        k.put("seed", passkey.seed());
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
    public String toString() {
        return canonicalJson();
    }
}
