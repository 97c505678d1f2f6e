declare module 'node-gyp-build' {
  /** Loads the addon for `dir` (a local build/ first, then prebuilds/); unknown shape. */
  function load(dir: string): unknown;
  namespace load {
    /**
     * The path load() would require; throws when no binary fits. With PREBUILDS_ONLY set it
     * skips build/ and looks only in prebuilds/.
     */
    function resolve(dir: string): string;
  }
  export = load;
}
