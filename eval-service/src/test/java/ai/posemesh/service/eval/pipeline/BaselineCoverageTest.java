package ai.posemesh.service.eval.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.evaluation.config.SuiteConfig;
import ai.posemesh.evaluation.passkey.PasskeySpec;
import ai.posemesh.evaluation.perplexity.PerplexitySpec;
import ai.posemesh.proto.events.v1.Baseline;
import ai.posemesh.proto.events.v1.PasskeyResult;
import ai.posemesh.proto.events.v1.PerplexityResult;
import org.junit.jupiter.api.Test;

/** The base's served context under base-past-window, and which earlier baselines cover a run. */
class BaselineCoverageTest {

    static SuiteConfig suite(int[] ppl, int[] passkey) {
        return new SuiteConfig(
                new PerplexitySpec(ppl, 0, 4, 2048, 2048, false),
                "books.jsonl",
                "0".repeat(64),
                new PasskeySpec(passkey, 10, 0),
                5);
    }

    static Baseline baseline(int[] ppl, int[] passkey) {
        Baseline.Builder b = Baseline.newBuilder().setBaseModelSha256("a".repeat(64));
        for (int l : ppl) {
            b.addPerplexity(PerplexityResult.newBuilder().setLength(l).setPpl(10));
        }
        for (int l : passkey) {
            b.addPasskey(PasskeyResult.newBuilder().setLength(l).setTrials(10));
        }
        return b.build();
    }

    static final SuiteConfig DEFAULTS = suite(new int[] {256, 512, 1024, 2048}, new int[] {256, 512, 1024});

    @Test
    void theBaseIsServedAtTheSuitesLongestLengthOnlyPastItsWindow() {
        assertEquals(2048, Evaluator.baseMaxContext(DEFAULTS, true));
        assertEquals(4096, Evaluator.baseMaxContext(suite(new int[] {256, 512}, new int[] {4096}), true));
        assertEquals(512, Evaluator.baseMaxContext(suite(new int[] {512}, new int[0]), true));
        assertEquals(0, Evaluator.baseMaxContext(DEFAULTS, false), "its own window");
    }

    @Test
    void pastTheWindowABaselineMustHoldEveryLengthTheRunMeasures() {
        int ctx = Evaluator.baseMaxContext(DEFAULTS, true);
        // measured at a 256-token window: the series stops there, so it is measured again
        Baseline atWindow = baseline(new int[] {256}, new int[] {});
        assertFalse(Evaluator.covers(atWindow, DEFAULTS, ctx));
        // measured past it (or a base whose own window holds every length)
        Baseline full = baseline(new int[] {256, 512, 1024, 2048}, new int[] {256, 512, 1024});
        assertTrue(Evaluator.covers(full, DEFAULTS, ctx));
        assertFalse(Evaluator.covers(baseline(new int[] {256, 512, 1024, 2048}, new int[] {256, 512}), DEFAULTS, ctx));
        // served at its own window any baseline of the same base and suites covers what that window takes
        assertTrue(Evaluator.covers(atWindow, DEFAULTS, 0));
        assertTrue(Evaluator.covers(full, DEFAULTS, 0));
    }

    @Test
    void aPasskeyLengthWhoseAnswerCannotFitTheServedContextIsNotExpected() {
        // served at 1030: 1030 is the target (prompt 930 + 10 generated fits); 1025 + 10 generated does not fit
        SuiteConfig s = suite(new int[] {256}, new int[] {256, 1025, 1030});
        int ctx = Evaluator.baseMaxContext(s, true);
        assertEquals(1030, ctx);
        assertTrue(Evaluator.covers(baseline(new int[] {256}, new int[] {256, 1030}), s, ctx));
        assertFalse(Evaluator.covers(baseline(new int[] {256}, new int[] {256}), s, ctx));
    }
}
