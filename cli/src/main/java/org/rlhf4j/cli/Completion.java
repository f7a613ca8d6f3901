package org.rlhf4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.rlhf4j.model.tokenizer.Tokenizer;
import org.rlhf4j.rollout.FinishReason;
import org.rlhf4j.rollout.Response;

/** One line of {@code rlhf4j generate}'s JSONL: a prompt, one completion of it and its log-prob. */
record Completion(String prompt, String completion, double logprob, int tokens,
    FinishReason finishReason) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** {@code response} to {@code prompt}: its text without the EOS, its summed log-prob. */
  static Completion of(String prompt, Response response, Tokenizer tokenizer) {
    int[] ids = response.responseIds();
    double logprob = 0;
    for (float l : response.logprobs()) {
      logprob += l;
    }
    return new Completion(prompt, tokenizer.decode(ids, 0, ids.length, Tokenizer.Specials.SKIP),
        logprob, ids.length, response.finishReason());
  }

  /** The line, keys in a fixed order; finish reasons as OpenAI's and vLLM's APIs name them. */
  String toJson() {
    try {
      return JSON.writeValueAsString(JSON.createObjectNode()
          .put("prompt", prompt)
          .put("completion", completion)
          .put("logprob", logprob)
          .put("tokens", tokens)
          .put("finish_reason", finishReason == FinishReason.STOP_TOKEN ? "stop" : "length"));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of strings and numbers always serialises", e);
    }
  }
}
