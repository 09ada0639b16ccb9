// A token issuer for the API tests: serves a JWKS on loopback and mints JWTs
// with jose, the field-standard JOSE library, including the forged ones an
// attacker would try. Prints {"port": N} when it listens.
//
//   GET  /jwks            the current key set (each fetch is counted)
//   GET  /stats           {"fetches": n}
//   POST /mint            {"alg", "kid", "claims", "header"} -> the token as text
//                         alg "none": an unsigned token; alg "HS256-public": HS256
//                         keyed with the RSA public key's PEM (the algorithm
//                         confusion attack)
//   POST /rotate          replaces the RSA key by a new one -> {"kid"}
import http from 'node:http';
import * as jose from 'jose';

const issuer = process.argv[2] ?? 'https://issuer.test';
const keys = new Map();  // kid -> {privateKey, publicJwk, alg}
let fetches = 0;
let rotation = 1;

async function addKey(kid, alg, options) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true, ...options });
  const publicJwk = { ...(await jose.exportJWK(publicKey)), kid, alg, use: 'sig' };
  const pem = await jose.exportSPKI(publicKey);
  keys.set(kid, { privateKey, publicJwk, alg, pem });
}

await addKey('rsa-1', 'RS256', { modulusLength: 2048 });
await addKey('ec-1', 'ES256', {});

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function mint({ alg = 'RS256', kid = 'rsa-1', claims = {}, header = {} }) {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: issuer, aud: 'stream-transcoding', sub: 'user-1', iat: now, exp: now + 600, ...claims };
  for (const [name, value] of Object.entries(payload)) if (value === null) delete payload[name];
  if (alg === 'none') return `${b64({ alg: 'none', kid, ...header })}.${b64(payload)}.`;
  if (alg === 'HS256-public') {
    const secret = new TextEncoder().encode(keys.get('rsa-1').pem);
    return new jose.SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid, ...header }).sign(secret);
  }
  const key = keys.get(kid) ?? keys.get(alg.startsWith('ES') ? 'ec-1' : 'rsa-1');
  return new jose.SignJWT(payload).setProtectedHeader({ alg, kid, ...header }).sign(key.privateKey);
}

const server = http.createServer(async (request, response) => {
  try {
    let body = '';
    for await (const chunk of request) body += chunk;
    if (request.method === 'GET' && request.url === '/jwks') {
      fetches += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [...keys.values()].map((k) => k.publicJwk) }));
    } else if (request.method === 'GET' && request.url === '/stats') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ fetches }));
    } else if (request.method === 'POST' && request.url === '/mint') {
      const token = await mint(JSON.parse(body || '{}'));
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(token);
    } else if (request.method === 'POST' && request.url === '/rotate') {
      rotation += 1;
      const kid = `rsa-${rotation}`;
      keys.delete(`rsa-${rotation - 1}`);
      await addKey(kid, 'RS256', { modulusLength: 2048 });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ kid }));
    } else {
      response.writeHead(404);
      response.end();
    }
  } catch (error) {
    response.writeHead(500);
    response.end(String(error));
  }
});

server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
