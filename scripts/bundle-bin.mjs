// The netfilter command as one file: dist/bin.js (tsc's output, its 39 modules loaded one by one)
// is replaced by a bundle of itself and everything it imports. Node loads ES modules file by file
// (resolve, read, compile, link each), and that cost about 40 ms of every start on the bench
// machine: a start-up that rsyslog's omprog and the auditd plugin pay at each restart, and that
// --version must keep within 1.5x of a bare node. The library (dist/index.js and the rest) stays as
// tsc wrote it.
//
// Run by `npm run build` and `make build`, after tsc.
import { build } from 'esbuild'
import { rmSync } from 'node:fs'

const root = new URL('../', import.meta.url).pathname
const bin = `${root}dist/bin.js`

await build({
  entryPoints: [bin],
  outfile: bin,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Packages bundled from CommonJS call require() for Node's own modules (the forward client's
  // crypto, net, …), which an ES module has no binding for: this gives them one.
  banner: { js: "import { createRequire as netfilterCreateRequire } from 'node:module'; const require = netfilterCreateRequire(import.meta.url);" },
  // The bundle replaces the file the map was made for.
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning'
})
rmSync(`${bin}.map`, { force: true })
