import { describe, expect, it } from 'vitest';
import { AGENT_STATUS_CODES, isAgentStatus, statusMessageCode } from './AgentStatus';
import { B24InputError } from './B24InputError';

/** The 11 documented codes (reference §2), listed independently of AGENT_STATUS_CODES. */
const DOCUMENTED = [
  'IMBOT_AGENT_ACTION_THINKING',
  'IMBOT_AGENT_ACTION_SEARCHING',
  'IMBOT_AGENT_ACTION_GENERATING',
  'IMBOT_AGENT_ACTION_ANALYZING',
  'IMBOT_AGENT_ACTION_PROCESSING',
  'IMBOT_AGENT_ACTION_TRANSLATING',
  'IMBOT_AGENT_ACTION_CONNECTING',
  'IMBOT_AGENT_ACTION_CHECKING',
  'IMBOT_AGENT_ACTION_CALCULATING',
  'IMBOT_AGENT_ACTION_READING_DOCS',
  'IMBOT_AGENT_ACTION_COMPOSING',
];

describe('statusMessageCode', () => {
  it('maps the eleven friendly names one-to-one onto the documented codes', () => {
    expect(Object.values(AGENT_STATUS_CODES).sort()).toEqual([...DOCUMENTED].sort());
    expect(statusMessageCode('thinking')).toBe('IMBOT_AGENT_ACTION_THINKING');
    expect(statusMessageCode('readingDocs')).toBe('IMBOT_AGENT_ACTION_READING_DOCS');
    expect(statusMessageCode('composing')).toBe('IMBOT_AGENT_ACTION_COMPOSING');
  });

  it('sends no code for plain typing', () => {
    expect(statusMessageCode('typing')).toBeUndefined();
  });

  it.each(DOCUMENTED)('passes the raw code %s through', (code) => {
    expect(statusMessageCode(code)).toBe(code);
  });

  it('passes other raw IMBOT_ codes through (portals may register more)', () => {
    expect(statusMessageCode('IMBOT_COPILOT_INPUT_ACTION_THINKING')).toBe('IMBOT_COPILOT_INPUT_ACTION_THINKING');
  });

  it.each([
    'Thinking',
    'reading_docs',
    'IMBOT_',
    'IMBOT_lower',
    'imbot_agent_action_thinking',
    '',
    'toString',
    5,
    null,
  ])('rejects %j with a typed error', (value) => {
    expect(() => statusMessageCode(value)).toThrow(B24InputError);
    expect(() => statusMessageCode(value)).toThrow(/^Invalid status: must be "typing", one of thinking, /);
    expect(isAgentStatus(value)).toBe(false);
  });

  it('recognises valid statuses', () => {
    expect(isAgentStatus('typing')).toBe(true);
    expect(isAgentStatus('IMBOT_X')).toBe(true);
  });
});
