import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, type ConfigProblem, formatPath, parsePath, showValue } from '../../lib/config/errors.js';
import {
  assertValidConfig,
  CERT_MANAGER_MIN_VERSION,
  CERTIFICATE_DURATION_MIN,
  GATEWAY_API_MIN_VERSION,
  KEY_SIZES,
  LETS_ENCRYPT_CERTIFICATE_LIFETIME,
  LETS_ENCRYPT_KEY_SIZES,
  MONITORING_DAYS_LEFT_MAX,
  MONITORING_DAYS_LEFT_MIN,
  MONITORING_DEFAULT_CRITICAL_DAYS_LEFT,
  MONITORING_DEFAULT_WARNING_DAYS_LEFT,
  ORGANIZATION_NAME_MAX_LENGTH,
  PRIVATE_CERTIFICATE_DEFAULT_DURATION,
  PRIVATE_CERTIFICATE_DEFAULT_RENEW_BEFORE,
  RENEW_BEFORE_MIN,
  SUPPRESSION_REASON_MIN_LENGTH,
  TRUST_MANAGER_MIN_VERSION,
  validateConfig,
  type ValidateOptions,
  X509_CERTIFICATE_EXPORTER_MIN_VERSION,
} from '../../lib/config/validate.js';
import {
  isAwsRegion,
  isDns1035Label,
  isDnsLabel,
  isDnsName,
  isEmail,
  isFluxDuration,
  isGoDuration,
  isHttpPathPrefix,
  isLabelKey,
  isLabelValue,
  isPortableRelativePath,
  isSecretKey,
  isUuid,
  isVaultPath,
  isVaultPathSegment,
  LABEL_NAME_MAX_LENGTH,
  LABEL_VALUE_MAX_LENGTH,
  parseExactVersion,
  parseGoDuration,
  parseOidcProviderArn,
  SECRET_KEY_MAX_LENGTH,
} from '../../lib/util/validators.js';
import { EXAMPLE, exampleWith, withSecondCluster } from '../support/example-config.js';

const EXAMPLE_FILE = resolve(__dirname, '../fixtures/example/platform.yaml');
const ARN = 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-3.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF';

// The example as plain data: each case edits it freely, as a user would edit the YAML.
type Editable = any;


/**
 * Removes vault.caBundleFile, for a case that gives vault.caBundleSecretRef instead, and names the
 * roots file that trust-manager then needs.
 */
function forCaBundleSecret(config: Editable): void {
  delete config.vault.caBundleFile;
  config.trust = { ...config.trust, rootsFile: 'pki/root-ca.pem' };
}

const paths = (problems: readonly ConfigProblem[]): string[] => problems.map((problem) => problem.path);

/** A reason long enough for a suppression. */
const SUPPRESSION_REASON = 'the chart gives its hook Job no CPU limit (#31)';

describe('validateConfig', () => {
  it('finds no problem in the example configuration', () => {
    // GIVEN
    const config = EXAMPLE;
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(problems).toEqual([]);
  });

  it('finds no problem in a full pki section', () => {
    // GIVEN
    const config = exampleWith((c) => {
      c.pki = {
        serverKey: { algorithm: 'RSA' },
        serverExtraDnsNames: ['vault-0.priv.example.com', 'priv.example.com'],
        serverIpAddresses: ['10.0.0.10', '127.0.0.1', '::1', '2001:db8::10', '::ffff:10.0.0.1'],
        intermediateCaIssuersUrl: 'http://pki.example.com/intermediate-ca.crt',
        intermediateCrlUrl: 'https://pki.example.com:8443/crl/intermediate.crl?v=1',
      };
    });
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(problems).toEqual([]);
  });

  it('does not change the configuration it checks', () => {
    // GIVEN
    const config = exampleWith((c) => { c.aws.accountId = 1234; });
    const before = structuredClone(config);
    // WHEN
    validateConfig(config);
    // THEN
    expect(config).toEqual(before);
  });

  // Each row breaks exactly one rule of the example and expects exactly one problem, at `path`,
  // whose message contains `message`.
  const cases: ReadonlyArray<{ name: string; edit: (c: Editable) => void; path: string; message: string }> = [
    // structure: unknown keys, wrong types, required fields
    {
      name: 'a top-level key is misspelt',
      edit: (c) => { c.application = c.applications; delete c.applications; },
      path: 'application',
      message: 'unknown field; expected one of: organization, aws, dns, acme, vault, publicCertificate, privateCertificate, versions, imageDigests, clusters, applications, pki, trust, validation, vaultCluster, backup, terraform',
    },
    {
      name: 'a nested key is misspelt',
      edit: (c) => { c.organization.nmae = 'x'; },
      path: 'organization.nmae',
      message: 'unknown field; expected one of: name, country',
    },
    {
      name: 'a key of a list item is unknown',
      edit: (c) => { c.clusters[0].replica = 3; },
      path: 'clusters[0].replica',
      message: 'unknown field; expected one of: name, region, gatewayClassName, workloadIdentity, flux, certManager, gateways, monitoring',
    },
    {
      name: 'a key with a dot is unknown',
      edit: (c) => { c.aws['account.id'] = '1'; },
      path: 'aws["account.id"]',
      message: 'unknown field; expected one of: accountId, region',
    },
    {
      name: 'a section is a string',
      edit: (c) => { c.organization = 'Example Corp'; },
      path: 'organization',
      message: 'expected a mapping with name, country, got "Example Corp"',
    },
    {
      name: 'a string field is a list',
      edit: (c) => { c.acme.email = ['security@example.com']; },
      path: 'acme.email',
      message: 'got a list ["security@example.com"]',
    },
    {
      name: 'a string field is a mapping',
      edit: (c) => { c.clusters[0].gatewayClassName = { name: 'cilium' }; },
      path: 'clusters[0].gatewayClassName',
      message: 'got a mapping {"name":"cilium"}',
    },
    {
      name: 'a required section is missing',
      edit: (c) => { delete c.acme; },
      path: 'acme',
      message: 'is required: expected a mapping with email, gatewayIssuer, http01',
    },
    {
      name: 'a required field is empty in YAML (null)',
      edit: (c) => { c.acme.email = null; },
      path: 'acme.email',
      message: 'got null (an empty value; give it a value)',
    },
    // organization
    {
      name: 'organization.name is missing',
      edit: (c) => { delete c.organization.name; },
      path: 'organization.name',
      message: `is required: expected a non-empty organization name of at most ${ORGANIZATION_NAME_MAX_LENGTH} characters`,
    },
    {
      name: 'organization.name is blank',
      edit: (c) => { c.organization.name = '  '; },
      path: 'organization.name',
      message: 'expected a non-empty organization name',
    },
    {
      name: 'organization.name is longer than the X.509 bound',
      edit: (c) => { c.organization.name = 'x'.repeat(ORGANIZATION_NAME_MAX_LENGTH + 1); },
      path: 'organization.name',
      message: `(${ORGANIZATION_NAME_MAX_LENGTH + 1} characters)`,
    },
    {
      name: 'organization.country is lowercase',
      edit: (c) => { c.organization.country = 'fr'; },
      path: 'organization.country',
      message: 'expected an ISO 3166-1 alpha-2 country code, two uppercase letters such as "FR", got "fr" (write it in uppercase: "FR")',
    },
    {
      name: 'organization.country has three letters',
      edit: (c) => { c.organization.country = 'FRA'; },
      path: 'organization.country',
      message: 'got "FRA"',
    },
    // aws
    {
      name: 'aws.accountId is a YAML number',
      edit: (c) => { c.aws.accountId = 123456789012; },
      path: 'aws.accountId',
      message: 'expected a 12-digit AWS account id as a string (quote it in YAML), got 123456789012',
    },
    {
      name: 'aws.accountId has 5 digits',
      edit: (c) => { c.aws.accountId = '12345'; },
      path: 'aws.accountId',
      message: 'expected a 12-digit AWS account id, got "12345"',
    },
    {
      name: 'aws.region is an availability zone',
      edit: (c) => { c.aws.region = 'eu-west-3a'; },
      path: 'aws.region',
      message: 'expected an AWS region code such as "eu-west-3", got "eu-west-3a" (that is an availability zone; the region is "eu-west-3")',
    },
    {
      name: 'aws.region is a location name',
      edit: (c) => { c.aws.region = 'Paris'; },
      path: 'aws.region',
      message: 'got "Paris"',
    },
    // dns
    {
      name: 'a zone name has a trailing dot',
      edit: (c) => { c.dns.publicZone.name = 'example.com.'; },
      path: 'dns.publicZone.name',
      message: 'got "example.com." (remove the trailing dot)',
    },
    {
      name: 'a zone name is a wildcard',
      edit: (c) => { c.dns.privateZone.name = '*.priv.example.com'; },
      path: 'dns.privateZone.name',
      message: 'wildcards are not allowed',
    },
    {
      name: 'a zone name has one label',
      edit: (c) => { c.dns.publicZone.name = 'localhost'; },
      path: 'dns.publicZone.name',
      message: 'a fully qualified name has at least two labels',
    },
    {
      name: 'a zone name has uppercase letters',
      edit: (c) => { c.dns.publicZone.name = 'Example.com'; },
      path: 'dns.publicZone.name',
      message: 'expected a lowercase fully qualified DNS name without trailing dot, such as "example.com", got "Example.com" (write it in lowercase)',
    },
    {
      name: 'a zone label is longer than 63 characters',
      edit: (c) => { c.dns.publicZone.name = `${'a'.repeat(64)}.com`; },
      path: 'dns.publicZone.name',
      message: '(a label is longer than 63 characters)',
    },
    {
      name: 'a zone name is longer than 253 characters',
      edit: (c) => { c.dns.publicZone.name = `${'abc.'.repeat(63)}com`; },
      path: 'dns.publicZone.name',
      message: '(255 characters; at most 253 allowed)',
    },
    {
      name: 'a zone label starts with a hyphen',
      edit: (c) => { c.dns.publicZone.name = '-example.com'; },
      path: 'dns.publicZone.name',
      message: 'got "-example.com"',
    },
    {
      name: 'a hosted zone id keeps the /hostedzone/ prefix',
      edit: (c) => { c.dns.publicZone.hostedZoneID = '/hostedzone/Z0123456789EXAMPLEPUB'; },
      path: 'dns.publicZone.hostedZoneID',
      message: '(remove the "/hostedzone/" prefix)',
    },
    {
      name: 'a hosted zone id is lowercase',
      edit: (c) => { c.dns.privateZone.hostedZoneID = 'z0123'; },
      path: 'dns.privateZone.hostedZoneID',
      message: 'expected a Route53 hosted zone id: "Z" then uppercase letters or digits, at most 32 characters, got "z0123"',
    },
    {
      name: 'the two zones have the same name',
      edit: (c) => { c.dns.privateZone.name = 'example.com'; },
      path: 'dns.privateZone.name',
      message: 'expected a zone different from dns.publicZone.name, got "example.com" (usually a subdomain of it, such as "priv.example.com")',
    },
    // acme
    {
      name: 'acme.email has no domain',
      edit: (c) => { c.acme.email = 'ops@'; },
      path: 'acme.email',
      message: 'expected an e-mail address such as "security@example.com", got "ops@"',
    },
    {
      name: 'acme.email has no @',
      edit: (c) => { c.acme.email = 'ops'; },
      path: 'acme.email',
      message: 'got "ops"',
    },
    {
      name: 'acme.email has a space',
      edit: (c) => { c.acme.email = 'sec ops@example.com'; },
      path: 'acme.email',
      message: '(remove the spaces)',
    },
    {
      name: 'acme.email domain has no dot',
      edit: (c) => { c.acme.email = 'ops@example'; },
      path: 'acme.email',
      message: 'got "ops@example"',
    },
    {
      name: 'acme.gatewayIssuer is neither staging nor production',
      edit: (c) => { c.acme.gatewayIssuer = 'prod'; },
      path: 'acme.gatewayIssuer',
      message: 'expected "staging" or "production", got "prod"',
    },
    {
      name: 'acme.gatewayIssuer is capitalised',
      edit: (c) => { c.acme.gatewayIssuer = 'Staging'; },
      path: 'acme.gatewayIssuer',
      message: 'got "Staging" (write it in lowercase: "staging")',
    },
    {
      name: 'acme.http01 is a quoted boolean',
      edit: (c) => { c.acme.http01 = 'true'; },
      path: 'acme.http01',
      message: 'expected true or false, got "true"',
    },
    // vault
    {
      name: 'vault.address uses http',
      edit: (c) => { c.vault.address = 'http://vault.priv.example.com:8200'; },
      path: 'vault.address',
      message: 'expected an https:// URL (Vault is only reached over TLS), got "http://vault.priv.example.com:8200" (use https://)',
    },
    {
      name: 'vault.address has no scheme',
      edit: (c) => { c.vault.address = 'vault.priv.example.com:8200'; },
      path: 'vault.address',
      message: 'expected an https:// URL of the Vault API',
    },
    {
      name: 'vault.address is outside the private zone',
      edit: (c) => { c.vault.address = 'https://vault.example.com:8200'; },
      path: 'vault.address',
      message: 'expected an https:// URL whose host is in the private zone "priv.example.com" (dns.privateZone.name), got "https://vault.example.com:8200"',
    },
    {
      name: 'vault.address is in a look-alike zone',
      edit: (c) => { c.vault.address = 'https://vault.notpriv.example.com'; },
      path: 'vault.address',
      message: 'in the private zone "priv.example.com"',
    },
    {
      name: 'vault.address is an IP address',
      edit: (c) => { c.vault.address = 'https://10.0.0.10:8200'; },
      path: 'vault.address',
      message: 'whose host is a DNS name in the private zone',
    },
    {
      name: 'vault.address has port 0',
      edit: (c) => { c.vault.address = 'https://vault.priv.example.com:0'; },
      path: 'vault.address',
      message: 'expected an https:// URL with a port from 1 to 65535',
    },
    {
      name: 'vault.address has port 65536',
      edit: (c) => { c.vault.address = 'https://vault.priv.example.com:65536'; },
      path: 'vault.address',
      message: 'with a port from 1 to 65535',
    },
    {
      name: 'vault.address has a path',
      edit: (c) => { c.vault.address = 'https://vault.priv.example.com:8200/v1'; },
      path: 'vault.address',
      message: 'expected an https:// URL without a path',
    },
    {
      name: 'vault.address has a query',
      edit: (c) => { c.vault.address = 'https://vault.priv.example.com:8200/?ns=root'; },
      path: 'vault.address',
      message: 'expected an https:// URL without query or fragment',
    },
    {
      name: 'vault names neither caBundleFile nor caBundleSecretRef',
      edit: (c) => { delete c.vault.caBundleFile; },
      path: 'vault',
      message: 'expected exactly one of caBundleFile (a PEM file of CA certificates, relative to the configuration file) '
        + 'or caBundleSecretRef (a Secret in cert-manager\'s namespace holding them), got neither '
        + '(cert-manager must know the CAs of Vault\'s TLS certificate)',
    },
    {
      name: 'vault names both caBundleFile and caBundleSecretRef',
      edit: (c) => { c.vault.caBundleSecretRef = { name: 'vault-ca' }; },
      path: 'vault',
      message: 'expected exactly one of caBundleFile (a PEM file of CA certificates, relative to the configuration file) '
        + 'or caBundleSecretRef (a Secret in cert-manager\'s namespace holding them), got both '
        + '(the Vault ClusterIssuer trusts one CA bundle; remove one)',
    },
    {
      name: 'vault.caBundleFile is empty in YAML (null)',
      edit: (c) => { c.vault.caBundleFile = null; },
      path: 'vault.caBundleFile',
      message: 'got null (an empty value; give it a value)',
    },
    {
      name: 'vault.caBundleFile is an absolute path',
      edit: (c) => { c.vault.caBundleFile = '/etc/ssl/vault-ca.pem'; },
      path: 'vault.caBundleFile',
      message: 'expected the path of a PEM file of CA certificates, relative to the configuration file, such as "pki/ca-chain.pem", '
        + 'got "/etc/ssl/vault-ca.pem" (an absolute path only exists on one machine; give it relative to the directory of the configuration file)',
    },
    {
      name: 'vault.caBundleFile is an absolute Windows path',
      edit: (c) => { c.vault.caBundleFile = 'C:\\pki\\ca-chain.pem'; },
      path: 'vault.caBundleFile',
      message: '(an absolute path only exists on one machine;',
    },
    {
      name: 'vault.caBundleFile starts with ~',
      edit: (c) => { c.vault.caBundleFile = '~/pki/ca-chain.pem'; },
      path: 'vault.caBundleFile',
      message: 'got "~/pki/ca-chain.pem" ("~" is only expanded by a shell; give the path relative to the configuration file)',
    },
    {
      name: 'vault.caBundleFile is empty',
      edit: (c) => { c.vault.caBundleFile = ''; },
      path: 'vault.caBundleFile',
      message: 'such as "pki/ca-chain.pem", got ""',
    },
    {
      name: 'vault.caBundleFile holds the PEM text itself',
      edit: (c) => { c.vault.caBundleFile = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'; },
      path: 'vault.caBundleFile',
      message: 'such as "pki/ca-chain.pem", got PEM text (give the path of the PEM file, not its content)',
    },
    {
      name: 'vault.caBundleSecretRef.name is not a DNS-1123 subdomain',
      edit: (c) => { forCaBundleSecret(c); c.vault.caBundleSecretRef = { name: 'Vault_CA' }; },
      path: 'vault.caBundleSecretRef.name',
      message: 'expected a DNS-1123 subdomain (lowercase letters, digits, \'-\' and \'.\', at most 253 characters), got "Vault_CA"',
    },
    {
      name: 'vault.caBundleSecretRef.name is missing',
      edit: (c) => { forCaBundleSecret(c); c.vault.caBundleSecretRef = { key: 'ca.crt' }; },
      path: 'vault.caBundleSecretRef.name',
      message: 'is required: expected a DNS-1123 subdomain',
    },
    {
      name: 'vault.caBundleSecretRef.key is not a Secret data key',
      edit: (c) => { forCaBundleSecret(c); c.vault.caBundleSecretRef = { name: 'vault-ca', key: 'ca/crt' }; },
      path: 'vault.caBundleSecretRef.key',
      message: 'expected a Secret data key: letters, digits, \'-\', \'_\' and \'.\', at most 253 characters, not "." nor starting with "..", got "ca/crt"',
    },
    {
      name: 'vault.caBundleSecretRef names a namespace',
      edit: (c) => { forCaBundleSecret(c); c.vault.caBundleSecretRef = { name: 'vault-ca', namespace: 'cert-manager' }; },
      path: 'vault.caBundleSecretRef.namespace',
      message: 'unknown field; expected one of: name, key',
    },
    {
      name: 'vault.caBundleSecretRef is the Secret name alone',
      edit: (c) => { forCaBundleSecret(c); c.vault.caBundleSecretRef = 'vault-ca'; },
      path: 'vault.caBundleSecretRef',
      message: 'expected a mapping with name, key naming the Secret, in cert-manager\'s namespace, that holds the CA bundle, '
        + 'such as { name: "vault-ca" }, got "vault-ca" (write the name as { name: "vault-ca" })',
    },
    {
      name: 'vault.caBundleSecretRef is empty in YAML (null)',
      edit: (c) => { forCaBundleSecret(c); c.vault.caBundleSecretRef = null; },
      path: 'vault.caBundleSecretRef',
      message: 'got null (an empty value; give it a value)',
    },
    {
      name: 'vault.serverName has a scheme',
      edit: (c) => { c.vault.serverName = 'https://vault.priv.example.com'; },
      path: 'vault.serverName',
      message: 'expected a lowercase fully qualified DNS name, such as "vault.priv.example.com", got "https://vault.priv.example.com" '
        + '(give the name alone, without scheme or path)',
    },
    {
      name: 'vault.serverName is an IP address',
      edit: (c) => { c.vault.serverName = '10.0.0.10'; },
      path: 'vault.serverName',
      message: 'got "10.0.0.10"',
    },
    {
      name: 'vault.pki is empty in YAML (null)',
      edit: (c) => { c.vault.pki = null; },
      path: 'vault.pki',
      message: 'expected a mapping with mount, role, issuers, defaultIssuer, issuingCaTtl, issuingKey, allowedDomains, allowWildcardCertificates, leafTtl, leafMaxTtl, leafKey, allowIssue, got null (an empty value; remove the key to use the default)',
    },
    {
      name: 'vault.pki.mount has a leading slash',
      edit: (c) => { c.vault.pki.mount = '/pki_private_issuer/'; },
      path: 'vault.pki.mount',
      message: 'expected a Vault mount path: segments of letters, digits, \'_\' and \'-\' separated by \'/\', without leading or trailing \'/\', '
        + 'such as "pki_private_issuer", got "/pki_private_issuer/" (remove the leading and trailing "/")',
    },
    {
      name: 'vault.pki.mount has an empty segment',
      edit: (c) => { c.vault.pki.mount = 'pki//issuer'; },
      path: 'vault.pki.mount',
      message: 'got "pki//issuer"',
    },
    {
      name: 'vault.pki.role has a space',
      edit: (c) => { c.vault.pki.role = 'cert manager'; },
      path: 'vault.pki.role',
      message: 'expected a Vault role name: letters, digits, \'_\' and \'-\', such as "cert-manager", got "cert manager"',
    },
    {
      name: 'vault.pki.role is a path',
      edit: (c) => { c.vault.pki.role = 'pki_private_issuer/roles/cert-manager'; },
      path: 'vault.pki.role',
      message: 'got "pki_private_issuer/roles/cert-manager"',
    },
    {
      name: 'vault.auth names no method',
      edit: (c) => { c.vault.auth = {}; },
      path: 'vault.auth',
      message: 'expected a mapping with exactly one of appRole or kubernetes, got an empty mapping {}',
    },
    {
      name: 'vault.auth names both methods',
      edit: (c) => { c.vault.auth.kubernetes = { role: 'cert-manager' }; },
      path: 'vault.auth',
      message: 'expected exactly one of appRole or kubernetes, got both (cert-manager logs in to Vault one way; remove one)',
    },
    {
      name: 'vault.auth has an unknown method besides appRole',
      edit: (c) => { c.vault.auth.token = { secretRef: { name: 'vault-token' } }; },
      path: 'vault.auth.token',
      message: 'unknown field; expected one of: appRole, kubernetes',
    },
    {
      name: 'vault.auth.appRole is empty in YAML (null)',
      edit: (c) => { c.vault.auth.appRole = null; },
      path: 'vault.auth.appRole',
      message: 'expected a mapping with path, roleId, secretRef, tokenBoundCidrs, secretIdBoundCidrs, secretIdTtl, got null (an empty value; give it a value)',
    },
    {
      name: 'appRole.roleId is missing',
      edit: (c) => { delete c.vault.auth.appRole.roleId; },
      path: 'vault.auth.appRole.roleId',
      message: 'is required: expected an AppRole role id, a UUID such as "5f0c8b8e-3c1d-4e7a-9b2f-6d4a1e0c7b93"',
    },
    {
      name: 'appRole.roleId is a name',
      edit: (c) => { c.vault.auth.appRole.roleId = 'cert-manager'; },
      path: 'vault.auth.appRole.roleId',
      message: 'expected an AppRole role id, a UUID such as "5f0c8b8e-3c1d-4e7a-9b2f-6d4a1e0c7b93", got "cert-manager"',
    },
    {
      name: 'appRole.roleId is a UUID in braces',
      edit: (c) => { c.vault.auth.appRole.roleId = '{5F0C8B8E-3C1D-4E7A-9B2F-6D4A1E0C7B93}'; },
      path: 'vault.auth.appRole.roleId',
      message: '(remove the braces)',
    },
    {
      name: 'appRole.roleId has a short group',
      edit: (c) => { c.vault.auth.appRole.roleId = '5f0c8b8e-3c1d-4e7a-9b2f-6d4a1e0c7b9'; },
      path: 'vault.auth.appRole.roleId',
      message: 'got "5f0c8b8e-3c1d-4e7a-9b2f-6d4a1e0c7b9"',
    },
    {
      name: 'appRole.path is the whole auth path',
      edit: (c) => { c.vault.auth.appRole.path = 'auth/approle'; },
      path: 'vault.auth.appRole.path',
      message: 'expected the mount name of the AppRole auth method: letters, digits, \'_\' and \'-\', such as "approle", '
        + 'got "auth/approle" (give the mount name alone: "approle")',
    },
    {
      name: 'appRole.path has slashes around it',
      edit: (c) => { c.vault.auth.appRole.path = '/approle/'; },
      path: 'vault.auth.appRole.path',
      message: 'got "/approle/" (remove the "/")',
    },
    {
      name: 'appRole.secretRef.name is not a DNS-1123 subdomain',
      edit: (c) => { c.vault.auth.appRole.secretRef = { name: 'Vault_AppRole' }; },
      path: 'vault.auth.appRole.secretRef.name',
      message: 'expected a DNS-1123 subdomain (lowercase letters, digits, \'-\' and \'.\', at most 253 characters), got "Vault_AppRole"',
    },
    {
      name: 'appRole.secretRef.key has a space',
      edit: (c) => { c.vault.auth.appRole.secretRef = { key: 'secret id' }; },
      path: 'vault.auth.appRole.secretRef.key',
      message: 'expected a Secret data key: letters, digits, \'-\', \'_\' and \'.\', at most 253 characters, not "." nor starting with "..", got "secret id"',
    },
    {
      name: 'appRole.secretRef.key starts with ..',
      edit: (c) => { c.vault.auth.appRole.secretRef = { key: '..secretId' }; },
      path: 'vault.auth.appRole.secretRef.key',
      message: 'got "..secretId"',
    },
    {
      name: 'appRole.secretRef.key is longer than 253 characters',
      edit: (c) => { c.vault.auth.appRole.secretRef = { key: 'k'.repeat(SECRET_KEY_MAX_LENGTH + 1) }; },
      path: 'vault.auth.appRole.secretRef.key',
      message: `(${SECRET_KEY_MAX_LENGTH + 1} characters)`,
    },
    {
      name: 'appRole.secretRef names a namespace',
      edit: (c) => { c.vault.auth.appRole.secretRef = { name: 'vault-approle', namespace: 'cert-manager' }; },
      path: 'vault.auth.appRole.secretRef.namespace',
      message: 'unknown field; expected one of: name, key',
    },
    {
      name: 'kubernetes.role is missing',
      edit: (c) => { c.vault.auth = { kubernetes: { serviceAccount: 'vault-issuer' } }; },
      path: 'vault.auth.kubernetes.role',
      message: 'is required: expected a Vault role name: letters, digits, \'_\' and \'-\', such as "cert-manager"',
    },
    {
      name: 'kubernetes.mountPath is the mount name only',
      edit: (c) => { c.vault.auth = { kubernetes: { role: 'cert-manager', mountPath: 'kubernetes' } }; },
      path: 'vault.auth.kubernetes.mountPath',
      message: 'expected the Vault API path of the Kubernetes auth method: "/v1/auth/" then its mount, such as "/v1/auth/kubernetes", '
        + 'got "kubernetes" (write the full API path: "/v1/auth/kubernetes")',
    },
    {
      name: 'kubernetes.mountPath has a trailing slash',
      edit: (c) => { c.vault.auth = { kubernetes: { role: 'cert-manager', mountPath: '/v1/auth/eks-prod/' } }; },
      path: 'vault.auth.kubernetes.mountPath',
      message: 'got "/v1/auth/eks-prod/" (remove the trailing "/")',
    },
    {
      name: 'kubernetes.serviceAccount is not a DNS-1123 subdomain',
      edit: (c) => { c.vault.auth = { kubernetes: { role: 'cert-manager', serviceAccount: 'Vault_Issuer' } }; },
      path: 'vault.auth.kubernetes.serviceAccount',
      message: 'expected a DNS-1123 subdomain',
    },
    {
      name: 'kubernetes carries an appRole field',
      edit: (c) => { c.vault.auth = { kubernetes: { role: 'cert-manager', roleId: c.vault.auth.appRole.roleId } }; },
      path: 'vault.auth.kubernetes.roleId',
      message: 'unknown field; expected one of: mountPath, role, serviceAccount',
    },
    // publicCertificate
    {
      name: 'publicCertificate.renewBefore is the Let\'s Encrypt lifetime',
      edit: (c) => { c.publicCertificate = { renewBefore: LETS_ENCRYPT_CERTIFICATE_LIFETIME }; },
      path: 'publicCertificate.renewBefore',
      message: `expected a duration shorter than ${LETS_ENCRYPT_CERTIFICATE_LIFETIME} (the 90-day lifetime of Let's Encrypt certificates: `
        + `a longer renewBefore would make the certificate due for renewal as soon as issued), got "${LETS_ENCRYPT_CERTIFICATE_LIFETIME}"`,
    },
    {
      name: 'publicCertificate.renewBefore is in days',
      edit: (c) => { c.publicCertificate = { renewBefore: '30d' }; },
      path: 'publicCertificate.renewBefore',
      message: 'expected a duration such as "2160h", "360h" or "1h30m" (a Go duration with the units ms, s, m, h), '
        + 'got "30d" (Go durations have no unit for days; write 30 days as "720h")',
    },
    {
      name: 'publicCertificate.renewBefore is a YAML number',
      edit: (c) => { c.publicCertificate = { renewBefore: 720 }; },
      path: 'publicCertificate.renewBefore',
      message: 'got 720 (add a unit, e.g. "720h")',
    },
    {
      name: 'publicCertificate.renewBefore is below cert-manager\'s minimum',
      edit: (c) => { c.publicCertificate = { renewBefore: '1m' }; },
      path: 'publicCertificate.renewBefore',
      message: `expected a duration of at least ${RENEW_BEFORE_MIN} (cert-manager's minimum renewBefore), got "1m"`,
    },
    {
      name: 'publicCertificate sets a duration, which Let\'s Encrypt decides',
      edit: (c) => { c.publicCertificate = { duration: '2160h' }; },
      path: 'publicCertificate.duration',
      message: 'unknown field; expected one of: renewBefore, privateKey',
    },
    {
      name: 'privateKey.algorithm is Ed25519',
      edit: (c) => { c.publicCertificate = { privateKey: { algorithm: 'Ed25519' } }; },
      path: 'publicCertificate.privateKey.algorithm',
      message: 'expected "ECDSA" or "RSA", got "Ed25519"',
    },
    {
      name: 'privateKey.algorithm is lowercase',
      edit: (c) => { c.privateCertificate.privateKey = { algorithm: 'rsa' }; },
      path: 'privateCertificate.privateKey.algorithm',
      message: 'got "rsa" (write it in uppercase: "RSA")',
    },
    {
      name: 'privateKey.size is an RSA size for the default algorithm',
      edit: (c) => { c.publicCertificate = { privateKey: { size: 2048 } }; },
      path: 'publicCertificate.privateKey.size',
      message: 'expected an ECDSA curve size: 256 or 384 (algorithm "ECDSA", the default; the sizes Let\'s Encrypt signs), got 2048 '
        + '(a size for RSA keys; set privateKey.algorithm to "RSA" for one)',
    },
    {
      name: 'privateKey.size of the public certificate is P-521, which Let\'s Encrypt does not sign',
      edit: (c) => { c.publicCertificate = { privateKey: { algorithm: 'ECDSA', size: 521 } }; },
      path: 'publicCertificate.privateKey.size',
      message: 'expected an ECDSA curve size: 256 or 384 (algorithm "ECDSA"; the sizes Let\'s Encrypt signs), got 521',
    },
    {
      name: 'privateKey.size is an ECDSA size for RSA',
      edit: (c) => { c.privateCertificate.privateKey = { algorithm: 'RSA', size: 384 }; },
      path: 'privateCertificate.privateKey.size',
      message: 'expected an RSA key size: 2048, 3072 or 4096 (algorithm "RSA"), got 384 (a size for ECDSA keys; set privateKey.algorithm to "ECDSA" for one)',
    },
    {
      name: 'privateKey.size is a weak RSA modulus',
      edit: (c) => { c.privateCertificate.privateKey = { algorithm: 'RSA', size: 1024 }; },
      path: 'privateCertificate.privateKey.size',
      message: 'expected an RSA key size: 2048, 3072 or 4096 (algorithm "RSA"), got 1024',
    },
    {
      name: 'privateKey.size is quoted',
      edit: (c) => { c.privateCertificate.privateKey = { size: '384' }; },
      path: 'privateCertificate.privateKey.size',
      message: 'got "384" (write the number without quotes)',
    },
    {
      name: 'privateKey.algorithm is unknown, and the size is not checked against it',
      edit: (c) => { c.privateCertificate.privateKey = { algorithm: 'DSA', size: 2048 }; },
      path: 'privateCertificate.privateKey.algorithm',
      message: 'expected "ECDSA" or "RSA", got "DSA"',
    },
    {
      name: 'privateKey.size is not a curve size',
      edit: (c) => { c.privateCertificate.privateKey = { algorithm: 'ECDSA', size: 255 }; },
      path: 'privateCertificate.privateKey.size',
      message: 'expected an ECDSA curve size: 256, 384 or 521 (algorithm "ECDSA"), got 255',
    },
    // privateCertificate
    {
      name: 'privateCertificate.duration is below cert-manager\'s minimum',
      edit: (c) => { c.privateCertificate = { duration: '30m', renewBefore: '10m' }; },
      path: 'privateCertificate.duration',
      message: `expected a duration of at least ${CERTIFICATE_DURATION_MIN} (cert-manager's minimum certificate duration), got "30m"`,
    },
    {
      name: 'privateCertificate.duration is in days',
      edit: (c) => { c.privateCertificate.duration = '90d'; },
      path: 'privateCertificate.duration',
      message: '(Go durations have no unit for days; write 90 days as "2160h")',
    },
    {
      name: 'privateCertificate.duration uses a unit Flux and cert-manager examples avoid',
      edit: (c) => { c.privateCertificate.duration = '7776000000000us'; },
      path: 'privateCertificate.duration',
      message: '(use only the units ms, s, m and h)',
    },
    {
      name: 'privateCertificate.renewBefore is zero',
      edit: (c) => { c.privateCertificate.renewBefore = '0s'; },
      path: 'privateCertificate.renewBefore',
      message: `expected a duration of at least ${RENEW_BEFORE_MIN} (cert-manager's minimum renewBefore), got "0s"`,
    },
    {
      name: 'privateCertificate.renewBefore is negative',
      edit: (c) => { c.privateCertificate.renewBefore = '-360h'; },
      path: 'privateCertificate.renewBefore',
      message: 'got "-360h" (it must be positive)',
    },
    {
      name: 'privateCertificate.renewBefore equals the duration',
      edit: (c) => { c.privateCertificate.renewBefore = '2160h'; },
      path: 'privateCertificate.renewBefore',
      message: 'expected a renewBefore shorter than privateCertificate.duration ("2160h"), got "2160h" '
        + '(renewal must start within the certificate\'s lifetime)',
    },
    {
      name: 'privateCertificate.duration is shorter than the default renewBefore',
      edit: (c) => { c.privateCertificate = { duration: '240h' }; },
      path: 'privateCertificate.renewBefore',
      message: `expected a renewBefore shorter than privateCertificate.duration ("240h"), got the default "${PRIVATE_CERTIFICATE_DEFAULT_RENEW_BEFORE}" `
        + '(set renewBefore, e.g. to "80h", a third of the duration)',
    },
    {
      name: 'privateCertificate.renewBefore is longer than the default duration',
      edit: (c) => { c.privateCertificate = { renewBefore: '3000h' }; },
      path: 'privateCertificate.renewBefore',
      message: `expected a renewBefore shorter than the default privateCertificate.duration ("${PRIVATE_CERTIFICATE_DEFAULT_DURATION}"), `
        + 'got "3000h" (or set a longer duration)',
    },
    {
      name: 'privateCertificate has an unknown field',
      edit: (c) => { c.privateCertificate.renewBeforePercentage = 33; },
      path: 'privateCertificate.renewBeforePercentage',
      message: 'unknown field; expected one of: duration, renewBefore, privateKey',
    },
    // versions
    {
      name: 'versions.certManager is older than the minimum',
      edit: (c) => { c.versions.certManager = 'v1.14.7'; },
      path: 'versions.certManager',
      message: `expected cert-manager ${CERT_MANAGER_MIN_VERSION} or later (the rendered Helm value config.gatewayAPI.enabled needs it), got "v1.14.7"`,
    },
    {
      name: 'versions.certManager is 1.20, before config.gatewayAPI',
      edit: (c) => { c.versions.certManager = 'v1.20.2'; },
      path: 'versions.certManager',
      message: 'expected cert-manager v1.21.0 or later (the rendered Helm value config.gatewayAPI.enabled needs it), got "v1.20.2"',
    },
    {
      name: 'versions.certManager lacks the v',
      edit: (c) => { c.versions.certManager = '1.21.1'; },
      path: 'versions.certManager',
      message: '(add the leading "v": the jetstack chart versions carry it)',
    },
    {
      name: 'versions.certManager is "latest"',
      edit: (c) => { c.versions.certManager = 'latest'; },
      path: 'versions.certManager',
      message: 'got "latest" (pin one release: no range, wildcard or "latest")',
    },
    {
      name: 'versions.certManager is a range',
      edit: (c) => { c.versions.certManager = '^v1.21.0'; },
      path: 'versions.certManager',
      message: 'expected an exact cert-manager version "vMAJOR.MINOR.PATCH" such as "v1.21.1", got "^v1.21.0"',
    },
    {
      name: 'versions.certManager is a pre-release',
      edit: (c) => { c.versions.certManager = 'v1.22.0-rc.1'; },
      path: 'versions.certManager',
      message: '(pre-releases are not accepted)',
    },
    {
      name: 'versions.gatewayApi is older than the minimum',
      edit: (c) => { c.versions.gatewayApi = 'v0.8.1'; },
      path: 'versions.gatewayApi',
      message: `expected Gateway API ${GATEWAY_API_MIN_VERSION} or later (the first release with the v1 Gateway and HTTPRoute APIs), got "v0.8.1"`,
    },
    {
      name: 'versions.gatewayApi is a YAML number',
      edit: (c) => { c.versions.gatewayApi = 1.6; },
      path: 'versions.gatewayApi',
      message: 'got 1.6',
    },
    {
      name: 'versions.trustManager is missing',
      edit: (c) => { delete c.versions.trustManager; },
      path: 'versions.trustManager',
      message: 'is required: expected an exact trust-manager version "vMAJOR.MINOR.PATCH" such as "v0.24.0"',
    },
    {
      name: 'versions.trustManager is older than the minimum',
      edit: (c) => { c.versions.trustManager = 'v0.11.1'; },
      path: 'versions.trustManager',
      message: `expected trust-manager ${TRUST_MANAGER_MIN_VERSION} or later (the rendered Helm values, crds.enabled among them, need it), `
        + 'got "v0.11.1"',
    },
    {
      name: 'versions.trustManager lacks the v',
      edit: (c) => { c.versions.trustManager = '0.24.0'; },
      path: 'versions.trustManager',
      message: 'expected an exact trust-manager version "vMAJOR.MINOR.PATCH" such as "v0.24.0", got "0.24.0" '
        + '(add the leading "v": the jetstack chart versions carry it)',
    },
    {
      name: 'versions.trustManager is a range',
      edit: (c) => { c.versions.trustManager = 'v0.x'; },
      path: 'versions.trustManager',
      message: 'got "v0.x" (pin one release: no range, wildcard or "latest")',
    },
    {
      name: 'versions.x509CertificateExporter has a v',
      edit: (c) => { c.versions.x509CertificateExporter = 'v3.19.1'; },
      path: 'versions.x509CertificateExporter',
      message: 'expected an exact x509-certificate-exporter version "MAJOR.MINOR.PATCH" such as "3.19.1", got "v3.19.1" '
        + '(remove the leading "v": the enix chart versions have none)',
    },
    {
      name: 'versions.x509CertificateExporter is older than the minimum',
      edit: (c) => { c.versions.x509CertificateExporter = '2.19.0'; },
      path: 'versions.x509CertificateExporter',
      message: `expected x509-certificate-exporter ${X509_CERTIFICATE_EXPORTER_MIN_VERSION} or later `
        + '(the rendered Helm values follow the layout of its 3.x charts), got "2.19.0"',
    },
    {
      name: 'versions.x509CertificateExporter is a pre-release',
      edit: (c) => { c.versions.x509CertificateExporter = '3.20.0-rc.1'; },
      path: 'versions.x509CertificateExporter',
      message: 'got "3.20.0-rc.1" (pre-releases are not accepted)',
    },
    {
      name: 'versions.x509CertificateExporter is missing while a cluster enables monitoring',
      edit: (c) => { delete c.versions.x509CertificateExporter; c.clusters[0].monitoring = { enabled: true }; },
      path: 'versions.x509CertificateExporter',
      message: 'is required when a cluster enables monitoring (clusters[0].monitoring.enabled is true): '
        + 'expected an exact x509-certificate-exporter version "MAJOR.MINOR.PATCH" such as "3.19.1"',
    },
    {
      name: 'versions.x509CertificateExporter is missing while the second cluster enables monitoring',
      edit: (c) => {
        delete c.versions.x509CertificateExporter;
        withSecondCluster(c);
        c.clusters[0].monitoring = { enabled: false };
        c.clusters[1].monitoring = { enabled: true, vaultAlerts: true };
      },
      path: 'versions.x509CertificateExporter',
      message: 'is required when a cluster enables monitoring (clusters[1].monitoring.enabled is true): ',
    },
    {
      name: 'versions.x509CertificateExporter is empty in YAML (null) while a cluster enables monitoring',
      edit: (c) => { c.versions.x509CertificateExporter = null; c.clusters[0].monitoring = { enabled: true }; },
      path: 'versions.x509CertificateExporter',
      message: 'got null (an empty value; give it a value)',
    },
    // clusters
    {
      name: 'clusters is missing',
      edit: (c) => { delete c.clusters; },
      path: 'clusters',
      message: 'is required: expected a non-empty list of clusters',
    },
    {
      name: 'clusters is empty',
      edit: (c) => { c.clusters = []; },
      path: 'clusters',
      message: 'expected a non-empty list of clusters, got an empty list []',
    },
    {
      name: 'a cluster is a string',
      edit: (c) => { c.clusters[0] = 'mycluster-0'; },
      path: 'clusters[0]',
      message: 'expected a cluster, a mapping with name, region, gatewayClassName, workloadIdentity, flux, certManager, gateways, monitoring, got "mycluster-0"',
    },
    {
      name: 'a cluster name is not a DNS-1123 label',
      edit: (c) => { c.clusters[0].name = 'Prod_EU'; },
      path: 'clusters[0].name',
      message: 'expected a DNS-1123 label (lowercase letters, digits and \'-\', at most 63 characters), got "Prod_EU"',
    },
    {
      name: 'a cluster name is longer than 63 characters',
      edit: (c) => { c.clusters[0].name = 'a'.repeat(64); },
      path: 'clusters[0].name',
      message: '(64 characters)',
    },
    {
      name: 'two clusters share a name',
      edit: (c) => { withSecondCluster(c); c.clusters[1].name = 'mycluster-0'; },
      path: 'clusters[1].name',
      message: 'expected a cluster name not used before, got "mycluster-0" (already the name of clusters[0])',
    },
    {
      name: 'a cluster region is not a region',
      edit: (c) => { c.clusters[0].region = 'eu-west'; },
      path: 'clusters[0].region',
      message: 'expected an AWS region code such as "eu-west-3", got "eu-west"',
    },
    {
      name: 'gatewayClassName is not a DNS-1123 subdomain',
      edit: (c) => { c.clusters[0].gatewayClassName = 'Cilium'; },
      path: 'clusters[0].gatewayClassName',
      message: 'expected a DNS-1123 subdomain (lowercase letters, digits, \'-\' and \'.\', at most 253 characters), got "Cilium"',
    },
    {
      name: 'workloadIdentity is missing',
      edit: (c) => { delete c.clusters[0].workloadIdentity; },
      path: 'clusters[0].workloadIdentity',
      message: 'is required: expected a mapping with type ("irsa" or "pod-identity") and, for irsa, oidcProviderArn',
    },
    {
      name: 'workloadIdentity.type is unknown',
      edit: (c) => { c.clusters[0].workloadIdentity.type = 'kiam'; },
      path: 'clusters[0].workloadIdentity.type',
      message: 'expected "irsa" or "pod-identity", got "kiam"',
    },
    {
      name: 'workloadIdentity.type is uppercase',
      edit: (c) => { c.clusters[0].workloadIdentity.type = 'IRSA'; },
      path: 'clusters[0].workloadIdentity.type',
      message: '(write it in lowercase: "irsa")',
    },
    {
      name: 'irsa has no oidcProviderArn',
      edit: (c) => { delete c.clusters[0].workloadIdentity.oidcProviderArn; },
      path: 'clusters[0].workloadIdentity.oidcProviderArn',
      message: 'is required: expected the ARN of the cluster\'s IAM OIDC provider',
    },
    {
      name: 'oidcProviderArn is the issuer URL',
      edit: (c) => {
        c.clusters[0].workloadIdentity.oidcProviderArn = 'https://oidc.eks.eu-west-3.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF';
      },
      path: 'clusters[0].workloadIdentity.oidcProviderArn',
      message: '(that is the issuer URL; give the ARN of the IAM OIDC provider created for it)',
    },
    {
      name: 'oidcProviderArn has a lowercase id',
      edit: (c) => { c.clusters[0].workloadIdentity.oidcProviderArn = ARN.toLowerCase(); },
      path: 'clusters[0].workloadIdentity.oidcProviderArn',
      message: '; write the id in uppercase, as EKS does)',
    },
    {
      name: 'oidcProviderArn has an 11-digit account',
      edit: (c) => { c.clusters[0].workloadIdentity.oidcProviderArn = ARN.replace('123456789012', '12345678901'); },
      path: 'clusters[0].workloadIdentity.oidcProviderArn',
      message: 'expected the ARN of the cluster\'s IAM OIDC provider, "arn:aws:iam::<account id>:oidc-provider/',
    },
    {
      name: 'oidcProviderArn is in another account than aws.accountId',
      edit: (c) => {
        c.aws.accountId = '210987654321';
        c.vaultCluster.unsealKey.breakGlassRoleArn = 'arn:aws:iam::210987654321:role/gateway-pki-break-glass';
      },
      path: 'clusters[0].workloadIdentity.oidcProviderArn',
      message: 'expected an OIDC provider in account "210987654321" (aws.accountId), got "123456789012" (the account in the ARN)',
    },
    {
      name: 'oidcProviderArn is in another region than aws.region',
      edit: (c) => { c.aws.region = 'eu-west-1'; },
      path: 'clusters[0].workloadIdentity.oidcProviderArn',
      message: 'expected an OIDC provider in region "eu-west-1" (aws.region), got "eu-west-3" '
        + '(the region in the ARN; set clusters[0].region if the cluster runs there)',
    },
    {
      name: 'oidcProviderArn is in another region than the cluster\'s own',
      edit: (c) => { c.clusters[0].region = 'us-gov-west-1'; },
      path: 'clusters[0].workloadIdentity.oidcProviderArn',
      message: 'expected an OIDC provider in region "us-gov-west-1" (clusters[0].region), got "eu-west-3" (the region in the ARN)',
    },
    {
      name: 'pod-identity with the OIDC provider (External Secrets\' stores) of another region',
      edit: (c) => { c.clusters[0].workloadIdentity.type = 'pod-identity'; c.clusters[0].region = 'us-gov-west-1'; },
      path: 'clusters[0].workloadIdentity.oidcProviderArn',
      message: 'expected an OIDC provider in region "us-gov-west-1" (clusters[0].region), got "eu-west-3" (the region in the ARN)',
    },
    {
      name: 'pod-identity with an OIDC provider ARN of another form',
      edit: (c) => { c.clusters[0].workloadIdentity = { type: 'pod-identity', oidcProviderArn: 'arn:aws:iam::123456789012:role/x' }; },
      path: 'clusters[0].workloadIdentity.oidcProviderArn',
      message: 'expected ',
    },
    {
      name: 'pod-identity carries an unknown key',
      edit: (c) => { c.clusters[0].workloadIdentity = { ...c.clusters[0].workloadIdentity, type: 'pod-identity', roleArn: 'x' }; },
      path: 'clusters[0].workloadIdentity.roleArn',
      message: 'unknown field; expected one of: type, eksClusterName, oidcProviderArn',
    },
    {
      name: 'pod-identity with an EKS cluster name EKS would refuse',
      edit: (c) => { c.clusters[0].workloadIdentity = { ...c.clusters[0].workloadIdentity, type: 'pod-identity', eksClusterName: '-prod.eu' }; },
      path: 'clusters[0].workloadIdentity.eksClusterName',
      message: 'expected an EKS cluster name (a letter or digit, then letters, digits, \'-\' or \'_\', at most 100 characters), got "-prod.eu"',
    },
    {
      name: 'irsa carries an unknown key',
      edit: (c) => { c.clusters[0].workloadIdentity.roleArn = 'x'; },
      path: 'clusters[0].workloadIdentity.roleArn',
      message: 'unknown field; expected one of: type, oidcProviderArn',
    },
    {
      name: 'flux is empty in YAML (null)',
      edit: (c) => { c.clusters[0].flux = null; },
      path: 'clusters[0].flux',
      message: 'expected a mapping with gitRepository, interval, timeout, got null (an empty value; remove the key to use the default)',
    },
    {
      name: 'flux.gitRepository is not a DNS-1123 subdomain',
      edit: (c) => { c.clusters[0].flux = { gitRepository: 'flux_system' }; },
      path: 'clusters[0].flux.gitRepository',
      message: 'expected a DNS-1123 subdomain',
    },
    {
      name: 'flux.interval has no unit',
      edit: (c) => { c.clusters[0].flux = { interval: '10' }; },
      path: 'clusters[0].flux.interval',
      message: 'expected a positive duration such as "10m", "1h30m" or "90s" (a Go duration, with the units ms, s, m, h that Flux accepts), got "10"',
    },
    {
      name: 'flux.interval is a YAML number',
      edit: (c) => { c.clusters[0].flux = { interval: 10 }; },
      path: 'clusters[0].flux.interval',
      message: 'got 10 (add a unit, e.g. "10m")',
    },
    {
      name: 'flux.interval is zero',
      edit: (c) => { c.clusters[0].flux = { interval: '0s' }; },
      path: 'clusters[0].flux.interval',
      message: 'got "0s" (it must be positive)',
    },
    {
      name: 'flux.timeout is a Go duration Flux refuses',
      edit: (c) => { c.clusters[0].flux = { timeout: '300000000us' }; },
      path: 'clusters[0].flux.timeout',
      message: '(Flux accepts only the units ms, s, m and h)',
    },
    {
      name: 'flux.timeout has a space',
      edit: (c) => { c.clusters[0].flux = { timeout: '5 m' }; },
      path: 'clusters[0].flux.timeout',
      message: 'got "5 m"',
    },
    {
      name: 'certManager.replicas is 0',
      edit: (c) => { c.clusters[0].certManager.replicas = 0; },
      path: 'clusters[0].certManager.replicas',
      message: 'expected an integer from 1 to 5, got 0',
    },
    {
      name: 'certManager.replicas is 6',
      edit: (c) => { c.clusters[0].certManager.replicas = 6; },
      path: 'clusters[0].certManager.replicas',
      message: 'expected an integer from 1 to 5, got 6',
    },
    {
      name: 'certManager.replicas is a fraction',
      edit: (c) => { c.clusters[0].certManager.replicas = 2.5; },
      path: 'clusters[0].certManager.replicas',
      message: 'got 2.5',
    },
    {
      name: 'certManager.replicas is quoted',
      edit: (c) => { c.clusters[0].certManager.replicas = '3'; },
      path: 'clusters[0].certManager.replicas',
      message: 'got "3" (write the number without quotes)',
    },
    {
      name: 'certManager.serviceMonitor is "yes"',
      edit: (c) => { c.clusters[0].certManager.serviceMonitor = 'yes'; },
      path: 'clusters[0].certManager.serviceMonitor',
      message: 'expected true or false, got "yes"',
    },
    {
      name: 'gateways.namespace is not a DNS-1123 label',
      edit: (c) => { c.clusters[0].gateways.namespace = 'Gateways'; },
      path: 'clusters[0].gateways.namespace',
      message: 'expected a DNS-1123 label (lowercase letters, digits and \'-\', at most 63 characters), got "Gateways"',
    },
    {
      name: 'gateways has an unknown field',
      edit: (c) => { c.clusters[0].gateways.className = 'cilium'; },
      path: 'clusters[0].gateways.className',
      message: 'unknown field; expected one of: namespace, loadBalancerTargetType',
    },
    {
      name: 'gateways.loadBalancerTargetType is not instance or ip',
      edit: (c) => { c.clusters[0].gateways.loadBalancerTargetType = 'alb'; },
      path: 'clusters[0].gateways.loadBalancerTargetType',
      message: 'expected "instance" or "ip", got "alb"',
    },
    {
      name: 'gateways.loadBalancerTargetType in capitals',
      edit: (c) => { c.clusters[0].gateways.loadBalancerTargetType = 'IP'; },
      path: 'clusters[0].gateways.loadBalancerTargetType',
      message: 'expected "instance" or "ip", got "IP" (write it in lowercase: "ip")',
    },
    {
      name: 'monitoring is empty in YAML (null)',
      edit: (c) => { c.clusters[0].monitoring = null; },
      path: 'clusters[0].monitoring',
      message: 'expected a mapping with enabled, warningDaysLeft, criticalDaysLeft, vaultAlerts, selectorLabels, prometheusOperatorCrds, certificateNamespaces, got null (an empty value; remove the key to use the default)',
    },
    {
      name: 'monitoring has an unknown field',
      edit: (c) => { c.clusters[0].monitoring = { enabled: true, warningDays: 30 }; },
      path: 'clusters[0].monitoring.warningDays',
      message: 'unknown field; expected one of: enabled, warningDaysLeft, criticalDaysLeft, vaultAlerts, selectorLabels, prometheusOperatorCrds, certificateNamespaces',
    },
    {
      name: 'monitoring.selectorLabels is a list',
      edit: (c) => { c.clusters[0].monitoring.selectorLabels = ['release=kube-prometheus-stack']; },
      path: 'clusters[0].monitoring.selectorLabels',
      message: 'expected a non-empty mapping of Kubernetes label keys to label values, such as { release: "kube-prometheus-stack" }, got a list ["release=kube-prometheus-stack"]',
    },
    {
      name: 'monitoring.selectorLabels has a bad key',
      edit: (c) => { c.clusters[0].monitoring.selectorLabels = { 'bad key': 'x' }; },
      path: 'clusters[0].monitoring.selectorLabels["bad key"]',
      message: 'expected a label key',
    },
    {
      name: 'monitoring.selectorLabels has a value that is not a label value',
      edit: (c) => { c.clusters[0].monitoring.selectorLabels = { release: 'kube prometheus' }; },
      path: 'clusters[0].monitoring.selectorLabels.release',
      message: 'got "kube prometheus"',
    },
    {
      name: 'monitoring.certificateNamespaces is empty',
      edit: (c) => { c.clusters[0].monitoring.certificateNamespaces = []; },
      path: 'clusters[0].monitoring.certificateNamespaces',
      message: 'expected a list of at least one items, each a DNS-1123 label',
    },
    {
      name: 'monitoring.certificateNamespaces has a bad namespace',
      edit: (c) => { c.clusters[0].monitoring.certificateNamespaces = ['Shop']; },
      path: 'clusters[0].monitoring.certificateNamespaces[0]',
      message: 'got "Shop"',
    },
    {
      name: 'monitoring.certificateNamespaces lists one twice',
      edit: (c) => { c.clusters[0].monitoring.certificateNamespaces = ['shop', 'shop']; },
      path: 'clusters[0].monitoring.certificateNamespaces[1]',
      message: 'expected a namespace not listed before, got "shop" (already certificateNamespaces[0])',
    },
    {
      name: 'monitoring.prometheusOperatorCrds is neither install nor present',
      edit: (c) => { c.clusters[0].monitoring.prometheusOperatorCrds = 'skip'; },
      path: 'clusters[0].monitoring.prometheusOperatorCrds',
      message: 'expected "install" or "present", got "skip"',
    },
    {
      name: 'versions.prometheusOperatorCrds missing while a cluster installs the CRDs',
      edit: (c) => { delete c.versions.prometheusOperatorCrds; c.clusters[0].monitoring.enabled = true; delete c.clusters[0].monitoring.prometheusOperatorCrds; },
      path: 'versions.prometheusOperatorCrds',
      message: 'is required when a cluster renders ServiceMonitors or alert rules (clusters[0].monitoring.enabled is true) and does not set monitoring.prometheusOperatorCrds to "present": expected an exact prometheus-operator-crds version "MAJOR.MINOR.PATCH" such as "31.0.1"',
    },
    {
      name: 'versions.prometheusOperatorCrds missing while cert-manager alone renders a ServiceMonitor',
      edit: (c) => {
        delete c.versions.prometheusOperatorCrds; c.clusters[0].monitoring = { enabled: false }; c.clusters[0].certManager.serviceMonitor = true;
      },
      path: 'versions.prometheusOperatorCrds',
      message: '(clusters[0].certManager.serviceMonitor is true)',
    },
    {
      name: 'versions.prometheusOperatorCrds with a v',
      edit: (c) => { c.versions.prometheusOperatorCrds = 'v31.0.1'; },
      path: 'versions.prometheusOperatorCrds',
      message: 'remove the leading "v": the prometheus-community chart versions have none',
    },
    {
      name: 'versions.prometheusOperatorCrds older than 5.0.0',
      edit: (c) => { c.versions.prometheusOperatorCrds = '4.6.0'; },
      path: 'versions.prometheusOperatorCrds',
      message: 'expected prometheus-operator-crds 5.0.0 or later (the rendered Helm value crds.annotations needs it), got "4.6.0"',
    },
    {
      name: 'monitoring.enabled is "yes"',
      edit: (c) => { c.clusters[0].monitoring = { enabled: 'yes' }; },
      path: 'clusters[0].monitoring.enabled',
      message: 'expected true or false, got "yes"',
    },
    {
      name: 'monitoring.vaultAlerts is a quoted boolean',
      edit: (c) => { c.clusters[0].monitoring = { enabled: true, vaultAlerts: 'true' }; },
      path: 'clusters[0].monitoring.vaultAlerts',
      message: 'expected true or false, got "true"',
    },
    {
      name: 'monitoring.warningDaysLeft is zero',
      edit: (c) => { c.clusters[0].monitoring = { enabled: true, warningDaysLeft: 0 }; },
      path: 'clusters[0].monitoring.warningDaysLeft',
      message: `expected an integer from ${MONITORING_DAYS_LEFT_MIN} to ${MONITORING_DAYS_LEFT_MAX} (days before expiry), got 0`,
    },
    {
      name: 'monitoring.warningDaysLeft is quoted',
      edit: (c) => { c.clusters[0].monitoring = { enabled: true, warningDaysLeft: '30' }; },
      path: 'clusters[0].monitoring.warningDaysLeft',
      message: 'got "30" (write the number without quotes)',
    },
    {
      name: 'monitoring.criticalDaysLeft is more than a year',
      edit: (c) => { c.clusters[0].monitoring = { enabled: true, criticalDaysLeft: MONITORING_DAYS_LEFT_MAX + 1 }; },
      path: 'clusters[0].monitoring.criticalDaysLeft',
      message: `expected an integer from ${MONITORING_DAYS_LEFT_MIN} to ${MONITORING_DAYS_LEFT_MAX} (days before expiry), got ${MONITORING_DAYS_LEFT_MAX + 1}`,
    },
    {
      name: 'monitoring.criticalDaysLeft is a fraction',
      edit: (c) => { c.clusters[0].monitoring = { enabled: true, criticalDaysLeft: 7.5 }; },
      path: 'clusters[0].monitoring.criticalDaysLeft',
      message: 'got 7.5',
    },
    {
      name: 'monitoring.criticalDaysLeft equals warningDaysLeft',
      edit: (c) => { c.clusters[0].monitoring = { enabled: true, warningDaysLeft: 20, criticalDaysLeft: 20 }; },
      path: 'clusters[0].monitoring.criticalDaysLeft',
      message: 'expected a criticalDaysLeft smaller than warningDaysLeft (20), got 20 '
        + '(the critical alert must come after the warning, closer to expiry)',
    },
    {
      name: 'monitoring.criticalDaysLeft is not below the default warningDaysLeft',
      edit: (c) => { c.clusters[0].monitoring = { enabled: true, criticalDaysLeft: 30 }; },
      path: 'clusters[0].monitoring.criticalDaysLeft',
      message: `expected a criticalDaysLeft smaller than the default warningDaysLeft (${MONITORING_DEFAULT_WARNING_DAYS_LEFT}), got 30 `
        + '(or set a larger warningDaysLeft)',
    },
    {
      name: 'monitoring.warningDaysLeft is not above the default criticalDaysLeft',
      edit: (c) => { c.clusters[0].monitoring = { enabled: true, warningDaysLeft: 10 }; },
      path: 'clusters[0].monitoring.warningDaysLeft',
      message: `expected a warningDaysLeft larger than the default criticalDaysLeft (${MONITORING_DEFAULT_CRITICAL_DAYS_LEFT}), got 10 `
        + '(or set a smaller criticalDaysLeft)',
    },
    // applications
    {
      name: 'applications is a mapping',
      edit: (c) => { c.applications = { echo: c.applications[0] }; },
      path: 'applications',
      message: 'expected a list of applications, got a mapping {"echo":',
    },
    {
      name: 'an application name is not a DNS-1123 label',
      edit: (c) => { c.applications[0].name = 'Echo'; },
      path: 'applications[0].name',
      message: 'expected a DNS-1123 label (lowercase letters, digits and \'-\', at most 63 characters), got "Echo"',
    },
    {
      name: 'an application names an undeclared cluster',
      edit: (c) => { c.applications[0].cluster = 'mycluster-9'; },
      path: 'applications[0].cluster',
      message: 'expected one of the declared clusters: "mycluster-0", got "mycluster-9"',
    },
    {
      name: 'an application namespace is not a DNS-1123 label',
      edit: (c) => { c.applications[1].namespace = 'Observability'; },
      path: 'applications[1].namespace',
      message: 'got "Observability"',
    },
    {
      name: 'an application gateway is neither public nor private',
      edit: (c) => { c.applications[0].gateway = 'internal'; },
      path: 'applications[0].gateway',
      message: 'expected "public" or "private", got "internal"',
    },
    {
      name: 'a public hostname is outside the public zone',
      edit: (c) => { c.applications[0].hostname = 'echo.example.org'; },
      path: 'applications[0].hostname',
      message: 'expected a host name in the public zone "example.com" (dns.publicZone.name) for gateway "public", got "echo.example.org"',
    },
    {
      name: 'a public hostname is inside the private zone',
      edit: (c) => { c.applications[1].gateway = 'public'; },
      path: 'applications[1].hostname',
      message: 'expected a host name outside the private zone "priv.example.com" for gateway "public", got "grafana.priv.example.com"',
    },
    {
      name: 'a private hostname is outside the private zone',
      edit: (c) => { c.applications[0].gateway = 'private'; },
      path: 'applications[0].hostname',
      message: 'expected a host name in the private zone "priv.example.com" (dns.privateZone.name) for gateway "private", got "echo.example.com"',
    },
    {
      name: 'a hostname is a wildcard',
      edit: (c) => { c.applications[0].hostname = '*.example.com'; },
      path: 'applications[0].hostname',
      message: '(wildcards are not allowed; name one host)',
    },
    {
      name: 'an application has no service',
      edit: (c) => { delete c.applications[0].service; },
      path: 'applications[0].service',
      message: 'is required: expected a mapping with name, port',
    },
    {
      name: 'service.name is not a DNS-1035 label',
      edit: (c) => { c.applications[0].service.name = 'echo_svc'; },
      path: 'applications[0].service.name',
      message: 'expected a Service name, a DNS-1035 label (lowercase letters, digits and \'-\', starting with a letter, at most 63 characters), '
        + 'got "echo_svc"',
    },
    {
      name: 'service.name starts with a digit',
      edit: (c) => { c.applications[0].service.name = '1echo'; },
      path: 'applications[0].service.name',
      message: 'got "1echo" (a Service name cannot start with a digit)',
    },
    {
      name: 'a public hostname is two labels below the public zone',
      edit: (c) => { c.applications[0].hostname = 'a.b.example.com'; },
      path: 'applications[0].hostname',
      message: 'expected a host name exactly one label below the public zone "example.com", such as "app.example.com", for gateway "public", '
        + 'got "a.b.example.com" (the public Gateway\'s certificate is "*.example.com", which covers one label only; use a name such as "a-b.example.com")',
    },
    {
      name: 'a public hostname is the public zone itself',
      edit: (c) => { c.applications[0].hostname = 'example.com'; },
      path: 'applications[0].hostname',
      message: 'got "example.com" (the public Gateway\'s certificate is "*.example.com", which does not cover the zone itself)',
    },
    {
      name: 'service.port is 0',
      edit: (c) => { c.applications[0].service.port = 0; },
      path: 'applications[0].service.port',
      message: 'expected an integer from 1 to 65535, got 0',
    },
    {
      name: 'service.port is 65536',
      edit: (c) => { c.applications[0].service.port = 65536; },
      path: 'applications[0].service.port',
      message: 'expected an integer from 1 to 65535, got 65536',
    },
    {
      name: 'service.port is a named port',
      edit: (c) => { c.applications[0].service.port = 'http'; },
      path: 'applications[0].service.port',
      message: 'got "http"',
    },
    {
      name: 'path does not start with /',
      edit: (c) => { c.applications[0].path = 'api'; },
      path: 'applications[0].path',
      message: 'expected a path prefix starting with "/", at most 1024 characters',
    },
    {
      name: 'createNamespace is a string',
      edit: (c) => { c.applications[0].createNamespace = 'yes'; },
      path: 'applications[0].createNamespace',
      message: 'expected true or false, got "yes"',
    },
    {
      name: 'path has whitespace',
      edit: (c) => { c.applications[0].path = '/my api'; },
      path: 'applications[0].path',
      message: 'got "/my api" (remove the whitespace, or encode it as %20)',
    },
    {
      name: 'path is longer than 1024 characters',
      edit: (c) => { c.applications[0].path = `/${'a'.repeat(1024)}`; },
      path: 'applications[0].path',
      message: '(1025 characters)',
    },
    {
      name: 'path has a double slash',
      edit: (c) => { c.applications[0].path = '/api//v1'; },
      path: 'applications[0].path',
      message: 'got "/api//v1"',
    },
    {
      name: 'two applications of a cluster share a name',
      edit: (c) => { c.applications[1].name = 'echo'; },
      path: 'applications[1].name',
      message: 'expected an application name unique in cluster "mycluster-0", got "echo" (already used by applications[0])',
    },
    {
      name: 'two applications of a cluster share a hostname',
      edit: (c) => { c.applications[1] = { ...c.applications[0], name: 'echo-2', service: { name: 'echo-2', port: 80 } }; },
      path: 'applications[1].hostname',
      message: 'expected a host name unique in cluster "mycluster-0", got "echo.example.com" (already used by applications[0])',
    },
    // pki (read by the offline PKI command)
    {
      name: 'pki.serverKey.algorithm is an unknown key type',
      edit: (c) => { c.pki = { serverKey: { algorithm: 'Ed25519' } }; },
      path: 'pki.serverKey.algorithm',
      message: 'expected "ECDSA" (a P-256 key) or "RSA" (a 2048-bit key), got "Ed25519"',
    },
    {
      name: 'pki.serverKey.algorithm is lowercase',
      edit: (c) => { c.pki = { serverKey: { algorithm: 'rsa' } }; },
      path: 'pki.serverKey.algorithm',
      message: 'got "rsa" (write it in uppercase: "RSA")',
    },
    {
      name: 'pki.serverKey.algorithm carries a size',
      edit: (c) => { c.pki = { serverKey: { algorithm: 'ECDSA-P384' } }; },
      path: 'pki.serverKey.algorithm',
      message: 'got "ECDSA-P384" (give the algorithm alone; the size is fixed: P-256 for ECDSA, 2048 bits for RSA)',
    },
    {
      name: 'pki.serverKey has a size',
      edit: (c) => { c.pki = { serverKey: { size: 4096 } }; },
      path: 'pki.serverKey.size',
      message: 'unknown field; expected one of: algorithm',
    },
    {
      name: 'a pki field is misspelt',
      edit: (c) => { c.pki = { serverDnsNames: ['vault-0.priv.example.com'] }; },
      path: 'pki.serverDnsNames',
      message: 'unknown field; expected one of: directory, serverKey, serverExtraDnsNames, serverIpAddresses, intermediateCaIssuersUrl, intermediateCrlUrl',
    },
    {
      name: 'the intermediate\'s CA-issuers URL has no scheme',
      edit: (c) => { c.pki = { intermediateCaIssuersUrl: 'pki.example.com/intermediate-ca.crt' }; },
      path: 'pki.intermediateCaIssuersUrl',
      message: 'expected an http:// or https:// URL where the intermediate CA certificate is published, such as '
        + '"http://pki.example.com/intermediate-ca.crt", got "pki.example.com/intermediate-ca.crt" (add the scheme: "http://pki.example.com/intermediate-ca.crt")',
    },
    {
      name: 'the intermediate\'s CRL URL carries credentials',
      edit: (c) => { c.pki = { intermediateCrlUrl: 'http://ops:secret@pki.example.com/intermediate-ca.crl' }; },
      path: 'pki.intermediateCrlUrl',
      message: '(remove the credentials: the URL is written into certificates)',
    },
    {
      name: 'the intermediate\'s CRL URL is LDAP',
      edit: (c) => { c.pki = { intermediateCrlUrl: 'ldap://ldap.example.com/cn=crl' }; },
      path: 'pki.intermediateCrlUrl',
      message: 'expected an http:// or https:// URL where the intermediate CA\'s CRL is published',
    },
    {
      name: 'a server SAN is outside the private zone',
      edit: (c) => { c.pki = { serverExtraDnsNames: ['vault.example.com'] }; },
      path: 'pki.serverExtraDnsNames[0]',
      message: 'expected a DNS name in the private zone "priv.example.com" (dns.privateZone.name), got "vault.example.com" '
        + '(the intermediate CA is name-constrained to that zone and cannot sign other names)',
    },
    {
      name: 'a server SAN is in a look-alike zone',
      edit: (c) => { c.pki = { serverExtraDnsNames: ['vault.notpriv.example.com'] }; },
      path: 'pki.serverExtraDnsNames[0]',
      message: 'in the private zone "priv.example.com"',
    },
    {
      name: 'a server SAN is a wildcard',
      edit: (c) => { c.pki = { serverExtraDnsNames: ['*.priv.example.com'] }; },
      path: 'pki.serverExtraDnsNames[0]',
      message: '(wildcards are not allowed; name one host)',
    },
    {
      name: 'a server SAN repeats the Vault host',
      edit: (c) => { c.pki = { serverExtraDnsNames: ['vault.priv.example.com'] }; },
      path: 'pki.serverExtraDnsNames[0]',
      message: 'expected a name not already on the certificate, got "vault.priv.example.com" '
        + '(already the host of vault.address, always on the certificate)',
    },
    {
      name: 'a server SAN is given twice',
      edit: (c) => { c.pki = { serverExtraDnsNames: ['vault-0.priv.example.com', 'vault-0.priv.example.com'] }; },
      path: 'pki.serverExtraDnsNames[1]',
      message: '(already pki.serverExtraDnsNames[0])',
    },
    {
      name: 'pki.serverExtraDnsNames is a string',
      edit: (c) => { c.pki = { serverExtraDnsNames: 'vault-0.priv.example.com' }; },
      path: 'pki.serverExtraDnsNames',
      message: 'expected a list of DNS names in the private zone, got "vault-0.priv.example.com"',
    },
    {
      name: 'a server IP address is a range',
      edit: (c) => { c.pki = { serverIpAddresses: ['10.0.0.0/16'] }; },
      path: 'pki.serverIpAddresses[0]',
      message: 'expected an IPv4 or IPv6 address such as "10.0.0.10" or "::1", got "10.0.0.0/16" (give one address, not a range)',
    },
    {
      name: 'a server IP address has leading zeros',
      edit: (c) => { c.pki = { serverIpAddresses: ['010.000.000.001'] }; },
      path: 'pki.serverIpAddresses[0]',
      message: 'got "010.000.000.001" (remove the leading zeros)',
    },
    {
      name: 'a server IP address has a port',
      edit: (c) => { c.pki = { serverIpAddresses: ['10.0.0.10:8200'] }; },
      path: 'pki.serverIpAddresses[0]',
      message: '(remove the port)',
    },
    {
      name: 'a server IPv6 address has a zone id',
      edit: (c) => { c.pki = { serverIpAddresses: ['fe80::1%eth0'] }; },
      path: 'pki.serverIpAddresses[0]',
      message: '(remove the zone id after "%")',
    },
    {
      name: 'a server IP address is a host name',
      edit: (c) => { c.pki = { serverIpAddresses: ['vault.priv.example.com'] }; },
      path: 'pki.serverIpAddresses[0]',
      message: 'got "vault.priv.example.com"',
    },
    {
      name: 'a server IP address is given twice',
      edit: (c) => { c.pki = { serverIpAddresses: ['127.0.0.1', '127.0.0.1'] }; },
      path: 'pki.serverIpAddresses[1]',
      message: 'expected an address not already on the certificate, got "127.0.0.1" (already pki.serverIpAddresses[0])',
    },
    // trust
    {
      name: 'trust is empty in YAML (null)',
      edit: (c) => { c.trust = null; },
      path: 'trust',
      message: 'expected a mapping with rootsFile, namespaceLabels, got null (an empty value; remove the key to use the default)',
    },
    {
      name: 'trust has an unknown field',
      edit: (c) => { c.trust = { roots: 'pki/root-ca.pem' }; },
      path: 'trust.roots',
      message: 'unknown field; expected one of: rootsFile, namespaceLabels',
    },
    {
      name: 'trust.rootsFile is an absolute path',
      edit: (c) => { c.trust = { rootsFile: '/etc/pki/root-ca.pem' }; },
      path: 'trust.rootsFile',
      message: 'expected the path of a PEM file of root CA certificates, relative to the configuration file, such as "pki/root-ca.pem", '
        + 'got "/etc/pki/root-ca.pem" (an absolute path only exists on one machine; give it relative to the directory of the configuration file)',
    },
    {
      name: 'trust.rootsFile holds the PEM text itself',
      edit: (c) => { c.trust = { rootsFile: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' }; },
      path: 'trust.rootsFile',
      message: 'such as "pki/root-ca.pem", got PEM text (give the path of the PEM file, not its content)',
    },
    {
      name: 'trust.rootsFile is missing while vault.caBundleSecretRef is used',
      edit: (c) => { delete c.vault.caBundleFile; c.vault.caBundleSecretRef = { name: 'vault-ca' }; },
      path: 'trust.rootsFile',
      message: 'is required when vault.caBundleSecretRef is used: the roots to distribute come from vault.caBundleFile otherwise; '
        + 'expected the path of a PEM file of root CA certificates, relative to the configuration file, such as "pki/root-ca.pem"',
    },
    {
      name: 'trust names labels only while vault.caBundleSecretRef is used',
      edit: (c) => {
        delete c.vault.caBundleFile;
        c.vault.caBundleSecretRef = { name: 'vault-ca' };
        c.trust = { namespaceLabels: { 'gateway-pki.io/private-ca': 'true' } };
      },
      path: 'trust.rootsFile',
      message: 'is required when vault.caBundleSecretRef is used: the roots to distribute come from vault.caBundleFile otherwise',
    },
    {
      name: 'trust.rootsFile is empty in YAML (null) while vault.caBundleSecretRef is used',
      edit: (c) => { delete c.vault.caBundleFile; c.vault.caBundleSecretRef = { name: 'vault-ca' }; c.trust = { rootsFile: null }; },
      path: 'trust.rootsFile',
      message: 'got null (an empty value; give it a value)',
    },
    {
      name: 'trust.namespaceLabels is empty',
      edit: (c) => { c.trust = { namespaceLabels: {} }; },
      path: 'trust.namespaceLabels',
      message: 'expected a non-empty mapping of Kubernetes label keys to label values, such as { "gateway-pki.io/private-ca": "true" }, '
        + 'got an empty mapping {} (remove the key to use the default)',
    },
    {
      name: 'trust.namespaceLabels is a list',
      edit: (c) => { c.trust = { namespaceLabels: ['gateway-pki.io/private-ca=true'] }; },
      path: 'trust.namespaceLabels',
      message: 'got a list ["gateway-pki.io/private-ca=true"]',
    },
    {
      name: 'a namespace label key has an uppercase prefix',
      edit: (c) => { c.trust = { namespaceLabels: { 'Gateway-PKI.io/private-ca': 'true' } }; },
      path: 'trust.namespaceLabels["Gateway-PKI.io/private-ca"]',
      message: `expected a label key: an optional DNS-1123 subdomain prefix and "/", then a name of at most ${LABEL_NAME_MAX_LENGTH} characters `
        + '(letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit), got "Gateway-PKI.io/private-ca" '
        + '(write the prefix in lowercase)',
    },
    {
      name: 'a namespace label key has two slashes',
      edit: (c) => { c.trust = { namespaceLabels: { 'example.com/pki/ca': 'true' } }; },
      path: 'trust.namespaceLabels["example.com/pki/ca"]',
      message: 'got "example.com/pki/ca" (a key has at most one "/")',
    },
    {
      name: 'a namespace label key has a name longer than 63 characters',
      edit: (c) => { c.trust = { namespaceLabels: { [`example.com/${'n'.repeat(LABEL_NAME_MAX_LENGTH + 1)}`]: 'true' } }; },
      path: `trust.namespaceLabels["example.com/${'n'.repeat(LABEL_NAME_MAX_LENGTH + 1)}"]`,
      message: `(a name of ${LABEL_NAME_MAX_LENGTH + 1} characters)`,
    },
    {
      name: 'a namespace label key ends with a dot',
      edit: (c) => { c.trust = { namespaceLabels: { 'private-ca.': 'true' } }; },
      path: 'trust.namespaceLabels["private-ca."]',
      message: 'got "private-ca."',
    },
    {
      name: 'a namespace label value is a YAML boolean',
      edit: (c) => { c.trust = { namespaceLabels: { 'gateway-pki.io/private-ca': true } }; },
      path: 'trust.namespaceLabels["gateway-pki.io/private-ca"]',
      message: `expected a label value as a string: empty, or at most ${LABEL_VALUE_MAX_LENGTH} characters (letters, digits, '-', '_' and '.', `
        + 'starting and ending with a letter or digit), got true (quote it in YAML: "true")',
    },
    {
      name: 'a namespace label value is empty in YAML (null)',
      edit: (c) => { c.trust = { namespaceLabels: { 'gateway-pki.io/private-ca': null } }; },
      path: 'trust.namespaceLabels["gateway-pki.io/private-ca"]',
      message: 'got null (an empty YAML value; write "" for an empty label value)',
    },
    {
      name: 'a namespace label value has a space',
      edit: (c) => { c.trust = { namespaceLabels: { team: 'platform team' } }; },
      path: 'trust.namespaceLabels.team',
      message: 'got "platform team"',
    },
    {
      name: 'a namespace label value is longer than 63 characters',
      edit: (c) => { c.trust = { namespaceLabels: { team: 'v'.repeat(LABEL_VALUE_MAX_LENGTH + 1) } }; },
      path: 'trust.namespaceLabels.team',
      message: `(${LABEL_VALUE_MAX_LENGTH + 1} characters)`,
    },
    // validation: policy suppressions
    {
      name: 'validation has an unknown key',
      edit: (c) => { c.validation = { supressions: [] }; },
      path: 'validation.supressions',
      message: 'unknown field; expected one of: suppressions',
    },
    {
      name: 'validation is a list',
      edit: (c) => { c.validation = [{ rule: 'K8S-005', reason: SUPPRESSION_REASON }]; },
      path: 'validation',
      message: 'expected a mapping with suppressions, got a list',
    },
    {
      name: 'validation.suppressions is a mapping',
      edit: (c) => { c.validation = { suppressions: { rule: 'K8S-005', reason: SUPPRESSION_REASON } }; },
      path: 'validation.suppressions',
      message: 'expected a list of suppressions, each a mapping with rule, reason, object, got a mapping',
    },
    {
      name: 'a suppression is a string',
      edit: (c) => { c.validation = { suppressions: ['K8S-005'] }; },
      path: 'validation.suppressions[0]',
      message: 'expected a suppression, a mapping with rule, reason, object, got "K8S-005"',
    },
    {
      name: 'a suppression has an unknown field',
      edit: (c) => { c.validation = { suppressions: [{ rule: 'K8S-005', reason: SUPPRESSION_REASON, until: '2026-01-01' }] }; },
      path: 'validation.suppressions[0].until',
      message: 'unknown field; expected one of: rule, reason, object',
    },
    {
      name: 'a suppression has no rule',
      edit: (c) => { c.validation = { suppressions: [{ reason: SUPPRESSION_REASON, object: 'aws_kms_key.unseal' }] }; },
      path: 'validation.suppressions[0].rule',
      message: 'is required: expected a policy rule id: "K8S-" or "TF-" and three digits, such as "K8S-005" or "TF-009"',
    },
    {
      name: 'a suppression rule is in lowercase',
      edit: (c) => { c.validation = { suppressions: [{ rule: 'tf-009', reason: SUPPRESSION_REASON }] }; },
      path: 'validation.suppressions[0].rule',
      message: 'got "tf-009" (write it "TF-009")',
    },
    {
      name: 'a suppression rule is not a rule id',
      edit: (c) => { c.validation = { suppressions: [{ rule: 'TF-9', reason: SUPPRESSION_REASON }] }; },
      path: 'validation.suppressions[0].rule',
      message: 'expected a policy rule id: "K8S-" or "TF-" and three digits, such as "K8S-005" or "TF-009", got "TF-9"',
    },
    {
      name: 'a suppression names a message instead of a rule id',
      edit: (c) => { c.validation = { suppressions: [{ rule: 'container "upload" sets no limits.cpu', reason: SUPPRESSION_REASON }] }; },
      path: 'validation.suppressions[0].rule',
      message: 'got "container \\"upload\\" sets no limits.cpu"',
    },
    {
      name: 'a suppression has no reason',
      edit: (c) => { c.validation = { suppressions: [{ rule: 'K8S-005' }] }; },
      path: 'validation.suppressions[0].reason',
      message: `is required: expected a reason of at least ${SUPPRESSION_REASON_MIN_LENGTH} characters saying why the finding is accepted`,
    },
    {
      name: 'a suppression reason is too short',
      edit: (c) => { c.validation = { suppressions: [{ rule: 'K8S-005', reason: 'accepted' }] }; },
      path: 'validation.suppressions[0].reason',
      message: `expected a reason of at least ${SUPPRESSION_REASON_MIN_LENGTH} characters saying why the finding is accepted, got "accepted" (8 characters)`,
    },
    {
      name: 'a suppression reason is blank',
      edit: (c) => { c.validation = { suppressions: [{ rule: 'K8S-005', reason: '            ' }] }; },
      path: 'validation.suppressions[0].reason',
      message: 'got "            "',
    },
    {
      name: 'a suppression reason is empty in YAML (null)',
      edit: (c) => { c.validation = { suppressions: [{ rule: 'K8S-005', reason: null }] }; },
      path: 'validation.suppressions[0].reason',
      message: 'got null (an empty value; give it a value)',
    },
    {
      name: 'a suppression object is empty',
      edit: (c) => { c.validation = { suppressions: [{ rule: 'K8S-005', reason: SUPPRESSION_REASON, object: '' }] }; },
      path: 'validation.suppressions[0].object',
      message: 'expected the object the findings name: "Kind namespace/name" (Kubernetes) or a Terraform address such as "aws_kms_key.unseal", got ""',
    },
    {
      name: 'a suppression object is a mapping',
      edit: (c) => { c.validation = { suppressions: [{ rule: 'K8S-005', reason: SUPPRESSION_REASON, object: { kind: 'CronJob' } }] }; },
      path: 'validation.suppressions[0].object',
      message: 'got a mapping {"kind":"CronJob"}',
    },
    {
      name: 'a suppression is given twice',
      edit: (c) => {
        c.validation = {
          suppressions: [
            { rule: 'TF-003', reason: SUPPRESSION_REASON, object: 'aws_kms_key.unseal' },
            { rule: 'TF-003', reason: SUPPRESSION_REASON },
            { rule: 'TF-003', reason: 'another reason, same suppression', object: 'aws_kms_key.unseal' },
          ],
        };
      },
      path: 'validation.suppressions[2].rule',
      message: 'expected a suppression not already given, got "TF-003" '
        + '(validation.suppressions[0] already suppresses the findings of TF-003 for "aws_kms_key.unseal")',
    },
  ];

  it('covers at least 25 distinct malformed cases', () => {
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(cases.length).toBeGreaterThanOrEqual(25);
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

  it.each([
    ['a configuration that is a list', [], 'expected a mapping with the sections organization, aws, dns, acme, vault, publicCertificate, privateCertificate, versions, imageDigests, clusters, applications, pki, trust, validation, vaultCluster, backup, terraform, got an empty list []'],
    ['an empty document', null, 'expected a mapping with the sections organization, aws, dns, acme, vault, publicCertificate, privateCertificate, versions, imageDigests, clusters, applications, pki, trust, validation, vaultCluster, backup, terraform, got null'],
    ['a configuration that is a string', 'organization', 'got "organization"'],
  ])('reports the whole document when given %s', (_, raw, message) => {
    // WHEN
    const problems = validateConfig(raw);
    // THEN
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('');
    expect(problems[0]!.message).toContain(message);
  });

  it('reports every missing section of an empty mapping, in order', () => {
    // WHEN
    const problems = validateConfig({});
    // THEN
    expect(paths(problems)).toEqual(['organization', 'aws', 'dns', 'acme', 'vault', 'versions', 'clusters']);
    expect(problems.every((problem) => problem.message.startsWith('is required: expected '))).toBe(true);
  });

  it('reports every problem at once, in the order of the checks', () => {
    // GIVEN
    const config = exampleWith((c) => {
      c.typo = true;
      c.organization.country = 'France';
      c.aws.accountId = 1234;
      c.dns.publicZone.name = 'Example.com';
      c.acme.email = 'ops@';
      c.acme.gatewayIssuer = 'prod';
      c.vault.address = 'http://vault.priv.example.com';
      c.vault.caBundleFile = '/pki/ca-chain.pem';
      c.vault.pki.role = 'a/b';
      c.vault.auth.appRole.roleId = 'x';
      c.publicCertificate = { renewBefore: '90d' };
      c.privateCertificate.renewBefore = '1m';
      c.versions.certManager = 'latest';
      c.versions.trustManager = '0.24.0';
      c.clusters[0].name = 'Prod_EU';
      c.clusters[0].certManager.replicas = 9;
      c.clusters[0].gateways.namespace = 'GW';
      c.clusters[0].monitoring = { enabled: true, warningDaysLeft: 0, criticalDaysLeft: 30 };
      c.applications[0].service.port = 0;
      c.applications[1].path = 'metrics';
      c.trust = { rootsFile: '~/root-ca.pem', namespaceLabels: { 'a/b/c': 'x' } };
    });
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(paths(problems)).toEqual([
      'typo',
      'organization.country',
      'aws.accountId',
      'dns.publicZone.name',
      'acme.email',
      'acme.gatewayIssuer',
      'vault.address',
      'vault.caBundleFile',
      'vault.pki.role',
      'vault.auth.appRole.roleId',
      'publicCertificate.renewBefore',
      'privateCertificate.renewBefore',
      'versions.certManager',
      'versions.trustManager',
      'clusters[0].name',
      'clusters[0].certManager.replicas',
      'clusters[0].gateways.namespace',
      'clusters[0].monitoring.warningDaysLeft',
      'applications[0].service.port',
      'applications[1].path',
      'trust.rootsFile',
      'trust.namespaceLabels["a/b/c"]',
    ]);
  });

  it('reports the unknown keys of a mapping before its fields', () => {
    // GIVEN
    const config = exampleWith((c) => { c.organization = { nmae: 'Example Corp', country: 'FR' }; });
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(problems).toEqual([
      { path: 'organization.nmae', message: 'unknown field; expected one of: name, country' },
      { path: 'organization.name', message: 'is required: expected a non-empty organization name of at most 64 characters (the X.509 limit of O=)' },
    ]);
  });

  it('accepts the bounds themselves', () => {
    // GIVEN
    const config = exampleWith((c) => {
      c.organization.name = 'x'.repeat(ORGANIZATION_NAME_MAX_LENGTH);
      c.versions.certManager = CERT_MANAGER_MIN_VERSION;
      c.versions.gatewayApi = GATEWAY_API_MIN_VERSION;
      c.versions.trustManager = TRUST_MANAGER_MIN_VERSION;
      c.versions.x509CertificateExporter = X509_CERTIFICATE_EXPORTER_MIN_VERSION;
      // Alerts off: a critical alert at 364 days would page for every certificate (checked apart).
      c.clusters[0].monitoring = { enabled: false, warningDaysLeft: MONITORING_DAYS_LEFT_MAX, criticalDaysLeft: MONITORING_DAYS_LEFT_MAX - 1 };
      c.trust = { namespaceLabels: { [`${'p'.repeat(253)}/${'n'.repeat(LABEL_NAME_MAX_LENGTH)}`]: 'v'.repeat(LABEL_VALUE_MAX_LENGTH) } };
      c.clusters[0].name = 'a'.repeat(63);
      c.clusters[0].certManager = { replicas: 5, serviceMonitor: true };
      c.applications[0].service.port = 65535;
      c.applications[1].service.port = 1;
      c.applications[0].path = `/${'a'.repeat(1023)}`;
    });
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(problems).toEqual([]);
  });

  it('accepts every optional field when valid', () => {
    // GIVEN
    const config = exampleWith((c) => {
      delete c.dns.publicZone.hostedZoneID;
      c.vault.address = 'https://priv.example.com/';
      c.clusters[0].region = 'eu-west-3';
      c.clusters[0].flux = { gitRepository: 'flux-system', interval: '1h30m', timeout: '90s' };
      c.applications[0].cluster = 'mycluster-0';
      c.applications[0].path = '/api/v1';
      c.applications[1].hostname = 'portal.priv.example.com';
    });
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(problems).toEqual([]);
  });

  it('accepts every new optional field when valid', () => {
    // GIVEN
    const config = exampleWith((c) => {
      c.acme.gatewayIssuer = 'staging';
      c.acme.http01 = true;
      c.vault.caBundleFile = '../shared/pki/ca-chain.pem';
      c.vault.serverName = 'vault-internal.priv.example.com';
      c.vault.pki = { mount: 'teams/platform/pki_private_issuer', role: 'cert_manager-2' };
      c.vault.auth.appRole.path = 'approle-eks';
      c.vault.auth.appRole.roleId = c.vault.auth.appRole.roleId.toUpperCase();
      c.vault.auth.appRole.secretRef = { name: 'vault.approle', key: 'secret-id_v2.txt' };
      c.publicCertificate = { renewBefore: '2159h59m', privateKey: { algorithm: 'RSA', size: 4096 } };
      c.privateCertificate = { duration: CERTIFICATE_DURATION_MIN, renewBefore: RENEW_BEFORE_MIN, privateKey: { size: 521 } };
      // An hour-long certificate is always within days of expiry: its alerts would always fire.
      c.clusters[0].monitoring = { ...c.clusters[0].monitoring, enabled: false };
      c.clusters[0].gateways = { namespace: 'edge' };
      c.applications[0].service.name = 'a'.repeat(63);
      c.applications[1].hostname = 'grafana.observability.priv.example.com';
      c.applications[0].createNamespace = true;
      c.applications[1].createNamespace = false;
    });
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(problems).toEqual([]);
  });

  it('accepts a configuration without the optional new sections', () => {
    // GIVEN
    const config = exampleWith((c) => {
      delete c.acme.gatewayIssuer;
      delete c.vault.pki;
      delete c.privateCertificate;
      delete c.clusters[0].gateways;
    });
    // WHEN / THEN
    expect(validateConfig(config)).toEqual([]);
  });

  it('accepts policy suppressions, with and without an object, and an empty list', () => {
    // GIVEN
    const full = exampleWith((c) => {
      c.validation = {
        suppressions: [
          { rule: 'K8S-005', reason: SUPPRESSION_REASON, object: 'Job cert-manager/startupapicheck' },
          { rule: 'TF-003', reason: 'x'.repeat(SUPPRESSION_REASON_MIN_LENGTH) },
          { rule: 'TF-003', reason: SUPPRESSION_REASON, object: 'aws_kms_key.unseal' },
        ],
      };
    });
    const empty = exampleWith((c) => { c.validation = { suppressions: [] }; });
    const bare = exampleWith((c) => { c.validation = {}; });
    // WHEN / THEN
    expect(validateConfig(full)).toEqual([]);
    expect(validateConfig(empty)).toEqual([]);
    expect(validateConfig(bare)).toEqual([]);
  });

  it('accepts the Kubernetes auth method alone, with or without its optional fields', () => {
    // GIVEN
    const minimal = exampleWith((c) => { c.vault.auth = { kubernetes: { role: 'cert-manager' } }; });
    const full = exampleWith((c) => {
      c.vault.auth = { kubernetes: { mountPath: '/v1/auth/eks/prod', role: 'cert-manager', serviceAccount: 'vault-issuer' } };
    });
    // WHEN / THEN
    expect(validateConfig(minimal)).toEqual([]);
    expect(validateConfig(full)).toEqual([]);
  });

  it('still checks the fields of both auth methods when both are given', () => {
    // GIVEN
    const config = exampleWith((c) => {
      c.vault.auth.appRole.roleId = 'not-a-uuid';
      c.vault.auth.kubernetes = { mountPath: '/v1/auth/kubernetes' };
    });
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(paths(problems)).toEqual(['vault.auth', 'vault.auth.appRole.roleId', 'vault.auth.kubernetes.role']);
    expect(problems[0]!.message).toBe('expected exactly one of appRole or kubernetes, got both (cert-manager logs in to Vault one way; remove one)');
  });

  it('reports a misspelt auth method and the missing method, each once', () => {
    // GIVEN
    const config = exampleWith((c) => { c.vault.auth = { approle: { roleId: c.vault.auth.appRole.roleId } }; });
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(problems).toEqual([
      { path: 'vault.auth.approle', message: 'unknown field; expected one of: appRole, kubernetes' },
      {
        path: 'vault.auth',
        message: 'expected a mapping with exactly one of appRole or kubernetes, got a mapping {"approle":{"roleId":"5f0c8b8e-3c1d-4e7a-9b2f-6d4a1e0c7b93"}}',
      },
    ]);
  });

  it('never shows a string given as the AppRole secretRef, which is likely the secret id', () => {
    // GIVEN
    const secretId = '0e7c3a2b-9f4d-4c1e-8a6b-2d5f7e9c1b3a';
    const config = exampleWith((c) => { c.vault.auth.appRole.secretRef = secretId; });
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(problems).toEqual([{
      path: 'vault.auth.appRole.secretRef',
      message: 'expected a mapping with name, key naming the Secret that holds the AppRole secret id, '
        + 'got a string (not shown: the secret id itself never goes in the configuration; store it in that Secret)',
    }]);
    expect(JSON.stringify(problems)).not.toContain(secretId.slice(0, 8));
  });

  it('never shows PEM text given as vault.caBundleFile, and names a private key in it', () => {
    // GIVEN
    const pem = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';
    const config = exampleWith((c) => { c.vault.caBundleFile = pem; });
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(problems).toEqual([{
      path: 'vault.caBundleFile',
      message: 'expected the path of a PEM file of CA certificates, relative to the configuration file, such as "pki/ca-chain.pem", '
        + 'got PEM text holding a private key (it must stay offline, never in the configuration; give the path of a file of certificates)',
    }]);
    expect(JSON.stringify(problems)).not.toContain('MIGH');
  });

  it('never shows PEM text given as vault.caBundleSecretRef', () => {
    // GIVEN
    const pem = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';
    const config = exampleWith((c) => {
      forCaBundleSecret(c);
      c.vault.caBundleSecretRef = pem;
    });
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(problems).toEqual([{
      path: 'vault.caBundleSecretRef',
      message: 'expected a mapping with name, key naming the Secret, in cert-manager\'s namespace, that holds the CA bundle, '
        + 'such as { name: "vault-ca" }, got PEM text (not shown; store it in that Secret, or put it in a file named by caBundleFile)',
    }]);
    expect(JSON.stringify(problems)).not.toContain('MIGH');
  });

  describe('vault CA bundle', () => {
    it.each([
      ['a Secret name alone', { name: 'vault-ca' }],
      ['a Secret name and key', { name: 'trust.example.com', key: 'bundle.pem' }],
    ])('accepts caBundleSecretRef with %s in place of caBundleFile', (_, caBundleSecretRef) => {
      // GIVEN
      const config = exampleWith((c) => {
        forCaBundleSecret(c);
        c.vault.caBundleSecretRef = caBundleSecretRef;
      });
      // WHEN / THEN
      expect(validateConfig(config)).toEqual([]);
    });

    it('checks the fields of both when both are given', () => {
      // GIVEN
      const config = exampleWith((c) => {
        c.vault.caBundleFile = '/etc/ca.pem';
        c.vault.caBundleSecretRef = { name: 'Vault_CA', key: '..' };
      });
      // WHEN
      const problems = validateConfig(config);
      // THEN
      expect(paths(problems)).toEqual(['vault', 'vault.caBundleFile', 'vault.caBundleSecretRef.name', 'vault.caBundleSecretRef.key']);
    });

    it('reports an empty caBundleSecretRef on its name, not as a missing CA bundle', () => {
      // GIVEN
      const config = exampleWith((c) => {
        forCaBundleSecret(c);
        c.vault.caBundleSecretRef = {};
      });
      // WHEN
      const problems = validateConfig(config);
      // THEN
      expect(paths(problems)).toEqual(['vault.caBundleSecretRef.name']);
    });
  });

  describe('privateCertificate defaults', () => {
    it.each([
      ['no privateCertificate at all', undefined],
      ['an empty privateCertificate', {}],
      ['a renewBefore shorter than the default duration', { renewBefore: '2159h' }],
      ['a duration longer than the default renewBefore', { duration: '361h' }],
      ['a duration of one year with the default renewBefore', { duration: '8760h' }],
      ['a short duration with a shorter renewBefore', { duration: '960h', renewBefore: '400h' }],
    ])('accepts %s', (_, privateCertificate) => {
      // GIVEN
      const config = exampleWith((c) => {
        if (privateCertificate === undefined) {
          delete c.privateCertificate;
        } else {
          c.privateCertificate = privateCertificate;
        }
      });
      // WHEN / THEN
      expect(validateConfig(config)).toEqual([]);
    });

    it.each([
      ['the default renewBefore', { duration: PRIVATE_CERTIFICATE_DEFAULT_RENEW_BEFORE }, `got the default "${PRIVATE_CERTIFICATE_DEFAULT_RENEW_BEFORE}"`],
      ['the default duration', { renewBefore: PRIVATE_CERTIFICATE_DEFAULT_DURATION }, 'the default privateCertificate.duration'],
    ])('reports a renewBefore equal to %s on privateCertificate.renewBefore', (_, privateCertificate, message) => {
      // GIVEN
      const config = exampleWith((c) => { c.privateCertificate = privateCertificate; });
      // WHEN
      const problems = validateConfig(config);
      // THEN
      expect(paths(problems)).toEqual(['privateCertificate.renewBefore']);
      expect(problems[0]!.message).toContain(message);
    });

    it('suggests a renewBefore in minutes when a third of the duration is not whole hours', () => {
      // GIVEN
      const config = exampleWith((c) => { c.privateCertificate = { duration: '2h' }; });
      // WHEN
      const problems = validateConfig(config);
      // THEN
      expect(problems).toEqual([{
        path: 'privateCertificate.renewBefore',
        message: 'expected a renewBefore shorter than privateCertificate.duration ("2h"), got the default "360h" '
          + '(set renewBefore, e.g. to "40m", a third of the duration)',
      }]);
    });

    it('does not compare the two durations when one of them is invalid', () => {
      // GIVEN
      const config = exampleWith((c) => { c.privateCertificate = { duration: '90d', renewBefore: '3000h' }; });
      // WHEN
      const problems = validateConfig(config);
      // THEN
      expect(paths(problems)).toEqual(['privateCertificate.duration']);
    });

    it('checks the fields before comparing them', () => {
      // GIVEN
      const config = exampleWith((c) => { c.privateCertificate = { duration: '100h', privateKey: { size: 1 } }; });
      // WHEN
      const problems = validateConfig(config);
      // THEN
      expect(paths(problems)).toEqual(['privateCertificate.privateKey.size', 'privateCertificate.renewBefore']);
    });
  });

  describe('privateKey', () => {
    const choices = (sizes: typeof KEY_SIZES): ReadonlyArray<readonly [string | undefined, number]> => [
      ...sizes.ECDSA.map((size) => [undefined, size] as const),
      ...sizes.ECDSA.map((size) => ['ECDSA', size] as const),
      ...sizes.RSA.map((size) => ['RSA', size] as const),
    ];

    it.each(choices(KEY_SIZES))('accepts algorithm %s with size %d for the private certificate', (algorithm, size) => {
      // GIVEN
      const config = exampleWith((c) => { c.privateCertificate.privateKey = algorithm === undefined ? { size } : { algorithm, size }; });
      // WHEN / THEN
      expect(validateConfig(config)).toEqual([]);
    });

    it.each(choices(LETS_ENCRYPT_KEY_SIZES))('accepts algorithm %s with size %d for the public certificate', (algorithm, size) => {
      // GIVEN
      const config = exampleWith((c) => { c.publicCertificate = { privateKey: algorithm === undefined ? { size } : { algorithm, size } }; });
      // WHEN / THEN
      expect(validateConfig(config)).toEqual([]);
    });

    it('checks the size against every algorithm when the algorithm is invalid', () => {
      // GIVEN
      const config = exampleWith((c) => { c.privateCertificate.privateKey = { algorithm: 'DSA', size: 1024 }; });
      // WHEN
      const problems = validateConfig(config);
      // THEN
      expect(problems).toEqual([
        { path: 'privateCertificate.privateKey.algorithm', message: 'expected "ECDSA" or "RSA", got "DSA"' },
        {
          path: 'privateCertificate.privateKey.size',
          message: 'expected a key size: 256, 384 or 521 for ECDSA, 2048, 3072 or 4096 for RSA, got 1024',
        },
      ]);
    });
  });

  describe('monitoring', () => {
    it.each([
      ['no monitoring at all', undefined],
      ['an empty monitoring section', {}],
      ['monitoring disabled', { enabled: false, vaultAlerts: true }],
      ['the default thresholds written out', { enabled: true, warningDaysLeft: MONITORING_DEFAULT_WARNING_DAYS_LEFT, criticalDaysLeft: MONITORING_DEFAULT_CRITICAL_DAYS_LEFT }],
      ['a warning above the default critical', { warningDaysLeft: MONITORING_DEFAULT_CRITICAL_DAYS_LEFT + 1 }],
      ['a critical below the default warning', { criticalDaysLeft: MONITORING_DEFAULT_WARNING_DAYS_LEFT - 1 }],
      ['the lowest thresholds', { warningDaysLeft: MONITORING_DAYS_LEFT_MIN + 1, criticalDaysLeft: MONITORING_DAYS_LEFT_MIN }],
    ])('accepts %s', (_, monitoring) => {
      // GIVEN
      const config = exampleWith((c) => {
        if (monitoring === undefined) {
          delete c.clusters[0].monitoring;
        } else {
          c.clusters[0].monitoring = monitoring;
        }
      });
      // WHEN / THEN
      expect(validateConfig(config)).toEqual([]);
    });

    it('does not require x509CertificateExporter when no cluster enables monitoring', () => {
      // GIVEN
      const config = exampleWith((c) => {
        delete c.versions.x509CertificateExporter;
        withSecondCluster(c);
        c.clusters[0].monitoring = { enabled: false };
        delete c.clusters[1].monitoring;
      });
      // WHEN / THEN
      expect(validateConfig(config)).toEqual([]);
    });

    it('still checks x509CertificateExporter when no cluster enables monitoring', () => {
      // GIVEN
      const config = exampleWith((c) => {
        c.versions.x509CertificateExporter = 'latest';
        delete c.clusters[0].monitoring;
      });
      // WHEN / THEN
      expect(paths(validateConfig(config))).toEqual(['versions.x509CertificateExporter']);
    });

    it('does not compare the thresholds when one of them is invalid', () => {
      // GIVEN
      const config = exampleWith((c) => { c.clusters[0].monitoring = { warningDaysLeft: 'four weeks', criticalDaysLeft: 30 }; });
      // WHEN
      const problems = validateConfig(config);
      // THEN
      expect(paths(problems)).toEqual(['clusters[0].monitoring.warningDaysLeft']);
    });

    it('checks the monitoring of every cluster', () => {
      // GIVEN
      const config = exampleWith((c) => {
        withSecondCluster(c);
        c.clusters[1].monitoring = { enabled: true, warningDaysLeft: 7, criticalDaysLeft: 7 };
      });
      // WHEN
      const problems = validateConfig(config);
      // THEN
      expect(problems).toEqual([{
        path: 'clusters[1].monitoring.criticalDaysLeft',
        message: 'expected a criticalDaysLeft smaller than warningDaysLeft (7), got 7 (the critical alert must come after the warning, closer to expiry)',
      }]);
    });
  });

  describe('trust', () => {
    it('accepts a full trust section', () => {
      // GIVEN
      const config = exampleWith((c) => {
        c.trust = {
          rootsFile: '../shared/pki/roots.pem',
          namespaceLabels: { 'gateway-pki.io/private-ca': 'true', team: '', 'kubernetes.io/metadata.name': 'backup', 'a_b.C-1': 'X.y_z-0' },
        };
      });
      // WHEN / THEN
      expect(validateConfig(config)).toEqual([]);
    });

    it('accepts vault.caBundleSecretRef with trust.rootsFile', () => {
      // GIVEN
      const config = exampleWith((c) => {
        delete c.vault.caBundleFile;
        c.vault.caBundleSecretRef = { name: 'vault-ca' };
        c.trust = { rootsFile: 'pki/root-ca.pem' };
      });
      // WHEN / THEN
      expect(validateConfig(config)).toEqual([]);
    });

    it('does not require trust.rootsFile when both CA bundles are given: that is one mistake, on vault', () => {
      // GIVEN
      const config = exampleWith((c) => { c.vault.caBundleSecretRef = { name: 'vault-ca' }; });
      // WHEN / THEN
      expect(paths(validateConfig(config))).toEqual(['vault']);
    });

    it('reports both a bad label key and its bad value', () => {
      // GIVEN
      const config = exampleWith((c) => { c.trust = { namespaceLabels: { 'private ca': 'yes please' } }; });
      // WHEN
      const problems = validateConfig(config);
      // THEN
      expect(problems.map((problem) => [problem.path, problem.message.slice(0, 24)])).toEqual([
        ['trust.namespaceLabels["private ca"]', 'expected a label key: an'],
        ['trust.namespaceLabels["private ca"]', 'expected a label value a'],
      ]);
    });
  });

  describe('checkTrustRoots option', () => {
    /** Options that record their calls and report `problems` for each. */
    const recording = (caBundleProblems: readonly string[] = [], rootsProblems: readonly string[] = []) => {
      const calls: string[] = [];
      const options: ValidateOptions = {
        checkCaBundle: (file) => { calls.push(`caBundle ${file}`); return caBundleProblems; },
        checkTrustRoots: (file, source) => { calls.push(`roots ${source} ${file}`); return rootsProblems; },
      };
      return { calls, options };
    };

    it('checks the roots of vault.caBundleFile right after the bundle itself when trust.rootsFile is absent', () => {
      // GIVEN
      const config = exampleWith((c) => {
        delete c.trust;
        c.vault.serverName = 'Vault';
      });
      const { calls, options } = recording([], ['no root in the bundle']);
      // WHEN
      const problems = validateConfig(config, options);
      // THEN
      expect(calls).toEqual(['caBundle pki/ca-chain.pem', 'roots caBundleFile pki/ca-chain.pem']);
      expect(problems.map((problem) => [problem.path, problem.message.slice(0, 21)])).toEqual([
        ['vault.caBundleFile', 'no root in the bundle'],
        ['vault.serverName', 'expected a lowercase '],
      ]);
    });

    it('does not look for roots in a CA bundle that has problems of its own', () => {
      // GIVEN
      const config = exampleWith((c) => { delete c.trust; });
      const { calls, options } = recording(['not a PEM file']);
      // WHEN
      const problems = validateConfig(config, options);
      // THEN
      expect(calls).toEqual(['caBundle pki/ca-chain.pem']);
      expect(problems).toEqual([{ path: 'vault.caBundleFile', message: 'not a PEM file' }]);
    });

    it('checks trust.rootsFile, reporting there, instead of the roots of the CA bundle', () => {
      // GIVEN
      const config = exampleWith((c) => { c.trust = { rootsFile: 'pki/roots.pem', namespaceLabels: { team: 'A B' } }; });
      const { calls, options } = recording([], ['only an intermediate']);
      // WHEN
      const problems = validateConfig(config, options);
      // THEN
      expect(calls).toEqual(['caBundle pki/ca-chain.pem', 'roots rootsFile pki/roots.pem']);
      expect(paths(problems)).toEqual(['trust.rootsFile', 'trust.namespaceLabels.team']);
      expect(problems[0]!.message).toBe('only an intermediate');
    });

    it('checks trust.rootsFile when the CA bundle is a Secret', () => {
      // GIVEN
      const config = exampleWith((c) => {
        delete c.vault.caBundleFile;
        c.vault.caBundleSecretRef = { name: 'vault-ca' };
        c.trust = { rootsFile: 'pki/root-ca.pem' };
      });
      const { calls, options } = recording();
      // WHEN
      const problems = validateConfig(config, options);
      // THEN
      expect(calls).toEqual(['roots rootsFile pki/root-ca.pem']);
      expect(problems).toEqual([]);
    });

    it.each([
      ['trust.rootsFile is invalid', { rootsFile: '/etc/pki/roots.pem' }, ['trust.rootsFile']],
      ['trust.rootsFile is empty in YAML (null)', { rootsFile: null }, ['trust.rootsFile']],
    ])('reads no roots when %s, and does not fall back on the CA bundle', (_, trust, expected) => {
      // GIVEN
      const config = exampleWith((c) => { c.trust = trust; });
      const { calls, options } = recording();
      // WHEN
      const problems = validateConfig(config, options);
      // THEN
      expect(calls).toEqual(['caBundle pki/ca-chain.pem']);
      expect(paths(problems)).toEqual(expected);
    });

    it('reads no roots when the trust section is not a mapping', () => {
      // GIVEN
      const config = exampleWith((c) => { c.trust = 'pki/root-ca.pem'; });
      const { calls, options } = recording();
      // WHEN
      const problems = validateConfig(config, options);
      // THEN
      expect(calls).toEqual(['caBundle pki/ca-chain.pem']);
      expect(problems).toEqual([{ path: 'trust', message: 'expected a mapping with rootsFile, namespaceLabels, got "pki/root-ca.pem"' }]);
    });
  });

  it('accepts a public hostname one label below the zone, and a private one at any depth', () => {
    // GIVEN
    const config = exampleWith((c) => {
      c.applications[0].hostname = 'x.example.com';
      c.applications[1].hostname = 'a.b.c.priv.example.com';
    });
    // WHEN / THEN
    expect(validateConfig(config)).toEqual([]);
  });

  describe('checkCaBundle option', () => {
    it('is called with vault.caBundleFile, and its messages are reported there in the order of the checks', () => {
      // GIVEN
      const config = exampleWith((c) => {
        c.vault.address = 'http://vault.priv.example.com';
        c.vault.serverName = 'Vault';
      });
      const calls: string[] = [];
      // WHEN
      const problems = validateConfig(config, {
        checkCaBundle: (file) => {
          calls.push(file);
          return ['first problem of the file', 'second problem of the file'];
        },
      });
      // THEN
      expect(calls).toEqual(['pki/ca-chain.pem']);
      expect(problems.map((problem) => [problem.path, problem.message.slice(0, 25)])).toEqual([
        ['vault.address', 'expected an https:// URL '],
        ['vault.caBundleFile', 'first problem of the file'],
        ['vault.caBundleFile', 'second problem of the fil'],
        ['vault.serverName', 'expected a lowercase full'],
      ]);
    });

    it('is not called when vault.caBundleFile is invalid', () => {
      // GIVEN
      const config = exampleWith((c) => { c.vault.caBundleFile = '/etc/ca.pem'; });
      let called = false;
      // WHEN
      const problems = validateConfig(config, { checkCaBundle: () => { called = true; return []; } });
      // THEN
      expect(called).toBe(false);
      expect(paths(problems)).toEqual(['vault.caBundleFile']);
    });

    it('is not called when vault.caBundleSecretRef is given instead', () => {
      // GIVEN
      const config = exampleWith((c) => {
        forCaBundleSecret(c);
        c.vault.caBundleSecretRef = { name: 'vault-ca' };
      });
      let called = false;
      // WHEN
      const problems = validateConfig(config, { checkCaBundle: () => { called = true; return ['unexpected']; } });
      // THEN
      expect(called).toBe(false);
      expect(problems).toEqual([]);
    });

    it('is not called when vault.caBundleSecretRef is given too: the file may not be the bundle in effect', () => {
      // GIVEN
      const config = exampleWith((c) => { c.vault.caBundleSecretRef = { name: 'vault-ca' }; });
      let called = false;
      // WHEN
      const problems = validateConfig(config, { checkCaBundle: () => { called = true; return ['no such file']; } });
      // THEN
      expect(called).toBe(false);
      expect(paths(problems)).toEqual(['vault']);
    });
  });

  it('accepts a configuration without applications', () => {
    // GIVEN
    const config = exampleWith((c) => { delete c.applications; });
    // WHEN / THEN
    expect(validateConfig(config)).toEqual([]);
  });

  it('accepts pod-identity with its EKS cluster name and the OIDC provider External Secrets\' stores use', () => {
    // GIVEN
    const config = exampleWith((c) => {
      c.clusters[0].workloadIdentity = { ...c.clusters[0].workloadIdentity, type: 'pod-identity', eksClusterName: 'prod-eks-01' };
    });
    // WHEN / THEN
    expect(validateConfig(config)).toEqual([]);
  });

  it('requires applications[].cluster when several clusters are declared', () => {
    // GIVEN
    const config = exampleWith((c) => {
      withSecondCluster(c);
      delete c.applications[0].cluster;
      delete c.applications[1].cluster;
    });
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(problems).toEqual([
      {
        path: 'applications[0].cluster',
        message: 'is required when several clusters are declared: expected one of the declared clusters: "mycluster-0" or "mycluster-1"',
      },
      {
        path: 'applications[1].cluster',
        message: 'is required when several clusters are declared: expected one of the declared clusters: "mycluster-0" or "mycluster-1"',
      },
    ]);
  });

  it('accepts the same application name and hostname on two clusters', () => {
    // GIVEN
    const config = exampleWith((c) => {
      withSecondCluster(c);
      c.applications.push({ ...structuredClone(c.applications[0]), cluster: 'mycluster-1' });
    });
    // WHEN / THEN
    expect(validateConfig(config)).toEqual([]);
  });

  it('does not report a dependent field again when the field it depends on is broken', () => {
    // GIVEN: an invalid private zone and account, which vault.address and the OIDC ARN depend on
    const config = exampleWith((c) => {
      c.dns.privateZone.name = 'priv.example.com.';
      c.aws.accountId = '1';
      c.vault.address = 'https://vault.elsewhere.com';
    });
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(paths(problems)).toEqual(['aws.accountId', 'dns.privateZone.name']);
  });

  it('does not report an application cluster whose own name is already reported', () => {
    // GIVEN
    const config = exampleWith((c) => {
      c.clusters[0].name = 'Prod_EU';
      c.applications[0].cluster = 'Prod_EU';
    });
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(paths(problems)).toEqual(['clusters[0].name']);
  });

  it('never shows the password of a vault address with credentials', () => {
    // GIVEN
    const config = exampleWith((c) => { c.vault.address = 'https://admin:s3cret@vault.priv.example.com:8200'; });
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(problems).toEqual([{
      path: 'vault.address',
      message: 'expected an https:// URL without credentials (Vault clients authenticate with tokens), got "https://***@vault.priv.example.com:8200"',
    }]);
  });

  it('cuts long values in messages to about 80 characters', () => {
    // GIVEN
    const config = exampleWith((c) => { c.acme.email = `${'a'.repeat(300)}@`; });
    // WHEN
    const [problem] = validateConfig(config);
    // THEN
    expect(problem!.message).toContain('(301 characters)');
    expect(problem!.message).toContain('…');
    expect(problem!.message.length).toBeLessThan(200);
  });
});

describe('terraform.backend', () => {
  const KEY = 'arn:aws:kms:eu-west-3:123456789012:key/0b9f3c2e-4d1a-4e8b-9c7d-2a6f5e8b1c34';
  const S3 = { bucket: 'acme-terraform-state', keyPrefix: 'platform/gateway-pki', region: 'eu-west-1', kmsKeyId: KEY };
  const withBackend = (backend: unknown): unknown => exampleWith((c) => { c.terraform = { backend }; });

  it.each([
    ['local: alone (YAML null: every default)', { local: null }],
    ['local: {}', { local: {} }],
    ['a local folder outside the repository', { local: { directory: '../../state/gateway-pki' } }],
    ['s3 with every field', { s3: S3 }],
    ['s3 with the bucket and key only (keyPrefix and region defaulted)', { s3: { bucket: S3.bucket, kmsKeyId: KEY } }],
    ['an S3 multi-Region key', { s3: { ...S3, kmsKeyId: 'arn:aws:kms:eu-west-3:123456789012:key/mrk-0123456789abcdef0123456789abcdef' } }],
  ])('accepts %s', (_name, backend) => {
    expect(validateConfig(withBackend(backend))).toEqual([]);
  });

  it('accepts the S3 form that the example configuration shows commented out', () => {
    // GIVEN the example with its commented terraform section uncommented
    const lines = readFileSync(EXAMPLE_FILE, 'utf8').split('\n');
    const start = lines.indexOf('# terraform:');
    expect(start).toBeGreaterThan(0);
    const block = lines.slice(start).filter((line) => line.startsWith('#')).map((line) => line.replace(/^# ?/, ''));
    const config = parse([...lines.slice(0, start), ...block].join('\n'));
    // THEN it is valid, and it is the S3 backend
    expect(config.terraform.backend.s3.kmsKeyId).toMatch(/^arn:aws:kms:/);
    expect(validateConfig(config)).toEqual([]);
  });

  it('accepts no terraform section at all (the local default)', () => {
    expect(validateConfig(exampleWith((c) => { delete c.terraform; }))).toEqual([]);
  });

  const cases: ReadonlyArray<{ name: string; backend: unknown; path: string; message: string }> = [
    { name: 'both backends are given', backend: { local: {}, s3: S3 }, path: 'terraform.backend', message: 'expected exactly one of local and s3' },
    { name: 'neither backend is given', backend: {}, path: 'terraform.backend', message: 'neither is given' },
    { name: 'the backend is a string', backend: 's3', path: 'terraform.backend', message: 'expected a mapping with exactly one of local' },
    { name: 'an unknown backend', backend: { gcs: { bucket: 'x' } }, path: 'terraform.backend.gcs', message: 'unknown field; expected one of: local, s3' },
    { name: 'an unknown key under local', backend: { local: { path: 'x.tfstate' } }, path: 'terraform.backend.local.path', message: 'unknown field; expected one of: directory' },
    { name: 'an absolute state folder', backend: { local: { directory: '/var/lib/terraform' } }, path: 'terraform.backend.local.directory', message: 'an absolute path only exists on one machine' },
    { name: 'a Windows absolute state folder', backend: { local: { directory: 'C:\\state' } }, path: 'terraform.backend.local.directory', message: 'an absolute path only exists on one machine' },
    { name: 'an empty state folder', backend: { local: { directory: '' } }, path: 'terraform.backend.local.directory', message: 'expected a folder relative to the configuration file' },
    { name: 's3 without a bucket', backend: { s3: { kmsKeyId: KEY } }, path: 'terraform.backend.s3.bucket', message: 'required' },
    { name: 's3 without a key', backend: { s3: { bucket: S3.bucket } }, path: 'terraform.backend.s3.kmsKeyId', message: 'required' },
    { name: 'a bucket name in capitals', backend: { s3: { ...S3, bucket: 'Acme_State' } }, path: 'terraform.backend.s3.bucket', message: '"Acme_State"' },
    { name: 'a bucket given as an ARN', backend: { s3: { ...S3, bucket: 'arn:aws:s3:::acme-terraform-state' } }, path: 'terraform.backend.s3.bucket', message: 'arn:aws:s3:::acme-terraform-state' },
    { name: 'a key prefix with a leading /', backend: { s3: { ...S3, keyPrefix: '/gateway-pki' } }, path: 'terraform.backend.s3.keyPrefix', message: 'remove the leading and trailing "/"' },
    { name: 'a key prefix with an empty segment', backend: { s3: { ...S3, keyPrefix: 'platform//gateway-pki' } }, path: 'terraform.backend.s3.keyPrefix', message: 'an empty segment ("//")' },
    { name: 'a key prefix with ..', backend: { s3: { ...S3, keyPrefix: 'platform/../other' } }, path: 'terraform.backend.s3.keyPrefix', message: 'expected an S3 key prefix' },
    { name: 'a key prefix too long', backend: { s3: { ...S3, keyPrefix: 'a'.repeat(901) } }, path: 'terraform.backend.s3.keyPrefix', message: 'at most 900 characters' },
    { name: 'a key alias instead of its ARN', backend: { s3: { ...S3, kmsKeyId: 'arn:aws:kms:eu-west-3:123456789012:alias/terraform' } }, path: 'terraform.backend.s3.kmsKeyId', message: 'give the key\'s ARN, not an alias' },
    { name: 'the documentation\'s placeholder key id', backend: { s3: { ...S3, kmsKeyId: 'arn:aws:kms:eu-west-3:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' } }, path: 'terraform.backend.s3.kmsKeyId', message: 'the key id is not one KMS issues' },
    { name: 'a bare key id', backend: { s3: { ...S3, kmsKeyId: '0b9f3c2e-4d1a-4e8b-9c7d-2a6f5e8b1c34' } }, path: 'terraform.backend.s3.kmsKeyId', message: 'expected a KMS key ARN' },
    { name: 'a region that is an availability zone', backend: { s3: { ...S3, region: 'eu-west-1a' } }, path: 'terraform.backend.s3.region', message: 'that is an availability zone; the region is "eu-west-1"' },
    { name: 'a region in capitals', backend: { s3: { ...S3, region: 'EU-WEST-1' } }, path: 'terraform.backend.s3.region', message: 'write it in lowercase' },
    { name: 'an unknown key under s3 (Terraform\'s spelling)', backend: { s3: { ...S3, kms_key_id: KEY } }, path: 'terraform.backend.s3.kms_key_id', message: 'unknown field; expected one of: bucket, keyPrefix, region, kmsKeyId' },
  ];

  it.each(cases)('reports $path when $name', ({ backend, path, message }) => {
    // GIVEN
    const config = withBackend(backend);
    // WHEN
    const problems = validateConfig(config);
    // THEN
    expect(paths(problems)).toEqual([path]);
    expect(problems[0]!.message).toContain(message);
  });

  it('reports an unknown key beside backend', () => {
    const problems = validateConfig(exampleWith((c) => { c.terraform = { backend: { local: null }, workspace: 'prod' }; }));
    expect(paths(problems)).toEqual(['terraform.workspace']);
    expect(problems[0]!.message).toContain('unknown field; expected one of: backend');
  });
});

describe('assertValidConfig', () => {
  it('returns the configuration when it is valid', () => {
    // WHEN
    const config = assertValidConfig(EXAMPLE, 'config/platform.yaml');
    // THEN
    expect(config.clusters.map((cluster) => cluster.name)).toEqual(['mycluster-0']);
  });

  it('throws a ConfigError listing every problem', () => {
    // GIVEN
    const config = exampleWith((c) => {
      c.aws.accountId = 1234;
      c.clusters[0].name = 'Prod_EU';
    });
    // WHEN
    const act = (): unknown => assertValidConfig(config, 'config/platform.yaml');
    // THEN
    expect(act).toThrow(ConfigError);
    expect(act).toThrow([
      'config/platform.yaml: configuration is invalid (2 problems):',
      '  aws.accountId: expected a 12-digit AWS account id as a string (quote it in YAML), got 1234',
      '  clusters[0].name: expected a DNS-1123 label (lowercase letters, digits and \'-\', at most 63 characters), got "Prod_EU"',
    ].join('\n'));
  });
});

describe('ConfigError', () => {
  it('formats problems with their lines', () => {
    // GIVEN
    const problems: ConfigProblem[] = [
      {
        path: 'clusters[0].name',
        line: 31,
        message: 'expected a DNS-1123 label (lowercase letters, digits and \'-\', at most 63 characters), got "Prod_EU"',
      },
      { path: 'aws.accountId', line: 10, message: 'expected a 12-digit AWS account id as a string (quote it in YAML), got 1234' },
    ];
    // WHEN
    const error = new ConfigError('config/platform.yaml', problems);
    // THEN
    expect(error.message).toBe([
      'config/platform.yaml: configuration is invalid (2 problems):',
      '  clusters[0].name (line 31): expected a DNS-1123 label (lowercase letters, digits and \'-\', at most 63 characters), got "Prod_EU"',
      '  aws.accountId (line 10): expected a 12-digit AWS account id as a string (quote it in YAML), got 1234',
    ].join('\n'));
    expect(error.problems).toBe(problems);
    expect(error.name).toBe('ConfigError');
  });

  it('says "1 problem" and shows a whole-file problem by its line alone', () => {
    // WHEN
    const error = new ConfigError('x.yaml', [{ path: '', line: 3, message: 'invalid YAML: oops' }]);
    // THEN
    expect(error.message).toBe('x.yaml: configuration is invalid (1 problem):\n  line 3: invalid YAML: oops');
  });
});

describe('configuration paths', () => {
  it.each([
    [['clusters', 0, 'workloadIdentity', 'oidcProviderArn'], 'clusters[0].workloadIdentity.oidcProviderArn'],
    [['aws', 'account.id'], 'aws["account.id"]'],
    [['applications', 12], 'applications[12]'],
    [[], ''],
  ])('writes %j as %s and reads it back', (segments, path) => {
    expect(formatPath(segments)).toBe(path);
    expect(parsePath(path)).toEqual(segments);
  });

  it.each([
    ['Prod_EU', '"Prod_EU"'],
    [1234, '1234'],
    [false, 'false'],
    [null, 'null'],
    [[], 'an empty list []'],
    [{ a: 1 }, 'a mapping {"a":1}'],
  ])('shows %j as %s', (value, shown) => {
    expect(showValue(value)).toBe(shown);
  });
});

describe('validators', () => {
  it.each(['eu-west-3', 'us-gov-west-1', 'ap-southeast-2', 'cn-north-1', 'us-isob-east-1', 'eusc-de-east-1'])(
    'isAwsRegion accepts %s', (region) => { expect(isAwsRegion(region)).toBe(true); },
  );

  it.each(['eu-west', 'EU-WEST-3', 'eu-west-3a', 'euwest3', 'eu_west_3', ''])(
    'isAwsRegion rejects %j', (region) => { expect(isAwsRegion(region)).toBe(false); },
  );

  it('isDnsLabel follows DNS-1123', () => {
    expect(['a', '0', 'prod-eu', 'a'.repeat(63)].every(isDnsLabel)).toBe(true);
    expect(['', '-a', 'a-', 'A', 'a_b', 'a.b', 'a'.repeat(64)].some(isDnsLabel)).toBe(false);
  });

  it('isDnsName wants a lowercase fully qualified name', () => {
    expect(['example.com', 'a.b.c.example.com', `${'a'.repeat(63)}.com`, 'xn--bcher-kva.example'].every(isDnsName)).toBe(true);
    expect(['example', 'example.com.', '*.example.com', 'Example.com', '10.0.0.1', 'a..com',
      `${'a.'.repeat(127)}com`].some(isDnsName)).toBe(false);
  });

  it('isEmail accepts plain addresses only', () => {
    expect(['security@example.com', 'first.last+tag@sub.Example.org'].every(isEmail)).toBe(true);
    expect(['ops@', 'ops', '@example.com', 'ops@example', 'o ps@example.com', 'ops@exa mple.com'].some(isEmail)).toBe(false);
  });

  it.each([
    ['10m', 600e9], ['1h30m', 5400e9], ['90s', 90e9], ['1.5h', 5400e9], ['300ms', 300e6], ['2us', 2e3],
    ['2µs', 2e3], ['7ns', 7], ['.5s', 0.5e9], ['0', 0], ['-1m', -60e9], ['+1s', 1e9],
  ])('parseGoDuration reads %s as %d ns', (text, nanoseconds) => {
    expect(parseGoDuration(text)).toBe(nanoseconds);
  });

  it.each(['', '10', '1d', 'm', '.s', '1h 30m', '1.2.3s', '-', '3000000h'])('parseGoDuration rejects %j', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
    expect(isGoDuration(text)).toBe(false);
  });

  it('isFluxDuration is the subset of Go durations the Flux CRDs accept', () => {
    expect(['10m', '1h30m', '90s', '1.5h', '500ms'].every(isFluxDuration)).toBe(true);
    expect(['500us', '.5s', '-1m', '10'].some(isFluxDuration)).toBe(false);
  });

  it('isHttpPathPrefix follows the HTTPRoute PathPrefix rules', () => {
    expect(['/', '/api', '/api/v1/', '/a%20b', `/${'a'.repeat(1023)}`].every(isHttpPathPrefix)).toBe(true);
    expect(['', 'api', '/a b', '/a//b', '/a/./b', '/a/../b', '/a%2Fb', '/a#b', '/a/.', '/a/..', `/${'a'.repeat(1024)}`]
      .some(isHttpPathPrefix)).toBe(false);
  });

  it('isDns1035Label follows DNS-1035: a letter first', () => {
    expect(['a', 'echo', 'a0', 'my-svc', 'a'.repeat(63)].every(isDns1035Label)).toBe(true);
    expect(['', '0a', '1echo', '-a', 'a-', 'A', 'a_b', 'a.b', 'a'.repeat(64)].some(isDns1035Label)).toBe(false);
  });

  it('isUuid accepts the 8-4-4-4-12 form in either case', () => {
    expect(['5f0c8b8e-3c1d-4e7a-9b2f-6d4a1e0c7b93', '5F0C8B8E-3C1D-4E7A-9B2F-6D4A1E0C7B93', '00000000-0000-0000-0000-000000000000']
      .every(isUuid)).toBe(true);
    expect(['', '5f0c8b8e3c1d4e7a9b2f6d4a1e0c7b93', '{5f0c8b8e-3c1d-4e7a-9b2f-6d4a1e0c7b93}', '5f0c8b8e-3c1d-4e7a-9b2f-6d4a1e0c7b9g',
      'urn:uuid:5f0c8b8e-3c1d-4e7a-9b2f-6d4a1e0c7b93', ' 5f0c8b8e-3c1d-4e7a-9b2f-6d4a1e0c7b93'].some(isUuid)).toBe(false);
  });

  it('isVaultPath and isVaultPathSegment follow Vault mount and role names', () => {
    expect(['pki', 'pki_private_issuer', 'teams/a-b/pki', 'A_1'].every(isVaultPath)).toBe(true);
    expect(['', '/pki', 'pki/', 'a//b', 'pki issuer', 'pki.int'].some(isVaultPath)).toBe(false);
    expect(['approle', 'cert-manager', 'a_B-1'].every(isVaultPathSegment)).toBe(true);
    expect(['', 'a/b', 'a b', 'a.b'].some(isVaultPathSegment)).toBe(false);
  });

  it('isSecretKey follows the Kubernetes rules for Secret data keys', () => {
    expect(['secretId', 'tls.crt', '.hidden', 'a-b_c.d', 'k'.repeat(SECRET_KEY_MAX_LENGTH)].every(isSecretKey)).toBe(true);
    expect(['', '.', '..', '..a', 'a b', 'a/b', 'k'.repeat(SECRET_KEY_MAX_LENGTH + 1)].some(isSecretKey)).toBe(false);
  });

  it('isPortableRelativePath refuses paths that only mean something on one machine', () => {
    expect(['pki/ca-chain.pem', 'ca.pem', '../shared/ca.pem', './pki/ca.pem', 'dir with space/ca.pem'].every(isPortableRelativePath))
      .toBe(true);
    expect(['', ' ', '/etc/ca.pem', '\\\\server\\ca.pem', 'C:\\ca.pem', 'c:/ca.pem', '~/ca.pem', 'pki/ca.pem\n', 'a\u0000b']
      .some(isPortableRelativePath)).toBe(false);
  });

  it('parseExactVersion wants the prefix asked for, and no other', () => {
    expect(parseExactVersion('v0.24.0')).toEqual([0, 24, 0]);
    expect(parseExactVersion('3.19.1', '')).toEqual([3, 19, 1]);
    expect(['3.19.1', 'v3.19', 'v03.1.0', 'v1.2.3-rc.1', 'V1.2.3'].map((text) => parseExactVersion(text))).toEqual(Array(5).fill(undefined));
    expect(['v3.19.1', '3.19', '03.1.0', '1.2.3+build', ' 1.2.3'].map((text) => parseExactVersion(text, ''))).toEqual(Array(5).fill(undefined));
  });

  it('isLabelKey follows the Kubernetes rules for label keys', () => {
    expect(['team', 'gateway-pki.io/private-ca', 'kubernetes.io/metadata.name', 'A_b.c-D', 'a', `${'p'.repeat(253)}/n`,
      'n'.repeat(LABEL_NAME_MAX_LENGTH)].every(isLabelKey)).toBe(true);
    expect(['', '/a', 'a/', 'a/b/c', 'Example.io/a', 'ex_ample.io/a', '-a', 'a-', '.a', 'a b', 'n'.repeat(LABEL_NAME_MAX_LENGTH + 1),
      `${'p'.repeat(254)}/n`].some(isLabelKey)).toBe(false);
  });

  it('isLabelValue accepts an empty value or a label name', () => {
    expect(['', 'true', 'A.b_c-1', 'v'.repeat(LABEL_VALUE_MAX_LENGTH)].every(isLabelValue)).toBe(true);
    expect(['-a', 'a-', 'a b', 'a/b', 'v'.repeat(LABEL_VALUE_MAX_LENGTH + 1)].some(isLabelValue)).toBe(false);
  });

  it('parseOidcProviderArn splits an EKS OIDC provider ARN', () => {
    expect(parseOidcProviderArn(ARN)).toEqual({
      partition: 'aws', accountId: '123456789012', region: 'eu-west-3', id: '0123456789ABCDEF0123456789ABCDEF',
    });
    expect(parseOidcProviderArn(ARN.replace('arn:aws:', 'arn:aws-us-gov:').replace('eu-west-3', 'us-gov-west-1'))?.partition)
      .toBe('aws-us-gov');
    expect(parseOidcProviderArn(ARN.replace('ABCDEF0123456789ABCDEF', 'abcdef0123456789abcdef'))).toBeUndefined();
    expect(parseOidcProviderArn(ARN.replace('oidc-provider', 'role'))).toBeUndefined();
  });
});
