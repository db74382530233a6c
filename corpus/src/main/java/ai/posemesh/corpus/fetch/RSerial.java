package ai.posemesh.corpus.fetch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A reader for R's serialization format ({@code serialize()}/{@code saveRDS()}): XDR binary, format versions 2 and 3.
 * It reads the data objects that R packages ship (atomic vectors, lists, pairlists, symbols, attributes, the common
 * ALTREP compact sequences and wrappers) without R. Code objects (closures, bytecode) are skipped over where the
 * format allows and refused where it does not.
 */
final class RSerial {

    // SEXP types (Rinternals.h) and serialization pseudo-types (serialize.c).
    static final int NILSXP = 0;
    static final int SYMSXP = 1;
    static final int LISTSXP = 2;
    static final int CLOSXP = 3;
    static final int ENVSXP = 4;
    static final int PROMSXP = 5;
    static final int LANGSXP = 6;
    static final int SPECIALSXP = 7;
    static final int BUILTINSXP = 8;
    static final int CHARSXP = 9;
    static final int LGLSXP = 10;
    static final int INTSXP = 13;
    static final int REALSXP = 14;
    static final int CPLXSXP = 15;
    static final int STRSXP = 16;
    static final int DOTSXP = 17;
    static final int VECSXP = 19;
    static final int EXPRSXP = 20;
    static final int BCODESXP = 21;
    static final int EXTPTRSXP = 22;
    static final int WEAKREFSXP = 23;
    static final int RAWSXP = 24;
    static final int S4SXP = 25;
    static final int ALTREP_SXP = 238;
    static final int ATTRLISTSXP = 239;
    static final int ATTRLANGSXP = 240;
    static final int BASEENV_SXP = 241;
    static final int EMPTYENV_SXP = 242;
    static final int GENERICREFSXP = 245;
    static final int CLASSREFSXP = 246;
    static final int PERSISTSXP = 247;
    static final int PACKAGESXP = 248;
    static final int NAMESPACESXP = 249;
    static final int BASENAMESPACE_SXP = 250;
    static final int MISSINGARG_SXP = 251;
    static final int UNBOUNDVALUE_SXP = 252;
    static final int GLOBALENV_SXP = 253;
    static final int NILVALUE_SXP = 254;
    static final int REFSXP = 255;

    static final int IS_OBJECT = 1 << 8;
    static final int HAS_ATTR = 1 << 9;
    static final int HAS_TAG = 1 << 10;
    // CHARSXP encoding bits in the "levels" field (flags >> 12).
    static final int BYTES_MASK = 1 << 1;
    static final int LATIN1_MASK = 1 << 2;
    static final int UTF8_MASK = 1 << 3;
    static final int ASCII_MASK = 1 << 6;

    /**
     * One R object. {@code data} is: {@code String[]} for character vectors (null = NA), {@code int[]} for integer
     * and logical vectors (NA = {@link Integer#MIN_VALUE}), {@code double[]} for double vectors (complex: re, im
     * pairs), {@code byte[]} for raw, {@code List<RObject>} for lists and expression vectors, {@code List<Tagged>}
     * for pairlists and calls, {@code String} for symbols and for environments/references that are not resolved.
     */
    record RObject(int type, Object data, Map<String, RObject> attributes) {

        static final RObject NULL = new RObject(NILSXP, null, Map.of());

        /** The character vector's strings (null entries are NA). */
        String[] strings() throws RFormatException {
            if (type != STRSXP) {
                throw new RFormatException("expected a character vector, found " + typeName(type));
            }
            return (String[]) data;
        }

        @SuppressWarnings("unchecked")
        List<RObject> list() throws RFormatException {
            if (type != VECSXP && type != EXPRSXP) {
                throw new RFormatException("expected a list, found " + typeName(type));
            }
            return (List<RObject>) data;
        }

        /** The first two numbers of an integer or double vector, as longs (a lazy-load key: offset, length). */
        long[] longs() throws RFormatException {
            if (data instanceof int[] a) {
                long[] r = new long[a.length];
                for (int i = 0; i < a.length; i++) {
                    r[i] = a[i];
                }
                return r;
            }
            if (data instanceof double[] a && type == REALSXP) {
                long[] r = new long[a.length];
                for (int i = 0; i < a.length; i++) {
                    r[i] = (long) a[i];
                }
                return r;
            }
            throw new RFormatException("expected a numeric vector, found " + typeName(type));
        }

        /** {@code names(x)}, or an empty array. */
        String[] names() throws RFormatException {
            RObject n = attributes.get("names");
            return n == null ? new String[0] : n.strings();
        }

        /** A named list as a map from name to element. */
        Map<String, RObject> namedList() throws RFormatException {
            List<RObject> values = list();
            String[] names = names();
            if (names.length != values.size()) {
                throw new RFormatException("list of " + values.size() + " elements has " + names.length + " names");
            }
            Map<String, RObject> m = new LinkedHashMap<>();
            for (int i = 0; i < names.length; i++) {
                m.put(names[i], values.get(i));
            }
            return m;
        }
    }

    /** A pairlist cell's tag (may be null) and value. */
    record Tagged(String tag, RObject value) {}

    /** The serialized stream is malformed or uses a feature this reader does not support. */
    static final class RFormatException extends IOException {
        RFormatException(String message) {
            super(message);
        }
    }

    private final ByteBuffer in;
    private final List<RObject> refs = new ArrayList<>();
    private Charset nativeEncoding = StandardCharsets.UTF_8;

    private RSerial(byte[] bytes) {
        this.in = ByteBuffer.wrap(bytes); // big-endian: XDR
    }

    /** Reads one serialized object ("X\n" header + item). */
    static RObject unserialize(byte[] bytes) throws RFormatException {
        RSerial r = new RSerial(bytes);
        try {
            return r.readStream();
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new RFormatException(
                    "truncated R serialization (at byte " + r.in.position() + " of " + bytes.length + ")");
        }
    }

    private RObject readStream() throws RFormatException {
        if (in.remaining() < 2) {
            throw new RFormatException("not an R serialization (too short)");
        }
        byte f0 = in.get();
        byte f1 = in.get();
        if (f0 != 'X' || f1 != '\n') {
            String what = f0 == 'A' ? "ASCII" : f0 == 'B' ? "native binary" : "unknown";
            throw new RFormatException(
                    "unsupported R serialization format '" + (char) f0 + "' (" + what + "); only XDR ('X') is read");
        }
        int version = in.getInt();
        in.getInt(); // R version that wrote it
        in.getInt(); // minimal R version to read it
        if (version == 3) {
            int n = in.getInt();
            byte[] enc = new byte[n];
            in.get(enc);
            String name = new String(enc, StandardCharsets.US_ASCII);
            try {
                nativeEncoding = Charset.forName(name);
            } catch (RuntimeException e) {
                nativeEncoding = StandardCharsets.UTF_8;
            }
        } else if (version != 2) {
            throw new RFormatException("unsupported R serialization version " + version);
        }
        return readItem();
    }

    private RObject readItem() throws RFormatException {
        int flags = in.getInt();
        int type = flags & 0xFF;
        int levels = flags >>> 12;
        boolean hasAttr = (flags & HAS_ATTR) != 0;
        boolean hasTag = (flags & HAS_TAG) != 0;
        switch (type) {
            case NILVALUE_SXP:
                return RObject.NULL;
            case EMPTYENV_SXP:
                return marker(ENVSXP, "emptyenv");
            case BASEENV_SXP:
                return marker(ENVSXP, "baseenv");
            case GLOBALENV_SXP:
                return marker(ENVSXP, "globalenv");
            case UNBOUNDVALUE_SXP:
                return marker(SYMSXP, "<unbound>");
            case MISSINGARG_SXP:
                return marker(SYMSXP, "<missing>");
            case BASENAMESPACE_SXP:
                return marker(ENVSXP, "namespace:base");
            case REFSXP: {
                int index = flags >>> 8;
                if (index == 0) {
                    index = in.getInt();
                }
                if (index < 1 || index > refs.size()) {
                    throw new RFormatException("bad reference index " + index + " (" + refs.size() + " known)");
                }
                return refs.get(index - 1);
            }
            case PERSISTSXP: {
                String[] names = readStringVec();
                RObject o = new RObject(PERSISTSXP, String.join(",", names), Map.of());
                refs.add(o);
                return o;
            }
            case SYMSXP: {
                RObject pname = readItem();
                String name = pname.type() == CHARSXP ? (String) pname.data() : String.valueOf(pname.data());
                RObject o = new RObject(SYMSXP, name, Map.of());
                refs.add(o);
                return o;
            }
            case PACKAGESXP:
            case NAMESPACESXP: {
                String[] names = readStringVec();
                RObject o = new RObject(
                        ENVSXP, (type == PACKAGESXP ? "package:" : "namespace:") + String.join(",", names), Map.of());
                refs.add(o);
                return o;
            }
            case ENVSXP: {
                in.getInt(); // locked
                Map<String, RObject> attrs = new LinkedHashMap<>();
                RObject env = new RObject(ENVSXP, "environment", attrs);
                refs.add(env);
                readItem(); // enclosure
                readItem(); // frame
                readItem(); // hash table
                RObject a = readItem();
                attrs.putAll(attributeMap(a));
                return env;
            }
            case LISTSXP:
            case LANGSXP:
            case CLOSXP:
            case PROMSXP:
            case DOTSXP:
            case ATTRLANGSXP:
            case ATTRLISTSXP:
                return readPairlist(flags);
            case EXTPTRSXP: {
                Map<String, RObject> attrs = new LinkedHashMap<>();
                RObject o = new RObject(EXTPTRSXP, "externalptr", attrs);
                refs.add(o);
                readItem(); // protected value
                readItem(); // tag
                if (hasAttr) {
                    attrs.putAll(attributeMap(readItem()));
                }
                return o;
            }
            case WEAKREFSXP: {
                Map<String, RObject> attrs = new LinkedHashMap<>();
                RObject o = new RObject(WEAKREFSXP, "weakref", attrs);
                refs.add(o);
                if (hasAttr) {
                    attrs.putAll(attributeMap(readItem()));
                }
                return o;
            }
            case SPECIALSXP:
            case BUILTINSXP: {
                int n = in.getInt();
                byte[] b = new byte[n];
                in.get(b);
                return withAttributes(type, new String(b, StandardCharsets.US_ASCII), hasAttr);
            }
            case CHARSXP:
                return new RObject(CHARSXP, readCharsxp(levels), Map.of());
            case LGLSXP:
            case INTSXP: {
                int n = readLength();
                int[] a = new int[n];
                in.asIntBuffer().get(a);
                in.position(in.position() + 4 * n);
                return withAttributes(type, a, hasAttr);
            }
            case REALSXP:
            case CPLXSXP: {
                int n = readLength() * (type == CPLXSXP ? 2 : 1);
                double[] a = new double[n];
                in.asDoubleBuffer().get(a);
                in.position(in.position() + 8 * n);
                return withAttributes(type, a, hasAttr);
            }
            case STRSXP: {
                int n = readLength();
                String[] a = new String[n];
                for (int i = 0; i < n; i++) {
                    int f = in.getInt();
                    if ((f & 0xFF) != CHARSXP) {
                        throw new RFormatException(
                                "character vector element " + (i + 1) + " is " + typeName(f & 0xFF) + ", not a string");
                    }
                    a[i] = readCharsxp(f >>> 12);
                }
                return withAttributes(type, a, hasAttr);
            }
            case VECSXP:
            case EXPRSXP: {
                int n = readLength();
                List<RObject> a = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    a.add(readItem());
                }
                return withAttributes(type, Collections.unmodifiableList(a), hasAttr);
            }
            case RAWSXP: {
                int n = readLength();
                byte[] a = new byte[n];
                in.get(a);
                return withAttributes(type, a, hasAttr);
            }
            case S4SXP:
                return withAttributes(type, "S4", hasAttr);
            case ALTREP_SXP:
                return readAltrep();
            case BCODESXP:
                throw new RFormatException("R bytecode is not supported (only data objects are read)");
            case CLASSREFSXP:
            case GENERICREFSXP:
                throw new RFormatException("unsupported R serialization item " + typeName(type));
            default:
                throw new RFormatException(
                        "unknown R serialization item type " + type + " (flags 0x" + Integer.toHexString(flags) + ")");
        }
    }

    /** Pairlist-like cells: [attr] [tag] car cdr, with the cdr chain read iteratively. */
    private RObject readPairlist(int flags) throws RFormatException {
        int type = flags & 0xFF;
        List<Tagged> cells = new ArrayList<>();
        Map<String, RObject> attrs = new LinkedHashMap<>();
        boolean first = true;
        while (true) {
            int t = flags & 0xFF;
            RObject attr = (flags & HAS_ATTR) != 0 ? readItem() : null;
            if (first && attr != null) {
                attrs.putAll(attributeMap(attr));
            }
            RObject tag = (flags & HAS_TAG) != 0 ? readItem() : null;
            RObject car = readItem();
            cells.add(new Tagged(tag == null ? null : String.valueOf(tag.data()), car));
            first = false;
            // Continue along the cdr while it is another cell of the same kind; otherwise read it as an item.
            int next = in.getInt(in.position());
            int nt = next & 0xFF;
            if (nt == t && (nt == LISTSXP || nt == LANGSXP || nt == DOTSXP)) {
                in.getInt();
                flags = next;
                continue;
            }
            RObject cdr = readItem();
            if (cdr.type() != NILSXP) {
                cells.add(new Tagged("<cdr>", cdr));
            }
            break;
        }
        int resultType = type == ATTRLANGSXP ? LANGSXP : type == ATTRLISTSXP ? LISTSXP : type;
        return new RObject(resultType, Collections.unmodifiableList(cells), attrs);
    }

    /** ALTREP: class info (a pairlist: class symbol, package symbol, type), state, attributes. */
    private RObject readAltrep() throws RFormatException {
        RObject info = readItem();
        RObject state = readItem();
        RObject attr = readItem();
        String cls = "?";
        if (info.data() instanceof List<?> cells && !cells.isEmpty() && cells.get(0) instanceof Tagged t) {
            cls = String.valueOf(t.value().data());
        }
        Map<String, RObject> attrs = attributeMap(attr);
        switch (cls) {
            case "compact_intseq": {
                double[] s = (double[]) state.data(); // n, start, increment
                int n = (int) s[0];
                int[] a = new int[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (int) (s[1] + i * s[2]);
                }
                return new RObject(INTSXP, a, attrs);
            }
            case "compact_realseq": {
                double[] s = (double[]) state.data();
                int n = (int) s[0];
                double[] a = new double[n];
                for (int i = 0; i < n; i++) {
                    a[i] = s[1] + i * s[2];
                }
                return new RObject(REALSXP, a, attrs);
            }
            case "wrap_integer", "wrap_logical", "wrap_real", "wrap_complex", "wrap_raw", "wrap_string", "wrap_list": {
                RObject x = firstValue(state);
                Map<String, RObject> merged = new LinkedHashMap<>(x.attributes());
                merged.putAll(attrs);
                return new RObject(x.type(), x.data(), merged);
            }
            case "deferred_string": {
                // state: a pairlist whose first value is the numeric vector to format
                RObject arg = state.data() instanceof List<?> ? firstValue(state) : state;
                String[] s;
                if (arg.data() instanceof int[] a) {
                    s = new String[a.length];
                    for (int i = 0; i < a.length; i++) {
                        s[i] = a[i] == Integer.MIN_VALUE ? null : Integer.toString(a[i]);
                    }
                } else if (arg.data() instanceof double[] a) {
                    s = new String[a.length];
                    for (int i = 0; i < a.length; i++) {
                        s[i] = a[i] == Math.rint(a[i]) && Math.abs(a[i]) < 1e15
                                ? Long.toString((long) a[i])
                                : Double.toString(a[i]);
                    }
                } else {
                    throw new RFormatException("unsupported deferred_string state " + typeName(arg.type()));
                }
                return new RObject(STRSXP, s, attrs);
            }
            default:
                throw new RFormatException("unsupported ALTREP class '" + cls + "'");
        }
    }

    /** The first element of a list or pairlist (ALTREP states are one or the other). */
    private static RObject firstValue(RObject o) throws RFormatException {
        if (o.data() instanceof List<?> cells && !cells.isEmpty()) {
            Object c = cells.get(0);
            return c instanceof Tagged t ? t.value() : (RObject) c;
        }
        throw new RFormatException("unexpected ALTREP state " + typeName(o.type()));
    }

    private RObject withAttributes(int type, Object data, boolean hasAttr) throws RFormatException {
        Map<String, RObject> attrs = hasAttr ? attributeMap(readItem()) : Map.of();
        return new RObject(type, data, attrs);
    }

    private static Map<String, RObject> attributeMap(RObject pairlist) {
        if (pairlist == null || !(pairlist.data() instanceof List<?> cells)) {
            return Map.of();
        }
        Map<String, RObject> m = new LinkedHashMap<>();
        for (Object c : cells) {
            if (c instanceof Tagged t && t.tag() != null && !"<cdr>".equals(t.tag())) {
                m.put(t.tag(), t.value());
            }
        }
        return Collections.unmodifiableMap(m);
    }

    private int readLength() throws RFormatException {
        int n = in.getInt();
        if (n == -1) {
            long upper = in.getInt() & 0xFFFFFFFFL;
            long lower = in.getInt() & 0xFFFFFFFFL;
            long len = (upper << 32) | lower;
            if (len > Integer.MAX_VALUE - 8) {
                throw new RFormatException("vector of " + len + " elements is too long to read");
            }
            return (int) len;
        }
        if (n < 0) {
            throw new RFormatException("negative vector length " + n);
        }
        return n;
    }

    private String[] readStringVec() throws RFormatException {
        if (in.getInt() != 0) {
            throw new RFormatException("names in persistent strings are not supported");
        }
        int n = in.getInt();
        String[] s = new String[n];
        for (int i = 0; i < n; i++) {
            RObject c = readItem();
            s[i] = String.valueOf(c.data());
        }
        return s;
    }

    /** A CHARSXP body: length (-1 = NA) and bytes, decoded per the encoding bits. */
    private String readCharsxp(int levels) throws RFormatException {
        int n = in.getInt();
        if (n == -1) {
            return null;
        }
        if (n < 0) {
            throw new RFormatException("negative string length " + n);
        }
        byte[] b = new byte[n];
        in.get(b);
        Charset cs;
        if ((levels & UTF8_MASK) != 0) {
            cs = StandardCharsets.UTF_8;
        } else if ((levels & LATIN1_MASK) != 0 || (levels & BYTES_MASK) != 0) {
            cs = StandardCharsets.ISO_8859_1;
        } else if ((levels & ASCII_MASK) != 0) {
            cs = StandardCharsets.US_ASCII;
        } else {
            cs = nativeEncoding;
        }
        try {
            return cs.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b))
                    .toString();
        } catch (CharacterCodingException e) {
            // Mislabelled bytes: fall back to Latin-1, which maps every byte.
            return new String(b, StandardCharsets.ISO_8859_1);
        }
    }

    private RObject marker(int type, String what) {
        return new RObject(type, what, Map.of());
    }

    static String typeName(int type) {
        return switch (type) {
            case NILSXP, NILVALUE_SXP -> "NULL";
            case SYMSXP -> "symbol";
            case LISTSXP -> "pairlist";
            case CLOSXP -> "closure";
            case ENVSXP -> "environment";
            case LANGSXP -> "call";
            case CHARSXP -> "CHARSXP";
            case LGLSXP -> "logical vector";
            case INTSXP -> "integer vector";
            case REALSXP -> "double vector";
            case CPLXSXP -> "complex vector";
            case STRSXP -> "character vector";
            case VECSXP -> "list";
            case EXPRSXP -> "expression vector";
            case RAWSXP -> "raw vector";
            case S4SXP -> "S4 object";
            default -> "SEXP type " + type;
        };
    }

    /** Inflates a zlib stream whose uncompressed size is known. */
    static byte[] inflate(byte[] data, int offset, int length, int expected) throws RFormatException {
        Inflater inf = new Inflater();
        try {
            inf.setInput(data, offset, length);
            byte[] out = new byte[expected + 1]; // one spare byte detects a stream that is too long
            int n = 0;
            while (!inf.finished() && n < out.length) {
                int k = inf.inflate(out, n, out.length - n);
                if (k == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    break;
                }
                n += k;
            }
            if (n != expected || !inf.finished()) { // finished: the stream ended and its checksum matched
                throw new RFormatException("corrupt zlib stream (" + n + (inf.finished() ? "" : "+")
                        + " bytes, expected " + expected + ")");
            }
            return java.util.Arrays.copyOf(out, expected);
        } catch (DataFormatException e) {
            throw new RFormatException("corrupt zlib stream: " + e.getMessage());
        } finally {
            inf.end();
        }
    }

    /** Inflates a zlib stream of unknown size. */
    static byte[] inflate(byte[] data) throws RFormatException {
        Inflater inf = new Inflater();
        try {
            inf.setInput(data);
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length * 4);
            byte[] buf = new byte[1 << 16];
            while (!inf.finished()) {
                int k = inf.inflate(buf);
                if (k == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    throw new RFormatException("truncated zlib stream");
                }
                out.write(buf, 0, k);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new RFormatException("corrupt zlib stream: " + e.getMessage());
        } finally {
            inf.end();
        }
    }
}
