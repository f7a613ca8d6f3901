package org.rlhf4j.actors.cluster;

import java.util.EnumSet;
import java.util.Set;
import org.rlhf4j.config.LoraConfig;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.RewardPooling;
import org.rlhf4j.model.kernels.Kernels;
import org.rlhf4j.protocol.pb.LoraShape;
import org.rlhf4j.protocol.pb.ModelShape;

/** A model's shape on the wire and back: a node builds the same parameter layout as the learner. */
public final class ModelShapes {
  private ModelShapes() {}

  /** The shape of {@code model}. */
  public static ModelShape of(Gpt model) {
    ModelConfig m = model.config();
    ModelShape.Builder b = ModelShape.newBuilder().setVocabSize(m.vocabSize())
        .setContextLength(m.contextLength()).setDModel(m.dModel())
        .setAttentionHeads(m.heads()).setLayers(m.layers())
        .setLayerNormEpsilon(m.layerNormEpsilon())
        .setRewardPooling(model.rewardPooling().configName());
    model.heads().forEach(h -> b.addHeads(h.name()));
    model.lora().ifPresent(l -> b.setLora(LoraShape.newBuilder().setRank(l.rank())
        .setAlpha(l.alpha()).setDropout(l.dropout()).addAllTargetModules(l.targetModules())));
    return b.build();
  }

  /**
   * The model {@code shape} describes, computing with {@code kernels}.
   *
   * @throws IllegalArgumentException for a head, pooling or kernel name this build does not know,
   *     or adapter settings out of range
   */
  static Gpt model(ModelShape shape, String kernels) {
    Set<Head> heads = EnumSet.noneOf(Head.class);
    shape.getHeadsList().forEach(h -> heads.add(Head.valueOf(h)));
    return new Gpt(new ModelConfig(shape.getVocabSize(), shape.getContextLength(),
        shape.getDModel(), shape.getLayers(), shape.getAttentionHeads(),
        shape.getLayerNormEpsilon()), heads, Kernels.named(kernels),
        RewardPooling.parse(shape.getRewardPooling()), !shape.hasLora() ? null
            : new LoraConfig(true, shape.getLora().getRank(), shape.getLora().getAlpha(),
                shape.getLora().getDropout(), shape.getLora().getTargetModulesList()));
  }
}
