/**
 * Key pairs of the PKI: generated with WebCrypto, written as unencrypted PKCS#8 PEM (what Vault's
 * `pki/config/ca` and its TLS listener read), read back for signing (`renew-server`) and checking.
 *
 * Three kinds only: ECDSA P-384 for both CAs, ECDSA P-256 or RSA 2048 for the Vault server.
 */

import { createPrivateKey, createPublicKey, type KeyObject, type webcrypto } from 'node:crypto';
import { PkiError } from './errors.js';
import { x509 } from './x509.js';

/** A WebCrypto key pair (Node's type: the project compiles without the DOM library). */
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
type SigningAlgorithm = webcrypto.EcdsaParams | webcrypto.Algorithm;

/** The kinds of key the PKI makes. */
export type KeyType = 'ECDSA-P384' | 'ECDSA-P256' | 'RSA-2048';

/** How each kind is generated and imported with WebCrypto, and how it signs the certificates it issues. */
const KEY_TYPES: Readonly<Record<KeyType, {
  readonly algorithm: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams;
  readonly signing: SigningAlgorithm;
  readonly description: string;
}>> = {
  // SHA-384 with P-384, SHA-256 with P-256: the hash matched to the curve's strength (RFC 5480 section 4).
  'ECDSA-P384': {
    algorithm: { name: 'ECDSA', namedCurve: 'P-384' },
    signing: { name: 'ECDSA', hash: 'SHA-384' },
    description: 'ECDSA P-384',
  },
  'ECDSA-P256': {
    algorithm: { name: 'ECDSA', namedCurve: 'P-256' },
    signing: { name: 'ECDSA', hash: 'SHA-256' },
    description: 'ECDSA P-256',
  },
  'RSA-2048': {
    // 65537, the public exponent every implementation expects.
    algorithm: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    signing: { name: 'RSASSA-PKCS1-v1_5' },
    description: 'RSA 2048',
  },
};

/** A key pair and its kind. */
export interface KeyPair {
  readonly type: KeyType;
  readonly keys: CryptoKeyPair;
}

/** Label of PKCS#8 PEM blocks (RFC 7468 section 10). */
const PKCS8_LABEL = 'PRIVATE KEY';

/** Generates a new key pair of `type`, its private key extractable so that it can be written. */
export async function generateKeyPair(type: KeyType): Promise<KeyPair> {
  const keys = await globalThis.crypto.subtle.generateKey(KEY_TYPES[type].algorithm, true, ['sign', 'verify']) as CryptoKeyPair;
  return { type, keys };
}

/** The WebCrypto algorithm a key of `type` signs certificates with. */
export function signingAlgorithm(type: KeyType): SigningAlgorithm {
  return KEY_TYPES[type].signing;
}

/** `ECDSA P-384`, `RSA 2048`: the kind as messages show it. */
export function describeKeyType(type: KeyType): string {
  return KEY_TYPES[type].description;
}

/** The private key of `pair` as PKCS#8 PEM, ending with a newline. */
export async function privateKeyPem(pair: KeyPair): Promise<string> {
  const der = await globalThis.crypto.subtle.exportKey('pkcs8', pair.keys.privateKey);
  return `${x509.PemConverter.encode(der, PKCS8_LABEL).replace(/\r\n/g, '\n').trimEnd()}\n`;
}

/**
 * Reads a private key from PEM text (PKCS#8, or the SEC1 and PKCS#1 forms openssl writes) into a key
 * pair that can sign, with its public half.
 * @param file the file it comes from, as messages name it
 * @throws PkiError when the text is no private key, an encrypted one, or of a kind the PKI does not use
 */
export async function readKeyPair(pem: string, file: string): Promise<KeyPair> {
  const keyObject = parsePrivateKey(pem, file);
  const type = keyTypeOf(keyObject, file);
  const der = keyObject.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
  const subtle = globalThis.crypto.subtle;
  const algorithm = KEY_TYPES[type].algorithm;
  const keys: CryptoKeyPair = {
    privateKey: await subtle.importKey('pkcs8', der, algorithm, true, ['sign']),
    publicKey: await subtle.importKey('spki', spki, algorithm, true, ['verify']),
  };
  return { type, keys };
}

/**
 * Reads a private key as a Node.js `KeyObject`, to compare it with a certificate.
 * @throws PkiError as {@link readKeyPair}
 */
export function parsePrivateKey(pem: string, file: string): KeyObject {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(pem) || /Proc-Type: 4,ENCRYPTED/.test(pem)) {
    throw new PkiError(`${file}: expected an unencrypted private key, got an encrypted one (decrypt it with `
      + `"openssl pkey -in ${file} -out <file>" on the offline machine)`);
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new PkiError(`${file}: expected a PEM private key ("-----BEGIN PRIVATE KEY-----"), got no private key block`);
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new PkiError(`${file}: expected a PEM private key, got one that does not parse (${(err as Error).message})`);
  }
}

/** The DER SubjectPublicKeyInfo of the public half of a private key, to compare with a certificate's. */
export function publicKeyDer(privateKey: KeyObject): Buffer {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
}

/** The kind of a key read from a file. */
export function keyTypeOf(key: KeyObject, file: string): KeyType {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'secp384r1') {
    return 'ECDSA-P384';
  }
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') {
    return 'ECDSA-P256';
  }
  if (key.asymmetricKeyType === 'rsa' && details.modulusLength === 2048) {
    return 'RSA-2048';
  }
  const got = key.asymmetricKeyType === 'ec'
    ? `an EC key on curve ${details.namedCurve ?? 'unknown'}`
    : key.asymmetricKeyType === 'rsa' ? `an RSA ${details.modulusLength ?? '?'}-bit key` : `a ${key.asymmetricKeyType ?? 'secret'} key`;
  throw new PkiError(`${file}: expected an ECDSA P-384, ECDSA P-256 or RSA 2048 key, got ${got}`);
}
