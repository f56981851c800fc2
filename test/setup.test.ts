/**
 * The set-up npm test does before the suite (test/support/setup.ts): which tools it installs or
 * names, and where the upstream CRDs come from.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { crdFileLayout, findMirror, planTools, provideCrds, TOOL_REQUIREMENTS } from './support/setup.js';
import { PROJECT_ROOT } from './support/cli.js';

const ALL = new Set(TOOL_REQUIREMENTS.map((r) => r.command));
const without = (...commands: string[]): Set<string> => new Set([...ALL].filter((c) => !commands.includes(c)));
const SHARED_CRDS = join(PROJECT_ROOT, '..', 'shared', 'crds');

describe('planTools', () => {
  test('everything present: nothing to install, nothing to say', () => {
    expect(planTools({ present: ALL, isRoot: false, hasAptGet: true })).toEqual({ install: [], missing: [] });
  });

  test('root with apt-get: the missing Debian tools are installed, no message', () => {
    const plan = planTools({ present: without('promtool', 'shellcheck', 'cloud-init'), isRoot: true, hasAptGet: true });
    expect(plan.install).toEqual([
      { command: 'promtool', packages: ['prometheus'] },
      { command: 'shellcheck', packages: ['shellcheck'] },
      { command: 'cloud-init', packages: ['cloud-init'] },
    ]);
    expect(plan.missing).toEqual([]);
    expect(plan.message).toBeUndefined();
  });

  test('not root: nothing installed, one message with the exact command for all of them', () => {
    const plan = planTools({ present: without('promtool', 'kubectl'), isRoot: false, hasAptGet: true });
    expect(plan.install).toEqual([]);
    expect(plan.missing.map((r) => r.command)).toEqual(['kubectl', 'promtool']);
    expect(plan.message).toBe([
      'npm test needs kubectl, promtool, not found on PATH:',
      '  kubectl: kustomize builds of every dist/ layer',
      '  promtool: checks and unit tests of the alert rules',
      'Install them with: sudo apt-get update && sudo apt-get install -y kubectl prometheus   (npm test does it itself when run as root)',
      '  (kubectl: where the package kubectl does not exist, kubernetes-client)',
    ].join('\n'));
  });

  test('no apt-get: the Debian packages are named for another package manager', () => {
    const plan = planTools({ present: without('shellcheck'), isRoot: true, hasAptGet: false });
    expect(plan.install).toEqual([]);
    expect(plan.message).toContain('Install them (Debian packages: shellcheck) with your system\'s package manager.');
  });

  test('terraform cannot come from Debian: named even as root, while the rest is installed', () => {
    const plan = planTools({ present: without('terraform', 'cloud-init'), isRoot: true, hasAptGet: true });
    expect(plan.install).toEqual([{ command: 'cloud-init', packages: ['cloud-init'] }]);
    expect(plan.missing.map((r) => r.command)).toEqual(['terraform']);
    expect(plan.message).toContain('Install Terraform 1.11 or later (https://developer.hashicorp.com/terraform/install).');
  });
});

describe('findMirror', () => {
  test('GATEWAY_PKI_TF_MIRROR wins when it holds hashicorp/aws, and is refused when it does not', () => {
    const mirror = mkdtempSync(join(tmpdir(), 'mirror-'));
    mkdirSync(join(mirror, 'registry.terraform.io', 'hashicorp', 'aws', '5.100.0'), { recursive: true });
    expect(findMirror({ GATEWAY_PKI_TF_MIRROR: mirror }, [], false)).toBe(mirror);
    expect(findMirror({ GATEWAY_PKI_TF_MIRROR: tmpdir() }, [mirror], false)).toBeUndefined();
    expect(findMirror({}, ['/nonexistent', mirror], false)).toBe(mirror);
    expect(findMirror({}, ['/nonexistent'], false)).toBeUndefined();
    rmSync(mirror, { recursive: true, force: true });
  });
});

describe('the upstream CRDs', () => {
  let server: Server;
  let base: string;
  let requests: string[];
  let work: string;

  beforeAll(async () => {
    requests = [];
    // Serves ../shared/crds as GitHub serves the release files, so the download runs for real.
    const layout = new Map(crdFileLayout(readFileSync(join(PROJECT_ROOT, 'cdk8s.yaml'), 'utf8')).map((f) => [new URL(f.url).pathname, f.path]));
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const path = layout.get(req.url ?? '');
      if (path === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(readFileSync(join(SHARED_CRDS, ...path.split('/'))));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    work = mkdtempSync(join(tmpdir(), 'crds-'));
  });

  afterAll(async () => {
    await new Promise((done) => server.close(done));
    rmSync(work, { recursive: true, force: true });
  });

  /** A project folder with the real cdk8s.yaml and no ../shared beside it. */
  function bareProject(name: string): string {
    const root = join(work, name, 'project');
    mkdirSync(root, { recursive: true });
    copyFileSync(join(PROJECT_ROOT, 'cdk8s.yaml'), join(root, 'cdk8s.yaml'));
    return root;
  }

  const viaLocalServer: typeof fetch = (input) => fetch(String(input).replace('https://raw.githubusercontent.com', base));

  test('cdk8s.yaml names files that ../shared/crds holds, each at its place in the tree', () => {
    const files = crdFileLayout(readFileSync(join(PROJECT_ROOT, 'cdk8s.yaml'), 'utf8'));
    expect(files.length).toBeGreaterThanOrEqual(18);
    for (const file of files) expect(existsSync(join(SHARED_CRDS, ...file.path.split('/'))), file.path).toBe(true);
    expect(files.find((f) => f.path.includes('gateway.networking.k8s.io_gateways'))?.path).toBe('gateway-api/v1.6.1/standard/gateway.networking.k8s.io_gateways.yaml');
  });

  test('../shared/crds beside the project, or GATEWAY_PKI_CRDS, is used as it is', async () => {
    expect(await provideCrds(PROJECT_ROOT, {}, () => { throw new Error('no download expected'); })).toEqual({ root: SHARED_CRDS, how: 'shared' });
    expect(await provideCrds(bareProject('given'), { GATEWAY_PKI_CRDS: SHARED_CRDS })).toEqual({ root: SHARED_CRDS, how: 'given' });
    const incomplete = await provideCrds(bareProject('given-empty'), { GATEWAY_PKI_CRDS: work });
    expect(incomplete).toEqual({ error: expect.stringContaining(`GATEWAY_PKI_CRDS=${work} does not hold the CRD files cdk8s.yaml names`) });
  });

  test('neither: downloaded once into node_modules/.cache, then read from there', async () => {
    const project = bareProject('download');
    const cache = join(project, 'node_modules', '.cache', 'gateway-pki', 'crds');
    requests.length = 0;
    expect(await provideCrds(project, {}, viaLocalServer)).toEqual({ root: cache, how: 'downloaded' });
    const files = crdFileLayout(readFileSync(join(PROJECT_ROOT, 'cdk8s.yaml'), 'utf8'));
    expect(requests).toHaveLength(files.length);
    for (const file of files) {
      expect(readFileSync(join(cache, ...file.path.split('/')), 'utf8')).toBe(readFileSync(join(SHARED_CRDS, ...file.path.split('/')), 'utf8'));
    }
    requests.length = 0;
    expect(await provideCrds(project, {}, viaLocalServer)).toEqual({ root: cache, how: 'cache' });
    expect(requests).toEqual([]);
  });

  test('offline with neither: one error naming both ways', async () => {
    const project = bareProject('offline');
    const result = await provideCrds(project, {}, () => Promise.reject(new Error('getaddrinfo ENOTFOUND raw.githubusercontent.com')));
    expect('error' in result).toBe(true);
    const error = (result as { error: string }).error;
    expect(error).toContain(`a copy in ${join(work, 'offline', 'shared', 'crds')} (or the folder GATEWAY_PKI_CRDS names): not found`);
    expect(error).toContain(`a download of the release files cdk8s.yaml names into ${join(project, 'node_modules', '.cache', 'gateway-pki', 'crds')}`);
    expect(error).toContain('getaddrinfo ENOTFOUND raw.githubusercontent.com');
    expect(existsSync(join(project, 'node_modules', '.cache', 'gateway-pki', 'crds', 'cert-manager'))).toBe(false);
  });
});
