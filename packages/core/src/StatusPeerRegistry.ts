import type { IndicatorCall } from './Dispatcher';
import type { PeerStatus, StatusPeers } from './statusSignals';

/** A status that joined: it has its peers. */
const peersOf = (status: PeerStatus) => status.peers as StatusPeers;

/** One bot in one chat, the portal's unit of status: as a status has it, and as a call of it says it. */
const keyOf = (botId: unknown, dialogId: unknown) => `${botId} ${dialogId}`;
/** The bot and chat of a status call, as the v2 method (`botId`, `dialogId`) or the legacy one (`BOT_ID`, …) names them. */
const peersOfCall = ({ params }: IndicatorCall) => ({
  botId: params.botId ?? params.BOT_ID,
  dialogId: params.dialogId ?? params.DIALOG_ID,
});

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
   * `false`: the message of a reply hid it, and no call landed since.
   */
  readonly #up = new Map<string, string | undefined | null | false>();
  /**
   * How long what `#up` says is up stays up (the `duration` of that call), by the same key: when none of the statuses
   * left renews within it, it lapses while their work goes on.
   */
  readonly #upLeaseMs = new Map<string, number>();
  /**
   * When what the portal shows lapses (each call replaces what was up, with its own lease), by the same key, from the
   * calls that landed (or may have) while the chat was shared, and kept while one is left: its clear takes down what
   * one that ended before it put up, and must not give up at its own status's lapse while a longer one is up.
   */
  readonly #lapseAt = new Map<string, number>();
  /**
   * When the reply behind a `false` in `#up` came, by the same key: the newest sends its own status again a second
   * after it, and if that one ends first, the one taking over does so then (or at once), not a second after that end.
   */
  readonly #repliedAt = new Map<string, number>();

  /** `hide`: tells the scheduler of a reply that no call told it of (`Scheduler.replied`). */
  constructor(
    readonly clock: { now(): number },
    readonly hide?: (shows: (call: IndicatorCall) => boolean) => void,
  ) {}

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
    if (first) {
      this.#up.set(key, first.lostShown ? null : first.shown?.code);
      this.#upLeaseMs.set(key, first.leaseMs);
    }
  }

  /**
   * A call of a bot status landed, or may have (`surely` false): see `#up`. `ended`: its status had ended by then. That
   * one's (on its way as it ended, handed over or replied: not aborted) or a clear (which only one that ended, the last
   * of its chat, sends) may show what none of the statuses of the bot there going on asks for, or nothing: one that
   * handed over, or one that started since and whose own call landed first, is then down, or shows the wrong status,
   * until its next renewal (up to 27 s). So the newest of those sends its own again (behind its call still on its
   * way, if any): also when only a longer lease than that call's renews it, which lapses first.
   */
  landed(call: IndicatorCall, surely: boolean, ended = false): void {
    const clear = call.reason === 'clear';
    if (this.#up.size === 0 && this.#lapseAt.size === 0 && !ended && !clear) return;
    const { params } = call;
    const { botId, dialogId } = peersOfCall(call);
    const code = params.statusMessageCode as string | undefined;
    const leaseMs = ((params.duration as number | undefined) ?? 25) * 1000;
    const key = keyOf(botId, dialogId);
    if (this.#up.has(key)) {
      this.#repliedAt.delete(key);
      this.#up.set(key, surely && !clear ? code : null);
      this.#upLeaseMs.set(key, leaseMs);
    }
    if (this.#up.has(key) || this.#lapseAt.has(key)) {
      // One that may not have landed leaves what was up standing: either may be up.
      const lapse = this.clock.now() + leaseMs;
      const was = this.#lapseAt.get(key);
      this.#lapseAt.set(key, surely || was === undefined ? lapse : Math.max(was, lapse));
    }
    if (!ended && !clear) return;
    const others = this.#of(dialogId as string, botId);
    if (clear || !others.some((s) => s.shown?.code === code) || !others.some((s) => s.period <= leaseMs))
      others.at(-1)?.resume(false);
  }

  /**
   * See `StatusPeers.replied`. The reply's message hides what the statuses of the bot in the chat going on show, as
   * after the reply of one that showed (`leave`): the newest sends its own again a second later, or its work would go
   * on with no status until its next renewal (up to 27 s).
   */
  replied(botId: number, dialogId: string): void {
    const key = keyOf(botId, dialogId);
    this.hide?.((call) => {
      const of = peersOfCall(call);
      return keyOf(of.botId, of.dialogId) === key;
    });
    if (this.#up.has(key)) {
      this.#up.set(key, false);
      this.#repliedAt.set(key, this.clock.now());
    }
    this.#of(dialogId, botId).at(-1)?.resume(true);
  }

  /** Takes `status` out; see `StatusPeers.leave`. */
  leave(status: PeerStatus, handOver: boolean, replied: boolean): void {
    const { dialogId, botId } = peersOf(status);
    const held = this.#byDialog.get(dialogId);
    if (held === status) {
      this.#byDialog.delete(dialogId);
      this.#lapseAt.delete(keyOf(botId, dialogId));
      return;
    }
    if (!Array.isArray(held) || !held.includes(status)) return;
    const rest = held.filter((s) => s !== status);
    this.#byDialog.set(dialogId, rest.length === 1 ? (rest[0] as PeerStatus) : rest);
    const others = rest.filter((s) => peersOf(s).botId === botId);
    const key = keyOf(botId, dialogId);
    const asked = status.shown?.code;
    const known = this.#up.has(key);
    const up = known ? this.#up.get(key) : asked;
    const upLeaseMs = (known && this.#upLeaseMs.get(key)) || status.leaseMs;
    const now = this.clock.now();
    // A second after the reply that hid what was up (`#up` false), or after this one's.
    const pauseMs = replied ? undefined : Math.max(0, (this.#repliedAt.get(key) ?? now) + 1000 - now);
    // It kept the status up for the others (`kept`): the newest of them takes over renewing it.
    const kept = held.filter((s) => peersOf(s).botId === botId).at(-1) === status;
    const lapseAt = this.#lapseAt.get(key);
    if (others.length === 0) this.#lapseAt.delete(key);
    if (others.length < 2) {
      this.#up.delete(key);
      this.#upLeaseMs.delete(key);
      this.#repliedAt.delete(key);
    } else if (replied) {
      this.#up.set(key, false);
      this.#repliedAt.set(key, now);
    }
    const newest = others.at(-1);
    const asks = (code: string | undefined | null | false) => others.some((s) => s.shown?.code === code);
    if (!newest || !(handOver || replied)) return;
    const late = status.onItsWay;
    const lateShows = late !== undefined && !asks(late.code);
    // After a reply, or while nothing landed since one (the newest, which was to send its own again a moment later, may
    // be `status`): the newest sends its own again once the reply's message has hidden what was up.
    if (replied || up === false) newest.resume(true, pauseMs);
    // Sent again if none of those left asks for what is up, or for what may yet land: the call of `status` that was on
    // its way as it ended. Not for one that was refused, landed before what is up, or never left (still queued). Also
    // if none of those left renews within the lease of what is up (theirs are longer, or the one that did is `status`):
    // it would lapse while their work goes on, until their next renewal.
    else if (!asks(up) || (lateShows && late.code !== up) || !others.some((s) => s.period <= upLeaseMs))
      newest.resume(false);
    // The newest left skipped nothing (its own renewals keep its own calls up): those it does not keep up renew on their
    // own, and one of them that skipped would do so a period after its own last renewal, which may be after what
    // `status` put up since lapses (its work going on with no status until then): it takes over instead.
    else if (kept && !newest.takeOver(lapseAt)) for (const s of others) if (!this.kept(s)) s.takeOver(lapseAt);
  }

  /**
   * Whether a newer status of the bot in the chat keeps what `status` would renew up (see `StatusPeers.kept`): the
   * newest renews, the others skip while it goes on. If it renews at least as often, whatever was up is renewed in
   * time: each call's lease outlasts the newest's next renewal. If less often (a longer lease), only while what is up
   * is its own status with its lease (`#up`), which it renews before it lapses: a renewal of `status` would change
   * nothing but put its status over the newest's. Else (one with a shorter lease landed last, or what is up is not
   * known) what `status` put up may lapse first: it renews. The newest's status is what shows.
   */
  kept(status: PeerStatus): boolean {
    const { dialogId, botId } = peersOf(status);
    if (!Array.isArray(this.#byDialog.get(dialogId))) return false;
    const newest = this.#of(dialogId, botId).at(-1);
    if (newest === undefined || newest === status) return false;
    const key = keyOf(botId, dialogId);
    return (
      newest.period <= status.period ||
      (this.#up.has(key) &&
        this.#up.get(key) === newest.shown?.code &&
        (this.#upLeaseMs.get(key) as number) >= newest.leaseMs)
    );
  }

  /**
   * When what the portal shows for the bot and chat of `call` (a clear) lapses, as far as calls of shared statuses
   * tell: the scheduler keeps a last clear until then, not only until its own status would lapse.
   */
  lapseOf(call: IndicatorCall): number | undefined {
    const { botId, dialogId } = peersOfCall(call);
    return this.#lapseAt.get(keyOf(botId, dialogId));
  }

  /**
   * Whether a status of the bot of `call` in its chat shows something: the clear that follows a call of one that ended
   * with its reply is not sent then, and the newest sends its own again if that call landed (`landed`).
   */
  goesOn(call: IndicatorCall): boolean {
    const { botId, dialogId } = peersOfCall(call);
    return this.#of(dialogId as string, botId).length > 0;
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
    this.#upLeaseMs.clear();
    this.#lapseAt.clear();
    this.#repliedAt.clear();
  }
}
