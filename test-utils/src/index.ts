export { chromiumPath, hasChromium, launchChromium } from './launchChromium';
export { makeCertificate } from './makeCertificate';
export { prng } from './prng';
export { watchUnhandled } from './watchUnhandled';
