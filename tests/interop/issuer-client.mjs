// An independent RFC 9578 client (Cloudflare's privacypass-ts, not our code) getting type 2 tokens from a
// SimpleXLedger issuer over HTTP, paying with a gift card.
//
//   SXL_CARD=<card code> node issuer-client.mjs --issuer <base URL> --issuer-name <name> --count N
//
// Reads the issuer directory, then makes N token requests for the network challenge, each POSTed with
// "Authorization: GiftCard <code>" by the library's own sendTokenRequest, finalized and verified by the
// library. The first request is sent twice: the issuer must answer it with the same bytes (no second debit).
// Prints one JSON line: {"issued": n, "refused": [<http status>...], "repeatedSame": bool, "tokenKey": ..., "tokens": [...]}.
import { webcrypto as crypto } from 'node:crypto';
import {
    MediaType,
    PRIVATE_TOKEN_ISSUER_DIRECTORY,
    TOKEN_TYPES,
    TokenChallenge,
    publicVerif,
    sendTokenRequest,
} from '@cloudflare/privacypass-ts';

const { BlindRSAMode, Client, Origin } = publicVerif;
const BLIND_RSA = TOKEN_TYPES.BLIND_RSA;

function arg(name) {
    const i = process.argv.indexOf(`--${name}`);
    if (i < 0 || i + 1 >= process.argv.length) {
        console.error(`missing --${name}`);
        process.exit(2);
    }
    return process.argv[i + 1];
}

const b64url = (bytes) => Buffer.from(bytes).toString('base64url') + '='.repeat((3 - (bytes.length % 3)) % 3);
const fromB64url = (text) => new Uint8Array(Buffer.from(text.replace(/=+$/, ''), 'base64url'));

const base = arg('issuer');
const issuerName = arg('issuer-name');
const count = Number(arg('count'));
const card = process.env.SXL_CARD;
if (!card) {
    console.error('SXL_CARD is not set');
    process.exit(2);
}

const directoryResponse = await fetch(new URL(PRIVATE_TOKEN_ISSUER_DIRECTORY, base));
if (directoryResponse.headers.get('Content-Type') !== MediaType.PRIVATE_TOKEN_ISSUER_DIRECTORY) {
    throw new Error(`directory media type: ${directoryResponse.headers.get('Content-Type')}`);
}
const directory = await directoryResponse.json();
const keys = directory['token-keys'].filter((k) => k['token-type'] === BLIND_RSA.value);
if (keys.length !== 1) {
    throw new Error(`expected exactly one type 2 key, got ${keys.length}`);
}
const spki = fromB64url(keys[0]['token-key']);
const requestUri = new URL(directory['issuer-request-uri'], base);
const publicKey = await crypto.subtle.importKey('spki', publicVerif.convertRSASSAPSSToEnc(spki), { name: 'RSA-PSS', hash: 'SHA-384' }, true, ['verify']);
const challenge = new TokenChallenge(BLIND_RSA.value, issuerName, new Uint8Array(0), undefined);
const origin = new Origin(BlindRSAMode.PSS);
const headers = () => new Headers({ Authorization: `GiftCard ${card}` });

const tokens = [];
const refused = [];
let repeatedSame = null;
for (let i = 0; i < count; i++) {
    const client = new Client(BlindRSAMode.PSS);
    const request = (await client.createTokenRequest(challenge, spki)).serialize();
    let responseBytes;
    try {
        responseBytes = await sendTokenRequest(request, requestUri, headers());
    } catch (e) {
        const status = /code:(\d+)/.exec(String(e.message));
        refused.push(status ? Number(status[1]) : String(e.message));
        continue;
    }
    if (i === 0) {
        const again = await sendTokenRequest(request, requestUri, headers());
        repeatedSame = Buffer.from(again).equals(Buffer.from(responseBytes));
    }
    const token = await client.finalize(client.deserializeTokenResponse(responseBytes));
    if (!(await origin.verify(token, publicKey))) {
        throw new Error('privacypass-ts refused a token from the issuer');
    }
    tokens.push(b64url(token.serialize()));
}

console.log(JSON.stringify({ issued: tokens.length, refused, repeatedSame, tokenKey: b64url(spki), tokens }));
