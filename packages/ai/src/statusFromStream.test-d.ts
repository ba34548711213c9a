import type { StreamTextResult, TextStreamPart, ToolSet } from 'ai';
import type { Observable } from 'rxjs';
import { describe, expectTypeOf, it } from 'vitest';
import type { AgentStatus } from '@b24-typing/core';
import type { StreamPart } from './StreamPart';
import { statusFromStream } from './statusFromStream';
import { defaultStatusRules, type StatusRules } from './statusRules';

describe('statusFromStream types', () => {
  it('accepts every AI SDK full-stream part without importing ai', () => {
    expectTypeOf<TextStreamPart<ToolSet>>().toExtend<StreamPart>();
  });

  it('takes fullStream as it comes and returns statuses', () => {
    const result = {} as StreamTextResult<ToolSet, never>;
    expectTypeOf(statusFromStream(result.fullStream)).toEqualTypeOf<Observable<AgentStatus>>();
  });

  it('rejects a text stream at compile time', () => {
    const result = {} as StreamTextResult<ToolSet, never>;
    // @ts-expect-error textStream yields strings, not parts
    statusFromStream(result.textStream);
  });

  it('lets rules be extended with raw codes and rejects unknown statuses', () => {
    const rules: Partial<StatusRules> = {
      tools: [{ match: /crm/i, status: 'IMBOT_AGENT_ACTION_CHECKING' }, ...defaultStatusRules.tools],
    };
    statusFromStream([], rules);
    // @ts-expect-error 'dancing' is not an agent status
    statusFromStream([], { otherTool: 'dancing' });
  });
});
