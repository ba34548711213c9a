import { describe, expectTypeOf, it } from 'vitest';
import type { AgentStatus } from './AgentStatus';
import { AGENT_STATUS_CODES, isAgentStatus, statusMessageCode } from './AgentStatus';

describe('AgentStatus', () => {
  it('accepts typing, the eleven friendly names and raw IMBOT_ codes', () => {
    expectTypeOf<'typing'>().toExtend<AgentStatus>();
    expectTypeOf<'thinking'>().toExtend<AgentStatus>();
    expectTypeOf<'readingDocs'>().toExtend<AgentStatus>();
    expectTypeOf<'IMBOT_AGENT_ACTION_THINKING'>().toExtend<AgentStatus>();
    expectTypeOf<'IMBOT_COPILOT_INPUT_ACTION_THINKING'>().toExtend<AgentStatus>();
    expectTypeOf<keyof typeof AGENT_STATUS_CODES>().toExtend<AgentStatus>();
  });

  it('rejects other strings', () => {
    expectTypeOf<'sleeping'>().not.toExtend<AgentStatus>();
    expectTypeOf<'Thinking'>().not.toExtend<AgentStatus>();
    expectTypeOf<'reading_docs'>().not.toExtend<AgentStatus>();
    expectTypeOf<'imbot_agent_action_thinking'>().not.toExtend<AgentStatus>();
    expectTypeOf<string>().not.toExtend<AgentStatus>();
  });

  it('maps friendly names to literal codes', () => {
    expectTypeOf(AGENT_STATUS_CODES.readingDocs).toEqualTypeOf<'IMBOT_AGENT_ACTION_READING_DOCS'>();
    expectTypeOf(statusMessageCode).returns.toEqualTypeOf<string | undefined>();
    const value: unknown = 'thinking';
    if (isAgentStatus(value)) expectTypeOf(value).toEqualTypeOf<AgentStatus>();
  });
});
