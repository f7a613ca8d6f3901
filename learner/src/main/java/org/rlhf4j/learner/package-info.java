/** Objectives and synchronous trainers: SFT, reward model, PPO, GRPO/RLOO and the DPO family. */
package org.rlhf4j.learner;
