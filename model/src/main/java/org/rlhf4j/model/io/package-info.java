/** Checkpoint files: the safetensors format, read with full validation and written atomically. */
package org.rlhf4j.model.io;
