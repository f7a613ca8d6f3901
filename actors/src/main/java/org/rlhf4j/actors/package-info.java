/** Pekko typed actors: rollout workers, reward scorer, learner, coordinator; message-log recording and replay. */
package org.rlhf4j.actors;
