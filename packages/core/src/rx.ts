/**
 * The RxJS values of `createTypingIndicators`' modules, which a browser composer bundles: imported from here rather
 * than from `rxjs` in each module, because a bundler keeps one `import … from "rxjs"` statement (with its own local
 * names) per module that imports the external package. Only what those modules use: a bundler keeps every name
 * listed here in the statement, used or not. Types, and the rest of core's values, come from `rxjs` directly.
 */
export { asyncScheduler, isObservable, Observable, Subject } from 'rxjs';
