import {
  asyncScheduler,
  NEVER,
  Observable,
  type SchedulerAction,
  type SchedulerLike,
  Subscriber,
  type Subscription,
} from 'rxjs';
import { type AgentStatus, statusMessageCode } from './AgentStatus';
import { B24InputError, describeValue } from './B24InputError';
import { OPERATING_HOLD_MS } from './createScheduler';
import type { CallReason, PeerEnd } from './Dispatcher';
import { renewalPeriod } from './typingSignals';
import { validateLeaseSec } from './validateBot';
import { validateMs } from './validateMs';

/** When a bot's status indicator is (re)sent. */
export interface StatusPolicy {
  /** `duration` of each call in seconds (1..600): how long the status stays up if nothing renews it. */
  readonly leaseSec: number;
  /** Renew this long before the lease lapses, for network latency. Capped at half the lease. */
  readonly marginMs: number;
  /** A shown status stays at least this long before the next change goes out, so phases do not flicker. */
  readonly minDwellMs: number;
  /** Show nothing until the work has run this long: a reply that comes sooner shows no indicator at all. */
  readonly delayMs: number;
  /** If the work ends without a reply (error, abort, nothing emitted), send `duration: 1` to take the status down. */
  readonly clearOnError: boolean;
}

export const DEFAULT_STATUS_POLICY: StatusPolicy = {
  leaseSec: 30,
  marginMs: 3_000,
  minDwellMs: 1_000,
  delayMs: 0,
  clearOnError: true,
};

export interface StatusSignal {
  /** `start` shows the first status, `change` a new one, `renew` extends the lease, `clear` takes it down. */
  readonly type: CallReason;
  readonly status: AgentStatus;
  /** What to send as `statusMessageCode`; `undefined` for plain typing. */
  readonly statusMessageCode: string | undefined;
  /** What to send as `duration`: the lease, or 1 for `clear`. */
  readonly durationSec: number;
  readonly at: number;
  /**
   * A `clear` while another status of the bot in the chat goes on (only with `StatusPeers`): not to be sent, but
   * what this one may have shown is left to that one's clear (`IndicatorCall.peer`). `'reply'`: ended with its reply,
   * whose message hides the status, so only a call of this one still on its way may put it back up. `'lapse'`: ended
   * without a reply with `clearOnError` off: no clear for it, not even the last one's, but its call on its way may land.
   * `'handed'`: the last one to end so, which clears only what others that ended before it left to it. `'alone'`: ended
   * with its reply while no other status of the bot in the chat goes on: it clears only if its call still on its way
   * (a `batch` shared with other indicators goes on) lands after all, once it did (`IndicatorCall.peer`).
   */
  readonly peer?: PeerEnd;
}

/**
 * Fills in defaults and refuses nonsense before anything is subscribed. A field given as `undefined` takes its default,
 * as a missing one does; a policy that is not an object is refused rather than read as "every field missing" (as
 * `resolveTypingPolicy`).
 */
export function resolveStatusPolicy(policy: Partial<StatusPolicy> = {}): StatusPolicy {
  if (typeof policy !== 'object' || policy === null)
    throw new B24InputError('policy', 'an object', describeValue(policy));
  const defaults = DEFAULT_STATUS_POLICY;
  const {
    leaseSec = defaults.leaseSec,
    marginMs = defaults.marginMs,
    minDwellMs = defaults.minDwellMs,
    delayMs = defaults.delayMs,
    clearOnError,
  } = policy;
  validateLeaseSec(leaseSec);
  validateMs(marginMs, 'marginMs');
  validateMs(minDwellMs, 'minDwellMs');
  validateMs(delayMs, 'delayMs');
  return { leaseSec, marginMs, minDwellMs, delayMs, clearOnError: clearOnError !== false };
}

/**
 * After a lost call the status goes again this much later: a network blip that outlasted the scheduler's retries is
 * likely over, and a status changed in the meantime goes instead.
 */
const RESTART_PAUSE_MS = 1_000;

/**
 * When the operating hold a lost call says ends, or `undefined` if it says none. After a refusal for the operating
 * limit (`{ error }` of kind `operating`, as `createIndicators` reports it) the portal blocks the method for this app
 * for up to 10 minutes and the scheduler fails its calls without a request for `OPERATING_HOLD_MS`: sent a second
 * later, the status would only fail again; left to the next renewal, it would be down for up to `leaseSec` (600 s at
 * most) of work after the block lifted. So it goes once the hold is over, and probes: refused again, it costs one call
 * per renewal period. The scheduler says when the hold ends (`holdEnds`, also of a hold a refusal of another status
 * began, which a status cannot tell from its own); without that word, it is taken to end `OPERATING_HOLD_MS` after the
 * failure, unless a hold it already knows of goes on (the one its own refusal began, which this failure is in).
 */
function holdAfter(lost: unknown, known: number | undefined, now: number): number | undefined {
  const failed = lost as { readonly error?: { readonly kind?: unknown }; readonly holdEnds?: unknown } | null;
  if (failed?.error?.kind !== 'operating') return undefined;
  if (typeof failed.holdEnds === 'number') return failed.holdEnds;
  return known !== undefined && known > now ? known : now + OPERATING_HOLD_MS;
}

interface Shown {
  readonly status: AgentStatus;
  readonly code: string | undefined;
}

/**
 * The statuses of one bot in one chat (`createIndicators` keeps them per instance): the portal shows ONE status per
 * chat and sender, whichever of them sent it last, so a clear while another of them goes on would take that one's
 * status down until its next renewal.
 */
export interface StatusPeers {
  readonly dialogId: string;
  readonly botId: number;
  /** `status` shows something now (its first status went out). */
  join(status: PeerStatus): void;
  /** More than one status of the bot in the chat shows something: one that ends sends no clear, the others keep it up. */
  shared(): boolean;
  /**
   * `status` ended. With `handOver` (a clear was due) and none of the others showing what the portal shows (what
   * landed last, or what the call of `status` still on its way may put up), the newest sends its own again.
   * With `replied`, the newest sends its own again a moment later: the reply's message hides the status they share.
   */
  leave(status: PeerStatus, handOver: boolean, replied: boolean): void;
  /**
   * A newer status of the bot in the chat, renewing at least as often, keeps the status they share up: `status` skips
   * its renewal (the portal keeps one status per chat and sender, and a second renewal of it is a request spent for
   * nothing). It takes over when that one ends (`PeerStatus.takeOver`).
   */
  kept(status: PeerStatus): boolean;
  /**
   * The bot replied in the chat with no call of this status telling the scheduler (it ended in its show delay, or on
   * the legacy method, which cannot clear): the reply's message hides the bot's status there all the same, so a clear
   * of it not sent yet is moot (`Scheduler.replied`), and the newest status going on sends its own again a second later.
   */
  replied(): void;
}

/** A status that shows something, as its `StatusPeers` see it. */
export interface PeerStatus {
  readonly peers: StatusPeers | undefined;
  readonly shown: { readonly code: string | undefined } | undefined;
  /** The last call for what it shows did not land, as it heard (`lost`): refused or given up. */
  readonly lostShown?: boolean;
  /**
   * What its call that was on its way when it ended shows (`code`), as it heard (`lost`, a drop with `left`): that
   * call may still land. Unset if none was: its last call landed or not (the portal's answer says which), or never
   * left (still queued: it never lands).
   */
  readonly onItsWay?: { readonly code: string | undefined };
  /** How long each of its calls keeps the status up (`leaseSec`), and how often it renews it, in ms. */
  readonly leaseMs: number;
  readonly period: number;
  /**
   * Another status of the bot in the chat ended and the portal may show its status: send this one's now (in an
   * operating hold, as it ends), or, after that one's reply (`afterReply`), once the reply's message has hidden the
   * status they share.
   */
  resume(afterReply: boolean, pauseMs?: number): void;
  /**
   * The newer status that kept the status they share up (`StatusPeers.kept`) ended, and what it put up lapses at
   * `lapseAt` (`undefined`: not known): this one, having skipped its renewals, renews before then (or at once), and
   * within a period from now. False if it skipped none: its own renewals are due as its calls lapse, but one due before
   * it would need to renew what is up waits until then (the newer one's renewal since replaced its last call).
   */
  takeOver(lapseAt: number | undefined): boolean;
}

/**
 * When to call `imbot.v2.Chat.InputAction.notify`, given the work's status and its end (`until`, usually the
 * reply). Pure timing, no I/O:
 *
 * - the first status gives `start` after `delayMs` (at once by default) with `duration = leaseSec`;
 * - `renew` every `leaseSec − margin` while the work runs;
 * - a different status gives `change` at once, or when the shown one has stood `minDwellMs`; repeats (also by
 *   another name for the same code) give nothing, and the latest status wins a pending change;
 * - `until` emitting ends the stream (the reply hides the indicator); `until` completing without a value or
 *   erroring ends it with `clear` (`duration: 1`) if a status was shown, as does an error of `status` (which is
 *   then passed on). Nothing is emitted after the end, and every timer is released;
 * - `lost` emitting (a call was given up or refused, so the status may be down while the work goes on) sends the
 *   shown status again a second later as a `start` with the full lease, and the renewals follow from there: once
 *   per renewal period (which a change starts afresh), not before a status was shown nor after the end; after a
 *   refusal for the operating limit (a value `{ error }` of kind `operating`) once the scheduler no longer holds the
 *   method (when its `holdEnds` says, else 10 s later), and a change meanwhile waits for the hold's end, also with no
 *   call due then (sent in the hold, it would only fail); not at all
 *   if a renewal went in the pause and was not lost (unless a change waits for it). Nothing user-driven comes
 *   to do it, as a keystroke does for typing: without it the status would stay down until the next renewal, up to
 *   `leaseSec − margin` later.
 *
 * `status` completing keeps the last status up. An invalid status errors the stream (after `clear`).
 */
export function statusSignals(
  status: Observable<AgentStatus>,
  until: Observable<unknown> = NEVER,
  policy: Partial<StatusPolicy> = {},
  scheduler: SchedulerLike = asyncScheduler,
  lost: Observable<unknown> = NEVER,
): Observable<StatusSignal> {
  return resolvedStatusSignals(status, until, resolveStatusPolicy(policy), scheduler, lost);
}

/**
 * `statusSignals` with a policy `resolveStatusPolicy` made (`botStatusSpec` has one per indicator): each
 * subscription holds that one rather than a copy of its own (100,000 statuses add up).
 */
export function resolvedStatusSignals(
  status: Observable<AgentStatus>,
  until: Observable<unknown>,
  p: StatusPolicy,
  scheduler: SchedulerLike,
  lost: Observable<unknown>,
  peers?: StatusPeers,
): Observable<StatusSignal> {
  return new Observable<StatusSignal>((subscriber) => {
    const machine = new StatusMachine(subscriber, p, scheduler, peers);
    // NEVER cannot end the work: nothing to hold a subscription for (a held status is counted in bytes).
    if (until !== NEVER) machine.untilSub = until.subscribe(new UntilObserver(machine));
    if (machine.ended) return machine;
    if (lost !== NEVER) machine.lostSub = lost.subscribe(new LostSubscriber(machine));
    const statusSub = status.subscribe(machine);
    // A single status (`of(...)`) has completed by now and is not kept.
    if (!statusSub.closed) machine.statusSub = statusSub;
    return machine;
  });
}

type Timer = 'showTimer' | 'dwellTimer' | 'renewTimer';
type TimerWork = (this: SchedulerAction<StatusMachine>, m?: StatusMachine) => void;

// Timer work without a closure per subscription or per timer: the machine travels as the action's state.
const WORK: Readonly<Record<Timer, TimerWork>> = {
  renewTimer(m) {
    const machine = m as StatusMachine;
    machine.renewTimer = undefined;
    if (!machine.shown) return;
    // Kept up by a newer status of the bot in the chat: no renewal goes (`StatusPeers.kept`). Nor before what the newer
    // one that kept it up put up needs renewing, after it ended (`takeOver`, `renewAt`): this renewal, due as its own
    // last call would lapse, a moment after that one's renewal replaced it, would be a request spent for nothing.
    const now = machine.scheduler.now();
    const renewAt = machine.renewAt;
    if (renewAt !== undefined) machine.renewAt = undefined;
    const kept = machine.peers?.kept(machine) === true;
    const waits = !kept && renewAt !== undefined && renewAt > now;
    // Going again after a reply is pending, before what is up lapses (`resumeAt`): that call, with the full lease, renews
    // it, and this one, which the reply's message may yet hide, would be a request for nothing a moment before it.
    const lapseAt = now + machine.leaseMs - machine.period; // of its last call, a lease after it
    const resumes = machine.showTimer !== undefined && (machine.resumeAt ?? Number.POSITIVE_INFINITY) <= lapseAt;
    // Going again after a loss is pending: unless this renewal is lost too, it does the job (`WORK.showTimer`). Not if
    // that call goes after a reply (`resumeAt`): this renewal may land before the reply's message and be hidden with it.
    if (machine.restarted && machine.showTimer && !kept && !waits && machine.resumeAt === undefined)
      machine.renewedSinceLoss = true;
    machine.restarted = false;
    // Armed before the signal goes: a consumer leaving as it hears it (`take(1)`) then cancels it in its teardown.
    machine.arm('renewTimer', waits ? renewAt - now : machine.period);
    if (kept || waits) machine.skipped = true;
    // The first renewal after skipping renews what another put up, long after this one's last call: a `change`, which
    // its indicator does not drop at the deadline of that call's lapse.
    else if (!resumes) machine.emit(machine.skipped ? 'change' : 'renew', machine.shown);
  },
  showTimer(m) {
    const machine = m as StatusMachine;
    machine.showTimer = undefined;
    if (machine.resumeAt !== undefined) machine.resumeAt = undefined;
    // A renewal went after the loss and was not lost: sent again now, the status would go twice in a moment. Unless a
    // change waits for this call (`show`), not for its dwell: that renewal sent what was shown before it.
    const waits = machine.latest?.code !== machine.shown?.code && machine.dwellTimer === undefined;
    if (machine.renewedSinceLoss && !waits) machine.renewedSinceLoss = false;
    else machine.show('start');
  },
  dwellTimer(m) {
    const machine = m as StatusMachine;
    machine.dwellTimer = undefined;
    if (machine.latest && machine.shown && machine.latest.code !== machine.shown.code) machine.show('change');
  },
};

/**
 * One subscription's state, as a plain object with methods on its prototype: a held status is one of these,
 * its renewal action and its two input subscriptions, with no closure of its own (100,000 statuses add up).
 * It is also the observer of `status` and the teardown of the subscription.
 */
class StatusMachine implements PeerStatus {
  latest: Shown | undefined;
  shown: Shown | undefined;
  shownAt = Number.NEGATIVE_INFINITY;
  showTimer: Subscription | undefined;
  dwellTimer: Subscription | undefined;
  renewTimer: Subscription | undefined;
  ended = false;
  replied = false;
  /** The status went again after a lost call since the last renewal or change: another loss waits for the next. */
  restarted = false;
  /**
   * A renewal went while the status was to go again after a loss, and was not lost (yet): it goes instead. Declared,
   * not initialised, and set only on that rare path: most statuses never carry the field (a portal may hold 100,000).
   */
  declare renewedSinceLoss?: boolean;
  /** See `PeerStatus.lostShown`; declared, not initialised, for the same reason. */
  declare lostShown?: boolean;
  /** See `PeerStatus.onItsWay`; declared, not initialised, and set only as a status with a call in flight ends. */
  declare onItsWay?: { readonly code: string | undefined };
  /** A renewal was skipped since its last call (`StatusPeers.kept`); declared, not initialised, as `lostShown`. */
  declare skipped?: boolean;
  /**
   * Taken over having skipped nothing (`takeOver`): a renewal due before this waits for it, as one skipped. Declared,
   * not initialised, as `lostShown`, and dropped with the next call of its own.
   */
  declare renewAt?: number;
  /**
   * When the status goes again after a reply (`resume`), while that is pending: a renewal due before then, within the
   * lease of what is up, waits for it (`WORK.renewTimer`), and a change goes with it (`show`). Declared, not
   * initialised, as `lostShown`.
   */
  declare resumeAt?: number;
  /**
   * When the status goes again after a lost call (`onLost`), or after a hand-over as an operating hold ends (`resume`):
   * read only while that is pending and `resumeAt` unset, when a reply of another puts it off (`resume`). Declared, not
   * initialised, as `lostShown`.
   */
  declare resendAt?: number;
  /**
   * When the operating hold its call was refused in or for ends (`holdAfter`): a change before then waits for it
   * (`show`), as it would only fail in the hold. Declared, not initialised, as `lostShown`.
   */
  declare holdEnds?: number;
  untilSub: Subscription | undefined;
  lostSub: Subscription | undefined;
  statusSub: Subscription | undefined;

  constructor(
    readonly subscriber: Subscriber<StatusSignal>,
    readonly p: StatusPolicy,
    readonly scheduler: SchedulerLike,
    readonly peers: StatusPeers | undefined,
  ) {}

  get leaseMs(): number {
    return this.p.leaseSec * 1000;
  }

  /** Derived from the policy rather than held: a field more per status is 8 bytes × 100,000. */
  get period(): number {
    return renewalPeriod(this.p.leaseSec * 1000, this.p.marginMs);
  }

  emit(type: CallReason, what: Shown, durationSec = this.p.leaseSec, peer: StatusSignal['peer'] | false = false): void {
    if (this.lostShown) this.lostShown = false; // a new call for it: what becomes of that one is not known yet
    if (this.skipped) this.skipped = false;
    if (this.renewAt !== undefined) this.renewAt = undefined; // its own renewals are due as this call lapses
    const signal: StatusSignal = {
      type,
      status: what.status,
      statusMessageCode: what.code,
      durationSec,
      at: this.scheduler.now(),
    };
    // A literal without a spread: the last signal of each status is kept, and a spread's copy is a larger object.
    this.subscriber.next(peer ? { ...signal, peer } : signal);
  }

  arm(timer: Timer, delay: number): void {
    this[timer]?.unsubscribe();
    this[timer] = this.scheduler.schedule(WORK[timer], delay, this);
  }

  cancel(timer: Timer): void {
    this[timer]?.unsubscribe();
    this[timer] = undefined;
  }

  show(type: 'start' | 'change'): void {
    if (!this.latest) return;
    // To go again after another's reply (`resumeAt`): a change sent now may land before the reply's message, which
    // hides it, and would cancel the call that goes after it; that call sends the newest status instead. So too in the
    // operating hold (`holdEnds`): sent now, it would fail there and go again only a hold after that. It waits for the
    // call due as the hold ends, or, with none due (its one try of the period spent), goes then as a pending change
    // (`dwellTimer`), which takes the newest status. Not if a renewal went since and was not lost: the hold (another's)
    // is over.
    if (type === 'change') {
      if (this.resumeAt !== undefined) return;
      const wait = (this.holdEnds ?? 0) - this.scheduler.now();
      if (wait > 0 && !this.renewedSinceLoss) {
        if (this.showTimer === undefined) this.arm('dwellTimer', wait);
        return;
      }
    }
    this.cancel('showTimer'); // a status sent again after a lost call: this one does it
    if (this.renewedSinceLoss) this.renewedSinceLoss = false;
    if (this.resumeAt !== undefined) this.resumeAt = undefined;
    // A change starts the renewal period afresh (it re-arms the renewal), so it ends the one restart allowed in the
    // last: else a bot changing its status more often than it renews would have one restart for its whole work. Not
    // one that waited for the operating hold to end (going as it ends): it goes in place of the try the hold spent, and
    // refused again, costs no more calls than it did failing in the hold.
    if (type === 'change' && this.holdEnds !== this.scheduler.now()) this.restarted = false;
    if (!this.shown) this.peers?.join(this);
    this.shown = this.latest;
    this.shownAt = this.scheduler.now();
    // Armed before the signal goes, as in `WORK.renewTimer`: else one armed after a consumer left as it heard the
    // signal would renew (unheard) every period for good, and keep a Node process alive.
    this.arm('renewTimer', this.period);
    this.emit(type, this.shown);
  }

  /**
   * Ends the work: no timer, no signal after it but the clear (`clear`), which is not sent while another status of
   * the bot in the chat goes on (`peers`): that one keeps the status up instead (`handOver`: ended without a reply,
   * with `clearOnError` or not, since what is up may be this one's status either way).
   */
  end(clear: boolean, handOver = clear): boolean {
    if (this.ended) return false;
    this.ended = true;
    this.cancel('showTimer');
    this.cancel('dwellTimer');
    this.cancel('renewTimer');
    const shown = this.shown;
    if (!shown) {
      // its reply came within its show delay: no call of it tells the scheduler of it (`StatusPeers.replied`)
      if (this.replied) this.peers?.replied();
      return true;
    }
    // Kept up by another status of the bot in the chat: the clear is that one's to send, which may not have shown
    // anything of its own yet (`peer`). Before leaving: closing the channel, the clear tells the hand-over whether a
    // call of this status is still on its way (`onLost`), which may yet land, or only queued, which never will. After a
    // reply too (its message hides the status; only a clear after that call may follow): that call is not aborted (an
    // abort does not call back a request already sent), so that the others hear when it lands after all and the last
    // clear waits for it.
    // So too without a clear of its own (`clearOnError` off, ended by an error): `'lapse'`; the last one to end so still
    // clears what others left to it (`'handed'`). An unsubscribe's comes from `BotSpec.abortClear`. Alone, after its
    // reply: a call of it still on its way in a batch may land after the reply's message, and is then taken down
    // (`'alone'`); whatever `clearOnError` says, since that status would show over the answer for its lease.
    if (clear && this.p.clearOnError) this.emit('clear', shown, 1, this.peers?.shared() === true);
    else if (this.replied) {
      if (this.peers) this.emit('clear', shown, 1, this.peers.shared() ? 'reply' : 'alone');
    } else if (clear && this.peers) this.emit('clear', shown, 1, this.peers.shared() ? 'lapse' : 'handed');
    this.peers?.leave(this, handOver, this.replied);
    return true;
  }

  resume(afterReply: boolean, pauseMs = RESTART_PAUSE_MS): void {
    if (this.ended || !this.latest) return;
    // The portal hides a sender's status when a message of theirs lands, and the reply goes out after `until` fires:
    // sent again as a restart, after the same pause as one after a lost call (the message has landed by then). Already
    // to go again (after a reply or a lost call): then, not now, when the reply's message may yet hide it; and then
    // even if a renewal goes before (`WORK.renewTimer`, `resumeAt`): that one may land before the message. After this
    // reply, no sooner than its pause (sent before its message landed, it would be hidden as well), nor than it was
    // due, nor, with nothing due, than an operating hold it knows of ends (`holdAfter`, `holdEnds`: sent in it, it
    // would only fail, a `failed` event for nothing); and a change waits for it. Put off so, it goes in place of the try
    // the hold spent (as a change does, `show`): refused again, it waits for the renewal, as it did failing in the hold.
    // After a hand-over in such a hold, likewise as the hold ends: as a change then (`dwellTimer`), it would go only if
    // the status changed, and what the one that ended put up would stay until the next renewal though the block lifted.
    const now = this.scheduler.now();
    const held = (this.holdEnds ?? now) > now;
    if (afterReply || this.showTimer || held) {
      if (this.renewedSinceLoss) this.renewedSinceLoss = false;
      // A fresh try (`restarted` reset) only outside an operating hold it knows of, after a reply or a hand-over. In
      // one, the call after it is the try that was due anyway (put off after a reply), or with none due the one the
      // hold spent: refused again, it waits for the renewal as it would have without it, not one more refused request
      // per reply or hand-over in the block.
      if (!held) this.restarted = false;
      if (!afterReply && this.showTimer) return;
      const due = this.showTimer ? (this.resumeAt ?? this.resendAt ?? now) : (this.holdEnds ?? now);
      if (held && !this.showTimer) this.restarted = true;
      if (!afterReply) {
        // a change waiting for the hold's end goes with this call (`show`), which takes the newest status
        this.cancel('dwellTimer');
        this.arm('showTimer', due - now);
        this.resendAt = due;
        return;
      }
      const at = Math.max(due, now + pauseMs);
      this.arm('showTimer', at - now);
      this.resumeAt = at;
      return;
    }
    this.cancel('dwellTimer');
    this.show('change');
  }

  takeOver(lapseAt: number | undefined): boolean {
    if (this.ended) return false;
    const now = this.scheduler.now();
    const at = (lapseAt ?? Number.NEGATIVE_INFINITY) - (this.leaseMs - this.period);
    // Not later than a period from now, though what is up lapses later: the others this one keeps up skip on the word
    // that it renews once a period (`StatusPeers.kept`), and a call of theirs landing since (a change with a shorter
    // lease, or one on its way as that one ended) would lapse first.
    const wait = Math.min(Math.max(0, at - now), this.period);
    if (this.skipped) {
      this.arm('renewTimer', wait);
      return true;
    }
    // Its own renewals keep its own calls up; but the newer one's renewal may have replaced its last call since, and
    // what is up then lapses later: a renewal of its own due before that need waits for it (`WORK.renewTimer`). Not
    // brought forward: what is up lapsing first is the hand-over's to mend (`StatusPeerRegistry.leave`).
    if (lapseAt !== undefined) this.renewAt = now + wait;
    return false;
  }

  /**
   * A call was lost while the work goes on: send the status again, as a start with the full lease, after a pause
   * (`holdAfter`: longer for the operating limit). Once per renewal period, which a change starts afresh (a portal
   * refusing every call is not asked again every second), never before a status was shown or after the end.
   */
  onLost(value: unknown): void {
    if (!this.shown) return;
    // `createIndicators` tells which call was lost: one for an earlier status says nothing of the one asked for now,
    // nor does one dropped as this one stops. Of those, one that had left (an aborted request may still land) is
    // weighed by the hand-over, also when the clear (after `end`) closed its channel.
    const lost = value as {
      readonly call?: { readonly params?: Record<string, unknown> };
      readonly reason?: unknown;
      readonly left?: unknown;
    };
    const code = lost?.call?.params?.statusMessageCode as string | undefined;
    if (lost?.left) this.onItsWay = { code };
    if (this.ended) return;
    if (lost?.reason !== 'stopped' && code === this.shown.code) this.lostShown = true;
    const now = this.scheduler.now();
    const hold = holdAfter(value, this.holdEnds, now);
    if (hold !== undefined) this.holdEnds = hold;
    const pauseMs = hold === undefined ? RESTART_PAUSE_MS : Math.max(0, hold - now);
    // Already to go again (a renewal meanwhile failed with the method held, say): then, not later; but not in a hold
    // this refusal began (of a call on its way as another status of the bot in the chat replied), where it would fail.
    if (this.showTimer) {
      if (this.renewedSinceLoss) this.renewedSinceLoss = false;
      const due = this.resumeAt ?? this.resendAt ?? now;
      if (hold !== undefined && due < hold) {
        this.arm('showTimer', pauseMs);
        if (this.resumeAt !== undefined) this.resumeAt = hold;
        this.resendAt = hold;
      }
      return;
    }
    if (this.restarted) return;
    this.restarted = true;
    this.resendAt = now + pauseMs;
    this.arm('showTimer', pauseMs);
  }

  onStatus(value: AgentStatus): void {
    const latest: Shown = { status: value, code: statusMessageCode(value) };
    this.latest = latest;
    const shown = this.shown;
    if (!shown) {
      if (this.showTimer) return; // the delayed start will pick up the latest status
      if (this.p.delayMs > 0) this.arm('showTimer', this.p.delayMs);
      else this.show('start');
      return;
    }
    if (latest.code === shown.code) {
      // back to what is shown: a pending change is moot
      this.cancel('dwellTimer');
      return;
    }
    if (this.dwellTimer) return; // the pending change will pick up the latest status
    const wait = this.shownAt + this.p.minDwellMs - this.scheduler.now();
    if (wait <= 0) this.show('change');
    else this.arm('dwellTimer', wait);
  }

  /** `status` observer. */
  next(value: AgentStatus): void {
    if (this.ended) return;
    try {
      this.onStatus(value);
    } catch (error) {
      if (this.end(true)) this.subscriber.error(error);
    }
  }

  /** `status` observer. */
  error(error: unknown): void {
    if (this.end(true)) this.subscriber.error(error);
  }

  /**
   * Teardown: the consumer left before the end, where it takes the status down (`BotSpec.abortClear`). Every input is
   * let go though the teardown of another throws (its error still reaches the one unsubscribing), as RxJS runs every
   * finalizer: else the status stream (an LLM's, say) would stay subscribed when that of `until` throws.
   */
  unsubscribe(): void {
    this.end(false, true);
    try {
      this.untilSub?.unsubscribe();
    } finally {
      try {
        this.lostSub?.unsubscribe();
      } finally {
        this.statusSub?.unsubscribe();
      }
    }
  }
}

class UntilObserver {
  constructor(private readonly m: StatusMachine) {}

  next(): void {
    this.m.replied = true;
    if (this.m.end(false)) this.m.subscriber.complete();
  }

  error(): void {
    if (this.m.end(true)) this.m.subscriber.complete();
  }

  complete(): void {
    if (this.m.end(!this.m.replied)) this.m.subscriber.complete();
  }
}

/**
 * Hears lost calls. A `Subscriber` itself, so that subscribing wraps it in nothing more: a status holds it for its
 * whole life (100,000 statuses add up).
 */
class LostSubscriber extends Subscriber<unknown> {
  constructor(private readonly m: StatusMachine) {
    super();
  }

  protected override _next(value: unknown): void {
    this.m.onLost(value);
  }

  /** Losses are no longer heard; the status goes on. */
  protected override _error(): void {
    this.unsubscribe();
  }
}
