import type { ChatModel } from './ChatModel';
import type { Params } from './phpQuery';

export interface AuthContext {
  type: 'webhook' | 'oauth';
  userId: number;
  scopes: ReadonlySet<string>;
  /** Webhook code or OAuth client id: the identity the operating limit is kept for. */
  identity: string;
  /** OAuth application (null for webhooks). */
  clientId: string | null;
  /** `application_token` of the calling integration (the webhook's or the OAuth application's): bots it registers sign their events with it. */
  applicationToken: string;
}

/** What a handler learned about the call, for the timeline (filled in as far as the handler got before failing). */
export interface CallRecord {
  dialogId: string | null;
  chatId: number | null;
  senderId: number | null;
  botId: number | null;
  durationSec: number | null;
  statusMessageCode: string | null;
  shown: boolean;
  visibleUntil: number | null;
}

export interface MethodContext {
  auth: AuthContext;
  model: ChatModel;
  now: number;
  clientLifetimeMs: number;
  record: CallRecord;
}

export interface MethodDefinition {
  /** Canonical name, e.g. `imbot.v2.Chat.InputAction.notify`. */
  name: string;
  scope: string;
  handler: (params: Params, context: MethodContext) => unknown;
  /**
   * Whose call this is, read from its parameters without running it, for the timeline entry of a call refused before
   * the handler ran (rate limit, fault, scope, auth): fills `dialogId`, `chatId`, `senderId`, `botId` as far as they
   * follow from the request. No side effects (nothing is created). `auth` is null when the credentials did not
   * authenticate: a sender that only they would vouch for stays unknown.
   */
  subject?: (params: Params, auth: AuthContext | null, model: ChatModel, record: CallRecord) => void;
}

export function emptyRecord(): CallRecord {
  return {
    dialogId: null,
    chatId: null,
    senderId: null,
    botId: null,
    durationSec: null,
    statusMessageCode: null,
    shown: false,
    visibleUntil: null,
  };
}
