// An independent verifier of Portcullis' EdDSA access tokens (issue #15): this script reads the
// service's /.well-known/jwks.json and verifies each token given on the command line against it
// with `jose` (panva), EdDSA only. Prints one JSON line per token with its protected header and
// payload; exits 1 at the first token that does not verify, or when the set shows private material.
//   node jwks_verify.mjs <tools-dir> <base-url> TOKEN...
// <tools-dir> is where this folder's package-lock.json was installed (.cache/npm/test-tools).
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [tools, base, ...tokens] = process.argv.slice(2);
if (!tools || !base || tokens.length === 0) {
    console.error('usage: node jwks_verify.mjs <tools-dir> <base-url> TOKEN...');
    process.exit(2);
}
const { createLocalJWKSet, jwtVerify } = createRequire(join(tools, 'package.json'))('jose');
const response = await fetch(`${base}/.well-known/jwks.json`);
if (response.status !== 200) {
    console.error(`GET /.well-known/jwks.json answered ${response.status}`);
    process.exit(1);
}
const jwks = await response.json();
for (const key of jwks.keys) {
    if ('d' in key) {
        console.error(`the JWKS publishes private material for kid ${key.kid}`);
        process.exit(1);
    }
}
const keySet = createLocalJWKSet(jwks);
for (const token of tokens) {
    try {
        const { payload, protectedHeader } = await jwtVerify(token, keySet, { algorithms: ['EdDSA'] });
        console.log(JSON.stringify({ protectedHeader, payload }));
    } catch (error) {
        console.error(`token refused: ${error.code ?? ''} ${error.message}`);
        process.exit(1);
    }
}
