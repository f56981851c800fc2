import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { VaultIssuer } from '../../lib/k8s/vault-issuer.js';
import { manifestsOf, only, testChart, yamlOf } from '../support/k8s.js';

const CHAIN = readFileSync(new URL('../fixtures/example/pki/ca-chain.pem', import.meta.url), 'utf8');
const ROLE_ID = '5f0c8b8e-3c1d-4e7a-9b2f-6d4a1e0c7b93';
const appRole = { appRole: { roleId: ROLE_ID } };

describe('VaultIssuer', () => {
  test('default configuration: sign path, CA bundle, AppRole', () => {
    // GIVEN
    const chart = testChart();
    // WHEN
    const issuer = new VaultIssuer(chart, 'Vault', { server: 'https://vault.priv.example.com:8200', caBundlePem: CHAIN, auth: appRole });
    // THEN
    expect(yamlOf(chart)).toMatchSnapshot();
    const vault = only(chart, 'ClusterIssuer', 'vault').spec.vault;
    expect(vault.server).toBe('https://vault.priv.example.com:8200');
    expect(vault.path).toBe('pki_private_issuer/sign/cert-manager');
    expect(issuer.signPath).toBe(vault.path);
    expect(vault.auth).toEqual({ appRole: { path: 'approle', roleId: ROLE_ID, secretRef: { name: 'vault-approle', key: 'secretId' } } });
    expect(vault.skipTlsVerify).toBeUndefined();
    expect(only(chart, 'ClusterIssuer').metadata.namespace).toBeUndefined();
  });

  test('the CA bundle is the chain\'s certificates, base64, and nothing else', () => {
    const chart = testChart();
    new VaultIssuer(chart, 'Vault', {
      server: 'https://vault.priv.example.com:8200', caBundlePem: `# comment\n${CHAIN}`, auth: appRole,
    });
    const decoded = Buffer.from(only(chart, 'ClusterIssuer').spec.vault.caBundle, 'base64').toString('utf8');
    expect(decoded.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2);
    expect(decoded).not.toContain('# comment');
    expect(decoded.startsWith('-----BEGIN CERTIFICATE-----')).toBe(true);
  });

  test('mount, role, server name and secret reference are honoured', () => {
    const chart = testChart();
    new VaultIssuer(chart, 'Vault', {
      server: 'https://vault.priv.example.com', pkiMount: 'pki/int', pkiRole: 'gateways', serverName: 'vault.internal',
      caBundlePem: CHAIN, auth: { appRole: { roleId: ROLE_ID, path: 'cm-approle', secretName: 's', secretKey: 'k' } }, name: 'vault-pki',
    });
    const ci = only(chart, 'ClusterIssuer', 'vault-pki');
    expect(ci.spec.vault).toMatchObject({
      server: 'https://vault.priv.example.com', path: 'pki/int/sign/gateways', serverName: 'vault.internal',
      auth: { appRole: { path: 'cm-approle', secretRef: { name: 's', key: 'k' } } },
    });
  });

  test('kubernetes auth emits the service account and the least RBAC to request its token', () => {
    const chart = testChart();
    new VaultIssuer(chart, 'Vault', {
      server: 'https://vault.priv.example.com:8200', caBundlePem: CHAIN, auth: { kubernetes: { role: 'cert-manager' } },
    });
    expect(only(chart, 'ClusterIssuer').spec.vault.auth).toEqual({
      kubernetes: { mountPath: '/v1/auth/kubernetes', role: 'cert-manager', serviceAccountRef: { name: 'vault-issuer' } },
    });
    expect(only(chart, 'ServiceAccount', 'vault-issuer').metadata.namespace).toBe('cert-manager');
    expect(only(chart, 'Role').rules).toEqual([
      { apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: ['vault-issuer'], verbs: ['create'] },
    ]);
    // cdk8s-plus writes the core group of a ServiceAccount subject, "" (the API's default), explicitly.
    expect(only(chart, 'RoleBinding').subjects).toEqual([{ apiGroup: '', kind: 'ServiceAccount', name: 'cert-manager', namespace: 'cert-manager' }]);
    expect(only(chart, 'RoleBinding').roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'vault-issuer-token-request' });
    expect(only(chart, 'ServiceAccount', 'vault-issuer').automountServiceAccountToken).toBe(false);
    for (const m of manifestsOf(chart).filter((o) => o.kind !== 'ClusterIssuer')) {
      expect(m.metadata.labels, m.kind).toEqual({ 'app.kubernetes.io/managed-by': 'gateway-pki' });
    }
    expect(manifestsOf(chart).map((m) => m.kind).sort()).toEqual(['ClusterIssuer', 'Role', 'RoleBinding', 'ServiceAccount']);
  });

  test('trust can come from a Secret instead of an embedded bundle', () => {
    const chart = testChart();
    new VaultIssuer(chart, 'Vault', {
      server: 'https://vault.priv.example.com:8200', caBundleSecretRef: { name: 'private-ca' }, auth: appRole,
    });
    const vault = only(chart, 'ClusterIssuer').spec.vault;
    expect(vault.caBundleSecretRef).toEqual({ name: 'private-ca', key: 'ca.crt' });
    expect(vault.caBundle).toBeUndefined();
  });

  test('fails unless exactly one source of trust is given', () => {
    const message = `vault issuer needs exactly one of 'caBundlePem' and 'caBundleSecretRef', to verify Vault's certificate`;
    expect(() => new VaultIssuer(testChart(), 'V', { server: 'https://v.example.com', auth: appRole })).toThrow(message);
    expect(() => new VaultIssuer(testChart(), 'V', {
      server: 'https://v.example.com', caBundlePem: CHAIN, caBundleSecretRef: { name: 'ca' }, auth: appRole,
    })).toThrow(message);
  });

  test('fails when the server is not https', () => {
    expect(() => new VaultIssuer(testChart(), 'V', { server: 'http://vault:8200', caBundlePem: CHAIN, auth: appRole }))
      .toThrow(`vault issuer 'server' must use https, got "http://vault:8200"`);
    expect(() => new VaultIssuer(testChart(), 'V', { server: 'vault:8200/x', caBundlePem: CHAIN, auth: appRole }))
      .toThrow(`vault issuer 'server' must use https, got "vault:8200/x"`);
    expect(() => new VaultIssuer(testChart(), 'V', { server: 'vault.priv.example.com', caBundlePem: CHAIN, auth: appRole }))
      .toThrow(`vault issuer 'server' must be an https:// URL, got "vault.priv.example.com"`);
  });

  test('fails when the bundle holds a private key or no certificate', () => {
    const key = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n';
    expect(() => new VaultIssuer(testChart(), 'V', { server: 'https://v.example.com', caBundlePem: CHAIN + key, auth: appRole }))
      .toThrow(`vault issuer 'caBundlePem' must hold certificates only, found a EC PRIVATE KEY block`);
    expect(() => new VaultIssuer(testChart(), 'V', { server: 'https://v.example.com', caBundlePem: 'nothing', auth: appRole }))
      .toThrow(`vault issuer 'caBundlePem' holds no PEM certificate`);
  });

  test('fails when the role id is not a UUID', () => {
    expect(() => new VaultIssuer(testChart(), 'V', { server: 'https://v.example.com', caBundlePem: CHAIN, auth: { appRole: { roleId: 'cert-manager' } } }))
      .toThrow(`vault issuer 'roleId' must be a UUID, got "cert-manager"`);
  });
});
