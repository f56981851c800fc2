/**
 * `imageDigests`: validation (format, the chart version each set was read for) and where each
 * digest lands in the charts' values.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ConfigProblem } from '../../lib/config/errors.js';
import type { PlatformConfig } from '../../lib/config/types.js';
import { validateConfig } from '../../lib/config/validate.js';
import { synthesizeKubernetes } from '../../lib/synth.js';
import { exampleWith } from '../support/example-config.js';

const DIGEST = (c: string) => `sha256:${c.repeat(64)}`;
const CHAIN = readFileSync(new URL('../fixtures/example/pki/ca-chain.pem', import.meta.url), 'utf8');
const ROOT = CHAIN.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!.at(-1)!;

const paths = (problems: readonly ConfigProblem[]) => problems.map((p) => p.path);

/** Every digest set, for the example's chart versions. */
function withAllDigests(c: any): void {
  c.imageDigests = {
    certManager: {
      version: c.versions.certManager, controller: DIGEST('1'), webhook: DIGEST('2'), cainjector: DIGEST('3'), acmesolver: DIGEST('4'), startupapicheck: DIGEST('5'),
    },
    trustManager: { version: c.versions.trustManager, controller: DIGEST('6') },
    externalSecrets: { version: c.versions.externalSecrets, controller: DIGEST('7') },
    x509CertificateExporter: { version: c.versions.x509CertificateExporter, exporter: DIGEST('8') },
  };
}

describe('imageDigests validation', () => {
  it('accepts every chart\'s digests for its version', () => {
    expect(validateConfig(exampleWith(withAllDigests))).toEqual([]);
  });

  it.each([
    ['a digest without its prefix', (c: any) => { c.imageDigests.certManager.webhook = '2'.repeat(64); },
      'imageDigests.certManager.webhook', 'add the "sha256:" prefix'],
    ['a digest in uppercase', (c: any) => { c.imageDigests.trustManager.controller = `sha256:${'A'.repeat(64)}`; },
      'imageDigests.trustManager.controller', 'write it in lowercase'],
    ['a short digest', (c: any) => { c.imageDigests.externalSecrets.controller = 'sha256:abc123'; },
      'imageDigests.externalSecrets.controller', 'it has 6 hexadecimal digits, not 64'],
    ['a whole image reference', (c: any) => { c.imageDigests.x509CertificateExporter.exporter = `enix/x509-certificate-exporter@${DIGEST('8')}`; },
      'imageDigests.x509CertificateExporter.exporter', 'give the digest alone, without the image name'],
    ['an unknown image', (c: any) => { c.imageDigests.trustManager.defaultPackage = DIGEST('9'); },
      'imageDigests.trustManager.defaultPackage', 'unknown field; expected one of: version, controller'],
    ['an unknown chart', (c: any) => { c.imageDigests.certManagerCsiDriver = { version: 'v0.10.0' }; },
      'imageDigests.certManagerCsiDriver', 'unknown field'],
    ['digests without their version', (c: any) => { delete c.imageDigests.certManager.version; },
      'imageDigests.certManager.version', 'is required: expected the chart version these digests were read for, versions.certManager'],
    ['digests of another release after a chart upgrade', (c: any) => { c.versions.certManager = 'v1.21.2'; c.imageDigests.certManager.version = 'v1.21.1'; },
      'imageDigests.certManager.version', 'expected versions.certManager ("v1.21.2"), got "v1.21.1" (these digests are for another release of the chart'],
  ])('refuses %s, at the field', (_name, edit, path, message) => {
    const problems = validateConfig(exampleWith((c) => { withAllDigests(c); edit(c); }));
    expect(paths(problems)).toEqual([path]);
    expect(problems[0]!.message).toContain(message);
  });
});

describe('imageDigests in the charts\' values', () => {
  it('each digest reaches the image it pins; without them no image value is set', () => {
    const synth = (config: unknown) => synthesizeKubernetes(config as PlatformConfig, { vaultCaBundle: CHAIN, trustRoots: ROOT }).manifests.get('mycluster-0')!;
    const values = (objects: readonly any[], name: string) => objects.find((m) => m.kind === 'HelmRelease' && m.metadata.name === name).spec.values;
    const pinned = synth(exampleWith(withAllDigests));
    const certManager = values(pinned, 'cert-manager');
    expect([certManager.image, certManager.webhook.image, certManager.cainjector.image, certManager.acmesolver.image, certManager.startupapicheck.image])
      .toEqual(['1', '2', '3', '4', '5'].map((c) => ({ digest: DIGEST(c) })));
    expect(values(pinned, 'trust-manager').image).toEqual({ digest: DIGEST('6') });
    const eso = values(pinned, 'external-secrets');
    const esoVersion = (exampleWith(() => undefined) as any).versions.externalSecrets;
    for (const image of [eso.image, eso.webhook.image, eso.certController.image]) expect(image).toEqual({ tag: `v${esoVersion}@${DIGEST('7')}` });
    expect(values(pinned, 'x509-certificate-exporter').image).toEqual({ tagSuffix: `@${DIGEST('8')}` });
    // Only the digests given: the others stay by tag.
    const some = synth(exampleWith((c) => { withAllDigests(c); c.imageDigests = { certManager: { version: c.versions.certManager, webhook: DIGEST('2') } }; }));
    expect(values(some, 'cert-manager').image).toBeUndefined();
    expect(values(some, 'cert-manager').webhook.image).toEqual({ digest: DIGEST('2') });
    expect(values(some, 'cert-manager').acmesolver).toBeUndefined();
    const none = synth(exampleWith(() => undefined));
    for (const name of ['cert-manager', 'trust-manager', 'external-secrets', 'x509-certificate-exporter']) expect(values(none, name).image, name).toBeUndefined();
  });
});
