export { B24Error, isB24Error } from './B24Error';
export type { B24ErrorOptions, ErrorKind } from './B24Error';
export { classifyError, ERROR_KINDS } from './classifyError';
export type { BatchItemResult, Transport, TransportCall, TransportCallOptions } from './Transport';
