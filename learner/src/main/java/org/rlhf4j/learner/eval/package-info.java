/** Policy evaluation with 95% intervals: gold reward, sequence KL, text quality, reference NLL, win rate, RM score and accuracy. */
package org.rlhf4j.learner.eval;
