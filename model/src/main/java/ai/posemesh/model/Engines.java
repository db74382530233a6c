package ai.posemesh.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

/**
 * The one place that starts DJL's PyTorch engine. posemesh never reaches the network at run time: telemetry is opted
 * out and DJL is told it is offline (libtorch comes from the pytorch-native-cpu jar) before any DJL class loads.
 */
public final class Engines {

    private Engines() {}

    static {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
    }

    private static volatile Engine engine;

    /** Makes sure the offline properties are set; call before touching any DJL class (tokenizers included). */
    public static void offline() {
        // the static initialiser above did the work
    }

    /** The PyTorch engine, started on first use. */
    public static Engine pytorch() {
        Engine e = engine;
        if (e == null) {
            synchronized (Engines.class) {
                if (engine == null) {
                    engine = Engine.getEngine("PyTorch");
                }
                e = engine;
            }
        }
        return e;
    }

    /** A new root manager on the PyTorch engine; the caller closes it. */
    public static NDManager newManager() {
        return pytorch().newBaseManager();
    }
}
