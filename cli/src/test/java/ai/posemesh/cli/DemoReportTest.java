package ai.posemesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.proto.events.v1.Baseline;
import ai.posemesh.proto.events.v1.EvalCompleted;
import ai.posemesh.proto.events.v1.EvaluatedModel;
import ai.posemesh.proto.events.v1.PasskeyResult;
import ai.posemesh.proto.events.v1.PasskeySuite;
import ai.posemesh.proto.events.v1.PerplexityResult;
import ai.posemesh.proto.events.v1.PerplexitySuite;
import ai.posemesh.proto.events.v1.SuiteConfig;
import ai.posemesh.proto.events.v1.Trigger;
import ai.posemesh.proto.model.v1.RopeConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pose demo}'s table and page from EvalCompleted events: every row, every length, the legend's numbers. */
class DemoReportTest {

    @TempDir
    Path tmp;

    static EvalCompleted result(String id, String rope, double at256, double at2048, int passed256) {
        return EvalCompleted.newBuilder()
                .setEvaluationId("eval-" + id)
                .setTrigger(Trigger.TRIGGER_CHECKPOINT)
                .setModel(EvaluatedModel.newBuilder()
                        .setCheckpointId(id + "-checkpoint-000150")
                        .setManifestSha256("0123456789abcdef0123456789abcdef")
                        .setJobId(id)
                        .setStep(150)
                        .setLast(true)
                        .setTargetLen(2048)
                        .setRope(RopeConfig.newBuilder().setRopeType(rope)))
                .setSuiteConfig(SuiteConfig.newBuilder()
                        .setPerplexity(PerplexitySuite.newBuilder()
                                .setCorpus("/data/books.jsonl")
                                .setDocs(4))
                        .setPasskey(PasskeySuite.newBuilder().setTrials(10)))
                .addPerplexity(ppl(256, at256))
                .addPerplexity(ppl(2048, at2048))
                .addPasskey(PasskeyResult.newBuilder()
                        .setLength(256)
                        .setTrials(10)
                        .setPassed(passed256)
                        .setAccuracy(passed256 / 10.0))
                .setBaseline(Baseline.newBuilder()
                        .setMeasuredBy("eval-first")
                        .addPerplexity(ppl(256, 52.13))
                        .addPerplexity(ppl(2048, 115.15))
                        .addPasskey(PasskeyResult.newBuilder()
                                .setLength(256)
                                .setTrials(10)
                                .setPassed(6)
                                .setAccuracy(0.6)))
                .build();
    }

    static PerplexityResult ppl(int length, double ppl) {
        return PerplexityResult.newBuilder()
                .setLength(length)
                .setPpl(ppl)
                .setScoredTokens(100)
                .setDocs(4)
                .build();
    }

    @Test
    void tableAndPageShowTheBaseAndEachCheckpoint() throws Exception {
        Map<DemoCommand.Job, EvalCompleted> results = new LinkedHashMap<>();
        results.put(
                new DemoCommand.Job("job-a", "linear", "PoSE + linear x8"), result("job-a", "linear", 66.25, 66.48, 0));
        results.put(new DemoCommand.Job("job-b", "yarn", "PoSE + yarn x8"), result("job-b", "yarn", 53.8, 49.38, 10));
        DemoReport report = new DemoReport(256, 2048, results);

        StringWriter text = new StringWriter();
        report.printTable(new PrintWriter(text, true));
        String[] lines = text.toString().split("\n");
        assertTrue(lines[1].matches("L =\\s+256\\s+2048 \\|\\s+256"), lines[1]);
        assertTrue(lines[2].matches("base \\(window 256\\)\\s+52\\.1\\s+115\\.2 \\|\\s+60%"), lines[2]);
        assertTrue(lines[3].matches("PoSE \\+ linear x8\\s+66\\.3\\s+66\\.5 \\|\\s+0%"), lines[3]);
        assertTrue(lines[4].matches("PoSE \\+ yarn x8\\s+53\\.8\\s+49\\.4 \\|\\s+100%"), lines[4]);
        String legend = report.legend();
        assertTrue(legend.contains("first 4 documents of books.jsonl"), legend);
        assertTrue(legend.contains("its perplexity goes 52.1 -> 115.2"), legend);
        assertTrue(legend.contains("fine-tuned for 150 steps on 256-token inputs"), legend);
        assertTrue(legend.contains("PoSE + yarn x8: 53.8 -> 49.4"), legend);

        Path page = report.writePage(tmp, "http://127.0.0.1:8083/reports/");
        assertEquals(tmp.resolve(DemoReport.PAGE), page);
        String html = Files.readString(page);
        assertTrue(html.contains("<td>base (window 256)</td><td>52.13</td><td>115.15</td><td>6/10</td>"), html);
        assertTrue(html.contains("<td>PoSE + yarn x8</td><td>53.80</td><td>49.38</td><td>10/10</td>"), html);
        assertTrue(html.contains("href=\"eval-job-a/index.html\""), "links each evaluation's report");
        assertTrue(html.contains("<svg"), "the library's charts");
    }

    @Test
    void lengthsStopAtTheTarget() {
        assertEquals("256,512,1024,2048", DemoCommand.lengths(DemoCommand.PPL_LENGTHS, 2048));
        assertEquals("256,512,1024", DemoCommand.lengths(DemoCommand.PPL_LENGTHS, 1024));
        assertEquals("256,512,1024,2048,4096", DemoCommand.lengths(DemoCommand.PPL_LENGTHS, 4096));
    }

    @Test
    void wrapKeepsWordsWhole() {
        assertEquals("aa bb\ncc", DemoReport.wrap("aa bb cc", 5));
    }
}
