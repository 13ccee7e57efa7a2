// Compiles contracts/src/**/*.sol with solc-js through its standard-JSON interface and writes one
// artifact per deployable contract to contracts/out/<Name>.json ({ contractName, abi, bytecode,
// deployedBytecode }). Settings are fixed so the same sources always give the same bytes; the C#
// project embeds these files. Fails when a contract's runtime code exceeds the EIP-170 limit.
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const solc = require('solc');

const root = dirname(fileURLToPath(import.meta.url));
const srcDir = join(root, 'src');
const outDir = join(root, 'out');

// The contracts that get an artifact (libraries and interfaces are compiled in, not shipped).
// TokenVerifierHarness (src/test/) exposes the crypto/ libraries to the tests; it is not deployed on a chain.
const DEPLOYABLE = ['SxlLedger', 'SxlKeyRegistry', 'TestStablecoin', 'TokenVerifierHarness', 'SxlLedgerV2', 'SxlKeyRegistryV2', 'SxlEpochJudge'];
const CODE_SIZE_LIMIT = 24576; // EIP-170: production chains refuse larger runtime code.

// Every .sol under src/, subdirectories (crypto/, test/) included, named by its path from contracts/.
const sources = {};
for (const file of readdirSync(srcDir, { recursive: true }).map(String).filter(f => f.endsWith('.sol')).sort()) {
    const name = `src/${file.split(/[\\/]/).join('/')}`;
    sources[name] = { content: readFileSync(join(srcDir, file), 'utf8') };
}

const input = {
    language: 'Solidity',
    sources,
    settings: {
        evmVersion: 'cancun',
        optimizer: { enabled: true, runs: 200 },
        metadata: { bytecodeHash: 'none', appendCBOR: false },
        outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
};

function findImports(path) {
    for (const base of [root, join(root, 'node_modules')]) {
        const candidate = resolve(base, path);
        if (existsSync(candidate)) {
            return { contents: readFileSync(candidate, 'utf8') };
        }
    }
    return { error: `import not found: ${path}` };
}

const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (output.errors ?? []).filter(e => e.severity === 'error');
for (const e of output.errors ?? []) {
    // OpenZeppelin's own notes (its transient-storage reentrancy guard) are not ours to fix.
    const file = e.sourceLocation?.file ?? '';
    if (e.severity !== 'error' && file.startsWith('@openzeppelin/')) continue;
    console.error(e.formattedMessage ?? e.message);
}
if (errors.length > 0) {
    process.exit(1);
}

mkdirSync(outDir, { recursive: true });
let failed = false;
for (const name of DEPLOYABLE) {
    const entry = Object.entries(output.contracts).map(([, c]) => c[name]).find(Boolean);
    if (!entry) {
        console.error(`contract ${name} not found in the compiler output`);
        failed = true;
        continue;
    }
    const runtimeSize = entry.evm.deployedBytecode.object.length / 2;
    if (runtimeSize > CODE_SIZE_LIMIT) {
        console.error(`${name}: runtime code is ${runtimeSize} bytes, over the ${CODE_SIZE_LIMIT}-byte limit`);
        failed = true;
    }
    const artifact = {
        contractName: name,
        compiler: `solc ${solc.version()}`,
        abi: entry.abi,
        bytecode: `0x${entry.evm.bytecode.object}`,
        deployedBytecode: `0x${entry.evm.deployedBytecode.object}`,
    };
    writeFileSync(join(outDir, `${name}.json`), JSON.stringify(artifact, null, 2) + '\n');
    console.log(`${name}: ${runtimeSize} bytes of runtime code`);
}
process.exit(failed ? 1 : 0);
