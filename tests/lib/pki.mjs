// A throwaway public-key infrastructure for the TLS tests, made with the
// openssl command line: two unrelated server CAs, a client CA, a server
// certificate for 127.0.0.1/localhost from each server CA, and a client
// certificate (plain, passphrase-protected, and combined with its key).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function openssl(dir, args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir, name, cn) {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

function issue(dir, ca, name, cn, ext) {
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`,
    '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
}

const SERVER_EXT = 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n'
  + 'subjectAltName=IP:127.0.0.1,DNS:localhost\n';
const CLIENT_EXT = 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n';

/** Make everything in a fresh temporary directory; returns paths and PEM texts. */
export function makePki() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-bridge-pki-'));
  makeCa(dir, 'ca', 'mcp-bridge test CA');
  makeCa(dir, 'other-ca', 'mcp-bridge other test CA');
  makeCa(dir, 'client-ca', 'mcp-bridge test client CA');
  issue(dir, 'ca', 'server', '127.0.0.1', SERVER_EXT);
  issue(dir, 'other-ca', 'other-server', '127.0.0.1', SERVER_EXT);
  issue(dir, 'client-ca', 'client', 'mcp-bridge test client', CLIENT_EXT);
  openssl(dir, ['pkey', '-in', 'client.key', '-aes256', '-passout', 'pass:secret', '-out', 'client-encrypted.key']);
  const p = (f) => path.join(dir, f);
  fs.writeFileSync(p('client-combined.pem'), fs.readFileSync(p('client.pem'), 'utf8') + fs.readFileSync(p('client.key'), 'utf8'));
  const read = (f) => fs.readFileSync(p(f));
  return {
    dir,
    caFile: p('ca.pem'),
    otherCaFile: p('other-ca.pem'),
    clientCaFile: p('client-ca.pem'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    clientKeyEncrypted: p('client-encrypted.key'),
    clientCombined: p('client-combined.pem'),
    otherServerKey: p('other-server.key'),
    // For node's https.createServer:
    server: { key: read('server.key'), cert: read('server.pem') },
    otherServer: { key: read('other-server.key'), cert: read('other-server.pem') },
    clientCa: read('client-ca.pem'),
    remove() { fs.rmSync(dir, { recursive: true, force: true }); },
  };
}
