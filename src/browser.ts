/** chartly for browsers: everything in `chartly` (IndexedDB, localStorage and the browser platform are there too). */
export * from './index.js';
