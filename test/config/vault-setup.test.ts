/**
 * The configuration of the Vault configuration stack and of the External Secrets delivery:
 * `vault.pki` (beyond mount and role), `vault.auth.appRole`'s CIDRs and secret id lifetime,
 * `vault.setup`, `versions.externalSecrets`, and their checks against other sections.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { ConfigProblem } from '../../lib/config/errors.js';
import { ConfigError } from '../../lib/config/errors.js';
import { parseConfig } from '../../lib/config/load.js';
import { validateConfig } from '../../lib/config/validate.js';
import {
  appRoleSettings, appRolesDeliveredTo, defaultLeafMaxTtl, effectiveAllowedDomains, vaultAuth, vaultPkiSettings, vaultSetupSettings,
} from '../../lib/config/vault-setup.js';
import { secondCluster } from '../support/example-config.js';

const EXAMPLE_FILE = resolve(__dirname, '../fixtures/example/platform.yaml');
const EXAMPLE_TEXT = readFileSync(EXAMPLE_FILE, 'utf8');
const EXAMPLE: unknown = parse(EXAMPLE_TEXT);

// The example as plain data: each case edits it freely, as a user would edit the YAML.
type Editable = any;

function exampleWith(edit: (config: Editable) => void): unknown {
  const config = structuredClone(EXAMPLE) as Editable;
  edit(config);
  return config;
}

const paths = (problems: readonly ConfigProblem[]): string[] => problems.map((problem) => problem.path);

describe('vault setup configuration', () => {
  it('accepts every field set', () => {
    // GIVEN
    const config = exampleWith((c) => {
      c.vault.pki = {
        ...c.vault.pki, issuers: [{ name: 'issuing-ca' }, { name: 'issuing-ca-2027', certificateFile: 'pki/next/issuing-ca.pem' }],
        defaultIssuer: 'issuing-ca-2027', issuingCaTtl: '8760h', issuingKey: { type: 'ec', bits: 384 },
        allowedDomains: ['priv.example.com', 'svc.cluster.local'], allowWildcardCertificates: true, leafTtl: '240h', leafMaxTtl: '2160h',
        leafKey: { type: 'ec', bits: 256 }, allowIssue: true,
      };
      c.vault.auth.appRole.secretIdTtl = '720h';
      c.vault.setup = {
        auditFilePath: '/var/log/vault/audit.log', deadServerLastContactThreshold: '5m', kvMount: 'secret', adminPolicy: 'platform-admin',
        kubernetesJwtAuth: true,
      };
    });
    // WHEN / THEN
    expect(validateConfig(config)).toEqual([]);
  });

  it('accepts Kubernetes auth without versions.externalSecrets when there is no backup', () => {
    // GIVEN
    const config = exampleWith((c) => {
      c.vault.auth = { kubernetes: { role: 'cert-manager' } };
      delete c.backup;
      delete c.versions.externalSecrets;
    });
    // WHEN / THEN
    expect(validateConfig(config)).toEqual([]);
  });

  it('accepts a private certificate longer than the default leafMaxTtl, which then follows it', () => {
    // GIVEN
    const config = exampleWith((c) => { c.privateCertificate = { duration: '8760h' }; });
    // WHEN / THEN
    expect(validateConfig(config)).toEqual([]);
    expect(defaultLeafMaxTtl('8760h')).toBe('8760h');
    expect(defaultLeafMaxTtl('720h')).toBe('2160h');
  });

  // Each row breaks exactly one rule of the example and expects exactly one problem, at `path`,
  // whose message contains `message`.
  const cases: ReadonlyArray<{ name: string; edit: (c: Editable) => void; path: string; message: string }> = [
    // vault.pki
    {
      name: 'the removed intermediate mount is still given',
      edit: (c) => { c.vault.pki.intermediateMount = 'pki'; },
      path: 'vault.pki.intermediateMount',
      message: 'removed field: the offline intermediate CA is no longer imported into a Vault mount: its key stays offline, and '
        + '"npm run pki -- sign-issuing" signs the issuing CA\'s CSR with it (docs/architecture.md, "The Vault configuration"); delete it',
    },
    {
      name: 'the removed bundle file is still given',
      edit: (c) => { c.vault.pki.bundleFile = '../.tls/bundle.pem'; },
      path: 'vault.pki.bundleFile',
      message: 'removed field: Vault no longer reads the intermediate CA\'s key, so no bundle.pem is imported and no CA key reaches Terraform '
        + 'state; the issuing CA\'s signed certificate comes from vault.pki.issuers[].certificateFile instead; delete it',
    },
    {
      name: 'the issuers are an empty list',
      edit: (c) => { c.vault.pki.issuers = []; },
      path: 'vault.pki.issuers',
      message: 'expected a non-empty list of issuers, each a mapping with name, certificateFile, such as [{ name: "issuing-ca" }], got an empty list [] (the mount needs an issuer to sign with)',
    },
    {
      name: 'an issuer is a string',
      edit: (c) => { c.vault.pki.issuers = ['issuing-ca']; },
      path: 'vault.pki.issuers[0]',
      message: 'expected a mapping with name, certificateFile, got "issuing-ca"',
    },
    {
      name: 'an issuer has no name',
      edit: (c) => { c.vault.pki.issuers = [{ certificateFile: 'pki/issuing-ca.pem' }]; },
      path: 'vault.pki.issuers[0].name',
      message: 'is required: expected an issuer name: a DNS-1123 label',
    },
    {
      name: 'an issuer is named default',
      edit: (c) => { c.vault.pki.issuers = [{ name: 'default' }]; },
      path: 'vault.pki.issuers[0].name',
      message: 'expected a name other than "default", got "default" (Vault reserves it for whichever issuer is the default)',
    },
    {
      name: 'an issuer name has capitals',
      edit: (c) => { c.vault.pki.issuers = [{ name: 'Issuing_CA' }]; },
      path: 'vault.pki.issuers[0].name',
      message: 'expected an issuer name: a DNS-1123 label (lowercase letters, digits and \'-\', at most 63 characters), such as "issuing-ca", got "Issuing_CA"',
    },
    {
      name: 'two issuers share a name',
      edit: (c) => { c.vault.pki.issuers = [{ name: 'issuing-ca' }, { name: 'issuing-ca', certificateFile: 'pki/other.pem' }]; },
      path: 'vault.pki.issuers[1].name',
      message: 'expected a name not used by another issuer, got "issuing-ca" (already vault.pki.issuers[0].name)',
    },
    {
      name: 'two issuers share a certificate file, one by default',
      edit: (c) => { c.vault.pki.issuers = [{ name: 'issuing-ca' }, { name: 'next', certificateFile: 'pki/./issuing-ca.pem' }]; },
      path: 'vault.pki.issuers[1].certificateFile',
      message: 'expected a certificate file of its own, got "pki/./issuing-ca.pem" (vault.pki.issuers[0] already has it',
    },
    {
      name: 'an issuer has an unknown field',
      edit: (c) => { c.vault.pki.issuers = [{ name: 'issuing-ca', certificate: 'pki/issuing-ca.pem' }]; },
      path: 'vault.pki.issuers[0].certificate',
      message: 'unknown field; expected one of: name, certificateFile',
    },
    {
      name: 'the issuer\'s certificate file is absolute',
      edit: (c) => { c.vault.pki.issuers = [{ name: 'issuing-ca', certificateFile: '/etc/pki/issuing-ca.pem' }]; },
      path: 'vault.pki.issuers[0].certificateFile',
      message: 'an absolute path only exists on one machine',
    },
    {
      name: 'the issuer\'s certificate is pasted in place of its path',
      edit: (c) => { c.vault.pki.issuers = [{ name: 'issuing-ca', certificateFile: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' }]; },
      path: 'vault.pki.issuers[0].certificateFile',
      message: 'got PEM text (give the path of the PEM file, not its content)',
    },
    {
      name: 'the default issuer is not an issuer',
      edit: (c) => { c.vault.pki.issuers = [{ name: 'issuing-ca' }, { name: 'issuing-ca-2027' }]; c.vault.pki.defaultIssuer = 'issuing-ca-2026'; },
      path: 'vault.pki.defaultIssuer',
      message: 'expected the name of one of vault.pki.issuers ("issuing-ca" or "issuing-ca-2027"), got "issuing-ca-2026"',
    },
    {
      name: 'the default issuer names another issuer than the implicit one',
      edit: (c) => { delete c.vault.pki.issuers; c.vault.pki.defaultIssuer = 'next'; },
      path: 'vault.pki.defaultIssuer',
      message: '(without vault.pki.issuers the only issuer is "issuing-ca")',
    },
    {
      name: 'the issuing CA would outlive the offline intermediate',
      edit: (c) => { c.vault.pki.issuingCaTtl = '43800h'; },
      path: 'vault.pki.issuingCaTtl',
      message: 'expected a duration shorter than 43800h (the 5-year lifetime of the offline intermediate CA that signs the issuing CA, which Vault refuses to outlive), got "43800h"',
    },
    {
      name: 'the issuing CA TTL is in days',
      edit: (c) => { c.vault.pki.issuingCaTtl = '730d'; },
      path: 'vault.pki.issuingCaTtl',
      message: 'Go durations have no unit for days; write 730 days as "17520h"',
    },
    {
      name: 'the issuing key type is misspelt',
      edit: (c) => { c.vault.pki.issuingKey = { type: 'ecdsa' }; },
      path: 'vault.pki.issuingKey.type',
      message: 'expected "ec" or "rsa", got "ecdsa"',
    },
    {
      name: 'the issuing key size is an EC size for RSA',
      edit: (c) => { c.vault.pki.issuingKey = { type: 'rsa', bits: 384 }; },
      path: 'vault.pki.issuingKey.bits',
      message: 'expected an RSA key size: 2048, 3072 or 4096 (type "rsa"), got 384 (a size for "ec" keys; set type: "ec" for one)',
    },
    {
      name: 'the issuing key is P-521, which Chrome does not verify',
      edit: (c) => { c.vault.pki.issuingKey = { type: 'ec', bits: 521 }; },
      path: 'vault.pki.issuingKey.bits',
      message: 'expected an EC curve size: 256 or 384 (type "ec"); no P-521, which Chrome and BoringSSL do not verify in a chain, got 521',
    },
    {
      name: 'the issuing key has an unknown field',
      edit: (c) => { c.vault.pki.issuingKey = { type: 'ec', curve: 'P-256' }; },
      path: 'vault.pki.issuingKey.curve',
      message: 'unknown field; expected one of: type, bits',
    },
    {
      name: 'the allowed domains are empty',
      edit: (c) => { c.vault.pki.allowedDomains = []; },
      path: 'vault.pki.allowedDomains',
      message: 'expected a non-empty list of DNS names the Vault role signs (with their subdomains), such as ["priv.example.com", "cluster.local"], got an empty list [] (a role without domains signs nothing; remove the key to sign the private zone and cluster.local)',
    },
    {
      name: 'the allowed domains are a string',
      edit: (c) => { c.vault.pki.allowedDomains = 'priv.example.com'; },
      path: 'vault.pki.allowedDomains',
      message: 'expected a non-empty list of DNS names',
    },
    {
      name: 'an allowed domain is a wildcard',
      edit: (c) => { c.vault.pki.allowedDomains = ['priv.example.com', '*.cluster.local']; },
      path: 'vault.pki.allowedDomains[1]',
      message: 'got "*.cluster.local" (wildcards are not allowed; name one host)',
    },
    {
      name: 'an allowed domain is listed twice',
      edit: (c) => { c.vault.pki.allowedDomains = ['priv.example.com', 'priv.example.com']; },
      path: 'vault.pki.allowedDomains[1]',
      message: 'expected a domain not listed before, got "priv.example.com" (already allowedDomains[0])',
    },
    {
      name: 'the allowed domains leave out a private application',
      edit: (c) => { c.vault.pki.allowedDomains = ['apps.priv.example.com', 'cluster.local']; },
      path: 'vault.pki.allowedDomains',
      message: '("grafana.priv.example.com" of applications[1] is outside them: Vault would refuse the private Gateway\'s certificate)',
    },
    {
      name: 'allowWildcardCertificates is a string',
      edit: (c) => { c.vault.pki.allowWildcardCertificates = 'yes'; },
      path: 'vault.pki.allowWildcardCertificates',
      message: 'expected true or false, got "yes"',
    },
    {
      name: 'the leaf TTL is 0',
      edit: (c) => { c.vault.pki.leafTtl = '0'; },
      path: 'vault.pki.leafTtl',
      message: '(a lifetime of 0 never ends in Vault; give one)',
    },
    {
      name: 'the leaf TTL is longer than the leaf max TTL',
      edit: (c) => { c.vault.pki.leafTtl = '3000h'; },
      path: 'vault.pki.leafTtl',
      message: 'expected a leafTtl no longer than the default vault.pki.leafMaxTtl ("2160h"), got "3000h"',
    },
    {
      name: 'the leaf max TTL is longer than the issuing CA\'s lifetime',
      edit: (c) => { c.vault.pki.leafMaxTtl = '20000h'; c.privateCertificate.duration = '2160h'; },
      path: 'vault.pki.leafMaxTtl',
      message: 'expected a leafMaxTtl shorter than the default vault.pki.issuingCaTtl ("17520h"), got "20000h" (a certificate cannot outlive the issuing CA, whose issuer refuses it (leaf_not_after_behavior "err"))',
    },
    {
      name: 'the issuing CA is shorter-lived than the default leaf max TTL',
      edit: (c) => { c.vault.pki.issuingCaTtl = '1000h'; },
      path: 'vault.pki.issuingCaTtl',
      message: 'expected an issuingCaTtl longer than the default vault.pki.leafMaxTtl ("2160h"), got "1000h"',
    },
    {
      name: 'the leaf max TTL is shorter than the private Gateway\'s certificate',
      edit: (c) => { c.vault.pki.leafMaxTtl = '720h'; c.vault.pki.leafTtl = '240h'; },
      path: 'vault.pki.leafMaxTtl',
      message: 'expected a leafMaxTtl of at least privateCertificate.duration ("2160h"), got "720h"',
    },
    {
      name: 'the private Gateway\'s certificate would outlive the issuing CA',
      edit: (c) => { c.privateCertificate.duration = '20000h'; },
      path: 'privateCertificate.duration',
      message: 'expected a duration shorter than the default vault.pki.issuingCaTtl ("17520h"), the lifetime of the issuing CA, got "20000h"',
    },
    {
      name: 'the leaf key differs from the private Gateway\'s key',
      edit: (c) => { c.vault.pki.leafKey = { type: 'rsa' }; },
      path: 'vault.pki.leafKey',
      message: 'expected the key of privateCertificate.privateKey (type "ec", bits 256), got type "rsa", bits 2048',
    },
    {
      name: 'allowIssue is a number',
      edit: (c) => { c.vault.pki.allowIssue = 1; },
      path: 'vault.pki.allowIssue',
      message: 'expected true or false, got 1',
    },
    // vault.auth.appRole
    {
      name: 'the AppRole role id is not a UUID',
      edit: (c) => { c.vault.auth.appRole.roleId = 'cert-manager'; },
      path: 'vault.auth.appRole.roleId',
      message: 'expected an AppRole role id, a UUID such as "5f0c8b8e-3c1d-4e7a-9b2f-6d4a1e0c7b93", got "cert-manager"',
    },
    {
      name: 'a token bound CIDR is the whole internet',
      edit: (c) => { c.vault.auth.appRole.tokenBoundCidrs = ['10.0.0.0/16', '0.0.0.0/0']; },
      path: 'vault.auth.appRole.tokenBoundCidrs[1]',
      message: 'got "0.0.0.0/0" (anyone on the internet)',
    },
    {
      name: 'a secret id bound CIDR is an address',
      edit: (c) => { c.vault.auth.appRole.secretIdBoundCidrs = ['10.0.0.10']; },
      path: 'vault.auth.appRole.secretIdBoundCidrs[0]',
      message: 'a single address is written "10.0.0.10/32"',
    },
    {
      name: 'the secret id bound CIDRs are a string',
      edit: (c) => { c.vault.auth.appRole.secretIdBoundCidrs = '10.0.0.0/16'; },
      path: 'vault.auth.appRole.secretIdBoundCidrs',
      message: '(write it as a list: ["10.0.0.0/16"])',
    },
    {
      name: 'the secret id lives less than the refresh interval',
      edit: (c) => { c.vault.auth.appRole.secretIdTtl = '30m'; },
      path: 'vault.auth.appRole.secretIdTtl',
      message: 'expected a duration of at least 1h (External Secrets refreshes the secret id in the cluster every hour), got "30m"',
    },
    {
      name: 'the secret id never expires',
      edit: (c) => { c.vault.auth.appRole.secretIdTtl = 0; },
      path: 'vault.auth.appRole.secretIdTtl',
      message: '(a lifetime of 0 never ends in Vault; give one)',
    },
    {
      name: 'the snapshot agent shares cert-manager\'s role id',
      edit: (c) => { c.backup.appRole.roleId = c.vault.auth.appRole.roleId.toUpperCase(); },
      path: 'backup.appRole.roleId',
      message: 'expected a role id other than vault.auth.appRole.roleId',
    },
    // vault.auth.kubernetes
    {
      name: 'Kubernetes auth with two clusters',
      edit: (c) => {
        c.vault.auth = { kubernetes: { role: 'cert-manager' } };
        c.clusters.push(secondCluster(c.clusters[0]));
        for (const application of c.applications) application.cluster = 'mycluster-0';
        c.backup.cluster = 'mycluster-0';
      },
      path: 'vault.auth.kubernetes',
      message: 'expected a single cluster for Kubernetes auth, got 2 clusters',
    },
    {
      name: 'the default Kubernetes auth (vault.auth omitted) with two clusters',
      edit: (c) => {
        delete c.vault.auth;
        c.clusters.push(secondCluster(c.clusters[0]));
        for (const application of c.applications) application.cluster = 'mycluster-0';
        c.backup.cluster = 'mycluster-0';
      },
      path: 'vault.auth',
      message: 'expected a single cluster for Kubernetes auth, got 2 clusters (Vault\'s JWT auth mount at vault.auth.kubernetes.mountPath '
        + 'trusts one cluster\'s OIDC issuer; cert-manager logs in with Kubernetes auth when vault.auth is omitted; set vault.auth.appRole instead)',
    },
    {
      name: 'the default Kubernetes auth (vault.auth omitted) with a Pod Identity cluster',
      edit: (c) => { delete c.vault.auth; c.clusters[0].workloadIdentity = { ...c.clusters[0].workloadIdentity, type: 'pod-identity' }; },
      path: 'vault.auth',
      message: 'got clusters[0].workloadIdentity.type "pod-identity" (Vault\'s JWT auth trusts the OIDC issuer that oidcProviderArn names; '
        + 'cert-manager logs in with Kubernetes auth when vault.auth is omitted; set vault.auth.appRole instead)',
    },
    {
      name: 'Kubernetes auth with a Pod Identity cluster',
      edit: (c) => { c.vault.auth = { kubernetes: { role: 'cert-manager' } }; c.clusters[0].workloadIdentity = { ...c.clusters[0].workloadIdentity, type: 'pod-identity' }; },
      path: 'vault.auth.kubernetes',
      message: 'expected a cluster whose workloadIdentity is irsa for Kubernetes auth, got clusters[0].workloadIdentity.type "pod-identity"',
    },
    // External Secrets' stores on a Pod Identity cluster
    {
      name: 'a Pod Identity cluster receiving cert-manager\'s secret id names no OIDC provider',
      edit: (c) => { c.clusters[0].workloadIdentity = { type: 'pod-identity' }; },
      path: 'clusters[0].workloadIdentity.oidcProviderArn',
      message: 'is required with type "pod-identity" when vault.auth.appRole is set: cert-manager\'s secret id is delivered to every cluster: '
        + 'expected the ARN of the cluster\'s IAM OIDC provider (e.g. eksctl utils associate-iam-oidc-provider). External Secrets gives each '
        + 'namespace\'s SecretStore its own role through it; EKS Pod Identity credentials belong to the controller\'s pod, whichever namespace '
        + 'asks, so one role would read every namespace\'s secret id',
    },
    // vault.setup
    {
      name: 'vault.setup has an unknown field',
      edit: (c) => { c.vault.setup = { auditPath: '/var/log/vault/audit.log' }; },
      path: 'vault.setup.auditPath',
      message: 'unknown field; expected one of: auditFilePath, deadServerLastContactThreshold, kvMount, adminPolicy, kubernetesJwtAuth, appRoleRotation',
    },
    {
      name: 'the audit file path is relative',
      edit: (c) => { c.vault.setup = { auditFilePath: 'audit.log' }; },
      path: 'vault.setup.auditFilePath',
      message: 'expected an absolute path of a file on the Vault servers, such as "/var/log/vault/audit.log", got "audit.log" (give it from the root of the file system)',
    },
    {
      name: 'the audit file path is a directory',
      edit: (c) => { c.vault.setup = { auditFilePath: '/var/log/vault/' }; },
      path: 'vault.setup.auditFilePath',
      message: 'expected an absolute path of a file on the Vault servers',
    },
    {
      name: 'the dead server threshold is below autopilot\'s minimum',
      edit: (c) => { c.vault.setup = { deadServerLastContactThreshold: '30s' }; },
      path: 'vault.setup.deadServerLastContactThreshold',
      message: 'expected a duration of at least 1m (the shortest Vault\'s autopilot accepts), got "30s"',
    },
    {
      name: 'the kv mount is inside the issuing mount',
      edit: (c) => { c.vault.setup = { kvMount: 'pki_private_issuer/kv' }; },
      path: 'vault.setup.kvMount',
      message: 'expected a mount apart from vault.pki.mount ("pki_private_issuer"), got "pki_private_issuer/kv"',
    },
    {
      name: 'the admin policy is Vault\'s root',
      edit: (c) => { c.vault.setup = { adminPolicy: 'root' }; },
      path: 'vault.setup.adminPolicy',
      message: 'expected a policy name other than "root", "default", "cert-manager" or "vault-snapshot", got "root"',
    },
    {
      name: 'the admin policy has a space',
      edit: (c) => { c.vault.setup = { adminPolicy: 'platform admin' }; },
      path: 'vault.setup.adminPolicy',
      message: 'expected a Vault policy name: letters, digits, \'_\' and \'-\', such as "admin", got "platform admin"',
    },
    {
      name: 'JWT auth without an IRSA cluster',
      edit: (c) => { c.vault.setup = { kubernetesJwtAuth: true }; c.clusters[0].workloadIdentity = { ...c.clusters[0].workloadIdentity, type: 'pod-identity' }; },
      path: 'vault.setup.kubernetesJwtAuth',
      message: 'expected false when no cluster uses irsa, got true',
    },
    // versions.externalSecrets
    {
      name: 'the External Secrets version is missing with AppRole login',
      edit: (c) => { delete c.versions.externalSecrets; },
      path: 'versions.externalSecrets',
      message: 'is required when vault.auth.appRole is set: cert-manager\'s secret id is delivered by it: expected an exact External Secrets Operator chart version "MAJOR.MINOR.PATCH" such as "2.9.0"',
    },
    {
      name: 'the External Secrets version is missing with a backup only',
      edit: (c) => { delete c.versions.externalSecrets; c.vault.auth = { kubernetes: { role: 'cert-manager' } }; },
      path: 'versions.externalSecrets',
      message: 'is required when a backup section exists: the snapshot agent\'s secret id is delivered by it',
    },
    {
      name: 'the External Secrets version has a v',
      edit: (c) => { c.versions.externalSecrets = 'v2.9.0'; },
      path: 'versions.externalSecrets',
      message: '(remove the leading "v": the external-secrets chart versions have none)',
    },
    {
      name: 'the External Secrets version predates external-secrets.io/v1',
      edit: (c) => { c.versions.externalSecrets = '0.10.7'; },
      path: 'versions.externalSecrets',
      message: 'expected External Secrets Operator 0.16.0 or later (the first that serves external-secrets.io/v1), got "0.10.7"',
    },
    // vault.setup.appRoleRotation
    {
      name: 'the rotation has an unknown field',
      edit: (c) => { c.vault.setup = { appRoleRotation: { every: '7d' } }; },
      path: 'vault.setup.appRoleRotation.every',
      message: 'unknown field; expected one of: enabled, schedule, images',
    },
    {
      name: 'the rotation is switched on with a string',
      edit: (c) => { c.vault.setup = { appRoleRotation: { enabled: 'yes' } }; },
      path: 'vault.setup.appRoleRotation.enabled',
      message: 'expected true or false',
    },
    {
      name: 'the rotation schedule is not a cron schedule',
      edit: (c) => { c.vault.setup = { appRoleRotation: { schedule: 'weekly' } }; },
      path: 'vault.setup.appRoleRotation.schedule',
      message: 'expected a cron schedule of 5 fields (minute hour day-of-month month day-of-week, in UTC) such as "0 4 * * *", got "weekly"',
    },
    {
      name: 'the rotation schedule fires every minute',
      edit: (c) => { c.vault.setup = { appRoleRotation: { schedule: '* 4 * * 1' } }; },
      path: 'vault.setup.appRoleRotation.schedule',
      message: 'at most once an hour',
    },
    {
      name: 'the rotation image is not pinned',
      edit: (c) => { c.vault.setup = { appRoleRotation: { images: { awsCli: 'amazon/aws-cli:latest' } } }; },
      path: 'vault.setup.appRoleRotation.images.awsCli',
      message: 'expected a container image pinned by a tag other than "latest", optionally followed by its sha256 digest',
    },
    {
      name: 'the rotation images have an unknown field',
      edit: (c) => { c.vault.setup = { appRoleRotation: { images: { kubectl: 'bitnami/kubectl:1.31' } } }; },
      path: 'vault.setup.appRoleRotation.images.kubectl',
      message: 'unknown field; expected one of: vault, awsCli',
    },
    {
      name: 'the rotation is switched on without a vaultCluster',
      edit: (c) => { delete c.vaultCluster; c.backup.images = { vault: 'hashicorp/vault:1.21.1' }; c.vault.setup = { appRoleRotation: { enabled: true } }; },
      path: 'vault.setup.appRoleRotation.enabled',
      message: 'expected false or omitted without a vaultCluster section, got true (the rotation job logs in to Vault with its AWS auth method',
    },
    {
      name: 'a monthly rotation of a 30-day secret id would page between two good runs',
      edit: (c) => { c.vault.setup = { appRoleRotation: { schedule: '0 5 1 * *' } }; c.vault.auth.appRole.secretIdTtl = '720h'; },
      path: 'vault.setup.appRoleRotation.schedule',
      message: 'expected a schedule that runs more often, got "0 5 1 * *" (the rotation warns after two missed runs (62 days) and pages a week before '
        + 'vault.auth.appRole.secretIdTtl ("720h") ends: the page would come first)',
    },
    {
      name: 'the default weekly rotation and a 20-day backup secret id',
      edit: (c) => { c.backup.appRole.secretIdTtl = '480h'; },
      path: 'backup.appRole.secretIdTtl',
      message: 'expected a secretIdTtl longer than 21 days under the default vault.setup.appRoleRotation.schedule ("17 5 * * 1"), got "480h"',
    },
  ];

  it('accepts a short secret id lifetime when rotation is off, and a daily rotation of a 10-day secret id', () => {
    expect(validateConfig(exampleWith((c) => { c.backup.appRole.secretIdTtl = '480h'; c.vault.setup = { appRoleRotation: { enabled: false } }; }))).toEqual([]);
    expect(validateConfig(exampleWith((c) => {
      c.backup.appRole.secretIdTtl = '240h';
      c.vault.setup = { appRoleRotation: { schedule: '30 3 * * *', images: { vault: 'hashicorp/vault:1.21.1', awsCli: 'amazon/aws-cli:2.31.0' } } };
    }))).toEqual([]);
  });

  it.each(cases)('reports $path when $name', ({ edit, path, message }) => {
    // GIVEN
    const config = exampleWith(edit);
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(paths(problems)).toEqual([path]);
    expect(problems[0]!.message).toContain(message);
  });

  it('reports every problem at once, in the order of the fields, with the line of each', () => {
    // GIVEN
    const text = EXAMPLE_TEXT
      .replace('    role: cert-manager\n', '    role: cert-manager\n    leafMaxTtl: 20000h\n    allowedDomains: []\n')
      .replace('      roleId: 5f0c8b8e-3c1d-4e7a-9b2f-6d4a1e0c7b93\n', '      roleId: not-a-uuid\n')
      .replace('  externalSecrets: 2.9.0\n', '');
    // WHEN
    let error: unknown;
    try {
      parseConfig(text, 'platform.yaml');
    } catch (err) {
      error = err;
    }
    // THEN
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(paths(problems)).toEqual(['vault.pki.allowedDomains', 'vault.pki.leafMaxTtl', 'vault.auth.appRole.roleId', 'versions.externalSecrets']);
    expect((error as ConfigError).message).toMatch(/vault\.pki\.leafMaxTtl \(line \d+\): expected a leafMaxTtl shorter than/);
  });
});

describe('vault setup settings', () => {
  it('defaults vault.auth to Kubernetes auth with the role "cert-manager", which the example\'s single IRSA cluster allows', () => {
    // GIVEN
    const raw = parse(EXAMPLE_TEXT) as any;
    delete raw.vault.auth;
    // WHEN / THEN
    expect(validateConfig(raw)).toEqual([]);
    const config = parseConfig(stringify(raw), EXAMPLE_FILE);
    expect(vaultAuth(config)).toEqual({ kubernetes: { role: 'cert-manager' } });
    expect(appRoleSettings(config)).toBeUndefined();
    expect(appRolesDeliveredTo(config, config.clusters[0]!)).toEqual(['vault-snapshot']);
  });

  it('applies every default to the example', () => {
    // GIVEN
    const config = parseConfig(EXAMPLE_TEXT, EXAMPLE_FILE);
    // WHEN / THEN
    expect(vaultPkiSettings(config)).toEqual({
      mount: 'pki_private_issuer', role: 'cert-manager', issuers: [{ name: 'issuing-ca', certificateFile: 'pki/issuing-ca.pem' }],
      defaultIssuer: 'issuing-ca', issuingCaTtl: '17520h',
      issuingKey: { type: 'ec', bits: 256 }, allowedDomains: ['priv.example.com', 'cluster.local'], allowWildcardCertificates: false,
      leafTtl: '720h', leafMaxTtl: '2160h', leafKey: { type: 'ec', bits: 256 }, allowIssue: false,
      signPath: 'pki_private_issuer/sign/cert-manager', issuePath: 'pki_private_issuer/issue/cert-manager',
    });
    expect(appRoleSettings(config)).toEqual({
      path: 'approle', roleId: '5f0c8b8e-3c1d-4e7a-9b2f-6d4a1e0c7b93', secretName: 'vault-approle', secretKey: 'secretId',
      tokenBoundCidrs: ['10.0.0.0/16'], secretIdBoundCidrs: ['10.0.0.0/16'], secretIdTtl: '2160h',
    });
    expect(vaultSetupSettings(config)).toEqual({
      engine: 'vault', auditFilePath: '/var/log/vault/audit.log', auditSyslogTag: 'vault-audit', deadServerLastContactThreshold: '10m',
      kvMount: 'kv', adminPolicy: 'admin', kubernetesJwtAuth: false, voters: 5, minQuorum: 3,
    });
    expect(appRolesDeliveredTo(config, config.clusters[0]!)).toEqual(['cert-manager', 'vault-snapshot']);
  });

  it.each([[3, 3], [5, 3], [7, 4]])('autopilot min_quorum for %i voters is %i', (voters, minQuorum) => {
    const config = parseConfig(EXAMPLE_TEXT, EXAMPLE_FILE);
    expect(vaultSetupSettings({ ...config, vaultCluster: { ...config.vaultCluster!, voters } }).minQuorum).toBe(minQuorum);
  });

  it('OpenBao defaults its audit file to its own log directory; a dev cluster has one voter and the floor quorum', () => {
    const config = parseConfig(EXAMPLE_TEXT, EXAMPLE_FILE);
    const settings = vaultSetupSettings({ ...config, vaultCluster: { ...config.vaultCluster!, engine: 'openbao', mode: 'dev' } });
    expect([settings.auditFilePath, settings.voters, settings.minQuorum]).toEqual(['/var/log/openbao/audit.log', 1, 3]);
  });

  it('leaf key and allowed domains follow the private certificate and the private zone unless given', () => {
    const config = parseConfig(EXAMPLE_TEXT, EXAMPLE_FILE);
    const rsa = { ...config, privateCertificate: { ...config.privateCertificate, privateKey: { algorithm: 'RSA' as const } } };
    expect(vaultPkiSettings(rsa).leafKey).toEqual({ type: 'rsa', bits: 2048 });
    expect(effectiveAllowedDomains({ ...config, dns: { ...config.dns, privateZone: { name: 'corp.internal' } } })).toEqual(['corp.internal', 'cluster.local']);
  });
});
