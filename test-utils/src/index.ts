export { chromiumPath, hasChromium, launchChromium } from './launchChromium';
export { makeCertificate } from './makeCertificate';
export { watchUnhandled } from './watchUnhandled';
