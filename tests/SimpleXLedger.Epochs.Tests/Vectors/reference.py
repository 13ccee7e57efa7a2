#!/usr/bin/env python3
"""An independent reference for docs/ledger-v2.md §4-§5.8, written from the document alone (pure Python, no
dependencies): it computes the known-answer vectors in epoch-v1.json that the C# library (EpochVectorTests) and the
v2 settlement contract's tests both check. Not run by the tests; run it to regenerate: python3 reference.py > epoch-v1.json"""
import json

RC = [0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000, 0x000000000000808B,
      0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008A, 0x0000000000000088,
      0x0000000080008009, 0x000000008000000A, 0x000000008000808B, 0x800000000000008B, 0x8000000000008089,
      0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
      0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008]
ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]
M64 = (1 << 64) - 1


def rol(x, n):
    return ((x << n) | (x >> (64 - n))) & M64 if n else x


def keccak_f(a):
    for rc in RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = rol(a[x][y], ROT[x][y])
        a = [[b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y]) for y in range(5)] for x in range(5)]
        a[0][0] ^= rc
    return a


def keccak256(data: bytes) -> bytes:
    rate = 136
    padded = bytearray(data) + b"\x01" + b"\x00" * ((-len(data) - 1) % rate)
    padded[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(padded), rate):
        block = padded[off:off + rate]
        for i in range(rate // 8):
            x, y = i % 5, i // 5
            a[x][y] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        a = keccak_f(a)
    return b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))


assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
assert keccak256(b"abc").hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"

Z = bytes(32)


def depth(n):
    return 0 if n <= 1 else (n - 1).bit_length()


def tree_levels(tag, leaves):
    """Position-indexed tree (§4): pad to 2^d with the zero hash; returns every level of the full tree."""
    if not leaves:
        return [[Z]]
    level = leaves + [Z] * ((1 << depth(len(leaves))) - len(leaves))
    levels = [level]
    while len(level) > 1:
        level = [keccak256(bytes([tag]) + level[2 * j] + level[2 * j + 1]) for j in range(len(level) // 2)]
        levels.append(level)
    return levels


def proof(levels, i):
    out = []
    for level in levels[:-1]:
        out.append(level[i ^ 1])
        i >>= 1
    return out


def multiproof(levels, positions):
    """§7.1: the siblings a verifier cannot compute, level by level bottom-up, by increasing index within a level."""
    out, known = [], list(positions)
    for level in levels[:-1]:
        parents, i = [], 0
        while i < len(known):
            idx = known[i]
            if idx % 2 == 0 and i + 1 < len(known) and known[i + 1] == idx + 1:
                i += 1
            else:
                out.append(level[idx ^ 1])
            parents.append(idx >> 1)
            i += 1
        known = parents
    return out


def sum_levels(leaves):
    """Merkle-sum tree (§5.4): (hash, sum) pairs, padding (zero, 0)."""
    level = leaves + [(Z, 0)] * ((1 << depth(len(leaves))) - len(leaves))
    levels = [level]
    while len(level) > 1:
        nxt = []
        for j in range(len(level) // 2):
            (hl, sl), (hr, sr) = level[2 * j], level[2 * j + 1]
            nxt.append((keccak256(b"\x21" + hl + sl.to_bytes(16, "big") + hr + sr.to_bytes(16, "big")), sl + sr))
        level = nxt
        levels.append(level)
    return levels


def address(n):
    return n.to_bytes(20, "big")


KEY_A, KEY_B = b"\x11" * 32, b"\x22" * 32
KEY_INDEX = {KEY_A: 3, KEY_B: 1}
LEDGER = bytes.fromhex("5FbDB2315678afecb367f032d93F642f64180aa3")
FEE_RECIPIENT = bytes.fromhex("90F79bf6EB2c4f870365E785982E1f101E93b906")
CHAIN_ID, EPOCH, ROUND, FEE_PER_CREDIT, EPOCH_RATE = 31337, 7, 0, 500, 2000

# (kind, payee, keyId, nonce, authenticator, ref), in the order they are added (TestData.VectorBuilder).
REDEMPTIONS = [
    (1, address(2), KEY_A, b"\x01" * 32, b"\xa1" * 256, Z),
    (1, address(1), KEY_B, b"\x03" * 32, b"\xa2" * 256, Z),
    (1, address(1), KEY_A, b"\x02" * 32, b"\xa3" * 256, Z),
    (2, bytes(20), KEY_A, b"\x04" * 32, b"\xa4" * 256, b"\x55" * 32),
    (1, address(2), KEY_B, b"\x05" * 32, b"\xa5" * 256, Z),
]

entries = sorted(REDEMPTIONS, key=lambda r: (r[1], r[2], r[3]))  # §5.1 order: payee, keyId, nonce as bytes
n = len(entries)
r = sum(1 for e in entries if e[1] == bytes(20))
counts, leaves = {}, []
for kind, payee, key, nonce, auth, ref in entries:
    ordinal = counts.get(key, 0)
    counts[key] = ordinal + 1
    leaf = b"\x10" + bytes([kind]) + payee + key + nonce + ordinal.to_bytes(4, "big") + ref + auth
    assert len(leaf) == 378
    leaves.append(leaf)
key_counts = b"".join(KEY_INDEX[k].to_bytes(2, "big") + c.to_bytes(4, "big") for k, c in sorted(counts.items(), key=lambda kv: KEY_INDEX[kv[0]]))

payouts = [(bytes(20), 0, 0, r)]
start = r
while start < n:
    payee = entries[start][1]
    end = start
    while end < n and entries[end][1] == payee:
        end += 1
    payouts.append((payee, EPOCH_RATE * (end - start), start, end - start))
    start = end
payouts.append((FEE_RECIPIENT, FEE_PER_CREDIT * (n - r), n, 0))
payout_bytes = [b"\x20" + p + a.to_bytes(16, "big") + s.to_bytes(4, "big") + c.to_bytes(4, "big") for p, a, s, c in payouts]
total = (n - r) * (EPOCH_RATE + FEE_PER_CREDIT)

token_levels = tree_levels(0x11, [keccak256(l) for l in leaves])
payout_levels = sum_levels([(keccak256(b), p[1]) for b, p in zip(payout_bytes, payouts)])
assert payout_levels[-1][0][1] == total
header = (b"\x30\x01" + CHAIN_ID.to_bytes(8, "big") + LEDGER + EPOCH.to_bytes(8, "big") + bytes([ROUND])
          + token_levels[-1][0] + n.to_bytes(4, "big") + r.to_bytes(4, "big") + payout_levels[-1][0][0]
          + len(payouts).to_bytes(4, "big") + total.to_bytes(16, "big") + EPOCH_RATE.to_bytes(16, "big") + keccak256(key_counts))
assert len(header) == 179

receipt_tokens = [(KEY_A, b"\x01" * 32), (KEY_B, b"\x02" * 32), (KEY_A, b"\x03" * 32)]
receipt_levels = tree_levels(0x61, [keccak256(b"\x60" + k + nn) for k, nn in receipt_tokens])


def hx(b):
    return "0x" + b.hex()


print(json.dumps({
    "description": "docs/ledger-v2.md §5 known-answer vectors (tests/SimpleXLedger.Epochs.Tests/Vectors/reference.py)",
    "inputs": {
        "chainId": CHAIN_ID, "ledger": hx(LEDGER), "epoch": EPOCH, "round": ROUND, "feeRecipient": hx(FEE_RECIPIENT),
        "feePerCredit": FEE_PER_CREDIT, "epochRate": EPOCH_RATE,
        "keys": [{"keyId": hx(k), "index": i} for k, i in KEY_INDEX.items()],
        "redemptions": [{"kind": k, "payee": hx(p), "keyId": hx(key), "nonce": hx(nn), "authenticator": hx(a), "ref": hx(rf)}
                        for k, p, key, nn, a, rf in REDEMPTIONS],
    },
    "tokenLeaves": [hx(l) for l in leaves],
    "tokenLeafHashes": [hx(keccak256(l)) for l in leaves],
    "tokenRoot": hx(token_levels[-1][0]),
    "tokenProofs": [[hx(s) for s in proof(token_levels, i)] for i in range(n)],
    "keyCounts": hx(key_counts),
    "keyCountsHash": hx(keccak256(key_counts)),
    "payoutLeaves": [hx(b) for b in payout_bytes],
    "payoutRoot": hx(payout_levels[-1][0][0]),
    "payoutRootSum": payout_levels[-1][0][1],
    "payoutProofs": [[{"hash": hx(h), "sum": s} for h, s in proof(payout_levels, i)] for i in range(len(payouts))],
    "tokenMultiproof": {"positions": [1, 2, 4], "proof": [hx(h) for h in multiproof(token_levels, [1, 2, 4])]},
    "payoutMultiproof": {"positions": [0, 3], "proof": [{"hash": hx(h), "sum": s} for h, s in multiproof(payout_levels, [0, 3])]},
    "header": hx(header),
    "commitment": hx(keccak256(header)),
    "receiptBatch": {"tokens": [{"keyId": hx(k), "nonce": hx(nn)} for k, nn in receipt_tokens], "batchId": hx(receipt_levels[-1][0])},
    "emptyKeyCountsHash": hx(keccak256(b"")),
}, indent=2))
