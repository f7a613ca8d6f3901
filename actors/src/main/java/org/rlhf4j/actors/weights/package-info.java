/**
 * Policy versions on the wire: cut into checksummed {@code WeightsUpdate} chunks for remote rollout
 * workers and put back together, whole and verified, before a worker samples from them.
 */
package org.rlhf4j.actors.weights;
