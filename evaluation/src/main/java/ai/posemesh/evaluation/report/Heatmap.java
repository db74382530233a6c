package ai.posemesh.evaluation.report;

import java.util.List;
import java.util.Locale;

/**
 * The passkey length × depth heatmap as standalone SVG: one row per length, one column per depth bin, each cell a
 * {@code <rect class="cell" data-length data-depth-bin data-trials data-passed>} coloured from red (0 %) to green
 * (100 %), grey without trials.
 */
public final class Heatmap {

    private static final int LEFT = 70;
    private static final int TOP = 36;
    private static final int CELL_W = 48;
    private static final int CELL_H = 28;

    private Heatmap() {}

    /** Trials binned by length (rows, ascending) and depth (columns: {@code bins} equal slices of [0, 1]). */
    public static String render(String title, List<ReportData.Trial> trials, int bins) {
        int[] lengths = trials.stream()
                .mapToInt(ReportData.Trial::length)
                .distinct()
                .sorted()
                .toArray();
        int[][] n = new int[lengths.length][bins];
        int[][] ok = new int[lengths.length][bins];
        for (ReportData.Trial t : trials) {
            int row = java.util.Arrays.binarySearch(lengths, t.length());
            int col = bin(t.depth(), bins);
            n[row][col]++;
            ok[row][col] += t.passed() ? 1 : 0;
        }
        int width = Math.max(LEFT + bins * CELL_W + 20, 520);
        int height = TOP + Math.max(1, lengths.length) * CELL_H + 50;
        StringBuilder b = new StringBuilder();
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart heatmap\" width=\"" + width + "\" height=\""
                + height + "\" viewBox=\"0 0 " + width + " " + height
                + "\" font-family=\"sans-serif\" font-size=\"11\">\n");
        b.append("<title>").append(Svg.esc(title)).append("</title>\n");
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        b.append("<text class=\"chart-title\" x=\"" + LEFT + "\" y=\"20\" font-size=\"14\" font-weight=\"bold\">")
                .append(Svg.esc(title))
                .append("</text>\n");
        for (int r = 0; r < lengths.length; r++) {
            int y = TOP + r * CELL_H;
            b.append("<text class=\"row-label\" x=\"" + (LEFT - 6) + "\" y=\"" + (y + CELL_H / 2 + 4)
                            + "\" text-anchor=\"end\">")
                    .append(lengths[r])
                    .append("</text>\n");
            for (int c = 0; c < bins; c++) {
                int x = LEFT + c * CELL_W;
                String fill = n[r][c] == 0 ? "#dddddd" : color((double) ok[r][c] / n[r][c]);
                b.append(String.format(
                        Locale.ROOT,
                        "<rect class=\"cell\" data-length=\"%d\" data-depth-bin=\"%d\" data-trials=\"%d\""
                                + " data-passed=\"%d\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\""
                                + " stroke=\"white\"><title>length %d, depth %s: %d/%d</title></rect>%n",
                        lengths[r],
                        c,
                        n[r][c],
                        ok[r][c],
                        x,
                        y,
                        CELL_W,
                        CELL_H,
                        fill,
                        lengths[r],
                        range(c, bins),
                        ok[r][c],
                        n[r][c]));
                if (n[r][c] > 0) {
                    b.append("<text x=\"" + (x + CELL_W / 2) + "\" y=\"" + (y + CELL_H / 2 + 4)
                                    + "\" text-anchor=\"middle\" fill=\"black\">")
                            .append(ok[r][c])
                            .append('/')
                            .append(n[r][c])
                            .append("</text>\n");
                }
            }
        }
        int yAxis = TOP + lengths.length * CELL_H;
        for (int c = 0; c < bins; c++) {
            b.append("<text class=\"tick\" x=\"" + (LEFT + c * CELL_W + CELL_W / 2) + "\" y=\"" + (yAxis + 14)
                            + "\" text-anchor=\"middle\">")
                    .append(range(c, bins))
                    .append("</text>\n");
        }
        b.append("<text class=\"axis-label\" x=\"" + LEFT + "\" y=\"" + (yAxis + 34)
                + "\">key depth (fraction of the filler before the key); rows: prompt" + " length</text>\n");
        b.append("</svg>\n");
        return b.toString();
    }

    static int bin(double depth, int bins) {
        int c = (int) Math.floor(depth * bins);
        return Math.max(0, Math.min(bins - 1, c));
    }

    private static String range(int c, int bins) {
        return String.format(Locale.ROOT, "%.0f%%", 100.0 * c / bins);
    }

    /** red → yellow → green. */
    private static String color(double accuracy) {
        int r = (int) Math.round(accuracy < 0.5 ? 220 : 220 * (1 - accuracy) * 2);
        int g = (int) Math.round(accuracy < 0.5 ? 200 * accuracy * 2 : 180);
        return String.format(Locale.ROOT, "#%02x%02x%02x", Math.max(0, r), Math.max(0, g), 60);
    }
}
