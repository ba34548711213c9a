/**
 * Remembers the last `limit` keys it was asked about: `true` for one asked about before and still remembered. The
 * bot asks it with each message id, so a message delivered twice is answered once, and a bot that runs for months
 * keeps `limit` ids, not one per message it ever heard. Asking about a key again does not make it younger: a
 * duplicate comes soon after its first delivery or not at all.
 */
export function seenBefore<K>(limit: number): (key: K) => boolean {
  const seen = new Set<K>();
  return (key) => {
    if (seen.has(key)) return true;
    seen.add(key);
    // A Set iterates in insertion order: the first key is the oldest.
    if (seen.size > limit) seen.delete(seen.values().next().value as K);
    return false;
  };
}
