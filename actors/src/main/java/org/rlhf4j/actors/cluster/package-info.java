/**
 * Nodes of a run across machines on Pekko Cluster: how a node's actor system is configured, and
 * the actors that carry policy versions to rollout nodes.
 */
package org.rlhf4j.actors.cluster;
