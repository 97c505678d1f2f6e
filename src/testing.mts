// The ESM entry of `sockctl/testing`: re-exports the CommonJS build, as index.mts does.
export * from './testing.js';
