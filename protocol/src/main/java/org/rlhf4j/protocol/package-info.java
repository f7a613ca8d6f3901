/** Wire messages (generated from {@code rlhf4j.proto}) and the append-only message-log file format. */
package org.rlhf4j.protocol;
