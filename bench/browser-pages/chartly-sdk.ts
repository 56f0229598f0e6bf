/**
 * What the chartly benchmark page loads for the SDK: `createCountly` and nothing else, bundled
 * by esbuild (IIFE, minified) as the global `ChartlySdk`. Its min+gzip size is the size the
 * browser section reports. The page driver (driver.ts) is loaded beside it, for both SDKs.
 */
export { createCountly } from '../../src/browser.js';
