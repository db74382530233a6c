package ai.posemesh.train.data;

import ai.posemesh.corpus.Document;
import ai.posemesh.model.tokenizer.TextTokenizer;
import ai.posemesh.train.TrainException;
import ai.posemesh.train.positions.Example;
import ai.posemesh.train.positions.PositionSampler;
import ai.posemesh.train.synthetic.RetrievalExamples;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Tokenized documents, split into train and held-out <i>by document</i>, and the deterministic example stream the
 * trainer consumes: example j of micro-batch k of step s depends only on (seed, s, k, j), so a resumed job sees
 * exactly the examples it would have seen (no lost and no repeated step).
 *
 * <p>Each example is drawn from a document chosen with probability proportional to its length, then from a segment of
 * it: BOS + up to {@code sampler.maxTokens() − 1} tokens starting at a uniform offset. The offset-0 segment is exactly
 * what the seed's preprocessing sees (BOS + the document start, truncated to 5·Lc for PoSE); other offsets are a
 * documented deviation, because posemesh's corpora have hundreds of documents where the seed had 100k.
 */
public final class TrainingData {

    /** A tokenized document (without BOS). */
    public record Tokens(String id, int[] ids) {}

    private final List<Tokens> train;
    private final List<String> heldOutIds;
    private final long[] cumulative; // prefix sums of train document lengths, for length-weighted choice
    private final PositionSampler sampler;
    private final int bos;
    private final long seed;
    private final int droppedShort;
    private RetrievalExamples retrieval;
    private double retrievalFraction;

    private TrainingData(
            List<Tokens> train,
            List<String> heldOutIds,
            PositionSampler sampler,
            int bos,
            long seed,
            int droppedShort) {
        this.train = train;
        this.heldOutIds = heldOutIds;
        this.sampler = sampler;
        this.bos = bos;
        this.seed = seed;
        this.droppedShort = droppedShort;
        this.cumulative = new long[train.size()];
        long sum = 0;
        for (int i = 0; i < train.size(); i++) {
            sum += train.get(i).ids().length;
            cumulative[i] = sum;
        }
    }

    /**
     * Tokenizes, drops documents too short for the sampler (as the seed filters short documents), and holds out a
     * fraction of the documents (chosen by a hash of id and seed, so the split is stable as the corpus grows).
     */
    public static TrainingData prepare(
            List<Document> docs,
            TextTokenizer tokenizer,
            int bos,
            PositionSampler sampler,
            double heldOutFraction,
            long seed) {
        List<Tokens> train = new ArrayList<>();
        List<String> heldOut = new ArrayList<>();
        int dropped = 0;
        for (Document d : docs) {
            long[] enc = tokenizer.encode(d.text(), false);
            if (enc.length + 1 < sampler.minTokens()) {
                dropped++;
                continue;
            }
            if (heldOutFraction > 0 && unit(d.id(), seed) < heldOutFraction) {
                heldOut.add(d.id());
                continue;
            }
            int[] ids = new int[enc.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = Math.toIntExact(enc[i]);
            }
            train.add(new Tokens(d.id(), ids));
        }
        if (train.isEmpty()) {
            throw new TrainException(
                    TrainException.Kind.FAILED_PRECONDITION,
                    "data",
                    "no training document has the "
                            + sampler.minTokens() + " tokens the " + sampler.describe() + " sampler needs ("
                            + docs.size()
                            + " documents, " + dropped + " too short, " + heldOut.size() + " held out); use longer "
                            + "documents or a shorter train length");
        }
        return new TrainingData(train, heldOut, sampler, bos, seed, dropped);
    }

    /** Replaces a fraction of examples by synthetic retrieval windows built from this corpus' text. */
    public TrainingData withRetrieval(RetrievalExamples examples, double fraction) {
        this.retrieval = examples;
        this.retrievalFraction = fraction;
        return this;
    }

    /** Example {@code j} of micro-batch {@code k} of optimizer step {@code step}. */
    public Example example(int step, int k, int j) {
        SplittableRandom rng = new SplittableRandom(mix(seed, step, k, j));
        if (retrievalFraction > 0 && rng.nextDouble() < retrievalFraction) {
            return sampler.sample(retrieval.build(sampler.minTokens(), bos, rng, n -> run(rng, n)), rng);
        }
        int[] ids = train.get(pickDocument(rng)).ids();
        int segLen = Math.min(ids.length + 1, sampler.maxTokens()); // BOS + tokens
        int offset = rng.nextInt(ids.length - (segLen - 1) + 1);
        long[] seg = new long[segLen];
        seg[0] = bos;
        for (int i = 1; i < segLen; i++) {
            seg[i] = ids[offset + i - 1];
        }
        return sampler.sample(seg, rng);
    }

    /** A document index, with probability proportional to its length. */
    private int pickDocument(SplittableRandom rng) {
        long pick = rng.nextLong(cumulative[cumulative.length - 1]);
        int d = java.util.Arrays.binarySearch(cumulative, pick + 1);
        return d >= 0 ? d : -d - 1;
    }

    /** {@code n} consecutive corpus tokens from a random place (a document may be shorter: then as many as it has). */
    private long[] run(SplittableRandom rng, int n) {
        int[] ids = train.get(pickDocument(rng)).ids();
        int len = Math.min(n, ids.length);
        int offset = rng.nextInt(ids.length - len + 1);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = ids[offset + (i % Math.max(1, len))];
        }
        return out;
    }

    public int trainDocuments() {
        return train.size();
    }

    public long trainTokens() {
        return cumulative[cumulative.length - 1];
    }

    public List<String> trainIds() {
        return train.stream().map(Tokens::id).toList();
    }

    public List<String> heldOutIds() {
        return heldOutIds;
    }

    public int droppedShort() {
        return droppedShort;
    }

    public PositionSampler sampler() {
        return sampler;
    }

    /** A stable value in [0, 1) from a document id and the seed. */
    private static double unit(String id, long seed) {
        long h = seed * 0x9E3779B97F4A7C15L;
        for (byte b : id.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h = (h ^ b) * 0x100000001B3L;
        }
        return (new SplittableRandom(h).nextLong() >>> 11) * 0x1.0p-53;
    }

    static long mix(long seed, int step, int k, int j) {
        long h = seed;
        for (long v : new long[] {step, k, j}) {
            h = (h ^ v) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        return h;
    }
}
