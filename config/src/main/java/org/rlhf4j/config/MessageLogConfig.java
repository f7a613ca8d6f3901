package org.rlhf4j.config;

import org.rlhf4j.protocol.FlushPolicy;

/** How the message log is written and how large a record a reader accepts. */
public record MessageLogConfig(FlushPolicy flush, int maxRecordBytes) {}
