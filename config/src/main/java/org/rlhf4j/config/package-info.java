/** HOCON configuration turned into immutable, validated records; defaults live in {@code reference.conf}. */
package org.rlhf4j.config;
