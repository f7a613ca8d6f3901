/** Data sets in TRL's standard JSONL formats: SFT, preference and prompt examples, a strict streaming reader and an atomic writer. */
package org.rlhf4j.tasks.data;
