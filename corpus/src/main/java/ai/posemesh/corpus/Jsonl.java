package ai.posemesh.corpus;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;

/** The JSON settings of posemesh corpora: one object per line, strings of any length, nothing after the object. */
public final class Jsonl {

    static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxStringLength(Integer.MAX_VALUE)
                            .build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Jsonl() {}

    /** Writes one document as {@code {"id","source","license","text"}} and a newline. */
    public static void write(Writer w, Document d) throws IOException {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("id", d.id());
        o.put("source", d.source());
        o.put("license", d.license());
        o.put("text", d.text());
        w.write(MAPPER.writeValueAsString(o));
        w.write('\n');
    }
}
