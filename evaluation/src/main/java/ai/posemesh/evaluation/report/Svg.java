package ai.posemesh.evaluation.report;

import java.util.Locale;

/** The little SVG/HTML text handling the charts share. */
final class Svg {

    /** A colour per series, in order (the base is always the first series: grey). */
    static final String[] PALETTE = {
        "#777777", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"
    };

    private Svg() {}

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** A coordinate with one decimal. */
    static String n(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /** An axis tick label: at most 4 significant digits, no exponent for ordinary values. */
    static String tick(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e7) {
            return String.valueOf((long) v);
        }
        return String.format(Locale.ROOT, "%.4g", v).replaceAll("\\.?0+$", "");
    }

    static String color(int series) {
        return PALETTE[series % PALETTE.length];
    }
}
