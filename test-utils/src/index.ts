export { fail, fakeBx24, ok, type Portal, type Reply } from './fakeBx24';
export { chromiumPath, hasChromium, launchChromium } from './launchChromium';
export { makeCertificate } from './makeCertificate';
export { prng } from './prng';
export { watchUnhandled } from './watchUnhandled';
