// The anomaly-detect node: a thin Node-RED shell over AnomalyDetector (src/core). Scores every telemetry point
// per series; output 1 carries all scored points, output 2 only the anomalies.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { describeValue } from '@plantwire/telemetry';
import { AnomalyDetector, AnomalyInputError } from '../../core/anomaly-detector.js';
import { DETECTOR_NAMES, createDetector, isDetectorName } from '../../core/detectors/index.js';
import { PointScorer } from '../../core/point-scorer.js';
import { KEY_FIELDS, isKeyFields } from '../../core/series-key.js';

interface AnomalyDetectDef extends NodeDef {
  detector: string;
  threshold: string;
  warmup: string;
  maxSeries: string;
  key: string;
}

type Send = (msg: (NodeMessage | null)[]) => void;
type Done = (error?: Error) => void;

const STATUS_EVERY_MS = 1000;
/** Refusals quoted in one error message; the rest are counted. */
const REASONS_SHOWN = 3;

export = function register(RED: NodeAPI) {
  function AnomalyDetectNode(this: Node, def: AnomalyDetectDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const number = (
      name: string,
      value: string | undefined,
      fallback: number,
      min: number,
      max = Infinity,
    ) => {
      const parsed = value === undefined || value.trim() === '' ? fallback : Number(value);
      if (!(parsed >= min && parsed <= max))
        throw new Error(
          `${name} must be a number from ${min}${max < Infinity ? ` to ${max}` : ''} (got "${value}")`,
        );
      return parsed;
    };

    let scorer: PointScorer | undefined;
    let detectorName = '';
    try {
      detectorName = def.detector || 'ensemble';
      if (!isDetectorName(detectorName))
        throw new Error(`unknown detector "${detectorName}" (detectors: ${DETECTOR_NAMES.join(', ')})`);
      // The same key choices as threshold-alarm's.
      const keyName = def.key || 'machine/metric';
      if (!isKeyFields(keyName))
        throw new Error(`unknown series key "${def.key}" (keys: ${Object.keys(KEY_FIELDS).join(', ')})`);
      const warmup = def.warmup?.trim() ? Math.round(number('warm-up', def.warmup, 0, 0)) : undefined;
      const maxSeries = Math.round(number('series cap', def.maxSeries, 10_000, 1));
      const algorithm = createDetector(detectorName, { warmup });
      const threshold = number('threshold', def.threshold, algorithm.defaultThreshold, 0, 1);
      // The detector owns the warm-up: the ensemble never goes below the 300 samples its likelihood needs.
      scorer = new PointScorer(new AnomalyDetector(algorithm, { maxSeries }), keyName, threshold);
    } catch (error) {
      node.error(`anomaly-detect: ${(error as Error).message}`);
      node.status({ fill: 'red', shape: 'ring', text: (error as Error).message.slice(0, 60) });
    }

    let anomalies = 0;
    let failing = '';
    let statusAt = 0;
    let statusTimer: NodeJS.Timeout | undefined;
    const showStatus = () => {
      statusAt = Date.now();
      const text = `${scorer!.detector.size.toLocaleString('en-US')} series, ${anomalies.toLocaleString('en-US')} anomalies`;
      if (failing) node.status({ fill: 'red', shape: 'ring', text: `${failing.slice(0, 50)} (${text})` });
      else node.status({ fill: anomalies > 0 ? 'yellow' : 'green', shape: 'dot', text });
    };
    // At most one status update per second, the last change always shown.
    const status = () => {
      const wait = statusAt + STATUS_EVERY_MS - Date.now();
      if (wait <= 0) showStatus();
      else
        statusTimer ??= setTimeout(() => {
          statusTimer = undefined;
          showStatus();
        }, wait);
    };

    node.on('input', (msg: NodeMessage, send: Send, done: Done) => {
      if (!scorer) return done(new Error('anomaly-detect: not configured (see the error logged at deploy)'));
      const payload = msg.payload;
      const items = Array.isArray(payload) ? payload : [payload];
      if (payload === null || typeof payload !== 'object') {
        const error = new Error(
          `anomaly-detect: msg.payload must be a telemetry point or an array of points (got ${describeValue(payload)})`,
        );
        failing = error.message;
        status();
        return done(error);
      }
      const scored: Record<string, unknown>[] = [];
      const flagged: Record<string, unknown>[] = [];
      const reasons: string[] = [];
      let refused = 0;
      for (let i = 0; i < items.length; i++) {
        try {
          const out = scorer.score(items[i]);
          scored.push(out);
          if (out.anomaly) flagged.push(out);
        } catch (error) {
          if (!(error instanceof AnomalyInputError)) throw error;
          refused++;
          if (reasons.length < REASONS_SHOWN)
            reasons.push(`${Array.isArray(payload) ? `payload[${i}]` : 'payload'}: ${error.message}`);
        }
      }
      anomalies += flagged.length;
      const meta = { detector: detectorName, threshold: scorer.threshold };
      if (scored.length > 0) {
        const anomalyMsg = flagged.length > 0 ? { topic: msg.topic, payload: flagged, anomaly: meta } : null;
        msg.payload = scored;
        (msg as NodeMessage & { anomaly?: unknown }).anomaly = meta;
        send([msg, anomalyMsg]);
      }
      if (refused > 0) {
        const error = new Error(
          `anomaly-detect: refused ${refused} of ${items.length} point${items.length === 1 ? '' : 's'} (the rest were scored): ${reasons.join('; ')}${refused > reasons.length ? '; ...' : ''}`,
        );
        failing = error.message;
        status();
        return done(error);
      }
      failing = '';
      status();
      done();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      clearTimeout(statusTimer);
      scorer?.detector.clear();
      done();
    });
  }

  RED.nodes.registerType('anomaly-detect', AnomalyDetectNode);
};
