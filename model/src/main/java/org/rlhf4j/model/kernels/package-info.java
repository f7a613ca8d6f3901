/** The small kernel interface the model is written against, and its portable ND4J implementation. */
package org.rlhf4j.model.kernels;
