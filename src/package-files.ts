/**
 * Files shipped beside the code (package.json, schemas/): where they are, from this module's place
 * in dist/. The netfilter command is one bundled file, dist/bin.js (scripts/bundle-bin.mjs), so a
 * path relative to any other module's own place would be wrong there: this module and that file
 * both sit at the top of dist/, where "../" is the package's root either way.
 */
export function packageFile (path: string): URL {
  return new URL(`../${path}`, import.meta.url)
}
