/** Throughput harnesses that print the PyTorch peer's JSON rows, and per-kernel profiles. */
package org.rlhf4j.bench;
