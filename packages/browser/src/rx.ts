/**
 * The RxJS values of this package, imported from here rather than from `rxjs` in each module, because a bundler
 * keeps one `import … from "rxjs"` statement (with its own local names) per module that imports the external
 * package. Only what the DOM sources and bindTyping use: a bundler keeps every name listed here in the statement,
 * used or not. Types come from `rxjs` directly.
 */
export { filter, fromEvent, merge, Observable } from 'rxjs';
