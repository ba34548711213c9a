/** What a getter that loads a credential quotes in its error: no error of a transport may show it. */
export const UNREADABLE_SECRET = 'secret-bot-token';

const throwing = (): never => {
  throw new Error(`could not load ${UNREADABLE_SECRET}`);
};

const fine = { method: 'im.dialog.writing', params: { DIALOG_ID: 'chat1' } };
const methodRule = 'a REST method name such as "im.dialog.writing"';

/**
 * Batches whose second call cannot be read — its `method` or `params` getter throws, a Proxy's trap does, or the calls
 * array's own index does — each with the field and rule core's checkBatch refuses it by (a value its getter did not give
 * is missing; an index that throws, a missing call). Shared by both transports' tests: each must refuse them alike.
 */
export function unreadableBatches(): [calls: unknown[], field: string, rule: string][] {
  return [
    [
      [
        fine,
        {
          params: {},
          get method() {
            return throwing();
          },
        },
      ],
      'calls[1].method',
      methodRule,
    ],
    [
      [
        fine,
        {
          method: 'im.dialog.writing',
          get params() {
            return throwing();
          },
        },
      ],
      'calls[1].params',
      'a plain object',
    ],
    [[fine, new Proxy({}, { get: throwing })], 'calls[1].method', methodRule],
    [
      new Proxy([fine, fine], {
        get: (target, key, receiver) => (key === '1' ? throwing() : Reflect.get(target, key, receiver)),
      }),
      'calls[1].method',
      methodRule,
    ],
  ];
}
