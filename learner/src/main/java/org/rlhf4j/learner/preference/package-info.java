/** Pairwise preference objectives on double arrays: Bradley–Terry, rankings, the DPO family. */
package org.rlhf4j.learner.preference;
