package org.rlhf4j.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** An ordered list of named tensor shapes packed back to back into one flat buffer. */
public final class ParameterLayout {
  private final List<ParameterSpec> specs;
  private final Map<String, ParameterSpec> byName;
  private final long totalSize;

  private ParameterLayout(List<ParameterSpec> specs) {
    this.specs = List.copyOf(specs);
    Map<String, ParameterSpec> map = new LinkedHashMap<>();
    long end = 0;
    for (ParameterSpec s : specs) {
      if (map.put(s.name(), s) != null) {
        throw new IllegalArgumentException("duplicate parameter name " + s.name());
      }
      end = s.offset() + s.size();
    }
    this.byName = Collections.unmodifiableMap(map);
    this.totalSize = end;
  }

  /** Starts a layout; tensors are placed in the order they are added. */
  public static Builder builder() {
    return new Builder();
  }

  public List<ParameterSpec> specs() {
    return specs;
  }

  public ParameterSpec spec(String name) {
    ParameterSpec s = byName.get(name);
    if (s == null) {
      throw new IllegalArgumentException("no parameter named " + name);
    }
    return s;
  }

  public boolean contains(String name) {
    return byName.containsKey(name);
  }

  /** Elements in the flat buffer. */
  public long totalSize() {
    return totalSize;
  }

  /** Names matching {@code filter}, in layout order. */
  public List<String> names(Predicate<String> filter) {
    List<String> out = new ArrayList<>();
    for (ParameterSpec s : specs) {
      if (filter.test(s.name())) {
        out.add(s.name());
      }
    }
    return out;
  }

  /**
   * The tensors from {@code first} to the end, offsets counted from {@code first}'s: the layout of
   * {@link ParameterStore#suffix}.
   */
  public ParameterLayout suffix(String first) {
    long start = spec(first).offset();
    List<ParameterSpec> out = new ArrayList<>();
    for (ParameterSpec s : specs) {
      if (s.offset() >= start) {
        out.add(new ParameterSpec(s.name(), s.shape(), s.offset() - start));
      }
    }
    return new ParameterLayout(out);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ParameterLayout l && l.specs.equals(specs);
  }

  @Override
  public int hashCode() {
    return specs.hashCode();
  }

  /** Adds tensors one after another. */
  public static final class Builder {
    private final List<ParameterSpec> specs = new ArrayList<>();
    private long next;

    public Builder add(String name, long... shape) {
      ParameterSpec s = new ParameterSpec(name, shape, next);
      specs.add(s);
      next += s.size();
      return this;
    }

    public ParameterLayout build() {
      return new ParameterLayout(specs);
    }
  }
}
