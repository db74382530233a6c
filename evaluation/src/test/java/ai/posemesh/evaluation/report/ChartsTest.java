package ai.posemesh.evaluation.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.evaluation.report.ReportData.Evaluation;
import ai.posemesh.evaluation.report.ReportData.Passkey;
import ai.posemesh.evaluation.report.ReportData.Ppl;
import ai.posemesh.evaluation.report.ReportData.Trial;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {

    static Evaluation eval(String id, String label, int step, boolean base, double... ppls) {
        List<Ppl> ppl = new ArrayList<>();
        int len = 256;
        for (double p : ppls) {
            ppl.add(new Ppl(len, p, len - 1, 2));
            len *= 2;
        }
        return new Evaluation(
                id,
                label,
                "job-1",
                step,
                base,
                1024,
                1000L + step,
                ppl,
                List.of(new Passkey(256, 4, 3, 0.75), new Passkey(512, 4, 1, 0.25)));
    }

    static final Evaluation BASE = eval("eval-base", "base", 0, true, 10, 40, 900);
    static final Evaluation S10 = eval("eval-10", "step 10", 10, false, 11, 15, 20);
    static final Evaluation S20 = eval("eval-20", "step 20", 20, false, 10.5, 12, 14);

    /** label → number of points, from the polylines. */
    static Map<String, Integer> polylines(String svg) {
        Matcher m = Pattern.compile("<polyline class=\"series\" data-series=\"([^\"]*)\" data-points=\"(\\d+)\"[^>]*"
                        + " points=\"([^\"]*)\"")
                .matcher(svg);
        Map<String, Integer> out = new java.util.LinkedHashMap<>();
        while (m.find()) {
            int pts = m.group(3).isBlank() ? 0 : m.group(3).trim().split(" ").length;
            assertEquals(Integer.parseInt(m.group(2)), pts, "data-points agrees with the points drawn");
            out.put(m.group(1), pts);
        }
        return out;
    }

    @Test
    void pplVsLengthHasOneLinePerModelWithAPointPerLength() {
        String svg = Charts.pplVsLength(BASE, List.of(S20, S10));
        assertEquals(Map.of("base", 3, "step 10", 3, "step 20", 3), polylines(svg));
        assertEquals(
                List.of("base", "step 10", "step 20"),
                List.copyOf(polylines(svg).keySet()),
                "base first, by step");
        assertTrue(svg.contains("<text class=\"legend\""));
        assertEquals(9, count(svg, "<circle class=\"point\""));
    }

    @Test
    void passkeyVsLengthUsesAccuracy() {
        String svg = Charts.passkeyVsLength(BASE, List.of(S10));
        assertEquals(Map.of("base", 2, "step 10", 2), polylines(svg));
        assertTrue(svg.contains(">accuracy</text>"));
    }

    @Test
    void pplVsStepHasOnePointPerCheckpointAtTheTargetLength() {
        String svg = Charts.pplVsStep(BASE, List.of(S20, S10));
        assertEquals(Map.of("base", 1, "checkpoints", 2), polylines(svg));
        assertTrue(svg.contains("Perplexity at 1024 tokens"), svg);
    }

    @Test
    void heatmapHasACellPerLengthAndDepthBin() {
        List<Trial> trials = List.of(
                new Trial("m", "s", "linear", 256, 250, 0.0, 0, "1", "1", true),
                new Trial("m", "s", "linear", 256, 250, 0.99, 1, "2", "3", false),
                new Trial("m", "s", "linear", 512, 500, 0.5, 0, "4", "4", true));
        String svg = Heatmap.render("t", trials, 4);
        assertEquals(8, count(svg, "<rect class=\"cell\""));
        assertTrue(svg.contains("data-length=\"256\" data-depth-bin=\"0\" data-trials=\"1\" data-passed=\"1\""));
        assertTrue(svg.contains("data-length=\"256\" data-depth-bin=\"3\" data-trials=\"1\" data-passed=\"0\""));
        assertTrue(svg.contains("data-length=\"512\" data-depth-bin=\"2\" data-trials=\"1\" data-passed=\"1\""));
    }

    @Test
    void labelsAreEscaped() {
        Evaluation odd = eval("e", "<b>&\"", 1, false, 3);
        String svg = Charts.pplVsLength(null, List.of(odd));
        assertTrue(svg.contains("data-series=\"&lt;b&gt;&amp;&quot;\""));
        assertTrue(!svg.contains("<b>"));
    }

    @Test
    void writesAFolderAndAnIndex(@TempDir Path root) throws Exception {
        ReportWriter w = new ReportWriter(root);
        List<Trial> trials = List.of(new Trial("m", "s", "linear", 256, 250, 0.3, 0, "123", "x, \"123\"", false));
        Path dir = w.writeEvaluation(S20, BASE, List.of(S10, S20), trials, 5, Map.of("job_id", "job-1"));
        for (String f : List.of(
                ReportWriter.RESULTS,
                ReportWriter.TRIALS,
                ReportWriter.PPL_VS_LENGTH,
                ReportWriter.PASSKEY_VS_LENGTH,
                ReportWriter.PASSKEY_HEATMAP,
                ReportWriter.PPL_VS_STEP,
                ReportWriter.INDEX)) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        List<String> csv = Files.readAllLines(dir.resolve(ReportWriter.TRIALS));
        assertEquals("model,manifest_sha256,rope,length,prompt_tokens,depth,trial,expected,got,passed", csv.get(0));
        assertEquals("m,s,linear,256,250,0.3000,0,123,\"x, \"\"123\"\"\",false", csv.get(1));
        String page = Files.readString(dir.resolve(ReportWriter.INDEX));
        assertEquals(4, count(page, "<svg "), "the four charts inline");
        String json = Files.readString(dir.resolve(ReportWriter.RESULTS));
        assertTrue(json.contains("\"baseline\""));
        Path index = w.writeIndex(List.of(S10, S20));
        String html = Files.readString(index);
        assertTrue(html.contains("href=\"eval-10/index.html\"") && html.contains("href=\"eval-20/index.html\""));
        assertTrue(html.indexOf("eval-20/index.html") < html.indexOf("eval-10/index.html"), "newest first");
    }

    static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
