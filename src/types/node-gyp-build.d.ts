declare module 'node-gyp-build' {
  /** Loads the addon for `dir` (prebuilds/ first when no local build exists); unknown shape. */
  function load(dir: string): unknown;
  export = load;
}
