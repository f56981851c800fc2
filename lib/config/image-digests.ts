/**
 * `imageDigests`: the images of the Helm charts (cert-manager, trust-manager, External Secrets,
 * x509-certificate-exporter) pinned by digest, each set for the chart version it was read for.
 *
 * Nothing here is fetched: this machine reaches no registry, and a digest must come from the one
 * the cluster pulls from (`crane digest <image>:<tag>`, docs/operations.md, "Pin an image by digest"). The chart
 * version beside each set is the safety net: bumping `versions.<chart>` without new digests is
 * refused, instead of running the old images under the new chart.
 */
import { expectedGot, field, type Mapping, own, type Path, type Problems, type Rule, section } from './rules.js';

/** The images of each chart that can be pinned, and the chart version field they go with. */
export const IMAGE_DIGEST_CHARTS = {
  certManager: { version: 'certManager', images: ['controller', 'webhook', 'cainjector', 'acmesolver', 'startupapicheck'] },
  // Its default CA package (an image of its own) stays off: the controller alone.
  trustManager: { version: 'trustManager', images: ['controller'] },
  // One image for the controller, the webhook and the cert controller.
  externalSecrets: { version: 'externalSecrets', images: ['controller'] },
  x509CertificateExporter: { version: 'x509CertificateExporter', images: ['exporter'] },
} as const;

export type ImageDigestChart = keyof typeof IMAGE_DIGEST_CHARTS;

/** The digests of one chart's images, and the chart version they were read for. */
export type ChartImageDigests<C extends ImageDigestChart> = { readonly version: string }
  & { readonly [image in (typeof IMAGE_DIGEST_CHARTS)[C]['images'][number]]?: string };

const DIGEST_EXPECTED = 'an image digest "sha256:" followed by 64 lowercase hexadecimal digits, as `crane digest <image>:<tag>` prints it';

export const IMAGE_DIGEST: Rule = {
  expected: DIGEST_EXPECTED,
  problem: (value) => {
    if (typeof value === 'string' && /^sha256:[0-9a-f]{64}$/.test(value)) return undefined;
    const hint = typeof value !== 'string' ? undefined
      : /^[0-9a-f]{64}$/.test(value) ? 'add the "sha256:" prefix'
        : /^sha256:[0-9A-Fa-f]{64}$/.test(value) ? 'write it in lowercase'
          : /^sha256:[0-9a-f]*$/.test(value) ? `it has ${value.length - 7} hexadecimal digits, not 64`
            : value.includes('@') ? 'give the digest alone, without the image name' : undefined;
    return expectedGot(DIGEST_EXPECTED, value, hint);
  },
};

/**
 * `imageDigests` (optional): each chart's section, its digests, and its `version`, which must be
 * the chart's `versions.<chart>` (the digests were read for that release's images).
 */
export function checkImageDigests(problems: Problems, raw: Mapping): void {
  const path: Path = ['imageDigests'];
  const digests = section(problems, raw, [], 'imageDigests', Object.keys(IMAGE_DIGEST_CHARTS), true);
  if (!digests) return;
  const versions = own(raw, 'versions');
  for (const [chart, { version, images }] of Object.entries(IMAGE_DIGEST_CHARTS)) {
    const set = section(problems, digests, path, chart, ['version', ...images], true);
    if (!set) continue;
    for (const image of images) field(problems, set, [...path, chart], image, IMAGE_DIGEST, true);
    const given = own(set, 'version');
    const expected = versions !== null && typeof versions === 'object' ? (versions as Mapping)[version] : undefined;
    if (given === undefined) {
      problems.add([...path, chart, 'version'], `is required: expected the chart version these digests were read for, versions.${version}`
        + `${typeof expected === 'string' ? ` (${JSON.stringify(expected)})` : ''}`);
    } else if (typeof expected === 'string' && given !== expected) {
      problems.add([...path, chart, 'version'], expectedGot(`versions.${version} (${JSON.stringify(expected)})`, given,
        `these digests are for another release of the chart: read the digests of ${expected}'s images and set the version with them`));
    } else if (typeof expected !== 'string' && typeof given === 'string') {
      problems.add([...path, chart], `has digests for a chart the platform does not install: versions.${version} is not set`);
    }
  }
}
