package org.rlhf4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.rlhf4j.actors.ppo.PipelineReplay;
import org.rlhf4j.learner.async.PpoLearner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rlhf4j replay DIR}: rebuilds a PPO run's learner from its message log. */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = "Feed a PPO run's message log (DIR/messages.r4jlog) to a fresh learner built "
        + "from DIR's configuration and initial weights, and print the SHA-256 of the weights it "
        + "rebuilt; it equals summary.json's weights_sha256.")
final class ReplayCommand implements Callable<Integer> {
  @Parameters(paramLabel = "DIR", description = "The run directory of `rlhf4j ppo`.")
  Path dir;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PpoLearner learner = PipelineReplay.run(dir);
    spec.commandLine().getOut().printf("{\"weights_sha256\": \"%s\", \"version\": %d}%n",
        learner.policyParams().sha256(), learner.version());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
