/**
 * The shape this package reads from a Vercel AI SDK stream part (`result.fullStream` in AI SDK 5 and 6,
 * `result.stream` in 7). Declared structurally, with only the fields the mapping looks at, so that `ai` stays an
 * optional peer: nothing from it is imported, and parts from any of those majors (or a hand-made stream) fit.
 */
export interface StreamPart {
  /** `start`, `start-step`, `reasoning-delta`, `tool-input-start`, `tool-call`, `text-delta`, `finish`, `error` … */
  readonly type: string;
  /** On `tool-input-start`, `tool-call`, `tool-result`, `tool-error`. */
  readonly toolName?: string | undefined;
  /**
   * On `tool-call`, `tool-result`, `tool-error`, `tool-output-denied`: which call a result settles, so that one
   * finished call of several running in parallel does not show `thinking` while the others still run.
   */
  readonly toolCallId?: string | undefined;
  /**
   * On `tool-approval-request`: the call that waits for approval (its `toolCallId`). Its tool does not run in this
   * stream, so it no longer counts as running. `unknown`, as only `toolCallId` is read and checked at run time.
   */
  readonly toolCall?: unknown;
  /**
   * On `tool-approval-request` (AI SDK 7): the SDK decided it itself (`toolApproval`), in this stream. An approved
   * call runs at once, so it still counts as running.
   */
  readonly isAutomatic?: boolean | undefined;
  /** On `tool-input-start`: the id of the call it starts (the later `tool-call`'s `toolCallId`). */
  readonly id?: string | undefined;
  /**
   * On `tool-input-start`, `tool-call`, `tool-result`, `tool-error`: the provider runs the tool (a web search, a code
   * execution), inside the model's stream; `streamText` does not.
   */
  readonly providerExecuted?: boolean | undefined;
  /** On `tool-result`: a progress yield of a generator tool, not its final output. */
  readonly preliminary?: boolean | undefined;
  /**
   * On `finish` (and `finish-step`): `'error'` when the last step ended on an `error` part, or the provider said it
   * failed (with no `error` part), so that an error the model streamed on after is told from one the work ended on.
   * `unknown`, as it is only compared with `'error'`.
   */
  readonly finishReason?: unknown;
  /** On `error` (and `tool-error`). */
  readonly error?: unknown;
}
