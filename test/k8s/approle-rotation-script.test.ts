import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { APPROLE_ROTATION_SCRIPT, JOB_LIB_SCRIPT } from '../../lib/k8s/backup-scripts.js';
import { findTool, runTool } from '../support/tools.js';

/**
 * The rotation script, run for real by POSIX sh with fake `aws`, `vault` and `curl` first on PATH:
 * small scripts that log every call's arguments, keep "Secrets Manager" and the cluster's Secret
 * in files, and answer Vault's list and lookup from FAKE_* variables.
 */
const SCRIPT = resolve(import.meta.dirname, '../../lib/k8s/scripts/approle-rotation.sh');
const TOKEN = 'hvs.CAESIFakeTokenOfTheRotationTests0123456789abcdef';
const ACCESS_KEY = 'ASIAFAKEROTATIONKEY01';
const SECRET_KEY = 'fake/secret+key=of/the/rotation/tests';
const NEW_ACCESSOR = '11111111-2222-4333-8444-555555555555';
const OLD_OF_CLUSTER = 'aaaaaaaa-0000-4000-8000-000000000001';
const OLD_OF_OTHER = 'bbbbbbbb-0000-4000-8000-000000000002';
const BY_HAND = 'cccccccc-0000-4000-8000-000000000003';

const FAKE_AWS = `#!/bin/sh
printf 'aws %s\\n' "$*" >>"$FAKE_CALLS"
case "$1 $2" in
  "configure export-credentials")
    [ "\${FAKE_CREDENTIALS:-ok}" = ok ] || { echo "Unable to locate credentials" >&2; exit 253; }
    printf 'AWS_ACCESS_KEY_ID=%s\\nAWS_SECRET_ACCESS_KEY=%s\\nAWS_SESSION_TOKEN=fake-session\\n' "$FAKE_ACCESS_KEY" "$FAKE_SECRET_KEY" ;;
  "secretsmanager put-secret-value")
    shift 2
    while [ $# -gt 0 ]; do
      case $1 in --secret-string) value=$2 ;; --secret-id) id=$2 ;; esac
      shift
    done
    case $value in file://*) cat "\${value#file://}" >"$FAKE_SM/$(echo "$id" | tr / _)" ;; *) echo "fake: the value came as an argument" >&2; exit 2 ;; esac
    [ "\${FAKE_ESO:-syncs}" != syncs ] || cp "$FAKE_SM/$(echo "$id" | tr / _)" "$FAKE_SECRET_DATA"
    echo "v-1" ;;
  *) echo "fake aws: unexpected $*" >&2; exit 64 ;;
esac
`;

const FAKE_CURL = `#!/bin/sh
printf 'curl %s\\n' "$*" >>"$FAKE_CALLS"
for a in "$@"; do last=$a; done
case $last in
  */externalsecrets/*) echo '{}' ;;
  */secrets/*)
    value=$(base64 <"$FAKE_SECRET_DATA" 2>/dev/null | tr -d '\\n')
    printf '{"kind":"Secret","data":{"%s":"%s"}}' "$FAKE_SECRET_KEY_NAME" "$value" ;;
  *) echo "fake curl: unexpected $last" >&2; exit 22 ;;
esac
`;

const FAKE_VAULT = `#!/bin/sh
me=$(basename "$0")
printf '%s %s\\n' "$me" "$*" >>"$FAKE_CALLS"
case "$1" in
  login)
    [ "\${AWS_ACCESS_KEY_ID:-}" = "$FAKE_ACCESS_KEY" ] && [ "\${AWS_SECRET_ACCESS_KEY:-}" = "$FAKE_SECRET_KEY" ] \\
      || { echo "fake: no AWS credentials in the environment" >&2; exit 2; }
    [ "\${FAKE_LOGIN:-ok}" = ok ] || { echo "Error authenticating: Code: 400. Errors: * entry for role approle-rotation-x not found" >&2; exit 2; }
    echo "$FAKE_TOKEN" ;;
  write)
    [ "\${VAULT_TOKEN:-}" = "$FAKE_TOKEN" ] || { echo "permission denied" >&2; exit 2; }
    case "$2 $3" in
      *custom-secret-id*) cat >"$FAKE_REGISTERED"; echo "$FAKE_NEW_ACCESSOR" ;;
      *lookup*)
        for a in "$@"; do case $a in secret_id_accessor=*) acc=\${a#secret_id_accessor=} ;; esac; done
        case $acc in
          "$FAKE_OLD_OF_CLUSTER"|"$FAKE_NEW_ACCESSOR") cluster=prod ;;
          "$FAKE_OLD_OF_OTHER") cluster=staging ;;
          *) printf '{\\n  "data": {\\n    "metadata": {}\\n  }\\n}\\n'; exit 0 ;;
        esac
        printf '{\\n  "data": {\\n    "metadata": {\\n      "gateway-pki-cluster": "%s"\\n    },\\n    "secret_id_num_uses": 0\\n  }\\n}\\n' "$cluster" ;;
      *destroy*) ;;
      *) echo "fake vault: unexpected $*" >&2; exit 64 ;;
    esac ;;
  list) printf '[\\n  "%s",\\n  "%s",\\n  "%s",\\n  "%s"\\n]\\n' "$FAKE_OLD_OF_CLUSTER" "$FAKE_OLD_OF_OTHER" "$FAKE_NEW_ACCESSOR" "$FAKE_BY_HAND" ;;
  token) [ "$2" = revoke ] ;;
  *) echo "fake vault: unexpected $*" >&2; exit 64 ;;
esac
`;

let dir: string;
let work: string;
let calls: string;
let env: Record<string, string>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'approle-rotation-'));
  work = join(dir, 'work');
  const bin = join(dir, 'bin');
  for (const d of [work, bin, join(dir, 'sm')]) mkdirSync(d);
  for (const [name, text] of Object.entries({ aws: FAKE_AWS, vault: FAKE_VAULT, curl: FAKE_CURL })) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  writeFileSync(join(dir, 'ca.crt'), 'fake CA\n');
  writeFileSync(join(dir, 'token'), 'kube-token\n');
  writeFileSync(join(dir, 'secret-data'), 'the-old-secret-id');
  calls = join(dir, 'calls');
  env = {
    PATH: `${bin}:/usr/bin:/bin`,
    WORK_DIR: work,
    FAKE_CALLS: calls,
    FAKE_SM: join(dir, 'sm'),
    FAKE_SECRET_DATA: join(dir, 'secret-data'),
    FAKE_SECRET_KEY_NAME: 'secretId',
    FAKE_REGISTERED: join(dir, 'registered'),
    FAKE_TOKEN: TOKEN,
    FAKE_ACCESS_KEY: ACCESS_KEY,
    FAKE_SECRET_KEY: SECRET_KEY,
    FAKE_NEW_ACCESSOR: NEW_ACCESSOR,
    FAKE_OLD_OF_CLUSTER: OLD_OF_CLUSTER,
    FAKE_OLD_OF_OTHER: OLD_OF_OTHER,
    FAKE_BY_HAND: BY_HAND,
    AWS_REGION: 'eu-west-3',
    VAULT_CLI: 'vault',
    VAULT_ADDR: 'https://vault.priv.example.com:8200',
    VAULT_CACERT: join(dir, 'ca.crt'),
    VAULT_TLS_SERVER_NAME: 'vault.priv.example.com',
    AWS_AUTH_PATH: 'aws',
    AWS_AUTH_ROLE: 'approle-rotation-prod',
    AWS_AUTH_SERVER_ID: 'vault.priv.example.com',
    AWS_AUTH_REGION: 'eu-west-3',
    APPROLE_MOUNT: 'approle',
    APPROLE_NAME: 'cert-manager',
    CLUSTER_NAME: 'prod',
    SECRET_ID_NAME: 'gateway-pki/prod/vault-approle/cert-manager',
    KUBERNETES_TOKEN_FILE: join(dir, 'token'),
    KUBERNETES_CA_FILE: join(dir, 'ca.crt'),
    EXTERNAL_SECRET_NAMESPACE: 'cert-manager',
    EXTERNAL_SECRET_NAME: 'vault-approle',
    SECRET_NAME: 'vault-approle',
    SECRET_KEY: 'secretId',
    SYNC_TIMEOUT_SECONDS: '20',
  };
});

function run(step: string, extra: Record<string, string> = {}) {
  const result = spawnSync('sh', [SCRIPT, step], { env: { ...env, ...extra }, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

function rotate(extra: Record<string, string> = {}) {
  const results = [];
  for (const step of ['credentials', 'register', 'publish', 'revoke']) {
    const result = run(step, extra);
    results.push({ step, ...result });
    if (result.status !== 0) break;
  }
  return results;
}

const callLog = () => (existsSync(calls) ? readFileSync(calls, 'utf8') : '');

describe('approle-rotation.sh', () => {
  test('is the file the ConfigMap carries, with the job library it sources beside it', () => {
    expect(readFileSync(SCRIPT, 'utf8')).toBe(APPROLE_ROTATION_SCRIPT);
    expect(readFileSync(resolve(SCRIPT, '../job-lib.sh'), 'utf8')).toBe(JOB_LIB_SCRIPT);
    expect(APPROLE_ROTATION_SCRIPT).toContain('. "$(dirname "$0")/job-lib.sh"');
  });

  test('rotates: registers a random secret id, publishes it, waits for the Secret, destroys only this cluster\'s older ids', () => {
    const results = rotate();
    expect(results.map((r) => [r.step, r.status])).toEqual([['credentials', 0], ['register', 0], ['publish', 0], ['revoke', 0]]);
    const registered = readFileSync(join(dir, 'registered'), 'utf8');
    expect(registered).toMatch(/^[0-9a-f]{64}$/);
    // What Secrets Manager got is what Vault registered, and the cluster's Secret holds it.
    expect(readFileSync(join(dir, 'sm', 'gateway-pki_prod_vault-approle_cert-manager'), 'utf8')).toBe(registered);
    expect(readFileSync(join(dir, 'secret-data'), 'utf8')).toBe(registered);
    const log = callLog();
    expect(log).toContain('vault login -no-store -token-only -method=aws -path=aws role=approle-rotation-prod header_value=vault.priv.example.com region=eu-west-3');
    expect(log).toContain('auth/approle/role/cert-manager/custom-secret-id secret_id=- metadata={"gateway-pki-cluster":"prod"}');
    expect(log).toMatch(/curl .*-X PATCH .*"force-sync":"11111111-2222-4333-8444-555555555555".*externalsecrets\/vault-approle/);
    expect(log).toContain(`auth/approle/role/cert-manager/secret-id-accessor/destroy secret_id_accessor=${OLD_OF_CLUSTER}`);
    expect(log).not.toContain(`destroy secret_id_accessor=${OLD_OF_OTHER}`);
    expect(log).not.toContain(`destroy secret_id_accessor=${BY_HAND}`);
    expect(log).not.toContain(`destroy secret_id_accessor=${NEW_ACCESSOR}`);
    expect(results.at(-1)!.stderr).toContain('1 older secret id(s) of cluster prod destroyed, 2 of other clusters (or made by hand) left');
    // Nothing secret on a command line or in the output; nothing secret left in the work folder.
    const output = results.map((r) => r.stderr + r.stdout).join('');
    for (const secret of [registered, TOKEN, SECRET_KEY]) {
      expect(log).not.toContain(secret);
      expect(output).not.toContain(secret);
    }
    expect(existsSync(join(work, 'secret-id'))).toBe(false);
    expect(existsSync(join(work, 'aws-credentials'))).toBe(false);
  });

  test('a Secret that never receives the new id fails publish, and the old secret ids are left alone', () => {
    const results = rotate({ FAKE_ESO: 'stuck', SYNC_TIMEOUT_SECONDS: '0' });
    expect(results.map((r) => [r.step, r.status])).toEqual([['credentials', 0], ['register', 0], ['publish', 1]]);
    expect(results.at(-1)!.stderr).toMatch(/FAILED at sync: the Secret cert-manager\/vault-approle does not hold the new secret id after 0 s; the old one stays valid/);
    expect(callLog()).not.toContain('destroy');
  });

  test('a refused Vault login fails register with the reason, before anything is published', () => {
    const results = rotate({ FAKE_LOGIN: 'refused' });
    expect(results.map((r) => [r.step, r.status])).toEqual([['credentials', 0], ['register', 1]]);
    expect(results.at(-1)!.stderr).toContain('FAILED at login: Vault refused the AWS login or is unreachable');
    expect(callLog()).not.toContain('put-secret-value');
  });

  test('no AWS credentials fail the first step, naming where they come from', () => {
    const result = run('credentials', { FAKE_CREDENTIALS: 'none' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('FAILED at credentials: the AWS CLI found no credentials (the service account\'s IRSA annotation, or its Pod Identity association)');
  });

  test('a missing setting or an http:// Vault address fails before any call', () => {
    expect(run('register', { APPROLE_NAME: '' }).stderr).toContain('FAILED at configuration: the environment variable APPROLE_NAME is not set');
    run('credentials');
    expect(run('register', { VAULT_ADDR: 'http://vault.priv.example.com:8200' }).stderr)
      .toContain('FAILED at configuration: the Vault address must be an https:// URL');
    expect(callLog()).not.toContain('vault ');
    expect(run('nonsense').stderr).toContain('FAILED at usage: expected a step, one of credentials, register, publish, revoke; got "nonsense"');
  });

  test('passes shellcheck as POSIX sh', () => {
    const shellcheck = findTool('shellcheck');
    expect(shellcheck, 'shellcheck is required (Debian package shellcheck; .ci/run installs it)').toBeDefined();
    // -x: job-lib.sh, which the script sources, is checked with it.
    const result = runTool(shellcheck!, ['--shell=sh', '--severity=style', '-x', SCRIPT]);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });
});
