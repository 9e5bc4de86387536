// Writes the `local` chain spec with the previous release's runtime as its genesis code: the
// starting point of `upgrade.zndsl`. The genesis patch is this release's (`chain-specs/local.json`,
// whose presets runtime 107 shares); only the code differs.
// Usage: node scripts/previous-spec.js OUT.json
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', '..');
const previous = path.join(__dirname, '..', 'upgrade', 'uranus_runtime-107.compact.compressed.wasm');
const spec = JSON.parse(fs.readFileSync(path.join(root, 'chain-specs', 'local.json'), 'utf8'));
spec.genesis.runtimeGenesis.code = `0x${fs.readFileSync(previous).toString('hex')}`;
fs.writeFileSync(process.argv[2], JSON.stringify(spec, null, 2));
