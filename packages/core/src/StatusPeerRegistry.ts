import type { PeerStatus, StatusPeers } from './statusSignals';

/** A status that joined: it has its peers. */
const peersOf = (status: PeerStatus) => status.peers as StatusPeers;

/**
 * The bot statuses of one `createIndicators` that show something, by chat, so that one ending while another of the
 * same bot in the same chat goes on sends no clear (the portal keeps one status per chat and sender). Keyed by the
 * dialog id string each status already holds, with the status itself as the value while it is alone in its chat: a
 * portal may hold 100,000 statuses, and one per chat costs a map entry and nothing more.
 */
export class StatusPeerRegistry {
  readonly #byDialog = new Map<string, PeerStatus | PeerStatus[]>();

  join(status: PeerStatus): void {
    const { dialogId } = peersOf(status);
    const held = this.#byDialog.get(dialogId);
    if (held === undefined) this.#byDialog.set(dialogId, status);
    else if (Array.isArray(held)) held.push(status);
    else this.#byDialog.set(dialogId, [held, status]);
  }

  /** Takes `status` out; see `StatusPeers.leave`. */
  leave(status: PeerStatus, handOver: boolean, replied: boolean): boolean {
    const { dialogId } = peersOf(status);
    const held = this.#byDialog.get(dialogId);
    if (held === status) {
      this.#byDialog.delete(dialogId);
      return false;
    }
    if (!Array.isArray(held) || !held.includes(status)) return false;
    const rest = held.filter((s) => s !== status);
    this.#byDialog.set(dialogId, rest.length === 1 ? (rest[0] as PeerStatus) : rest);
    const others = rest.filter((s) => peersOf(s).botId === peersOf(status).botId);
    const code = status.shown?.code;
    const newest = others.at(-1);
    if (replied) newest?.resume(true);
    else if (handOver && !others.some((s) => s.shown?.code === code)) newest?.resume(false);
    return newest !== undefined;
  }

  /** Whether more than one status of this bot in this chat shows something. */
  shared(peers: StatusPeers): boolean {
    const held = this.#byDialog.get(peers.dialogId);
    return Array.isArray(held) && held.filter((s) => peersOf(s).botId === peers.botId).length > 1;
  }

  /** `dispose()`: every status stops, none takes over from another. */
  clear(): void {
    this.#byDialog.clear();
  }
}
