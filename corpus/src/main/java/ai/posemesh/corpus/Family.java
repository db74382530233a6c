package ai.posemesh.corpus;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The corpus families {@code ./pose data fetch} builds; each is {@code <out>/<id>.jsonl}. */
public enum Family {
    /** Long books (PG-19 / Books3 analog): evaluation. */
    BOOKS,
    /** Long reports (GovReport analog): evaluation. */
    REPORTS,
    /** Math and formal text (Proof-pile analog): evaluation. */
    MATH,
    /** General English and technical prose for pre-training a tiny base model; disjoint from the other three. */
    GENERAL;

    /** The name used on the command line and as the file name: {@code books}, {@code reports}, ... */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String fileName() {
        return id() + ".jsonl";
    }

    public static List<String> names() {
        return Arrays.stream(values()).map(Family::id).toList();
    }

    /** The family called {@code name}, or null. */
    public static Family byName(String name) {
        for (Family f : values()) {
            if (f.id().equals(name)) {
                return f;
            }
        }
        return null;
    }
}
