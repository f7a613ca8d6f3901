/** The built-in sentiment task: WordNet 3.1 usage examples as corpus and prompts, VADER as gold labeler, a Bradley-Terry simulated human. */
package org.rlhf4j.tasks.sentiment;
