/** Objectives and synchronous trainers: SFT, reward model, the DPO family; PPO's update step. */
package org.rlhf4j.learner;
