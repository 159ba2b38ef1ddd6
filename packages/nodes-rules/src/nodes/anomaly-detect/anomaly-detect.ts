// The anomaly-detect node: a thin Node-RED shell over AnomalyDetector (src/core). Scores every telemetry point
// per series; output 1 carries all scored points, output 2 only the anomalies.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { nodeShell, registerNode, setting, SettingError, type NodeShell } from '@plantwire/node-shell';
import { AnomalyDetector } from '../../core/anomaly-detector.js';
import { DETECTOR_NAMES, createDetector, isDetectorName } from '../../core/detectors/index.js';
import { DEFAULTS as RARITY_DEFAULTS } from '../../core/detectors/rarity.js';
import { PointScorer } from '../../core/point-scorer.js';
import { KEY_FIELDS, isKeyFields } from '../../core/series-key.js';
import { eachPoint, takePoints } from '../points-input.js';

// detector and key keep the refusals users already see (errors.* in the locales); warm-up and
// threshold default to the chosen detector's own, so they are parsed once the detector is known.
const SETTINGS = {
  detector: setting.text('rarity'),
  key: setting.text('machine/metric'),
  maxSeries: setting.integer(10_000, { min: 1 }),
  warmup: setting.text(),
  threshold: setting.text(),
  smoothing: setting.text(),
};

export = function register(RED: NodeAPI) {
  function AnomalyDetectNode(this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const shell = nodeShell(RED, this, 'anomaly-detect');
    let core: AnomalyCore | undefined;
    try {
      core = setUp(shell, def);
    } catch (error) {
      shell.refuseSetup(error);
    }

    let anomalies = 0;
    takePoints(RED, this, shell, core, {
      status: ({ scorer }) => ({
        counts: shell.text('status.counts', {
          series: scorer.detector.size.toLocaleString('en-US'),
          anomalies: anomalies.toLocaleString('en-US'),
        }),
        warning: anomalies > 0,
      }),
      input: ({ scorer, detectorName }, msg, payload, send) => {
        const scored: Record<string, unknown>[] = [];
        const flagged: Record<string, unknown>[] = [];
        const refusal = eachPoint(shell, payload, (item) => {
          const out = scorer.score(item);
          scored.push(out);
          if (out.anomaly) flagged.push(out);
        });
        anomalies += flagged.length;
        const meta = { detector: detectorName, threshold: scorer.threshold };
        if (scored.length > 0) {
          const anomalyMsg =
            flagged.length > 0 ? { topic: msg.topic, payload: flagged, anomaly: meta } : null;
          // A new message: a Catch node of refused points gets the input as it came.
          send([{ ...msg, payload: scored, anomaly: meta } as NodeMessage, anomalyMsg]);
        }
        return refusal;
      },
      learning: ({ scorer, learnedWith }) => ({
        learner: {
          snapshot: () => scorer.detector.snapshot(),
          restore: (saved) => scorer.detector.restore(saved),
          clear: () => scorer.detector.clear(),
          forget: (reset) => scorer.forget(reset),
        },
        settings: learnedWith,
      }),
    });
  }

  registerNode(RED, 'anomaly-detect', AnomalyDetectNode, SETTINGS);
};

interface AnomalyCore {
  scorer: PointScorer;
  detectorName: string;
  /** The settings that shape what the detector learns (the threshold and warm-up only judge its scores). */
  learnedWith: Record<string, unknown>;
}

/** The scorer the settings describe; throws a SettingError naming a bad setting. */
function setUp(shell: NodeShell, def: NodeDef): AnomalyCore {
  const settings = shell.settings(def, SETTINGS);
  const { detector, key } = settings;
  if (!isDetectorName(detector))
    throw new SettingError(
      'detector',
      shell.text('errors.unknownDetector', { detector, detectors: DETECTOR_NAMES.join(', ') }),
    );
  // The same key choices as threshold-alarm's.
  if (!isKeyFields(key))
    throw new SettingError(
      'key',
      shell.text('errors.unknownKey', { key, keys: Object.keys(KEY_FIELDS).join(', ') }),
    );
  const standard = createDetector(detector);
  const tuning = shell.settings(def, {
    warmup: setting.integer(standard.warmup),
    // 0 would flag every point after the warm-up.
    threshold: setting.number(standard.defaultThreshold, { min: 0.01, max: 1 }),
    smoothing: setting.integer(RARITY_DEFAULTS.smoothing),
  });
  // The detector owns the warm-up: the ensemble never goes below the 300 samples its likelihood needs.
  const algorithm = createDetector(detector, { warmup: tuning.warmup, smoothing: tuning.smoothing });
  const scorer = new PointScorer(
    new AnomalyDetector(algorithm, { maxSeries: settings.maxSeries }),
    key,
    tuning.threshold,
  );
  return { scorer, detectorName: detector, learnedWith: { detector, key, smoothing: tuning.smoothing } };
}
