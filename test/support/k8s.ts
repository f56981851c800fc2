import { Chart, Testing } from 'cdk8s';
import { toYaml } from '../../lib/output/yaml.js';

/** A fresh chart with explicit names (no hash suffixes), as the platform's charts are built. */
export function testChart(): Chart {
  return new Chart(Testing.app(), 'test', { disableResourceNameHashes: true });
}

/** The chart's objects as plain JSON, in construct order. */
export function manifestsOf(chart: Chart): any[] {
  return chart.toJson();
}

/** The one object of `kind` (and `name`, when given); fails the test when there is not exactly one. */
export function only(chart: Chart, kind: string, name?: string): any {
  const found = manifestsOf(chart).filter((m) => m.kind === kind && (name === undefined || m.metadata?.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` named ${name}` : ''}, found ${found.length}`);
  return found[0];
}

/** The chart as the YAML text written to dist/, documents separated by `---`, for text snapshots. */
export function yamlOf(chart: Chart): string {
  return manifestsOf(chart).map((m) => toYaml(m)).join('---\n');
}
