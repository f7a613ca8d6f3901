/** JMH micro-benchmarks and the end-to-end throughput harness. */
package org.rlhf4j.bench;
