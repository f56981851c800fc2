import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readOutput } from '../../lib/validate/read-output.js';
import { checkSecrets } from '../../lib/validate/secrets.js';
import { COMMITTED_DIST } from '../support/cli.js';
import { inputOf, where } from './support.js';

// Fake secrets, built at run time so that no scanner mistakes this file for a leak.
const VAULT_TOKEN = `hvs.${'CAESIJ'.repeat(5)}x9`;
const LEGACY_VAULT_TOKEN = `s.${'Ab1'.repeat(8)}`;
const ACCESS_KEY_ID = `AKIA${'IOSFODNN7EXAMPLE'}`;
const SECRET_ACCESS_KEY = ['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYEXAMPLEKEY'].join('/');
const SECRET_ID = '6f1c2a3b-9d8e-4f70-8a1b-2c3d4e5f6a7b';
const PRIVATE_KEY = [`-----BEGIN EC ${'PRIVATE'} KEY-----`, 'MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5rmsNkQ9fm8XeoAoGCCqGSM49', `-----END EC ${'PRIVATE'} KEY-----`, ''].join('\n');
const CERTIFICATE = ['-----BEGIN CERTIFICATE-----', 'MIIBszCCAVmgAwIBAgIUQ3ZVXnZ0Y2hlcnRpZmljYXRlLW9ubHktbm90LWEta2V5MAoGCCqGSM49', '-----END CERTIFICATE-----', ''].join('\n');

const configMap = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns' }, data });
const FILE = 'dist/c1/controllers/configmap.ns.cm.yaml';
const secretsOf = (objects: Record<string, unknown>, extra?: Parameters<typeof inputOf>[1]) => checkSecrets(inputOf(objects, extra));

describe('checkSecrets', () => {
  test('the committed dist/ has no secret material (its CA bundle holds certificates, its AppRole role id is a UUID under roleId)', () => {
    const { input } = readOutput([{ path: COMMITTED_DIST, label: 'dist' }]);
    const vault = input.manifests.find((m) => m.object.kind === 'ClusterIssuer' && m.object.metadata.name === 'vault');
    expect(vault?.object.spec.vault.caBundle.length).toBeGreaterThan(64);
    expect(vault?.object.spec.vault.auth.appRole.roleId).toMatch(/^[0-9a-f-]{36}$/);
    expect(checkSecrets(input)).toEqual([]);
  });

  test('certificates, base64-encoded or not, are not secrets', () => {
    expect(secretsOf({ [FILE]: configMap({ 'ca.crt': CERTIFICATE, 'ca.b64': Buffer.from(CERTIFICATE.repeat(3)).toString('base64') }) })).toEqual([]);
  });

  test('secret/private-key: a PEM private key in a value', () => {
    const findings = secretsOf({ [FILE]: configMap({ 'key.pem': PRIVATE_KEY }) });
    expect(where(findings, 'secret/private-key')).toEqual([[FILE, 'ConfigMap ns/cm', 'data["key.pem"]']]);
    expect(findings[0]!.message).toBe('PEM private key (-----BEGIN EC PRIVATE KEY-----): remove it and replace the key; keys are generated where they are used (cert-manager, Vault, npm run pki)');
    expect(findings).toHaveLength(1); // the file's text holds it too: reported once
  });

  test('secret/private-key: a base64-encoded private key (a caBundle that is not only certificates)', () => {
    const issuer = {
      apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'vault' },
      spec: { vault: { caBundle: Buffer.from(CERTIFICATE + PRIVATE_KEY).toString('base64') } },
    };
    const findings = secretsOf({ 'dist/c1/issuers/clusterissuer.vault.yaml': issuer });
    expect(where(findings, 'secret/private-key')).toEqual([['dist/c1/issuers/clusterissuer.vault.yaml', 'ClusterIssuer vault', 'spec.vault.caBundle']]);
    expect(findings[0]!.message).toMatch(/^base64-encoded PEM private key \(-----BEGIN EC PRIVATE KEY-----\)/);
  });

  test('secret/private-key: in a comment, found in the file\'s text, with its line', () => {
    const text = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n# ${PRIVATE_KEY.split('\n')[0]}\n`;
    const findings = checkSecrets({ manifests: [], terraform: [], files: new Map([['dist/c1/controllers/namespace.ns.yaml', text]]) });
    expect(findings).toEqual([{
      rule: 'secret/private-key', severity: 'error', file: 'dist/c1/controllers/namespace.ns.yaml',
      message: 'line 5: PEM private key (-----BEGIN EC PRIVATE KEY-----): remove it and replace the key; keys are generated where they are used (cert-manager, Vault, npm run pki)',
    }]);
  });

  test('secret/vault-token: hvs. tokens anywhere, legacy s. tokens in a field named like a token', () => {
    const job = {
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'ns' },
      spec: {
        template: {
          spec: {
            containers: [{
              name: 'c',
              env: [{ name: 'VAULT_TOKEN', value: LEGACY_VAULT_TOKEN }, { name: 'OTHER', value: `Bearer ${VAULT_TOKEN}` }, { name: 'NOTE', value: LEGACY_VAULT_TOKEN }],
              args: [`--token=${LEGACY_VAULT_TOKEN}`],
            }],
          },
        },
      },
    };
    const findings = secretsOf({ 'dist/c1/backup/job.ns.j.yaml': job });
    expect(where(findings, 'secret/vault-token')).toEqual([
      ['dist/c1/backup/job.ns.j.yaml', 'Job ns/j', 'spec.template.spec.containers[0].env[0].value'],
      ['dist/c1/backup/job.ns.j.yaml', 'Job ns/j', 'spec.template.spec.containers[0].env[1].value'],
      ['dist/c1/backup/job.ns.j.yaml', 'Job ns/j', 'spec.template.spec.containers[0].args[0]'],
    ]);
    expect(findings.map((f) => f.message)).toEqual([
      'Vault token s.… (26 characters) in field "VAULT_TOKEN": revoke it and remove it; secrets reach the cluster through an ExternalSecret, never through the repository',
      'Vault token hvs.… (36 characters): revoke it and remove it; secrets reach the cluster through an ExternalSecret, never through the repository',
      'Vault token s.… (26 characters): revoke it and remove it; secrets reach the cluster through an ExternalSecret, never through the repository',
    ]);
    expect(findings.some((f) => f.message.includes(VAULT_TOKEN) || f.message.includes(LEGACY_VAULT_TOKEN))).toBe(false);
  });

  test('secret/aws-key: access key ids and secret access keys; a git commit id is neither', () => {
    const findings = secretsOf({ [FILE]: configMap({ id: ACCESS_KEY_ID, key: SECRET_ACCESS_KEY, commit: 'b8460e4c1a2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f' }) });
    expect(where(findings, 'secret/aws-key')).toEqual([[FILE, 'ConfigMap ns/cm', 'data.id'], [FILE, 'ConfigMap ns/cm', 'data.key']]);
    expect(findings[0]!.message).toBe('AWS access key id AKIA…MPLE: deactivate it and remove it; AWS rights come from IRSA or Pod Identity, never from keys');
    expect(findings[1]!.message).toMatch(/^value looks like an AWS secret access key \(40 base64 characters mixing cases and digits\)/);
  });

  test('secret/approle-secret-id: a UUID in a field named like a secret id, not under roleId', () => {
    const issuer = {
      apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'vault' },
      spec: { vault: { auth: { appRole: { roleId: SECRET_ID, secretId: SECRET_ID, secretRef: { name: 'vault-approle', key: 'secretId' } } } } },
    };
    const findings = secretsOf({ 'dist/c1/issuers/clusterissuer.vault.yaml': issuer });
    expect(where(findings, 'secret/approle-secret-id')).toEqual([['dist/c1/issuers/clusterissuer.vault.yaml', 'ClusterIssuer vault', 'spec.vault.auth.appRole.secretId']]);
    expect(findings).toHaveLength(1);
  });

  test('secret/approle-secret-id: in a script, found in the value\'s text', () => {
    const findings = secretsOf({ [FILE]: configMap({ 'login.sh': `#!/bin/sh\nSECRET_ID=${SECRET_ID} vault write auth/approle/login\n` }) });
    expect(where(findings, 'secret/approle-secret-id')).toEqual([[FILE, 'ConfigMap ns/cm', 'data["login.sh"]']]);
  });

  test('secret/secret-object: a Secret with data or stringData; one without is fine', () => {
    const secret = (extra: object) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' }, ...extra });
    const findings = secretsOf({
      'dist/c1/a/secret.ns.s.yaml': secret({ data: { b: 'eA==', a: 'eQ==' }, stringData: { c: 'z' } }),
      'dist/c1/a/secret.ns.t.yaml': secret({ type: 'kubernetes.io/service-account-token' }),
    });
    expect(where(findings, 'secret/secret-object')).toEqual([['dist/c1/a/secret.ns.s.yaml', 'Secret ns/s', 'data'], ['dist/c1/a/secret.ns.s.yaml', 'Secret ns/s', 'stringData']]);
    expect(findings[0]!.message).toBe('Secret with data (keys: a, b): secrets reach the cluster through an ExternalSecret, never through the repository');
  });

  test('Terraform stacks: findings name the block by its address', () => {
    const stack = {
      provider: { vault: [{ address: 'https://vault.example.com:8200', token: LEGACY_VAULT_TOKEN }] },
      resource: { vault_approle_auth_backend_role_secret_id: { issuer: { role_name: 'cert-manager', secret_id: SECRET_ID } } },
      output: { key: { value: ACCESS_KEY_ID } },
    };
    const file = 'cdktf.out/stacks/c1-vault/cdk.tf.json';
    const findings = checkSecrets(inputOf({}, { terraform: { [file]: stack } }));
    expect(findings.map((f) => [f.rule, f.file, f.object, f.path])).toEqual([
      ['secret/vault-token', file, 'provider.vault', '[0].token'],
      ['secret/approle-secret-id', file, 'vault_approle_auth_backend_role_secret_id.issuer', 'secret_id'],
      ['secret/aws-key', file, 'output.key', 'value'],
    ]);
  });

  test('a file that does not parse is still scanned as text', () => {
    const { input, findings: parse } = readOutput([{ path: resolve(COMMITTED_DIST, 'mycluster-0', 'issuers'), label: 'x' }]);
    expect(parse).toEqual([]);
    const files = new Map(input.files).set('x/broken.yaml', `key: [unclosed ${ACCESS_KEY_ID}\n`);
    expect(where(checkSecrets({ ...input, files }), 'secret/aws-key')).toEqual([['x/broken.yaml', undefined, undefined]]);
  });
});
