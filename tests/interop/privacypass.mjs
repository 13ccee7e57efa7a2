// Independent Privacy Pass implementation for SimpleXLedger's interop tests: Cloudflare's privacypass-ts
// (with blindrsa-ts, TypeScript, sjcl big numbers and WebCrypto), not our C#/OpenSSL code.
//
//   node privacypass.mjs mint --issuer-name <name> [--key <pkcs8.pem>] [--count N]
//       Mints N (default 1) type 2 tokens for the network challenge (issuer name, empty redemption context,
//       empty origin info) with the library's own Client and Issuer. With --key it signs with that RSA key
//       (PKCS#8 PEM, as `sxl token keygen` writes); without, it generates its own RSA-2048 key.
//       Prints one JSON line: {"tokenKey": <base64url SPKI>, "challenge": <base64url>, "tokens": [<base64url>...]}.
//
//   node privacypass.mjs verify --issuer-name <name> --token-key <base64url SPKI> --token <base64url>
//       Verifies a token with the library's Origin for the network challenge; prints valid/invalid, exit 0/1.
import { webcrypto as crypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
    TOKEN_TYPES,
    TokenChallenge,
    Token,
    publicVerif,
} from '@cloudflare/privacypass-ts';

const { BlindRSAMode, Client, Issuer, Origin, getPublicKeyBytes } = publicVerif;
const BLIND_RSA = TOKEN_TYPES.BLIND_RSA;

function arg(name, required = true) {
    const i = process.argv.indexOf(`--${name}`);
    if (i < 0 || i + 1 >= process.argv.length) {
        if (required) {
            console.error(`missing --${name}`);
            process.exit(2);
        }
        return undefined;
    }
    return process.argv[i + 1];
}

const b64url = (bytes) => Buffer.from(bytes).toString('base64url') + '='.repeat((3 - (bytes.length % 3)) % 3);
const fromB64url = (text) => new Uint8Array(Buffer.from(text.replace(/=+$/, ''), 'base64url'));

// Network challenge: type 2, issuer name, empty redemption context, no origin info.
const networkChallenge = (issuerName) => new TokenChallenge(BLIND_RSA.value, issuerName, new Uint8Array(0), undefined);

async function loadKeyPair(pemPath) {
    const params = { name: 'RSA-PSS', hash: 'SHA-384' };
    if (!pemPath) {
        return Issuer.generateKey(BlindRSAMode.PSS, { modulusLength: 2048, publicExponent: Uint8Array.from([1, 0, 1]) });
    }
    const pem = readFileSync(pemPath, 'utf8');
    const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '');
    const privateKey = await crypto.subtle.importKey('pkcs8', Buffer.from(body, 'base64'), params, true, ['sign']);
    const jwk = await crypto.subtle.exportKey('jwk', privateKey);
    const publicKey = await crypto.subtle.importKey('jwk', { kty: 'RSA', n: jwk.n, e: jwk.e, alg: 'PS384', ext: true }, params, true, ['verify']);
    return { privateKey, publicKey };
}

async function mint() {
    const issuerName = arg('issuer-name');
    const count = Number(arg('count', false) ?? '1');
    const { privateKey, publicKey } = await loadKeyPair(arg('key', false));
    const issuer = new Issuer(BlindRSAMode.PSS, issuerName, privateKey, publicKey);
    const spki = await getPublicKeyBytes(publicKey);
    const challenge = networkChallenge(issuerName);
    const origin = new Origin(BlindRSAMode.PSS);
    const tokens = [];
    for (let i = 0; i < count; i++) {
        const client = new Client(BlindRSAMode.PSS);
        const request = await client.createTokenRequest(challenge, spki);
        const response = await issuer.issue(request);
        const token = await client.finalize(response);
        if (!(await origin.verify(token, publicKey))) {
            throw new Error('privacypass-ts refused its own token');
        }
        tokens.push(b64url(token.serialize()));
    }
    console.log(JSON.stringify({ tokenKey: b64url(spki), challenge: b64url(challenge.serialize()), tokens }));
}

async function verify() {
    const issuerName = arg('issuer-name');
    const spki = fromB64url(arg('token-key'));
    const token = Token.deserialize(BLIND_RSA, fromB64url(arg('token')));
    const publicKey = await crypto.subtle.importKey('spki', publicVerif.convertRSASSAPSSToEnc(spki), { name: 'RSA-PSS', hash: 'SHA-384' }, true, ['verify']);
    const challenge = networkChallenge(issuerName);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', challenge.serialize()));
    const keyId = new Uint8Array(await crypto.subtle.digest('SHA-256', spki));
    const ok = Buffer.from(token.authInput.challengeDigest).equals(Buffer.from(digest))
        && Buffer.from(token.authInput.tokenKeyId).equals(Buffer.from(keyId))
        && await new Origin(BlindRSAMode.PSS).verify(token, publicKey);
    console.log(ok ? 'valid' : 'invalid');
    process.exit(ok ? 0 : 1);
}

const command = process.argv[2];
if (command === 'mint') {
    await mint();
} else if (command === 'verify') {
    await verify();
} else {
    console.error('usage: node privacypass.mjs mint|verify ...');
    process.exit(2);
}
