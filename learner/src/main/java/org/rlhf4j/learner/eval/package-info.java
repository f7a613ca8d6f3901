/** Policy evaluation with 95% intervals: gold reward, sequence KL, win rate, RM accuracy. */
package org.rlhf4j.learner.eval;
