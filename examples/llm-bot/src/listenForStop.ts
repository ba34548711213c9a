/** What stopping a program does: steps run in order, each named for the line that reports its failure. */
export type StopSteps = readonly (readonly [what: string, step: () => unknown])[];

export interface StopListener {
  /** The first reason a stop was asked for (a signal's name, or what `request` was given); unset until then. */
  readonly reason: string | undefined;
  /** Resolves with that reason: what the program awaits once it has started what it runs. */
  readonly requested: Promise<string>;
  /** Aborted when a stop is asked for: for what starting may give up (a registration, a dev server's start). */
  readonly signal: AbortSignal;
  /**
   * Asks for the stop from within (a bot gone deaf) as a signal does, without sending one: a SIGTERM sent to itself
   * kills a process outright where no handler listens yet, and on Windows always.
   */
  request(why: string): void;
  /**
   * Runs every step, also after one failed (each catches what it waits for, but were one to reject, the others still
   * run and the failure is logged, not an unhandled rejection). False when one failed: the exit code is then 1.
   */
  run(steps: StopSteps, log: (line: string) => void): Promise<boolean>;
}

/** One Ctrl-C can arrive twice (from the terminal and relayed by pnpm, tsx or scripts/demo.mjs): a later one forces. */
const FORCE_AFTER_MS = 2_000;

/**
 * Listens for SIGINT and SIGTERM from now on: the CLI and the demo call it before they start anything, so that a
 * Ctrl-C while the emulator starts or the bot registers (up to a minute of backoffs) stops what has started by the
 * program's own path, not by Node's default, which kills the process without a word, leaving the messages a
 * webhook took meanwhile unanswered and untold. A signal that comes again more than 2 s after the first forces the
 * exit (130): the stop may wait on a slow portal.
 */
export function listenForStop(out: (line: string) => void): StopListener {
  let reason: string | undefined;
  let since = 0;
  let resolve!: (why: string) => void;
  const requested = new Promise<string>((r) => {
    resolve = r;
  });
  const stopping = new AbortController();
  const request = (why: string) => {
    if (reason !== undefined) return;
    reason = why;
    since = Date.now();
    resolve(why);
  };
  // A microtask after the request, not inside whatever asked for it (a bot's onError, in the middle of an event).
  void requested.then(() => stopping.abort());
  const onSignal = (signal: NodeJS.Signals) => {
    if (reason !== undefined && Date.now() - since > FORCE_AFTER_MS) {
      out('Forced exit.');
      process.exit(130);
    }
    request(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get reason() {
      return reason;
    },
    requested,
    signal: stopping.signal,
    request,
    async run(steps, log) {
      let ok = true;
      for (const [what, step] of steps) {
        try {
          await step();
        } catch (error) {
          ok = false;
          log(`could not ${what}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      return ok;
    },
  };
}
