package ai.posemesh.cli.mesh;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The mesh's ports by name, all on 127.0.0.1: the defaults of each service's application.properties (and Kafka's
 * 9092/9093), shifted by an offset, then overridden one by one ({@code NAME=N}).
 */
public record MeshPorts(Map<String, Integer> ports) {

    public static final String KAFKA = "kafka";
    public static final String KAFKA_CONTROLLER = "kafka-controller";

    /** Name → default port, in start order. */
    public static final Map<String, Integer> DEFAULTS;

    static {
        Map<String, Integer> d = new LinkedHashMap<>();
        d.put(KAFKA, 9092);
        d.put(KAFKA_CONTROLLER, 9093);
        d.put("inference-grpc", 9082);
        d.put("inference-http", 8082);
        d.put("trainer-grpc", 9081);
        d.put("trainer-http", 8081);
        d.put("eval-grpc", 9083);
        d.put("eval-http", 8083);
        DEFAULTS = Collections.unmodifiableMap(d);
    }

    public MeshPorts {
        ports = Collections.unmodifiableMap(new LinkedHashMap<>(ports));
    }

    /**
     * The defaults plus {@code offset}, then each {@code NAME=N} of {@code overrides}; an unknown name, a bad number,
     * a port out of range or two names on one port is a {@link MeshException} naming the flag (exit 2).
     */
    public static MeshPorts of(int offset, List<String> overrides) {
        Map<String, Integer> p = new LinkedHashMap<>();
        DEFAULTS.forEach((name, port) -> p.put(name, port + offset));
        for (String o : overrides) {
            int eq = o.indexOf('=');
            String name = eq < 0 ? o : o.substring(0, eq);
            if (eq < 0 || !DEFAULTS.containsKey(name)) {
                throw new MeshException(
                        "--port " + o + ": expected NAME=PORT with NAME one of " + String.join(", ", DEFAULTS.keySet()),
                        2);
            }
            try {
                p.put(name, Integer.parseInt(o.substring(eq + 1).strip()));
            } catch (NumberFormatException e) {
                throw new MeshException("--port " + o + ": not a number", 2);
            }
        }
        Map<Integer, String> seen = new HashMap<>();
        p.forEach((name, port) -> {
            if (port < 1 || port > 65535) {
                throw new MeshException(
                        name + " port " + port + " is outside 1..65535 (--port-offset " + offset + ", --port)", 2);
            }
            String other = seen.putIfAbsent(port, name);
            if (other != null) {
                throw new MeshException(other + " and " + name + " would both use port " + port + " (--port)", 2);
            }
        });
        return new MeshPorts(p);
    }

    public int get(String name) {
        Integer p = ports.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no port named " + name);
        }
        return p;
    }

    /** The ports as {@code NAME=N} flags, for a supervisor started in the background. */
    public List<String> asFlags() {
        return ports.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .toList();
    }

    /**
     * Every port can be bound on 127.0.0.1 now; the first that cannot is a {@link MeshException} (exit 2) naming it
     * and how to choose another.
     */
    public void checkFree() {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        ports.forEach((name, port) -> {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(loopback, port));
            } catch (IOException e) {
                throw new MeshException(
                        "port " + port + " (" + name + ") is in use on " + loopback.getHostAddress()
                                + ": stop what uses it, or choose other ports with --port " + name
                                + "=N or --port-offset N",
                        2);
            }
        });
    }
}
