/** The {@code rlhf4j} command line: subcommands, exit codes and user-facing messages. */
package org.rlhf4j.cli;
