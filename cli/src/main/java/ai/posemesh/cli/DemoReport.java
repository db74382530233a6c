package ai.posemesh.cli;

import ai.posemesh.evaluation.report.Charts;
import ai.posemesh.evaluation.report.EvalResults;
import ai.posemesh.evaluation.report.ReportData;
import ai.posemesh.proto.events.v1.EvalCompleted;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code ./pose demo}'s results: the base and each job's final checkpoint side by side — perplexity per length and
 * passkey accuracy per length — as a terminal table and as a page ({@code demo.html}) next to eval-service's reports,
 * with the library's charts over all of them.
 */
final class DemoReport {

    static final String PAGE = "demo.html";

    private final int window;
    private final int target;
    private final ReportData.Evaluation base;
    private final List<ReportData.Evaluation> checkpoints = new ArrayList<>();
    private final List<EvalCompleted> events;

    DemoReport(int window, int target, Map<DemoCommand.Job, EvalCompleted> results) {
        this.window = window;
        this.target = target;
        this.events = List.copyOf(results.values());
        ReportData.Evaluation b = null;
        for (var r : results.entrySet()) {
            checkpoints.add(EvalResults.evaluation(r.getValue(), r.getKey().label()));
            if (b == null) {
                b = EvalResults.baseline(r.getValue());
            }
        }
        this.base = b == null
                ? null
                : new ReportData.Evaluation(
                        b.id(), "base (window " + window + ")", "", 0, true, 0, b.finishedAtMs(), b.ppl(), b.passkey());
    }

    private List<ReportData.Evaluation> rows() {
        List<ReportData.Evaluation> rows = new ArrayList<>();
        if (base != null) {
            rows.add(base);
        }
        rows.addAll(checkpoints);
        return rows;
    }

    private TreeSet<Integer> pplLengths() {
        TreeSet<Integer> l = new TreeSet<>();
        rows().forEach(r -> r.ppl().forEach(p -> l.add(p.length())));
        return l;
    }

    private TreeSet<Integer> passkeyLengths() {
        TreeSet<Integer> l = new TreeSet<>();
        rows().forEach(r -> r.passkey().forEach(p -> l.add(p.length())));
        return l;
    }

    void printTable(PrintWriter out) {
        TreeSet<Integer> ppl = pplLengths();
        TreeSet<Integer> pk = passkeyLengths();
        int labelWidth = rows().stream().mapToInt(r -> r.label().length()).max().orElse(10) + 2;
        StringBuilder h1 = new StringBuilder(String.format("%-" + labelWidth + "s", ""));
        h1.append(String.format("%-" + (9 * ppl.size()) + "s", "perplexity at L tokens"));
        h1.append(" | passkey accuracy at L tokens");
        StringBuilder h2 = new StringBuilder(String.format("%-" + labelWidth + "s", "L ="));
        ppl.forEach(l -> h2.append(String.format("%9d", l)));
        h2.append(" |");
        pk.forEach(l -> h2.append(String.format("%7d", l)));
        out.println(h1.toString().stripTrailing());
        out.println(h2);
        for (ReportData.Evaluation r : rows()) {
            StringBuilder line = new StringBuilder(String.format("%-" + labelWidth + "s", r.label()));
            for (int l : ppl) {
                line.append(String.format(
                        "%9s",
                        r.ppl().stream()
                                .filter(p -> p.length() == l)
                                .findFirst()
                                .map(p -> String.format("%.1f", p.ppl()))
                                .orElse("-")));
            }
            line.append(" |");
            for (int l : pk) {
                line.append(String.format(
                        "%7s",
                        r.passkey().stream()
                                .filter(p -> p.length() == l)
                                .findFirst()
                                .map(p -> String.format("%.0f%%", 100 * p.accuracy()))
                                .orElse("-")));
            }
            out.println(line);
        }
        out.println();
        out.println(wrap(legend(), 110));
        out.flush();
    }

    /** What the table shows, with its own numbers: each row's perplexity at the base's window and at the target. */
    String legend() {
        EvalCompleted any = events.isEmpty() ? null : events.get(0);
        StringBuilder s = new StringBuilder();
        if (any != null) {
            var suite = any.getSuiteConfig();
            s.append(String.format(
                    "Perplexity: the PoSE paper's protocol (sliding windows, stride W/2) on the first %d documents of "
                            + "%s, held out (never trained on); lower is better. Passkey: %d trials per length, a "
                            + "5-digit key hidden at a random depth in filler, found (greedy) or not. ",
                    suite.getPerplexity().getDocs(),
                    Path.of(suite.getPerplexity().getCorpus()).getFileName(),
                    suite.getPasskey().getTrials()));
        }
        s.append(String.format("The base was pre-trained on %d-token windows", window));
        if (base != null) {
            s.append(": from ").append(window).append(" to ").append(target).append(" tokens its perplexity goes ");
            s.append(change(base));
        }
        s.append(String.format(
                ". The PoSE checkpoints were fine-tuned%s on %d-token inputs whose position ids skip ahead to cover "
                        + "%d",
                any == null ? "" : " for " + any.getModel().getStep() + " steps", window, target));
        for (ReportData.Evaluation c : checkpoints) {
            s.append("; ").append(c.label()).append(": ").append(change(c));
        }
        return s.append('.').toString();
    }

    private String change(ReportData.Evaluation e) {
        return at(e, window) + " -> " + at(e, target);
    }

    private static String at(ReportData.Evaluation e, int length) {
        return e.ppl().stream()
                .filter(p -> p.length() == length)
                .findFirst()
                .map(p -> String.format("%.1f", p.ppl()))
                .orElse("-");
    }

    /** Writes {@code demo.html} into {@code reportsDir} (eval-service's folder, served at {@code reportsUrl}). */
    Path writePage(Path reportsDir, String reportsUrl) throws IOException {
        Files.createDirectories(reportsDir);
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>posemesh demo: PoSE ")
                .append(window)
                .append(" → ")
                .append(target)
                .append("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1400px}"
                        + "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;"
                        + "text-align:right}td:first-child,th:first-child{text-align:left}"
                        + ".charts{display:flex;flex-wrap:wrap;gap:1em}</style></head><body>\n");
        h.append("<h1>PoSE extends the tiny base from ")
                .append(window)
                .append(" to ")
                .append(target)
                .append(" tokens</h1>\n<p>")
                .append(escape(legend()))
                .append("</p>\n<table id=\"results\">\n<tr><th>model</th>");
        TreeSet<Integer> ppl = pplLengths();
        TreeSet<Integer> pk = passkeyLengths();
        ppl.forEach(l -> h.append("<th>PPL@").append(l).append("</th>"));
        pk.forEach(l -> h.append("<th>passkey@").append(l).append("</th>"));
        h.append("</tr>\n");
        for (ReportData.Evaluation r : rows()) {
            h.append("<tr><td>").append(escape(r.label())).append("</td>");
            for (int l : ppl) {
                h.append("<td>")
                        .append(r.ppl().stream()
                                .filter(p -> p.length() == l)
                                .findFirst()
                                .map(p -> String.format("%.2f", p.ppl()))
                                .orElse("–"))
                        .append("</td>");
            }
            for (int l : pk) {
                h.append("<td>")
                        .append(r.passkey().stream()
                                .filter(p -> p.length() == l)
                                .findFirst()
                                .map(p -> p.passed() + "/" + p.trials())
                                .orElse("–"))
                        .append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n<div class=\"charts\">\n")
                .append(Charts.pplVsLength(base, checkpoints))
                .append("\n")
                .append(Charts.passkeyVsLength(base, checkpoints))
                .append("\n</div>\n<h2>Each evaluation</h2>\n<ul>\n");
        for (EvalCompleted e : events) {
            h.append("<li><a href=\"")
                    .append(escape(e.getEvaluationId()))
                    .append("/index.html\">")
                    .append(escape(e.getModel().getCheckpointId()))
                    .append("</a> (")
                    .append(escape(e.getModel().getRope().getRopeType()))
                    .append(", manifest ")
                    .append(escape(e.getModel().getManifestSha256().substring(0, 12)))
                    .append(")</li>\n");
        }
        h.append("<li><a href=\"index.html\">every evaluation</a></li>\n</ul>\n</body></html>\n");
        Path page = reportsDir.resolve(PAGE);
        Files.writeString(page, h.toString(), StandardCharsets.UTF_8);
        return page;
    }

    /** Words of {@code text} in lines of at most {@code width} characters. */
    static String wrap(String text, int width) {
        StringBuilder out = new StringBuilder();
        int lineLength = 0;
        for (String word : text.split(" ")) {
            if (lineLength > 0 && lineLength + 1 + word.length() > width) {
                out.append('\n');
                lineLength = 0;
            } else if (lineLength > 0) {
                out.append(' ');
                lineLength++;
            }
            out.append(word);
            lineLength += word.length();
        }
        return out.toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
