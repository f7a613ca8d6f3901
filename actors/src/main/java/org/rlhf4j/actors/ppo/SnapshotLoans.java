package org.rlhf4j.actors.ppo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.rlhf4j.rollout.PolicySnapshot;

/**
 * Which policy snapshots each worker may still read, so that a snapshot is freed only once no
 * worker can. Owned by one actor.
 *
 * <p>A worker that returns what it is handed is counted until it does. A snapshot handed to one
 * that never returns it (a rollout node's proxy, whose broadcast reads it later), or held by one
 * that restarted or left (a batch it gave up waiting for may still read it), is never freed here:
 * once no counted worker reads it and it is not the latest, it is forgotten, so that the collector
 * frees it. Every snapshot kept is the latest or read by a counted worker, so that each is looked
 * at again when that changes, and none is kept for the rest of the run.
 */
final class SnapshotLoans {
  private final Map<String, List<PolicySnapshot>> lent = new HashMap<>();
  private final Set<PolicySnapshot> neverFreed =
      Collections.newSetFromMap(new IdentityHashMap<>());

  /** {@code snapshot}, the latest, is handed to worker {@code id}, which returns it or not. */
  void lend(String id, PolicySnapshot snapshot, boolean returnsIt) {
    if (returnsIt) {
      lent.computeIfAbsent(id, k -> new ArrayList<>()).add(snapshot);
    } else {
      neverFreed.add(snapshot);
    }
  }

  /**
   * Worker {@code id} no longer reads {@code snapshot}: true when it had been lent to it and not
   * returned. Any other return (a loan its earlier incarnation was abandoned with, an unknown
   * worker) changes nothing and is false: the snapshot may be one never to be freed.
   */
  boolean returned(String id, PolicySnapshot snapshot) {
    List<PolicySnapshot> held = lent.get(id);
    if (held == null) {
      return false;
    }
    for (int i = 0; i < held.size(); i++) {
      if (held.get(i) == snapshot) { // a record's equals would match another over equal parts
        held.remove(i);
        return true;
      }
    }
    return false;
  }

  /**
   * Worker {@code id} restarted or left without returning what it held: none of it is freed
   * here, since a batch it gave up waiting for may still read it.
   */
  void abandoned(String id, PolicySnapshot latest) {
    List<PolicySnapshot> held = lent.remove(id);
    if (held == null) {
      return;
    }
    for (PolicySnapshot s : held) {
      if (s == latest || reads(s)) {
        neverFreed.add(s);
      } else {
        neverFreed.remove(s); // nothing will look at it again: forgotten now
      }
    }
  }

  /**
   * {@code snapshot} is no longer the latest, or a worker returned it: true when it may be freed
   * now. False while a counted worker reads it, and for one never to be freed, which is then
   * forgotten.
   */
  boolean mayFree(PolicySnapshot snapshot) {
    if (reads(snapshot)) {
      return false;
    }
    return !neverFreed.remove(snapshot);
  }

  /** Snapshots some worker may still read, as far as this knows (a metric). */
  int held() {
    Set<PolicySnapshot> all = Collections.newSetFromMap(new IdentityHashMap<>());
    lent.values().forEach(all::addAll);
    all.addAll(neverFreed);
    return all.size();
  }

  private boolean reads(PolicySnapshot snapshot) {
    for (List<PolicySnapshot> held : lent.values()) {
      for (PolicySnapshot s : held) {
        if (s == snapshot) {
          return true;
        }
      }
    }
    return false;
  }
}
