/**
 * Certificates for tests that speak real TLS: a CA, a server certificate it signs for 127.0.0.1
 * (and nothing else), and a second CA that signs nothing, for the refusals. Made by openssl in
 * `dir`.
 */
import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCertificates {
  /** PEM of the CA that signed the server certificate. */
  ca: string;
  /** PEM of a CA that signed nothing here. */
  otherCa: string;
  /** Paths of the server's certificate and its key (mode 0600). */
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

async function makeCa(dir: string, name: string): Promise<string> {
  await openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`]);
  return readFile(join(dir, `${name}.pem`), 'utf8');
}

/** Make the CAs and the server certificate for 127.0.0.1 in `dir`. */
export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  const ca = await makeCa(dir, 'ca');
  const otherCa = await makeCa(dir, 'other-ca');
  await writeFile(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  await openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
  const sign = ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2'];
  await openssl(dir, [...sign, '-extfile', 'san.cnf', '-out', 'server.pem']);
  const keyFile = join(dir, 'server.key');
  const certFile = join(dir, 'server.pem');
  await chmod(keyFile, 0o600);
  return { ca, otherCa, certFile, keyFile, cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
}
