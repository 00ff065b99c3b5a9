// What oauth/ signs, checked by an independent JOSE library (jose): client
// assertions (private_key_jwt) with ES256, RS256 and EdDSA keys in PKCS#8 and
// traditional PEM, verified as the conformance suite's AS verifies them; DPoP
// proofs verified against their embedded JWK, with ath and the RFC 7638
// thumbprint; DPoP keys exported by the bridge read by jose and the other way.
// The C side is tests/tools/jwt_tool, built beside the bridge binary.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, exportJWK, generateKeyPair, importJWK, jwtVerify,
} from 'jose';

const bridge = process.env.MCP_BRIDGE_BIN;
const tool = bridge ? join(dirname(bridge), 'tests', 'jwt_tool') : '';
let dir;

function run(...args) {
  return execFileSync(tool, args, { encoding: 'utf8' }).trim();
}

function keyFile(name, pem, mode = 0o600) {
  const path = join(dir, name);
  writeFileSync(path, pem, { mode });
  return path;
}

describe('JWS from oauth/ verified by jose', () => {
  before(() => {
    assert.ok(bridge, 'MCP_BRIDGE_BIN must name the bridge binary');
    assert.ok(existsSync(tool), `${tool} is missing: build the jwt_tool target`);
    dir = mkdtempSync(join(tmpdir(), 'jwt-jose-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const keys = [
    ['ES256', 'pkcs8', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['ES256', 'sec1', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['RS256', 'pkcs8', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['RS256', 'pkcs1', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['EdDSA', 'pkcs8', () => generateKeyPairSync('ed25519')],
  ];
  for (const [alg, format, make] of keys) {
    test(`client assertion, ${alg} key in ${format} PEM`, async () => {
      const { publicKey, privateKey } = make();
      const file = keyFile(`${alg}-${format}.pem`, privateKey.export({ type: format, format: 'pem' }));
      const issuer = 'http://127.0.0.1:4000';
      const jwt = run('assertion', file, 'client-42', issuer);
      assert.equal(decodeProtectedHeader(jwt).alg, alg);
      // As the conformance AS of auth/client-credentials-jwt checks it.
      const { payload } = await jwtVerify(jwt, publicKey, { audience: [issuer, `${issuer}/`], clockTolerance: 30 });
      assert.equal(payload.iss, 'client-42');
      assert.equal(payload.sub, 'client-42');
      assert.equal(payload.aud, issuer);
      assert.equal(payload.exp - payload.iat, 60);
      assert.ok(payload.jti.length >= 22);
      assert.notEqual(run('assertion', file, 'client-42', issuer).split('.')[1], jwt.split('.')[1]);
    });
  }

  test('Ed25519 under its fully-specified name when the AS lists only that', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const file = keyFile('ed.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const jwt = run('assertion', file, 'c', 'https://as.example', '["Ed25519","RS256"]');
    assert.equal(decodeProtectedHeader(jwt).alg, 'Ed25519');
    await jwtVerify(jwt, publicKey, { algorithms: ['Ed25519'], audience: 'https://as.example' });
  });

  test('a key file others can read, and an AS without a usable alg, are refused with a sentence', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
    const open = keyFile('open.pem', pem, 0o644);
    let r = spawnSync(tool, ['assertion', open, 'c', 'https://as'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /too open/);
    assert.ok(r.stderr.includes(`chmod 600 ${open}`), r.stderr);
    const ok = keyFile('ok.pem', pem);
    r = spawnSync(tool, ['assertion', ok, 'c', 'https://as', '["RS256","PS256"]'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /token_endpoint_auth_signing_alg_values_supported/);
  });

  test('DPoP proof with ath and nonce, key made by jose', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(privateKey);
    const file = keyFile('dpop.json', JSON.stringify(jwk));
    const token = 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU';
    const [proof, jkt] = run('dpop', file, 'POST', 'https://rs.example/mcp?x=1#f', token, 'nonce-1').split('\n');
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] });
    assert.equal(protectedHeader.jwk.d, undefined);
    assert.equal(protectedHeader.jwk.x, jwk.x);
    assert.equal(payload.htm, 'POST');
    assert.equal(payload.htu, 'https://rs.example/mcp');
    assert.equal(payload.nonce, 'nonce-1');
    assert.equal(payload.ath, createHash('sha256').update(token).digest('base64url'));
    assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 60);
    assert.equal(jkt, await calculateJwkThumbprint(protectedHeader.jwk, 'sha256'));
    assert.equal(jkt, await calculateJwkThumbprint(jwk, 'sha256'));
  });

  test('DPoP key exported by the bridge is a private JWK jose can use', async () => {
    const text = run('dpop-key');
    const jwk = JSON.parse(text);
    assert.deepEqual(Object.keys(jwk).sort(), ['crv', 'd', 'kty', 'x', 'y']);
    await importJWK(jwk, 'ES256');
    const file = keyFile('bridge-dpop.json', text);
    const [proof, jkt] = run('dpop', file, 'GET', 'http://127.0.0.1:9/token').split('\n');
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' });
    assert.equal(payload.ath, undefined);
    assert.equal(payload.nonce, undefined);
    assert.equal(protectedHeader.jwk.y, jwk.y);
    assert.equal(jkt, await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }));
  });
});
