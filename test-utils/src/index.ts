export { launchChromium } from './launchChromium';
