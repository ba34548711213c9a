import { B24InputError } from '@b24-typing/core';

const METHOD = /^[A-Za-z][\w.]*$/;

/** Checks one REST call's shape, so a typo fails at once instead of as a portal 400 after a round trip. */
export function checkCall(method: unknown, params: unknown, at = ''): void {
  if (typeof method !== 'string' || !METHOD.test(method)) {
    throw new B24InputError(`${at}method`, 'a REST method name such as "im.dialog.writing"');
  }
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new B24InputError(`${at}params`, 'an object');
  }
}
