/** {@code rlhf4j report}: training curves and eval results as PNG charts and one HTML page. */
package org.rlhf4j.cli.report;
