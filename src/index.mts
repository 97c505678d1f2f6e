// The ESM entry: re-exports the CommonJS build, so `import` and `require` share one loaded addon
// and one set of classes (no dual-package hazard).
export * from './index.js';
