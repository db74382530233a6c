package ai.posemesh.kafka;

import java.net.InetAddress;

/** A replica's default name (in client ids, status records, events, DLQ headers): the pod name on Kubernetes. */
public final class ReplicaIds {

    private ReplicaIds() {}

    /** {@code $HOSTNAME}, else the local host name, else {@code <fallbackPrefix>-<pid>}. */
    public static String hostName(String fallbackPrefix) {
        String h = System.getenv("HOSTNAME");
        if (h != null && !h.isBlank()) {
            return h;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return fallbackPrefix + "-" + ProcessHandle.current().pid();
        }
    }
}
