import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import {
  adminPolicy, certManagerPolicy, renderPolicy, snapshotPolicy, type VaultPolicy,
} from '../../../lib/terraform/vault-config/policy.js';

// Loaded untyped: the package's typings pull in the DOM library, which clashes with Node's WebCrypto types in lib/pki.
const { parse } = createRequire(import.meta.url)('@cdktf/hcl2json') as { parse: (file: string, text: string) => Promise<any> };

/** The rules of a policy as HashiCorp's HCL parser reads them: path → capabilities. */
async function parsed(policy: VaultPolicy): Promise<Record<string, string[]>> {
  const document = await parse(`${policy.name}.hcl`, renderPolicy(policy));
  expect(Object.keys(document)).toEqual(['path']);
  return Object.fromEntries(Object.entries<any[]>(document.path).map(([path, blocks]) => {
    expect(blocks).toHaveLength(1);
    expect(Object.keys(blocks[0])).toEqual(['capabilities']);
    return [path, blocks[0].capabilities];
  }));
}

const SIGN = 'pki_private_issuer/sign/cert-manager';

describe('renderPolicy', () => {
  test('default rendering: a comment naming the policy, one commented block per rule (text snapshot)', () => {
    expect(renderPolicy(certManagerPolicy({ signPath: SIGN }))).toMatchSnapshot();
  });

  test('cert-manager may only update <mount>/sign/<role>: parsed by HashiCorp\'s HCL parser', async () => {
    expect(await parsed(certManagerPolicy({ signPath: SIGN }))).toEqual({ [SIGN]: ['update'] });
  });

  test('with allowIssue, cert-manager may also update <mount>/issue/<role>, and nothing else', async () => {
    const policy = certManagerPolicy({ signPath: SIGN, issuePath: 'pki_private_issuer/issue/cert-manager' });
    expect(await parsed(policy)).toEqual({ [SIGN]: ['update'], 'pki_private_issuer/issue/cert-manager': ['update'] });
  });

  test('the snapshot agent reads the Raft snapshot and configuration only', async () => {
    expect(await parsed(snapshotPolicy())).toEqual({
      'sys/storage/raft/snapshot': ['read'],
      'sys/storage/raft/configuration': ['read'],
    });
  });

  test('the admin policy: every path but sys/raw, its globs carrying their reason', async () => {
    const text = renderPolicy(adminPolicy('admin'));
    expect(await parsed(adminPolicy('admin'))).toEqual({
      '*': ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo'],
      'sys/raw': ['deny'],
      'sys/raw/*': ['deny'],
    });
    expect(text).toContain('# glob: administrators operate every mount');
  });

  test('no workload policy holds a glob', () => {
    for (const policy of [certManagerPolicy({ signPath: SIGN, issuePath: 'pki_private_issuer/issue/cert-manager' }), snapshotPolicy()]) {
      for (const rule of policy.rules) {
        expect(rule.path, policy.name).not.toMatch(/[*+]/);
        expect(rule.glob, policy.name).toBeUndefined();
      }
    }
  });

  test('capabilities are written in Vault\'s order, whatever order they are given in', () => {
    const text = renderPolicy({ name: 'p', description: 'd', rules: [{ path: 'kv/data/x', capabilities: ['list', 'read', 'create'] }] });
    expect(text).toContain('capabilities = ["create", "read", "list"]');
  });

  test.each([
    ['a "*" glob', 'pki_private_issuer/sign/*', '*'],
    ['a "+" segment', 'pki_private_issuer/+/cert-manager', '+'],
    ['the whole tree', '*', '*'],
  ])('fails on %s without a reason', (_, path, glob) => {
    const policy: VaultPolicy = { name: 'cert-manager', description: 'd', rules: [{ path, capabilities: ['update'] }] };
    expect(() => renderPolicy(policy)).toThrow(`vault policy "cert-manager", path ${JSON.stringify(path)}: wildcard "${glob}" is not allowed; `
      + 'name the exact path (a glob also grants paths mounted later, which nobody reviewed)');
  });

  test('fails on a glob whose reason is blank', () => {
    const policy: VaultPolicy = { name: 'p', description: 'd', rules: [{ path: 'kv/*', capabilities: ['read'], glob: { reason: ' ' } }] };
    expect(() => renderPolicy(policy)).toThrow('vault policy "p", path "kv/*": wildcard "*" is not allowed');
  });

  test('fails on an empty capability list', () => {
    const policy: VaultPolicy = { name: 'p', description: 'd', rules: [{ path: SIGN, capabilities: [] }] };
    expect(() => renderPolicy(policy)).toThrow(`vault policy "p", path "${SIGN}": no capabilities; give at least one, or remove the rule`);
  });

  test('fails on deny mixed with other capabilities', () => {
    const policy: VaultPolicy = { name: 'p', description: 'd', rules: [{ path: 'sys/raw', capabilities: ['deny', 'read'] }] };
    expect(() => renderPolicy(policy)).toThrow('vault policy "p", path "sys/raw": "deny" overrides every other capability; give it alone');
  });

  test('fails on an unknown capability', () => {
    const policy = { name: 'p', description: 'd', rules: [{ path: 'sys/raw', capabilities: ['write'] }] } as unknown as VaultPolicy;
    expect(() => renderPolicy(policy)).toThrow('vault policy "p", path "sys/raw": unknown capability "write"');
  });

  test('fails on a repeated capability', () => {
    const policy: VaultPolicy = { name: 'p', description: 'd', rules: [{ path: 'sys/raw', capabilities: ['read', 'read'] }] };
    expect(() => renderPolicy(policy)).toThrow('vault policy "p", path "sys/raw": a capability is repeated');
  });

  test('fails on a path given twice', () => {
    const rule = { path: SIGN, capabilities: ['update'] as const };
    expect(() => renderPolicy({ name: 'p', description: 'd', rules: [rule, rule] }))
      .toThrow(`vault policy "p", path "${SIGN}": the path is given twice; merge its capabilities into one rule`);
  });

  test.each([['an absolute path', '/v1/pki/sign/x'], ['an empty path', ''], ['a quote', 'pki/"x'], ['a space', 'pki/sign x']])(
    'fails on %s', (_, path) => {
      expect(() => renderPolicy({ name: 'p', description: 'd', rules: [{ path, capabilities: ['read'] }] }))
        .toThrow(`vault policy "p", path ${JSON.stringify(path)}: expected an API path without leading "/"`);
    },
  );

  test('fails on a policy without rules, or with an invalid name', () => {
    expect(() => renderPolicy({ name: 'p', description: 'd', rules: [] })).toThrow('vault policy "p" has no rules: it would grant nothing');
    expect(() => renderPolicy({ name: 'a b', description: 'd', rules: [{ path: 'x', capabilities: ['read'] }] }))
      .toThrow('vault policy name must be letters, digits, \'_\' and \'-\', got "a b"');
  });
});
