package ai.posemesh.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW as torch.optim.AdamW (decoupled weight decay, bias-corrected moments), with global-norm gradient clipping as
 * torch.nn.utils.clip_grad_norm_. Updates parameters in place outside autograd. Moments are float32, named after the
 * parameters so they checkpoint as safetensors.
 */
public final class AdamW {

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private int t;

    public AdamW(Map<String, NDArray> params, NDManager manager, double weightDecay) {
        this(params, manager, 0.9, 0.999, 1e-8, weightDecay);
    }

    public AdamW(
            Map<String, NDArray> params,
            NDManager manager,
            double beta1,
            double beta2,
            double eps,
            double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        params.forEach((name, p) -> {
            m.put(name, manager.zeros(p.getShape(), p.getDataType()));
            v.put(name, manager.zeros(p.getShape(), p.getDataType()));
        });
    }

    /**
     * Clips gradients to {@code maxNorm} (0 disables), applies one update at learning rate {@code lr} and zeroes the
     * gradients.
     *
     * @return the gradient norm before clipping
     */
    public double step(Map<String, NDArray> params, double lr, double maxNorm) {
        t++;
        // in-place updates of leaves that require grad are only legal with grad mode off, which is per thread
        // (torch's default on a fresh thread is on)
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            double sq = 0;
            for (NDArray p : params.values()) {
                NDArray g = p.getGradient();
                sq += g.square().sum().getFloat();
            }
            double norm = Math.sqrt(sq);
            float clip = maxNorm > 0 && norm > maxNorm ? (float) (maxNorm / (norm + 1e-6)) : 1f;
            double c1 = 1 - Math.pow(beta1, t);
            double c2 = 1 - Math.pow(beta2, t);
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray p = e.getValue();
                NDArray g = p.getGradient();
                if (clip != 1f) {
                    g = g.mul(clip);
                }
                NDArray mi = m.get(e.getKey());
                NDArray vi = v.get(e.getKey());
                mi.muli(beta1).addi(g.mul(1 - beta1));
                vi.muli(beta2).addi(g.square().muli(1 - beta2));
                if (weightDecay > 0) {
                    p.muli(1 - lr * weightDecay);
                }
                NDArray denom = vi.div(c2).sqrt().addi(eps);
                p.subi(mi.div(c1).divi(denom).muli(lr));
                p.getGradient().muli(0);
            }
            return norm;
        } finally {
            JniUtils.setGradMode(previous);
        }
    }

    /** Moments by "m." / "v." + parameter name, for checkpointing. */
    public Map<String, NDArray> state() {
        Map<String, NDArray> s = new LinkedHashMap<>();
        m.forEach((k, a) -> s.put("m." + k, a));
        v.forEach((k, a) -> s.put("v." + k, a));
        return s;
    }

    /** Restores moments (from {@link #state()}) and the step count. */
    public void load(Map<String, NDArray> state, int steps) {
        state.forEach((k, a) -> {
            Map<String, NDArray> target = k.startsWith("m.") ? m : v;
            NDArray dst = target.get(k.substring(2));
            if (dst == null || !dst.getShape().equals(a.getShape())) {
                throw new IllegalStateException("optimizer state " + k + " does not match the model");
            }
            dst.set(a.toFloatArray());
        });
        this.t = steps;
    }

    public int steps() {
        return t;
    }
}
