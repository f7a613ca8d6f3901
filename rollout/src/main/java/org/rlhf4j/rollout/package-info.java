/** The generation engine: batched sampling with a KV cache and exact behaviour log-probs. */
package org.rlhf4j.rollout;
