/** A 1 x 1 PNG, base64 as a caller sends it (an avatar, a bot's `PERSONAL_PHOTO`). */
export const TINY_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
