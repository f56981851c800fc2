/**
 * The two-phase bootstrap of the Vault configuration, as an operator runs it: synth renders phase 1
 * and says what to do, sign-issuing signs the issuing CA's CSR offline, synth checks the committed
 * file and renders phase 2. At no point does a private key or a pem_bundle reach cdktf.out/ or dist/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readTree } from './support/tree.js';
import { checkPolicies } from '../lib/validate/policies.js';
import { checkSecrets } from '../lib/validate/secrets.js';
import { runSynth } from './support/cli.js';
import { initIn, opensslCsr, pemCertificates, type PkiWorkspace, pkiWorkspace, removeWorkspaces, runIn } from './support/pki.js';

afterAll(removeWorkspaces);

let ws: PkiWorkspace;
const out = (name: string): string[] => ['--config', ws.config, '--out', join(ws.root, name, 'dist'), '--terraform-out', join(ws.root, name, 'cdktf.out')];
const vaultConfig = (name: string): any => JSON.parse(readFileSync(join(ws.root, name, 'cdktf.out', 'stacks', 'vault-config', 'cdk.tf.json'), 'utf8'));

/** Every file synth wrote under `<root>/<name>`, by path. */
function written(name: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const folder of ['dist', 'cdktf.out']) {
    for (const [path, content] of readTree(join(ws.root, name, folder))) files.set(`${folder}/${path}`, content);
  }
  return files;
}

beforeAll(async () => {
  ws = pkiWorkspace();
  expect((await initIn(ws)).code).toBe(0);
});

describe('two-phase bootstrap of vault-config', () => {
  let phase1: { code: number; stdout: string; stderr: string };
  let phase2: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    phase1 = await runSynth(out('phase1'));
    const csr = opensslCsr(ws.root, 'issuing', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=Example Corp Issuing CA/O=Example Corp/C=FR');
    const signed = await runIn(ws, 'sign-issuing', '--csr', csr);
    expect(signed.code, signed.stderr).toBe(0);
    phase2 = await runSynth(out('phase2'));
  }, 60_000);

  test('phase 1: synth says what to do next, in one line, and renders the key and its CSR only', () => {
    expect(phase1.stderr).toBe('');
    expect(phase1.code).toBe(0);
    const next = phase1.stdout.split('\n').filter((line) => line.startsWith('next:'));
    expect(next).toEqual(['next: vault-config is in phase 1 of 2: no issuing CA is signed yet; apply it, run "terraform output -raw issuing_csr '
      + '> issuing.csr", sign it where the intermediate key is with "npm run pki -- sign-issuing --csr issuing.csr" (it writes '
      + 'pki/issuing-ca.pem beside the configuration), commit that file, then synth and apply again (docs/architecture.md, "The Vault configuration")']);
    const stack = vaultConfig('phase1');
    expect(Object.keys(stack.output)).toContain('issuing_csr');
    expect(stack.resource.vault_pki_secret_backend_intermediate_set_signed).toBeUndefined();
    expect(stack.resource.vault_pki_secret_backend_role).toBeUndefined();
  });

  test('phase 2: synth embeds the committed chain, renders the issuer and the role, and says nothing more', () => {
    expect(phase2.stderr).toBe('');
    expect(phase2.code).toBe(0);
    expect(phase2.stdout).not.toMatch(/^next:/m);
    const stack = vaultConfig('phase2');
    const chain = Object.values<any>(stack.resource.vault_pki_secret_backend_intermediate_set_signed)[0].certificate;
    expect(pemCertificates(chain)).toEqual(pemCertificates(readFileSync(join(ws.config, '..', 'pki', 'issuing-ca.pem'), 'utf8')));
    expect(Object.values<any>(stack.resource.vault_pki_secret_backend_role)[0].name).toBe('cert-manager');
    expect(stack.output.issuing_csr).toBeUndefined();
  });

  test.each(['phase1', 'phase2'])('%s: no pem_bundle and no private key anywhere in cdktf.out/ or dist/; validate\'s scans agree', (name) => {
    // GIVEN every file of a full synth
    const files = written(name);
    expect([...files.keys()]).toEqual(expect.arrayContaining(['cdktf.out/stacks/vault-config/cdk.tf.json', 'cdktf.out/stacks/vault-aws/cdk.tf.json']));
    // THEN
    for (const [path, content] of files) {
      expect(content, path).not.toMatch(/pem_bundle|PRIVATE KEY/);
    }
    const terraform = [...files].filter(([path]) => path.endsWith('/cdk.tf.json')).map(([file, content]) => ({ file, stack: JSON.parse(content) }));
    expect(checkPolicies({ manifests: [], files: new Map(), terraform }).filter((f) => f.rule === 'TF-012')).toEqual([]);
    expect(checkSecrets({ manifests: [], files, terraform })).toEqual([]);
  });

  test('a committed issuing CA file that is not usable fails synth, naming the field, and leaves the output as it was', async () => {
    // GIVEN the issuing CA alone, without its chain
    const file = join(ws.config, '..', 'pki', 'issuing-ca.pem');
    const chain = readFileSync(file, 'utf8');
    writeFileSync(file, pemCertificates(chain)[0]!);
    const before = written('phase2');
    // WHEN
    const run = await runSynth(out('phase2'));
    writeFileSync(file, chain);
    // THEN
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/configuration is invalid \(1 problem\):\n {2}vault\.pki\.issuers\[0\]\.certificateFile \(line \d+\): expected the issuing CA's certificate followed by its chain \(intermediate, root\), got one certificate in /);
    expect(written('phase2')).toEqual(before);
  });
});
