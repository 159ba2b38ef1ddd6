import type { DetectorOptions, SeriesDetector } from './detector.js';
import { EnsembleDetector } from './ensemble.js';
import { EwmaDetector } from './ewma.js';
import { MedianMadDetector } from './median-mad.js';
import { RarityDetector } from './rarity.js';

/** Every detector by the name users pick, made with its defaults (options override the warm-up). */
const DETECTORS = {
  ewma: (options?: DetectorOptions) => new EwmaDetector(options),
  'median-mad': (options?: DetectorOptions) => new MedianMadDetector(options),
  ensemble: (options?: DetectorOptions) => new EnsembleDetector(options),
  rarity: (options?: DetectorOptions) => new RarityDetector(options),
} satisfies Record<string, (options?: DetectorOptions) => SeriesDetector<unknown>>;

export type DetectorName = keyof typeof DETECTORS;
export const DETECTOR_NAMES = Object.keys(DETECTORS) as DetectorName[];

export function isDetectorName(name: unknown): name is DetectorName {
  return typeof name === 'string' && Object.hasOwn(DETECTORS, name);
}

/** A detector by name; throws a RangeError listing the names when there is no such detector. */
export function createDetector(name: string, options?: DetectorOptions): SeriesDetector<unknown> {
  if (!isDetectorName(name))
    throw new RangeError(`no detector "${name}" (detectors: ${DETECTOR_NAMES.join(', ')})`);
  return DETECTORS[name](options);
}
