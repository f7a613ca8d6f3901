/**
 * The RL math of RLHF over plain {@code double[]}: KL, token rewards, GAE, GRPO/RLOO and PPO.
 *
 * <p>Layout: a batch of B responses padded to T tokens is one row-major array of length B·T
 * ({@link org.rlhf4j.learner.rl.BatchShape}); a mask of the same length holds 1 for a real response
 * token and 0 for padding. Per-row arrays have length B. Outputs are caller-owned arrays, so a
 * training step can reuse them; gradient outputs are <em>added</em> into, as in
 * {@code org.rlhf4j.model.kernels.Kernels}.
 */
package org.rlhf4j.learner.rl;
