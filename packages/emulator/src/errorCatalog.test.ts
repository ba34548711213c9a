import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG, restError } from './errorCatalog';

describe('restError', () => {
  it('gives a code its catalog status and text, or the text the caller passes', () => {
    expect(restError('CHAT_ID_EMPTY')).toMatchObject({ code: 'CHAT_ID_EMPTY', status: 400 });
    expect(restError('CHAT_ID_EMPTY').message).toBe("Chat ID can't be empty");
    expect(restError('WRONG_REQUEST', "Message isn't added").message).toBe("Message isn't added");
  });

  it("keeps no method's text as WRONG_REQUEST's default: each source call has its own, a fault gets none", () => {
    // imbot.message.add, imbot.update, imbot.chat.user.add/delete each send their own text with the code.
    expect(ERROR_CATALOG.WRONG_REQUEST).toEqual([400, 'Wrong request']);
  });
});
