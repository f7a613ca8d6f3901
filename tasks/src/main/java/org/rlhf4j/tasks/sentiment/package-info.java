/** The built-in sentiment task: WordNet 3.1 usage examples as corpus and prompts, VADER as gold labeler, a Bradley-Terry simulated human, WordNet's words as the English of text quality. */
package org.rlhf4j.tasks.sentiment;
