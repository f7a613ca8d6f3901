/** Asynchronous PPO in plain Java: rollout scoring, the learner, its message log and replay. */
package org.rlhf4j.learner.async;
