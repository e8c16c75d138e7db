// Certificates for the TLS fault tests, made per run with openssl (no private key is committed):
// a CA, a server certificate for 127.0.0.1/localhost and its faulty variants (expired, not yet
// valid, another host, another CA, self-signed), and client certificates (good, another CA,
// expired). EC keys: quick to make.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FaultCerts {
  readonly ca: string;
  readonly serverKey: string;
  readonly server: string;
  readonly expired: string;
  readonly notYetValid: string;
  readonly wrongHost: string;
  readonly wrongCa: string;
  readonly selfSigned: string;
  readonly clientKey: string;
  readonly client: string;
  readonly clientWrongCa: string;
  readonly clientExpired: string;
  cleanup(): void;
}

const CA_CONFIG = `[ca]
default_ca = d
[d]
dir = .
database = db/index.txt
serial = db/serial
new_certs_dir = db
default_md = sha256
policy = p
unique_subject = no
[p]
commonName = supplied
[server]
subjectAltName = IP:127.0.0.1,DNS:localhost
[client]
extendedKeyUsage = clientAuth
`;

export function makeFaultCerts(): FaultCerts {
  const dir = mkdtempSync(join(tmpdir(), 'igtl-rx-tls-faults-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(join(dir, 'ca.cnf'), CA_CONFIG);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  writeFileSync(join(dir, 'other.ext'), 'subjectAltName=DNS:elsewhere.example\n');
  mkdirSync(join(dir, 'db'));
  writeFileSync(join(dir, 'db/index.txt'), '');
  writeFileSync(join(dir, 'db/serial'), '01\n');
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=igtl-rx test CA');
  run('req', '-x509', ...ec, '-keyout', 'ca2.key', '-out', 'ca2.pem', '-days', '1', '-subj', '/CN=igtl-rx other CA');
  run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  run('req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=client');
  const sign = (csr: string, out: string, caName: string, ext: string) =>
    run('x509', '-req', '-in', csr, '-CA', `${caName}.pem`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-out', out, '-days', '1', '-extfile', ext);
  sign('server.csr', 'server.pem', 'ca', 'server.ext');
  sign('server.csr', 'wronghost.pem', 'ca', 'other.ext');
  sign('server.csr', 'wrongca.pem', 'ca2', 'server.ext');
  run('req', '-x509', '-key', 'server.key', '-out', 'selfsigned.pem', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  sign('client.csr', 'client.pem', 'ca', 'client.ext');
  sign('client.csr', 'client-wrongca.pem', 'ca2', 'client.ext');
  // Dates in the past or the future: only `openssl ca` sets both ends.
  const dated = (csr: string, out: string, start: string, end: string, ext: string) =>
    run('ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', csr, '-out', out, '-startdate', start, '-enddate', end, '-extensions', ext);
  dated('server.csr', 'expired.pem', '20200101000000Z', '20200102000000Z', 'server');
  dated('server.csr', 'future.pem', '20990101000000Z', '20990102000000Z', 'server');
  dated('client.csr', 'client-expired.pem', '20200101000000Z', '20200102000000Z', 'client');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    ca: read('ca.pem'),
    serverKey: read('server.key'),
    server: read('server.pem'),
    expired: read('expired.pem'),
    notYetValid: read('future.pem'),
    wrongHost: read('wronghost.pem'),
    wrongCa: read('wrongca.pem'),
    selfSigned: read('selfsigned.pem'),
    clientKey: read('client.key'),
    client: read('client.pem'),
    clientWrongCa: read('client-wrongca.pem'),
    clientExpired: read('client-expired.pem'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
