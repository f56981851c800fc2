/**
 * The X.509 library, ready to use: `@peculiar/x509` on Node's WebCrypto.
 *
 * Every file of lib/pki imports the library from here, never directly, so that its two
 * preconditions hold before any of its code runs: a Reflect metadata polyfill (its dependency
 * `tsyringe` throws at load time without one) and a crypto provider (Node's `globalThis.crypto`).
 * @see https://github.com/PeculiarVentures/x509#-reflect-polyfill-required
 */

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(globalThis.crypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
