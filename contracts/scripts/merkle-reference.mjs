// Reference payout trees from OpenZeppelin's own library, for the C# tree's compatibility test.
// stdin: [{ "leaves": [[epoch, payee, amount], ...] }, ...]  (numbers as decimal strings)
// stdout: [{ "root": "0x…", "entries": [{ "leaf": [...], "hash": "0x…", "proof": ["0x…", ...] }, ...] }, ...]
import { readFileSync } from 'node:fs';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';

const cases = JSON.parse(readFileSync(0, 'utf8'));
const out = cases.map(({ leaves }) => {
    const tree = StandardMerkleTree.of(leaves, ['uint64', 'address', 'uint256']);
    const entries = [];
    for (const [i, leaf] of tree.entries()) {
        entries.push({ leaf, hash: tree.leafHash(leaf), proof: tree.getProof(i) });
    }
    return { root: tree.root, entries };
});
process.stdout.write(JSON.stringify(out));
