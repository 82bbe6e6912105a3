// Certificates made with openssl for the certificate tests: a root CA, intermediates and leaves
// with explicit notBefore / notAfter (`openssl ca -startdate -enddate`: Debian's OpenSSL 3.0 has
// no `x509 -not_after`), EC P-256 keys for speed.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DAY_MS = 86_400_000;

export interface Made {
  readonly name: string;
  /** PEM file of the certificate alone. */
  readonly cert: string;
  readonly key: string;
  readonly pem: string;
}

export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** `YYYYMMDDHHMMSSZ`, whole seconds. */
const asn1Time = (d: Date) => `${d.toISOString().slice(0, 19).replace(/[-:T]/g, '')}Z`;

export function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A self-signed RSA certificate for 127.0.0.1 (IP SAN), valid a day: `cert.pem` and `key.pem` in `dir`. */
export function selfSignedLoopback(dir: string): { cert: string; key: string } {
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  );
  return { cert, key };
}

/** Valid from an hour ago for `days` days (fractions allowed; negative: already expired). */
export function validFor(days: number, now = Date.now()): Validity {
  const from = Math.min(now - 3_600_000, now + days * DAY_MS - 3_600_000);
  return { notBefore: new Date(from), notAfter: new Date(now + days * DAY_MS) };
}

/** What `openssl x509 -enddate` / `-startdate` say, as Unix seconds. */
export function opensslDates(cert: string): { notBefore: number; notAfter: number } {
  const text = openssl('x509', '-in', cert, '-noout', '-startdate', '-enddate');
  const field = (name: string) => Date.parse((new RegExp(`${name}=(.+)`).exec(text) as RegExpExecArray)[1] as string) / 1000;
  return { notBefore: field('notBefore'), notAfter: field('notAfter') };
}

/** A CA made with `openssl ca -selfsign` (a root) or signed by another; it signs what `issue` asks. */
export class TestCa implements Made {
  readonly name: string;
  readonly cert: string;
  readonly key: string;
  private readonly dir: string;

  private constructor(dir: string, name: string) {
    this.dir = dir;
    this.name = name;
    this.cert = join(dir, `${name}.pem`);
    this.key = join(dir, `${name}.key`);
  }

  get pem(): string {
    return readFileSync(this.cert, 'utf8');
  }

  static root(dir: string, cn: string, validity: Validity = validFor(365)): TestCa {
    const ca = new TestCa(dir, cn.replace(/\W+/g, '-'));
    ca.init();
    const csr = ca.request(ca.name, cn);
    ca.sign(csr, ca.cert, validity, 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash', [
      '-selfsign',
      '-keyfile',
      ca.key,
    ]);
    return ca;
  }

  /** An intermediate CA signed by this one. */
  intermediate(cn: string, validity: Validity): TestCa {
    const ca = new TestCa(this.dir, cn.replace(/\W+/g, '-'));
    ca.init();
    const csr = ca.request(ca.name, cn);
    this.sign(
      csr,
      ca.cert,
      validity,
      'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid',
    );
    return ca;
  }

  /** A server certificate for `cn`, with SANs (default `IP:127.0.0.1`). */
  issue(cn: string, validity: Validity, san = 'IP:127.0.0.1'): Made {
    const name = `${cn.replace(/\W+/g, '-')}-${randomBytes(3).toString('hex')}`;
    const csr = this.request(name, cn);
    const cert = join(this.dir, `${name}.pem`);
    this.sign(csr, cert, validity, `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}`);
    return { name, cert, key: join(this.dir, `${name}.key`), pem: readFileSync(cert, 'utf8') };
  }

  private init(): void {
    const own = join(this.dir, `${this.name}.db`);
    mkdirSync(own, { recursive: true });
    writeFileSync(join(own, 'index.txt'), '');
    // A random first serial: certificates of different CAs never share one.
    writeFileSync(join(own, 'serial'), `${randomBytes(8).toString('hex').toUpperCase()}\n`);
    writeFileSync(
      join(own, 'ca.cnf'),
      `[ca]\ndefault_ca = d\n[d]\ndatabase = ${own}/index.txt\nnew_certs_dir = ${own}\nserial = ${own}/serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\n`,
    );
  }

  private request(name: string, cn: string): string {
    const csr = join(this.dir, `${name}.csr`);
    openssl(
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(this.dir, `${name}.key`),
      '-out',
      csr,
      '-subj',
      `/CN=${cn}`,
    );
    return csr;
  }

  private sign(csr: string, out: string, validity: Validity, extensions: string, extra: string[] = []): void {
    const own = join(this.dir, `${this.name}.db`);
    const ext = `${out}.ext`;
    writeFileSync(ext, `${extensions}\n`);
    openssl(
      'ca',
      '-batch',
      '-notext',
      '-config',
      join(own, 'ca.cnf'),
      '-in',
      csr,
      '-out',
      out,
      '-extfile',
      ext,
      '-startdate',
      asn1Time(validity.notBefore),
      '-enddate',
      asn1Time(validity.notAfter),
      ...(extra.length ? extra : ['-cert', this.cert, '-keyfile', this.key]),
    );
  }
}
