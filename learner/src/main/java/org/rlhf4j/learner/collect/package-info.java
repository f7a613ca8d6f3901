/** Comparison collection: K responses per prompt, ranked by a labeler or a simulated human. */
package org.rlhf4j.learner.collect;
