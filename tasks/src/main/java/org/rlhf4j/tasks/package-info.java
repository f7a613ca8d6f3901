/** Data sets in TRL's JSONL formats, gold labelers and the built-in sentiment task. */
package org.rlhf4j.tasks;
