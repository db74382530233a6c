package ai.posemesh.evaluation.report;

import ai.posemesh.evaluation.report.ReportData.Evaluation;
import ai.posemesh.evaluation.report.ReportData.Trial;
import ai.posemesh.model.config.ConfigJson;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes the reports people read. Per evaluation a folder {@code <root>/<id>/} with {@code results.json},
 * {@code trials.csv}, four SVG charts and an {@code index.html} that shows them inline; at the root an
 * {@code index.html} that links every evaluation, newest first, with each job's perplexity-vs-step chart. Every file is
 * written whole and renamed into place, so a reader never sees half a report; writing the same evaluation again gives
 * the same folder.
 */
public final class ReportWriter {

    public static final String RESULTS = "results.json";
    public static final String TRIALS = "trials.csv";
    public static final String PPL_VS_LENGTH = "ppl-vs-length.svg";
    public static final String PASSKEY_VS_LENGTH = "passkey-vs-length.svg";
    public static final String PASSKEY_HEATMAP = "passkey-heatmap.svg";
    public static final String PPL_VS_STEP = "ppl-vs-step.svg";
    public static final String INDEX = "index.html";

    private final Path root;

    public ReportWriter(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /**
     * Writes one evaluation's folder.
     *
     * @param subject the evaluation reported
     * @param base the job's base under the same suites (null when there is none)
     * @param jobCheckpoints every evaluation of the subject's job so far, the subject included (the step chart and
     *     the series of the length charts)
     * @param trials the subject's passkey trials
     * @param depthBins the heatmap's depth bins
     * @param meta what results.json says about the model and the run (ids, URIs, hashes, timings), written as given
     * @return the folder
     */
    public Path writeEvaluation(
            Evaluation subject,
            Evaluation base,
            List<Evaluation> jobCheckpoints,
            List<Trial> trials,
            int depthBins,
            Map<String, Object> meta) {
        Path dir = root.resolve(subject.id());
        List<Evaluation> series = new ArrayList<>(jobCheckpoints);
        if (series.stream().noneMatch(e -> e.id().equals(subject.id()))) {
            series.add(subject);
        }
        String ppl = Charts.pplVsLength(base, series);
        String passkey = Charts.passkeyVsLength(base, series);
        String heatmap = Heatmap.render("Passkey: " + subject.label() + " (length × depth)", trials, depthBins);
        String step = Charts.pplVsStep(base, series);
        write(dir.resolve(RESULTS), resultsJson(subject, base, meta));
        write(dir.resolve(TRIALS), trialsCsv(trials));
        write(dir.resolve(PPL_VS_LENGTH), ppl);
        write(dir.resolve(PASSKEY_VS_LENGTH), passkey);
        write(dir.resolve(PASSKEY_HEATMAP), heatmap);
        write(dir.resolve(PPL_VS_STEP), step);
        write(dir.resolve(INDEX), evaluationPage(subject, base, meta, ppl, passkey, heatmap, step));
        return dir;
    }

    /** Rewrites the root index.html over every evaluation known (any order). */
    public Path writeIndex(List<Evaluation> all) {
        Path index = root.resolve(INDEX);
        write(index, indexPage(all));
        return index;
    }

    static String resultsJson(Evaluation subject, Evaluation base, Map<String, Object> meta) {
        ObjectNode j = ConfigJson.MAPPER.createObjectNode();
        j.put("evaluation_id", subject.id());
        j.put("label", subject.label());
        j.set("meta", ConfigJson.MAPPER.valueToTree(new LinkedHashMap<>(meta)));
        j.set("perplexity", pplJson(subject));
        j.set("passkey", passkeyJson(subject));
        if (base != null) {
            ObjectNode b = j.putObject("baseline");
            b.put("label", base.label());
            b.set("perplexity", pplJson(base));
            b.set("passkey", passkeyJson(base));
        }
        try {
            return ConfigJson.MAPPER.writeValueAsString(j) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ArrayNode pplJson(Evaluation e) {
        ArrayNode a = ConfigJson.MAPPER.createArrayNode();
        for (ReportData.Ppl p : e.ppl()) {
            a.addObject()
                    .put("length", p.length())
                    .put("ppl", p.ppl())
                    .put("scored_tokens", p.scoredTokens())
                    .put("docs", p.docs());
        }
        return a;
    }

    private static ArrayNode passkeyJson(Evaluation e) {
        ArrayNode a = ConfigJson.MAPPER.createArrayNode();
        for (ReportData.Passkey p : e.passkey()) {
            a.addObject()
                    .put("length", p.length())
                    .put("trials", p.trials())
                    .put("passed", p.passed())
                    .put("accuracy", p.accuracy());
        }
        return a;
    }

    /** RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled. */
    static String trialsCsv(List<Trial> trials) {
        StringBuilder b =
                new StringBuilder("model,manifest_sha256,rope,length,prompt_tokens,depth,trial,expected,got,passed\n");
        for (Trial t : trials) {
            b.append(csv(t.model()))
                    .append(',')
                    .append(csv(t.manifestSha256()))
                    .append(',')
                    .append(csv(t.rope()))
                    .append(',')
                    .append(t.length())
                    .append(',')
                    .append(t.promptTokens())
                    .append(',')
                    .append(String.format(Locale.ROOT, "%.4f", t.depth()))
                    .append(',')
                    .append(t.trial())
                    .append(',')
                    .append(csv(t.expected()))
                    .append(',')
                    .append(csv(t.got()))
                    .append(',')
                    .append(t.passed())
                    .append('\n');
        }
        return b.toString();
    }

    static String csv(String s) {
        if (s == null) {
            return "";
        }
        if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
            return '"' + s.replace("\"", "\"\"") + '"';
        }
        return s;
    }

    private static String evaluationPage(
            Evaluation subject,
            Evaluation base,
            Map<String, Object> meta,
            String ppl,
            String passkey,
            String heatmap,
            String step) {
        StringBuilder b = head("posemesh evaluation " + subject.id());
        b.append("<p><a href=\"../index.html\">all evaluations</a></p>\n");
        b.append("<h1>").append(Svg.esc(subject.label())).append("</h1>\n");
        b.append("<table class=\"meta\">\n");
        meta.forEach((k, v) -> b.append("<tr><th>")
                .append(Svg.esc(k))
                .append("</th><td>")
                .append(Svg.esc(String.valueOf(v)))
                .append("</td></tr>\n"));
        b.append("</table>\n");
        b.append("<h2>Perplexity</h2>\n<table class=\"results\"><tr><th>length</th><th>")
                .append(Svg.esc(subject.label()))
                .append("</th>")
                .append(base == null ? "" : "<th>" + Svg.esc(base.label()) + "</th>")
                .append("<th>scored tokens</th><th>docs</th></tr>\n");
        for (ReportData.Ppl p : subject.ppl()) {
            b.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%.3f</td>", p.length(), p.ppl()));
            if (base != null) {
                b.append(base.ppl().stream()
                        .filter(q -> q.length() == p.length())
                        .findFirst()
                        .map(q -> String.format(Locale.ROOT, "<td>%.3f</td>", q.ppl()))
                        .orElse("<td>–</td>"));
            }
            b.append("<td>" + p.scoredTokens() + "</td><td>" + p.docs() + "</td></tr>\n");
        }
        b.append("</table>\n<h2>Passkey</h2>\n<table class=\"results\"><tr><th>length</th><th>")
                .append(Svg.esc(subject.label()))
                .append("</th>")
                .append(base == null ? "" : "<th>" + Svg.esc(base.label()) + "</th>")
                .append("</tr>\n");
        for (ReportData.Passkey p : subject.passkey()) {
            b.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%d/%d</td>", p.length(), p.passed(), p.trials()));
            if (base != null) {
                b.append(base.passkey().stream()
                        .filter(q -> q.length() == p.length())
                        .findFirst()
                        .map(q -> "<td>" + q.passed() + "/" + q.trials() + "</td>")
                        .orElse("<td>–</td>"));
            }
            b.append("</tr>\n");
        }
        b.append("</table>\n<h2>Charts</h2>\n<div class=\"charts\">\n");
        for (String[] c : new String[][] {
            {"ppl-vs-length", ppl}, {"passkey-vs-length", passkey}, {"passkey-heatmap", heatmap}, {"ppl-vs-step", step}
        }) {
            b.append("<figure id=\"").append(c[0]).append("\">\n").append(c[1]).append("</figure>\n");
        }
        b.append("</div>\n<p>Files: <a href=\"" + RESULTS + "\">" + RESULTS + "</a>, <a href=\"" + TRIALS + "\">"
                + TRIALS + "</a>, <a href=\"" + PPL_VS_LENGTH + "\">" + PPL_VS_LENGTH + "</a>, <a href=\""
                + PASSKEY_VS_LENGTH + "\">" + PASSKEY_VS_LENGTH + "</a>, <a href=\"" + PASSKEY_HEATMAP + "\">"
                + PASSKEY_HEATMAP + "</a>, <a href=\"" + PPL_VS_STEP + "\">" + PPL_VS_STEP + "</a></p>\n");
        return b.append("</body>\n</html>\n").toString();
    }

    private static String indexPage(List<Evaluation> all) {
        StringBuilder b = head("posemesh evaluations");
        b.append("<h1>Evaluations</h1>\n");
        b.append("<table class=\"evaluations\"><tr><th>finished</th><th>job</th><th>model</th><th>step</th>"
                + "<th>PPL at target</th><th>passkey</th><th>report</th></tr>\n");
        List<Evaluation> sorted = all.stream()
                .sorted(Comparator.comparingLong(Evaluation::finishedAtMs)
                        .reversed()
                        .thenComparing(Evaluation::id))
                .toList();
        for (Evaluation e : sorted) {
            int passed =
                    e.passkey().stream().mapToInt(ReportData.Passkey::passed).sum();
            int trials =
                    e.passkey().stream().mapToInt(ReportData.Passkey::trials).sum();
            b.append(String.format(
                    Locale.ROOT,
                    "<tr class=\"evaluation\"><td>%s</td><td>%s</td><td>%s</td><td>%d</td><td>%.3f</td>"
                            + "<td>%d/%d</td><td><a href=\"%s/index.html\">%s</a></td></tr>%n",
                    Instant.ofEpochMilli(e.finishedAtMs()),
                    Svg.esc(e.jobId()),
                    Svg.esc(e.label()),
                    e.step(),
                    e.pplAtTarget(),
                    passed,
                    trials,
                    Svg.esc(e.id()),
                    Svg.esc(e.id())));
        }
        b.append("</table>\n");
        Map<String, List<Evaluation>> byJob = new LinkedHashMap<>();
        for (Evaluation e : sorted) {
            if (!e.jobId().isEmpty()) {
                byJob.computeIfAbsent(e.jobId(), k -> new ArrayList<>()).add(e);
            }
        }
        byJob.forEach((job, evals) -> b.append("<h2>Job ")
                .append(Svg.esc(job))
                .append("</h2>\n<figure class=\"job\">\n")
                .append(Charts.pplVsStep(null, evals))
                .append("</figure>\n"));
        return b.append("</body>\n</html>\n").toString();
    }

    private static StringBuilder head(String title) {
        return new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(Svg.esc(title))
                .append(
                        "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1400px}"
                                + "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
                                + "text-align:left;max-width:900px;overflow-wrap:anywhere}figure{display:inline-block;margin:0.5em}</style>\n</head>\n<body>\n");
    }

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
