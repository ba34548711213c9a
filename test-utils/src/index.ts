export { chromiumPath, hasChromium, launchChromium } from './launchChromium';
