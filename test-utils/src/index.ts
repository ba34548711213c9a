export { chromiumPath, hasChromium, launchChromium } from './launchChromium';
export { makeCertificate } from './makeCertificate';
