import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import type { IssuingCertificates } from '../../../lib/config/issuing-ca.js';
import { parseConfig } from '../../../lib/config/load.js';
import type { PlatformConfig } from '../../../lib/config/types.js';
import { initPki } from '../../../lib/pki/init.js';
import { pkiProfile } from '../../../lib/pki/profile.js';
import { issuingProfile, signIssuingCa } from '../../../lib/pki/sign-issuing.js';
import { synthesizeKubernetes } from '../../../lib/synth.js';
import { synthesizeTerraform, terraformNextSteps } from '../../../lib/terraform/synth.js';
import { checkPolicies } from '../../../lib/validate/policies.js';
import { checkSecrets } from '../../../lib/validate/secrets.js';
import { EXAMPLE_CONFIG } from '../../support/cli.js';
import { podIdentityWithProvider } from '../../support/example-config.js';
import { vaultLikeCsr } from '../../support/pki.js';
import { findProviderMirror, findTerraform, terraformValidateReport, writeFiles } from '../../support/terraform.js';

// Loaded untyped: the package's typings pull in the DOM library, which clashes with Node's WebCrypto types in lib/pki.
const { parse } = createRequire(import.meta.url)('@cdktf/hcl2json') as { parse: (file: string, text: string) => Promise<any> };

const CHAIN = readFileSync(new URL('../../fixtures/example/pki/ca-chain.pem', import.meta.url), 'utf8');
const ROOT = CHAIN.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!.at(-1)!;
const example = (): PlatformConfig => parseConfig(readFileSync(EXAMPLE_CONFIG, 'utf8'), EXAMPLE_CONFIG);

/** The text of the vault-config stack's `cdk.tf.json`, with the issuing CAs signed so far. */
function stackText(config: PlatformConfig, issuingCertificates: IssuingCertificates = {}): string {
  const file = synthesizeTerraform(config, { issuingCertificates }).find((f) => f.path === 'stacks/vault-config/cdk.tf.json');
  if (!file) throw new Error('stack vault-config not synthesized');
  return file.content;
}

/** The parsed stack, without CDKTF's `//` metadata. */
function stackOf(config: PlatformConfig = example(), issuingCertificates: IssuingCertificates = {}): any {
  return JSON.parse(stackText(config, issuingCertificates), (key, value) => (key === '//' ? undefined : value));
}

/**
 * Issuing CA chains (issuing CA, intermediate, root) as sign-issuing writes them, signed by a test
 * PKI for stand-ins of Vault's CSRs: one per name asked for.
 */
const SIGNED: Record<string, string> = {};
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vault-config-'));
  const config = example();
  await initPki({ profile: pkiProfile(config), outDir: join(dir, 'pki') });
  for (const name of ['issuing-ca', 'issuing-ca-2027']) {
    const csrFile = join(dir, `${name}.csr`);
    writeFileSync(csrFile, (await vaultLikeCsr()).pem);
    await signIssuingCa({ profile: issuingProfile(config), dir: join(dir, 'pki'), csrFile, outFile: join(dir, `${name}.pem`) });
    SIGNED[name] = readFileSync(join(dir, `${name}.pem`), 'utf8');
  }
});

/** The example's issuing CA signed: phase 2. */
const signed = (): IssuingCertificates => ({ 'issuing-ca': SIGNED['issuing-ca']! });

/** The stack text with the embedded chains shown by name, so that snapshots do not depend on the keys of a run. */
function readable(text: string): string {
  return Object.entries(SIGNED).reduce((shown, [name, pem]) => shown.replaceAll(JSON.stringify(pem).slice(1, -1), `<${name}.pem>`), text);
}

/** The only resource of `type` (or the one named like `name`). */
function only(stack: any, type: string, name?: string): any {
  const entries = Object.entries<any>(stack.resource[type] ?? {}).filter(([id]) => name === undefined || id.startsWith(name));
  expect(entries.map(([id]) => id), type).toHaveLength(1);
  return entries[0]![1];
}

/** `${vault_mount.X.path}` → the value of that attribute in the stack, when it is a literal. */
function resolve(stack: any, value: string): unknown {
  const reference = /^\$\{([a-z_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}$/.exec(value);
  if (!reference) return value;
  const [, type, name, attribute] = reference;
  return resolve(stack, stack.resource[type!][name!][attribute!]);
}

const withVault = (config: PlatformConfig, vault: Partial<PlatformConfig['vault']>): PlatformConfig => ({ ...config, vault: { ...config.vault, ...vault } });

describe('VaultConfigStack', () => {
  test('phase 1, the example: no issuing CA signed yet (text snapshot of the stack JSON)', () => {
    expect(stackText(example())).toMatchSnapshot();
  });

  test('phase 2, the example with its issuing CA signed (text snapshot, the embedded chain shown as <issuing-ca.pem>)', () => {
    const text = stackText(example(), signed());
    expect(text).toContain(JSON.stringify(SIGNED['issuing-ca']).slice(1, -1));
    expect(readable(text)).toMatchSnapshot();
  });

  test('the Vault provider only: TLS verified with the configuration\'s chain, token from the environment, relative local state', () => {
    const stack = stackOf();
    expect(stack.terraform.required_providers).toEqual({ vault: { source: 'hashicorp/vault', version: '5.6.0' } });
    expect(stack.provider).toEqual({ vault: [{ address: 'https://vault.priv.example.com:8200', ca_cert_file: '${var.config_dir}/pki/ca-chain.pem' }] });
    expect(stack.variable.config_dir.default).toBe('../../../config');
    // Outside cdktf.out/, which synth rewrites: terraform-state/ beside it (the default backend).
    expect(stack.terraform.backend).toEqual({ local: { path: '../../../terraform-state/vault-config.tfstate' } });
    expect(stackText(example())).not.toMatch(/skip_tls_verify|"token"|VAULT_TOKEN/);
    expect(stackText(example())).not.toContain(process.cwd());
  });

  test('vault.serverName becomes the provider\'s tls_server_name; with caBundleSecretRef, the roots verify Vault; the bundle is in pki.directory', () => {
    // Without vaultCluster nor backup (its image defaults from vaultCluster).
    const { vaultCluster: _cluster, backup: _backup, ...config } = example();
    const { caBundleFile: _file, ...vault } = config.vault;
    const stack = stackOf({
      ...config, trust: { rootsFile: 'trust/roots.pem' },
      vault: { ...vault, caBundleSecretRef: { name: 'vault-ca' }, serverName: 'api.priv.example.com' },
    });
    expect(stack.provider.vault[0]).toEqual({
      address: 'https://vault.priv.example.com:8200', ca_cert_file: '${var.config_dir}/trust/roots.pem', tls_server_name: 'api.priv.example.com',
    });
    // No CA key anywhere: no intermediate mount, no imported bundle.
    expect(stack.resource.vault_pki_secret_backend_config_ca).toBeUndefined();
    expect(Object.values<any>(stack.resource.vault_mount).filter((m) => m.type === 'pki').map((m) => m.path)).toEqual(['pki_private_issuer']);
  });

  test('phase 1: the issuing mount, a key generated inside Vault and its CSR without SAN, output; no issuer, default, role, URLs, CRL or tidy', () => {
    const stack = stackOf();
    const mounts = Object.values<any>(stack.resource.vault_mount).filter((m) => m.type === 'pki');
    expect(mounts.map((m) => [m.path, m.max_lease_ttl_seconds])).toEqual([['pki_private_issuer', 2 * 365 * 24 * 3600]]);
    expect(only(stack, 'vault_pki_secret_backend_key')).toMatchObject({ type: 'internal', key_name: 'issuing-ca', key_type: 'ec', key_bits: 256 });
    const request = only(stack, 'vault_pki_secret_backend_intermediate_cert_request');
    expect(request).toMatchObject({
      type: 'existing', common_name: 'Example Corp Issuing CA', organization: 'Example Corp', country: 'FR', exclude_cn_from_sans: true,
    });
    expect(request.key_ref).toMatch(/^\$\{vault_pki_secret_backend_key\..*\.key_id\}$/);
    expect(request.alt_names).toBeUndefined();
    expect(stack.output.issuing_csr.value).toMatch(/^\$\{vault_pki_secret_backend_intermediate_cert_request\.Pki_IssuingRequest_[0-9A-F]+\.csr\}$/);
    expect(stack.output.issuing_csr.sensitive).toBeUndefined();
    expect(stack.output.issuing_csr.description).toContain('sign it where the intermediate key is, with "npm run pki -- sign-issuing --csr FILE", into pki/issuing-ca.pem');
    for (const type of ['vault_pki_secret_backend_intermediate_set_signed', 'vault_pki_secret_backend_issuer', 'vault_pki_secret_backend_config_issuers',
      'vault_pki_secret_backend_role', 'vault_pki_secret_backend_config_urls', 'vault_pki_secret_backend_crl_config', 'vault_pki_secret_backend_config_auto_tidy',
      'vault_pki_secret_backend_root_sign_intermediate', 'vault_pki_secret_backend_config_ca']) {
      expect(stack.resource[type], type).toBeUndefined();
    }
    expect(stack.data).toBeUndefined();
    // cert-manager's path and policy do not depend on the phase.
    expect(stack.output.cert_manager_sign_path.value).toBe('pki_private_issuer/sign/cert-manager');
    expect(terraformNextSteps(example())).toEqual([expect.stringMatching(/^next: vault-config is in phase 1 of 2: no issuing CA is signed yet; apply it, run "terraform output -raw issuing_csr > issuing\.csr", sign it where the intermediate key is with "npm run pki -- sign-issuing --csr issuing\.csr" \(it writes pki\/issuing-ca\.pem beside the configuration\), commit that file, then synth and apply again/)]);
  });

  test('phase 2: set-signed with the chain as synth read it, an issuer checked against the key, made default; no CSR output', () => {
    const stack = stackOf(example(), signed());
    // The same key and CSR as in phase 1: nothing is replaced in Vault.
    expect(Object.keys(stack.resource.vault_pki_secret_backend_key)).toEqual(Object.keys(stackOf().resource.vault_pki_secret_backend_key));
    const chain = only(stack, 'vault_pki_secret_backend_intermediate_set_signed');
    expect(resolve(stack, chain.backend)).toBe('pki_private_issuer');
    expect(chain.certificate).toBe(SIGNED['issuing-ca']);
    expect(chain.certificate.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(3);
    const issuer = only(stack, 'vault_pki_secret_backend_issuer');
    expect(issuer).toMatchObject({ issuer_name: 'issuing-ca', leaf_not_after_behavior: 'err', usage: 'read-only,issuing-certificates,crl-signing' });
    expect(issuer.issuer_ref).toMatch(/^\$\{element\(vault_pki_secret_backend_intermediate_set_signed\.Pki_IssuingChain_[0-9A-F]+\.imported_issuers, 0\)\}$/);
    const [precondition] = issuer.lifecycle.precondition;
    expect(precondition.condition).toMatch(/^\$\{\(data\.vault_pki_secret_backend_issuer\.Pki_IssuingImported_[0-9A-F]+\.key_id == vault_pki_secret_backend_key\.Pki_IssuingKey_[0-9A-F]+\.key_id\)\}$/);
    expect(precondition.error_message).toContain('pki/issuing-ca.pem is not the certificate of the key Vault generated for issuer "issuing-ca"');
    expect(Object.values<any>(stack.data.vault_pki_secret_backend_issuer)[0].issuer_ref).toBe(issuer.issuer_ref);
    expect(only(stack, 'vault_pki_secret_backend_config_issuers')).toMatchObject({ default_follows_latest_issuer: false });
    expect(only(stack, 'vault_pki_secret_backend_config_issuers').default).toMatch(/^\$\{vault_pki_secret_backend_issuer\.Pki_Issuer_[0-9A-F]+\.issuer_id\}$/);
    expect(stack.output.issuing_csr).toBeUndefined();
    expect(terraformNextSteps(example(), signed())).toEqual([]);
  });

  test('phase 2: issuing and CRL URLs on Vault\'s address; CRL and auto-tidy', () => {
    const stack = stackOf(example(), signed());
    const urls = Object.values<any>(stack.resource.vault_pki_secret_backend_config_urls).map((u) => [u.issuing_certificates, u.crl_distribution_points]);
    expect(urls).toEqual([
      [['https://vault.priv.example.com:8200/v1/pki_private_issuer/ca'], ['https://vault.priv.example.com:8200/v1/pki_private_issuer/crl']],
    ]);
    for (const crl of Object.values<any>(stack.resource.vault_pki_secret_backend_crl_config)) {
      expect(crl).toMatchObject({ expiry: '72h', auto_rebuild: true, auto_rebuild_grace_period: '12h' });
    }
    expect(only(stack, 'vault_pki_secret_backend_config_auto_tidy')).toMatchObject({ enabled: true, tidy_cert_store: true, tidy_revoked_certs: true });
  });

  test('the role (phase 2): allowed domains and their subdomains only, host names enforced, no wildcard, one key, server certificates, TTLs', () => {
    const stack = stackOf(example(), signed());
    const role = only(stack, 'vault_pki_secret_backend_role');
    expect(role).toMatchObject({
      name: 'cert-manager',
      allowed_domains: ['priv.example.com', 'cluster.local'],
      allow_subdomains: true,
      allow_bare_domains: false,
      allow_glob_domains: false,
      allow_any_name: false,
      allow_localhost: false,
      allow_ip_sans: false,
      allow_wildcard_certificates: false,
      enforce_hostnames: true,
      server_flag: true,
      client_flag: false,
      key_type: 'ec',
      key_bits: 256,
      key_usage: ['DigitalSignature'],
      organization: ['Example Corp'],
      country: ['FR'],
      ttl: '720h',
      max_ttl: '2160h',
    });
    expect(role.issuer_ref).toMatch(/^\$\{vault_pki_secret_backend_issuer\..*\.issuer_name\}$/);
  });

  test('the role follows the configuration: domains, wildcards, an RSA leaf key, TTLs; the issuing CA its own TTL and key', () => {
    const config = example();
    const stack = stackOf({
      ...withVault(config, {
        pki: {
          mount: 'pki_int', role: 'gateways', allowedDomains: ['priv.example.com'], allowWildcardCertificates: true,
          leafTtl: '240h', leafMaxTtl: '720h', issuingCaTtl: '8760h', issuingKey: { type: 'rsa' },
        },
      }),
      privateCertificate: { duration: '720h', renewBefore: '240h', privateKey: { algorithm: 'RSA', size: 3072 } },
    }, signed());
    expect(only(stack, 'vault_pki_secret_backend_role')).toMatchObject({
      name: 'gateways', allowed_domains: ['priv.example.com'], allow_wildcard_certificates: true,
      key_type: 'rsa', key_bits: 3072, key_usage: ['DigitalSignature', 'KeyEncipherment'], ttl: '240h', max_ttl: '720h',
    });
    expect(only(stack, 'vault_mount', 'Pki_IssuingMount')).toMatchObject({ path: 'pki_int', max_lease_ttl_seconds: 365 * 24 * 3600 });
    expect(only(stack, 'vault_pki_secret_backend_key')).toMatchObject({ key_type: 'rsa', key_bits: 2048 });
    expect(only(stack, 'vault_policy', 'CertManagerPolicy').policy).toContain('path "pki_int/sign/gateways"');
  });

  test('AppRoles: role ids fixed by the configuration, short tokens, bound CIDRs, secret id lifetime', () => {
    const config = example();
    const stack = stackOf(config);
    expect(only(stack, 'vault_auth_backend', 'AppRole')).toMatchObject({ type: 'approle', path: 'approle' });
    const certManager = only(stack, 'vault_approle_auth_backend_role', 'CertManagerAppRole');
    expect(certManager).toMatchObject({
      role_name: 'cert-manager',
      role_id: config.vault.auth!.appRole!.roleId,
      token_ttl: 600,
      token_max_ttl: 1200,
      token_bound_cidrs: ['10.0.0.0/16'],
      secret_id_bound_cidrs: ['10.0.0.0/16'],
      secret_id_ttl: 90 * 24 * 3600,
      bind_secret_id: true,
    });
    expect(certManager.token_policies).toEqual(['${vault_policy.CertManagerPolicy.name}']);
    const snapshot = only(stack, 'vault_approle_auth_backend_role', 'SnapshotAppRole');
    expect(snapshot).toMatchObject({ role_name: 'vault-snapshot', role_id: config.backup!.appRole.roleId, token_ttl: 600, token_max_ttl: 1200 });
    expect(snapshot.token_policies).toEqual(['${vault_policy.SnapshotPolicy.name}']);
    expect([snapshot.token_bound_cidrs, snapshot.secret_id_bound_cidrs, snapshot.secret_id_ttl]).toEqual([['10.0.0.0/16'], ['10.0.0.0/16'], 90 * 24 * 3600]);
    // Its own settings, not cert-manager's.
    const other = stackOf({ ...config, backup: { ...config.backup!, appRole: { roleId: config.backup!.appRole.roleId, tokenBoundCidrs: ['10.9.0.0/16'], secretIdTtl: '720h' } } });
    const changed = only(other, 'vault_approle_auth_backend_role', 'SnapshotAppRole');
    expect([changed.token_bound_cidrs, changed.secret_id_bound_cidrs, changed.secret_id_ttl]).toEqual([['10.9.0.0/16'], [], 30 * 24 * 3600]);
    expect(only(other, 'vault_approle_auth_backend_role', 'CertManagerAppRole').token_bound_cidrs).toEqual(['10.0.0.0/16']);
    expect(stack.output.cert_manager_role_id.value).toMatch(/^\$\{vault_approle_auth_backend_role\.CertManagerAppRole\.role_id\}$/);
  });

  test('without a backup section: no snapshot AppRole nor policy', () => {
    const { backup: _backup, ...config } = example();
    const stack = stackOf(config);
    expect(Object.keys(stack.resource.vault_approle_auth_backend_role)).toEqual(['CertManagerAppRole']);
    expect(Object.values<any>(stack.resource.vault_policy).map((p) => p.name).sort())
      .toEqual(['admin', 'approle-rotation-mycluster-0', 'cert-manager', 'vault-node-gate']);
    expect(stack.output.snapshot_role_id).toBeUndefined();
  });

  test('every policy is HCL that HashiCorp\'s parser reads; workload policies hold no glob; cert-manager may only update its sign path', async () => {
    const stack = stackOf(withVault(example(), { pki: { allowIssue: true } }));
    const policies: Record<string, Record<string, string[]>> = {};
    for (const resource of Object.values<any>(stack.resource.vault_policy)) {
      const document = await parse(`${resource.name}.hcl`, resource.policy);
      policies[resource.name] = Object.fromEntries(Object.entries<any[]>(document.path).map(([path, [block]]) => [path, block.capabilities]));
    }
    expect(policies).toEqual({
      'cert-manager': { 'pki_private_issuer/sign/cert-manager': ['update'], 'pki_private_issuer/issue/cert-manager': ['update'] },
      admin: { '*': ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo'], 'sys/raw': ['deny'], 'sys/raw/*': ['deny'] },
      'vault-snapshot': { 'sys/storage/raft/snapshot': ['read'], 'sys/storage/raft/configuration': ['read'] },
      'vault-node-gate': { 'sys/storage/raft/autopilot/state': ['read'] },
      'approle-rotation-mycluster-0': Object.fromEntries(['cert-manager', 'vault-snapshot'].flatMap((role) => [
        [`auth/approle/role/${role}/custom-secret-id`, ['update']],
        [`auth/approle/role/${role}/secret-id`, ['list']],
        [`auth/approle/role/${role}/secret-id-accessor/lookup`, ['update']],
        [`auth/approle/role/${role}/secret-id-accessor/destroy`, ['update']],
      ])),
    });
    for (const name of ['cert-manager', 'vault-snapshot', 'vault-node-gate', 'approle-rotation-mycluster-0']) {
      for (const path of Object.keys(policies[name]!)) expect(path, name).not.toMatch(/[*+]/);
    }
  });

  test('AWS auth (iam only): the nodes\' gate and each rotating cluster\'s jobs, each bound to one IAM role, with the server id header required', () => {
    const stack = stackOf(example());
    expect(only(stack, 'vault_auth_backend', 'AwsAuth')).toMatchObject({ type: 'aws', path: 'aws' });
    const client = only(stack, 'vault_aws_auth_backend_client');
    expect(client).toMatchObject({ sts_endpoint: 'https://sts.eu-west-3.amazonaws.com', sts_region: 'eu-west-3', iam_server_id_header_value: 'vault.priv.example.com' });
    expect(client.backend).toMatch(/^\$\{vault_auth_backend\.AwsAuth_[A-Za-z0-9_]+\.path\}$/);
    expect(client.access_key).toBeUndefined();
    expect(client.secret_key).toBeUndefined();
    const roles: Record<string, any> = Object.fromEntries(Object.values<any>(stack.resource.vault_aws_auth_backend_role).map((r) => [r.role, r]));
    expect(Object.values(roles).map((r) => [r.role, r.auth_type, r.bound_iam_principal_arns, r.resolve_aws_unique_ids, r.token_ttl, r.token_max_ttl, r.token_num_uses])).toEqual([
      ['approle-rotation-mycluster-0', 'iam', ['arn:aws:iam::123456789012:role/mycluster-0-approle-rotation'], true, 900, 900, 0],
      ['vault-node-gate', 'iam', ['arn:aws:iam::123456789012:role/vault-node'], true, 120, 120, 1],
    ]);
    expect(roles['vault-node-gate'].token_policies).toEqual(['${vault_policy.NodeGatePolicy.name}']);
    expect(roles['approle-rotation-mycluster-0'].token_policies).toEqual(['${vault_policy.AppRoleRotationPolicy-mycluster-0.name}']);
    // Rotation off: the gate alone. No vaultCluster (a Vault elsewhere): no AWS auth at all.
    const off = stackOf(withVault(example(), { setup: { appRoleRotation: { enabled: false } } }));
    expect(Object.values<any>(off.resource.vault_aws_auth_backend_role).map((r) => r.role)).toEqual(['vault-node-gate']);
    const { vaultCluster: _cluster, ...elsewhere } = example();
    const none = stackOf({ ...elsewhere, backup: { ...elsewhere.backup!, images: { vault: 'hashicorp/vault:1.21.1' } } } as PlatformConfig);
    expect(none.resource.vault_aws_auth_backend_role).toBeUndefined();
    expect(Object.values<any>(none.resource.vault_auth_backend).map((b) => b.type)).toEqual(['approle']);
  });

  test('kv-v2 mount, Raft autopilot (quorum of the voters, at least 3) and two audit devices: the file and syslog (shipped to CloudWatch)', () => {
    const config = example();
    const stack = stackOf(config);
    expect(only(stack, 'vault_mount', 'Kv')).toMatchObject({ path: 'kv', type: 'kv', options: { version: '2' } });
    expect(only(stack, 'vault_raft_autopilot')).toEqual({ cleanup_dead_servers: true, dead_server_last_contact_threshold: '10m', min_quorum: 3 });
    expect(only(stack, 'vault_audit', 'FileAudit')).toMatchObject({ type: 'file', path: 'file', options: { file_path: '/var/log/vault/audit.log' } });
    // The tag is the one rsyslog on the nodes picks out (vault-aws stack).
    expect(only(stack, 'vault_audit', 'SyslogAudit')).toMatchObject({ type: 'syslog', path: 'syslog', options: { tag: 'vault-audit', facility: 'AUTH' } });
    expect(Object.keys(stack.resource.vault_audit)).toHaveLength(2);
    const seven = stackOf({ ...config, vaultCluster: { ...config.vaultCluster!, voters: 7 }, vault: { ...config.vault, setup: { deadServerLastContactThreshold: '30m', kvMount: 'secret', auditFilePath: '/audit/vault.log' } } });
    expect(only(seven, 'vault_raft_autopilot')).toMatchObject({ min_quorum: 4, dead_server_last_contact_threshold: '30m' });
    expect(only(seven, 'vault_mount', 'Kv').path).toBe('secret');
    expect(only(seven, 'vault_audit', 'FileAudit').options.file_path).toBe('/audit/vault.log');
  });

  test('the PKI mount shows the requested names, serials and expiry in the audit log; never a key, a CSR, a certificate or a token', () => {
    const mount = only(stackOf(), 'vault_mount', 'Pki_IssuingMount');
    expect(mount.audit_non_hmac_request_keys).toEqual(['common_name', 'alt_names', 'ip_sans', 'uri_sans', 'ttl', 'serial_number']);
    expect(mount.audit_non_hmac_response_keys).toEqual(['serial_number', 'expiration']);
    for (const key of [...mount.audit_non_hmac_request_keys, ...mount.audit_non_hmac_response_keys]) {
      expect(key).not.toMatch(/key|token|secret|csr|certificate|ca_chain|pem|bundle/);
    }
  });

  test('OpenBao: no audit device through the API (it refuses them: the server configuration declares it)', () => {
    const config = example();
    const stack = stackOf({ ...config, vaultCluster: { ...config.vaultCluster!, engine: 'openbao', packageSha256: 'a'.repeat(64) } });
    expect(stack.resource.vault_audit).toBeUndefined();
  });

  test('Kubernetes auth: a JWT auth mount on the cluster\'s OIDC issuer, and cert-manager\'s role bound to its service account and audience', () => {
    const config = withVault(example(), { auth: { kubernetes: { role: 'cert-manager', mountPath: '/v1/auth/eks' } } });
    const stack = stackOf(config);
    const issuer = 'https://oidc.eks.eu-west-3.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF';
    expect(only(stack, 'vault_jwt_auth_backend')).toMatchObject({ type: 'jwt', path: 'eks', oidc_discovery_url: issuer, bound_issuer: issuer });
    const role = only(stack, 'vault_jwt_auth_backend_role');
    expect(role).toMatchObject({
      role_name: 'cert-manager', role_type: 'jwt', user_claim: 'sub', bound_audiences: ['vault://vault'],
      bound_subject: 'system:serviceaccount:cert-manager:vault-issuer', token_ttl: 600, token_max_ttl: 1200,
    });
    // The backup still logs in with its AppRole; cert-manager has none.
    expect(Object.keys(stack.resource.vault_approle_auth_backend_role)).toEqual(['SnapshotAppRole']);
    // The audience is the one cert-manager requests for the ClusterIssuer it is given.
    const issuerObject = synthesizeKubernetes(config, { vaultCaBundle: CHAIN, trustRoots: ROOT }).manifests.get('mycluster-0')!
      .find((m: any) => m.kind === 'ClusterIssuer' && m.spec.vault);
    expect(role.bound_audiences).toEqual([`vault://${issuerObject.metadata.name}`]);
    expect(`/v1/auth/${only(stack, 'vault_jwt_auth_backend').path}`).toBe(issuerObject.spec.vault.auth.kubernetes.mountPath);
  });

  test('vault.auth omitted: Kubernetes auth by default, no secret at all (no cert-manager AppRole, no ExternalSecret for it, a service account)', () => {
    // GIVEN the example without vault.auth
    const { auth: _auth, ...vault } = example().vault;
    const config = { ...example(), vault };
    // WHEN
    const stack = stackOf(config);
    const manifests = synthesizeKubernetes(config, { vaultCaBundle: CHAIN, trustRoots: ROOT }).manifests.get('mycluster-0')!;
    // THEN
    expect(only(stack, 'vault_jwt_auth_backend')).toMatchObject({ type: 'jwt', path: 'kubernetes' });
    expect(only(stack, 'vault_jwt_auth_backend_role')).toMatchObject({
      role_name: 'cert-manager', bound_subject: 'system:serviceaccount:cert-manager:vault-issuer', bound_audiences: ['vault://vault'],
    });
    expect(Object.keys(stack.resource.vault_approle_auth_backend_role)).toEqual(['SnapshotAppRole']);
    expect(stack.output.cert_manager_role_id).toBeUndefined();
    const issuer = manifests.find((m: any) => m.kind === 'ClusterIssuer' && m.spec.vault);
    expect(issuer.spec.vault.auth).toEqual({
      kubernetes: { mountPath: '/v1/auth/kubernetes', role: 'cert-manager', serviceAccountRef: { name: 'vault-issuer' } },
    });
    expect(manifests.filter((m: any) => m.kind === 'ExternalSecret').map((m: any) => m.metadata.namespace)).not.toContain('cert-manager');
    expect(manifests.find((m: any) => m.kind === 'ServiceAccount' && m.metadata.name === 'vault-issuer')).toMatchObject({
      metadata: { namespace: 'cert-manager' }, automountServiceAccountToken: false,
    });
  });

  test('kubernetesJwtAuth: one JWT auth mount per IRSA cluster, on its OIDC issuer', () => {
    const config = example();
    const pods = { ...config.clusters[0]!, name: 'pods', workloadIdentity: podIdentityWithProvider('pods') };
    const stack = stackOf({ ...withVault(config, { setup: { kubernetesJwtAuth: true } }), clusters: [config.clusters[0]!, pods] });
    expect(Object.values<any>(stack.resource.vault_jwt_auth_backend).map((b) => [b.path, b.oidc_discovery_url])).toEqual([
      ['jwt-mycluster-0', 'https://oidc.eks.eu-west-3.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF'],
    ]);
  });

  test.each([['phase 1', {}], ['phase 2', undefined]])('%s: no key material: no pem_bundle, no private key, only certificates, and the scans agree (TF-012 included)', (_, given) => {
    const text = stackText(example(), given ?? signed());
    expect(text).not.toMatch(/pem_bundle|PRIVATE KEY|bundle\.pem|intermediate-ca-key/);
    expect(text.match(/-----BEGIN [A-Z ]+-----/g) ?? []).toEqual(given ? [] : Array(3).fill('-----BEGIN CERTIFICATE-----'));
    expect(text).not.toMatch(/"secret_id":|hvs\./);
    const file = 'cdktf.out/stacks/vault-config/cdk.tf.json';
    expect(checkSecrets({ manifests: [], files: new Map([[file, text]]), terraform: [{ file, stack: JSON.parse(text) }] })).toEqual([]);
    expect(checkPolicies({ manifests: [], files: new Map(), terraform: [{ file, stack: JSON.parse(text) }] })).toEqual([]);
  });

  test('rotation: a second issuer gets its own key and CSR; once signed, it becomes the default and the role\'s when configured', () => {
    // GIVEN a second issuer added, not signed yet
    const config = withVault(example(), { pki: { issuers: [{ name: 'issuing-ca' }, { name: 'issuing-ca-2027' }] } });
    // WHEN
    const pending = stackOf(config, signed());
    // THEN the first keeps its addresses and signs; the second has a key and a CSR, the output
    // (CDKTF writes resources sorted by address.)
    expect(Object.keys(pending.resource.vault_pki_secret_backend_key).map((id) => id.replace(/_[0-9A-F]{8}$/, '')).sort())
      .toEqual(['Pki_IssuingKey', 'Pki_IssuingKey-issuing-ca-2027']);
    expect(Object.keys(pending.resource.vault_pki_secret_backend_key)).toContain(Object.keys(stackOf().resource.vault_pki_secret_backend_key)[0]);
    expect(Object.values<any>(pending.resource.vault_pki_secret_backend_key).map((k) => k.key_name).sort()).toEqual(['issuing-ca', 'issuing-ca-2027']);
    expect(Object.values<any>(pending.resource.vault_pki_secret_backend_intermediate_cert_request).map((r) => r.common_name).sort())
      .toEqual(['Example Corp Issuing CA', 'Example Corp Issuing CA issuing-ca-2027']);
    expect(pending.output.issuing_csr.value).toMatch(/Pki_IssuingRequest-issuing-ca-2027_[0-9A-F]+\.csr\}$/);
    expect(Object.values<any>(pending.resource.vault_pki_secret_backend_issuer).map((i) => i.issuer_name)).toEqual(['issuing-ca']);
    expect(only(pending, 'vault_pki_secret_backend_role').issuer_ref).toMatch(/^\$\{vault_pki_secret_backend_issuer\.Pki_Issuer_[0-9A-F]+\.issuer_name\}$/);
    expect(terraformNextSteps(config, signed())).toEqual([expect.stringContaining('next: vault-config is in issuer "issuing-ca-2027" awaits its certificate; apply it')]);

    // WHEN the second is signed and made the default
    const both = { ...signed(), 'issuing-ca-2027': SIGNED['issuing-ca-2027']! };
    const switched = stackOf(withVault(config, { pki: { ...config.vault.pki, defaultIssuer: 'issuing-ca-2027' } }), both);
    // THEN
    expect(Object.values<any>(switched.resource.vault_pki_secret_backend_issuer).map((i) => i.issuer_name).sort()).toEqual(['issuing-ca', 'issuing-ca-2027']);
    expect(only(switched, 'vault_pki_secret_backend_config_issuers').default).toMatch(/Pki_Issuer-issuing-ca-2027_[0-9A-F]+\.issuer_id\}$/);
    expect(only(switched, 'vault_pki_secret_backend_role').issuer_ref).toMatch(/Pki_Issuer-issuing-ca-2027_[0-9A-F]+\.issuer_name\}$/);
    expect(switched.output.issuing_csr).toBeUndefined();
  });
});

describe('the Vault ClusterIssuer and the vault-config stack agree by construction', () => {
  test.each([
    ['the example', example()],
    ['other mounts, role, AppRole path and address', withVault(example(), {
      address: 'https://secrets.priv.example.com/',
      pki: { mount: 'pki_int', role: 'gateways', issuers: [{ name: 'gateways-ca' }] },
      auth: { appRole: { roleId: '11111111-2222-4333-8444-555555555555', path: 'platform-approle' } },
    })],
  ])('%s: server = provider address, path = <mount>/sign/<role> of the role, roleId = the AppRole\'s role_id', (_, config) => {
    // GIVEN the synthesized cluster objects and Vault stack of one configuration
    const objects = synthesizeKubernetes(config, { vaultCaBundle: CHAIN, trustRoots: ROOT }).manifests.get('mycluster-0')!;
    const issuer = objects.find((m: any) => m.kind === 'ClusterIssuer' && m.spec.vault).spec.vault;
    const stack = stackOf(config, { [config.vault.pki?.issuers?.[0]?.name ?? 'issuing-ca']: SIGNED['issuing-ca']! });
    // WHEN the stack's values are read as Terraform will see them
    const role = only(stack, 'vault_pki_secret_backend_role');
    const appRole = only(stack, 'vault_approle_auth_backend_role', 'CertManagerAppRole');
    // THEN
    expect(issuer.server).toBe(stack.provider.vault[0].address);
    expect(issuer.path).toBe(`${resolve(stack, role.backend)}/sign/${role.name}`);
    expect(issuer.auth.appRole.roleId).toBe(appRole.role_id);
    expect(issuer.auth.appRole.path).toBe(resolve(stack, appRole.backend));
    // and the policy cert-manager's tokens get allows exactly that path
    const policy = Object.values<any>(stack.resource.vault_policy).find((p) => `\${vault_policy.CertManagerPolicy.name}` === appRole.token_policies[0] && p.name === 'cert-manager');
    expect(policy.policy).toContain(`path "${issuer.path}" {\n  capabilities = ["update"]\n}`);
  });
});

describe('terraform validate', () => {
  test('the vault-config stack is reported as not validated (no hashicorp/vault in the mirror), the AWS stacks still are', () => {
    const terraform = findTerraform();
    const mirror = findProviderMirror();
    expect(terraform, 'terraform is not installed: this test needs it (no network to download it)').toBeDefined();
    expect(mirror, 'no filesystem mirror of hashicorp/aws found (set GATEWAY_PKI_TF_MIRROR)').toBeDefined();
    const outdir = writeFiles(synthesizeTerraform(example()));
    // Validating the AWS stacks takes seconds each: stacks.test.ts and the stacks' own tests do it.
    const report = terraformValidateReport(terraform!, mirror!, outdir, ['mycluster-0-aws', 'vault-config']);
    expect(report.notValidated).toEqual({
      'vault-config': `not validated: provider registry.terraform.io/hashicorp/vault 5.6.0 not in the mirror ${mirror} (no network to install it)`,
    });
    expect(report.diagnostics).toEqual({ 'mycluster-0-aws': [] });
  }, 180_000);
});
