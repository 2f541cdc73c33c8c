import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Where the key material comes from: `VESTA_SECRET_KEY`, else a key file created on first use. */
export interface SecretSource {
  secretKey?: string;
  secretKeyFile: string;
}

const VERSION = 'v1';

/** The key file's material, created (32 random bytes, owner-only) when missing; concurrent creators agree on one. */
function keyFileMaterial(file: string): Buffer {
  try {
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
}

/**
 * Encrypts secrets at rest (the private parts of signing keys) with AES-256-GCM under a key derived (HKDF-SHA256)
 * from `VESTA_SECRET_KEY` or from a key file beside the data. Without that key material the stored secrets are
 * useless; the material itself is never stored with them, logged or printed.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(source: SecretSource) {
    const material = source.secretKey !== undefined ? Buffer.from(source.secretKey, 'utf8') : keyFileMaterial(source.secretKeyFile);
    if (material.length < 32) throw new Error(`the secret key material is too short (${source.secretKey !== undefined ? 'VESTA_SECRET_KEY' : source.secretKeyFile})`);
    this.key = Buffer.from(hkdfSync('sha256', material, Buffer.from('vesta'), Buffer.from('secret-box/v1'), 32));
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), data].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  /** The plain text; throws when the box was sealed under other key material or altered. */
  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new Error('not a sealed secret of this version');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('a sealed secret could not be opened: the secret key (VESTA_SECRET_KEY or its key file) is not the one it was sealed with');
    }
  }
}
