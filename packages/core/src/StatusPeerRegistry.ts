import type { IndicatorCall } from './Dispatcher';
import type { PeerStatus, StatusPeers } from './statusSignals';

/** A status that joined: it has its peers. */
const peersOf = (status: PeerStatus) => status.peers as StatusPeers;

/** One bot in one chat, the portal's unit of status: as a status has it, and as a call of it says it. */
const keyOf = (botId: unknown, dialogId: unknown) => `${botId} ${dialogId}`;

/**
 * The bot statuses of one `createIndicators` that show something, by chat, so that one ending while another of the
 * same bot in the same chat goes on sends no clear (the portal keeps one status per chat and sender). Keyed by the
 * dialog id string each status already holds, with the status itself as the value while it is alone in its chat: a
 * portal may hold 100,000 statuses, and one per chat costs a map entry and nothing more.
 */
export class StatusPeerRegistry {
  readonly #byDialog = new Map<string, PeerStatus | PeerStatus[]>();
  /**
   * What the portal shows for a bot in a chat where more than one of its statuses shows something (`keyOf`): the code
   * of its call that landed last, or `null` when unknown (one may have landed) or nothing is up. What a status last
   * asked for is not it when that call was refused or given up, and a hand-over decided on that either sends a code
   * already up (a request wasted) or leaves a wrong one up until the next renewal. Only shared chats have an entry.
   */
  readonly #up = new Map<string, string | undefined | null>();
  /**
   * Chats (`keyOf`) where a status ended with a call on its way that shows what none of those left asks for, and
   * handed over or replied: how many such calls are still to land. The hand-over's call (or the re-send a second after
   * the reply) may land first, and that one after it would leave its code up until the next renewal (up to 27 s); so,
   * when it lands, those left send theirs again.
   */
  readonly #late = new Map<string, number>();

  join(status: PeerStatus): void {
    const { dialogId, botId } = peersOf(status);
    const held = this.#byDialog.get(dialogId);
    if (held === undefined) this.#byDialog.set(dialogId, status);
    else if (Array.isArray(held)) held.push(status);
    else this.#byDialog.set(dialogId, [held, status]);
    const key = keyOf(botId, dialogId);
    if (held === undefined || this.#up.has(key)) return;
    // Shared from now on: until a call lands, the best guess is what the one already there asked for.
    const first = (Array.isArray(held) ? held : [held]).find((s) => s !== status && peersOf(s).botId === botId);
    if (first) this.#up.set(key, first.lostShown ? null : first.shown?.code);
  }

  /**
   * A call of a bot status landed, or may have (`surely` false): see `#up`. `ended`: its status had ended by then, and
   * if it was on its way as that one handed over, what it shows may have undone the hand-over (`#late`).
   */
  landed(call: IndicatorCall, surely: boolean, ended = false): void {
    if (this.#up.size === 0 && this.#late.size === 0) return;
    const { params } = call;
    const botId = params.botId ?? params.BOT_ID;
    const dialogId = params.dialogId ?? params.DIALOG_ID;
    const key = keyOf(botId, dialogId);
    const code = params.statusMessageCode as string | undefined;
    if (this.#up.has(key)) this.#up.set(key, surely && call.reason !== 'clear' ? code : null);
    const late = ended && call.reason !== 'clear' ? this.#late.get(key) : undefined;
    if (late === undefined) return;
    if (late > 1) this.#late.set(key, late - 1);
    else this.#late.delete(key);
    const others = this.#of(dialogId as string, botId);
    if (!others.some((s) => s.shown?.code === code)) others.at(-1)?.resume(false);
  }

  /** Takes `status` out; see `StatusPeers.leave`. */
  leave(status: PeerStatus, handOver: boolean, replied: boolean): void {
    const { dialogId, botId } = peersOf(status);
    const held = this.#byDialog.get(dialogId);
    if (held === status) {
      this.#byDialog.delete(dialogId);
      return;
    }
    if (!Array.isArray(held) || !held.includes(status)) return;
    const rest = held.filter((s) => s !== status);
    this.#byDialog.set(dialogId, rest.length === 1 ? (rest[0] as PeerStatus) : rest);
    const others = rest.filter((s) => peersOf(s).botId === botId);
    const key = keyOf(botId, dialogId);
    const asked = status.shown?.code;
    const up = this.#up.has(key) ? this.#up.get(key) : asked;
    if (others.length < 2) this.#up.delete(key);
    if (others.length === 0) this.#late.delete(key);
    const newest = others.at(-1);
    const asks = (code: string | undefined | null) => others.some((s) => s.shown?.code === code);
    if (!newest || !(handOver || replied)) return;
    const late = status.onItsWay;
    const lateShows = late !== undefined && !asks(late.code);
    if (lateShows) this.#late.set(key, (this.#late.get(key) ?? 0) + 1);
    if (replied) newest.resume(true);
    // Sent again if none of those left asks for what is up, or for what may yet land: the call of `status` that was on
    // its way as it ended. Not for one that was refused, landed before what is up, or never left (still queued).
    else if (!asks(up) || (lateShows && late.code !== up)) newest.resume(false);
  }

  /** Whether more than one status of this bot in this chat shows something. */
  shared(peers: StatusPeers): boolean {
    return this.#of(peers.dialogId, peers.botId).length > 1;
  }

  /** The statuses of a bot in a chat that show something, oldest first. */
  #of(dialogId: string, botId: unknown): PeerStatus[] {
    const held = this.#byDialog.get(dialogId);
    return (Array.isArray(held) ? held : held ? [held] : []).filter((s) => peersOf(s).botId === botId);
  }

  /** `dispose()`: every status stops, none takes over from another. */
  clear(): void {
    this.#byDialog.clear();
    this.#up.clear();
    this.#late.clear();
  }
}
