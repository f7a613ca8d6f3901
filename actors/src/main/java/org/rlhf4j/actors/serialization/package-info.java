/** Pekko serializer for the protobuf wire messages of {@code org.rlhf4j.protocol.pb}; no Java serialization. */
package org.rlhf4j.actors.serialization;
