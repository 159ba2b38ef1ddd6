// The forecast node: a thin Node-RED shell over Forecaster (src/core/forecast). Per series a seasonal forecast
// with prediction intervals over a horizon (output 1, every point annotated); for series with a limit, the
// remaining useful life as `<metric>_rul` early-warning points (output 2) for threshold-alarm.
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { nodeShell, registerNode, setting, SettingError, type NodeShell } from '@plantwire/node-shell';
import { FORECASTER_DEFAULTS, Forecaster } from '../../core/forecast/forecaster.js';
import { SEASONAL_DEFAULTS } from '../../core/forecast/seasonal-model.js';
import { KEY_FIELDS, type KeyFields } from '../../core/series-key.js';
import { eachPoint, takePoints } from '../points-input.js';

const SETTINGS = {
  key: setting.choice('machine/metric', Object.keys(KEY_FIELDS) as KeyFields[]),
  seasonH: setting.number(SEASONAL_DEFAULTS.seasonS / 3600, { min: 0.01, max: 24 * 366 }),
  slots: setting.integer(SEASONAL_DEFAULTS.slots, { min: 1, max: 10_000 }),
  horizonMin: setting.number(FORECASTER_DEFAULTS.horizonS / 60, { min: 0.01, max: 60 * 24 * 366 }),
  steps: setting.integer(FORECASTER_DEFAULTS.steps, { min: 1, max: 1000 }),
  coverage: setting.number(FORECASTER_DEFAULTS.coverage * 100, { min: 1, max: 99.9 }),
  limits: setting.text('{}'),
  warnH: setting.number(FORECASTER_DEFAULTS.warnS / 3600, { min: 0.001, max: 24 * 366 }),
  warmup: setting.integer(FORECASTER_DEFAULTS.warmup, { min: 1 }),
  maxSeries: setting.integer(FORECASTER_DEFAULTS.maxSeries, { min: 1 }),
};

export = function register(RED: NodeAPI) {
  function ForecastNode(this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const shell = nodeShell(RED, this, 'forecast');
    let forecaster: Forecaster | undefined;
    try {
      forecaster = setUp(shell, def);
    } catch (error) {
      shell.refuseSetup(error);
    }

    let warnings = 0;
    takePoints(RED, this, shell, forecaster, {
      status: (core) => ({
        counts: shell.text('status.counts', {
          series: core.size.toLocaleString('en-US'),
          warnings: warnings.toLocaleString('en-US'),
        }),
        warning: false,
      }),
      input: (core, msg, payload, send) => {
        const points: Record<string, unknown>[] = [];
        const early: Record<string, unknown>[] = [];
        const refusal = eachPoint(shell, payload, (item) => {
          const result = core.forecast(item);
          points.push(result.point);
          if (result.warning) early.push(result.warning);
          if (result.near) warnings += 1;
        });
        if (points.length > 0) {
          // A new message: a Catch node of refused points gets the input as it came.
          send([{ ...msg, payload: points }, early.length > 0 ? { topic: msg.topic, payload: early } : null]);
        }
        return refusal;
      },
      learning: (core) => ({
        learner: core,
        // The horizon, coverage and warning time only shape what is sent.
        settings: { key: core.options.key, seasonal: core.model.options, limits: core.options.limits },
      }),
    });
  }

  registerNode(RED, 'forecast', ForecastNode, SETTINGS);
};

/** The forecaster the settings describe; throws a SettingError naming a bad setting. */
function setUp(shell: NodeShell, def: NodeDef): Forecaster {
  const settings = shell.settings(def, SETTINGS);
  let limits: unknown;
  try {
    limits = JSON.parse(settings.limits);
  } catch {
    limits = undefined;
  }
  if (limits === null || typeof limits !== 'object' || Array.isArray(limits))
    throw new SettingError('limits', shell.text('errors.limits', { got: settings.limits }));
  try {
    return new Forecaster({
      key: settings.key,
      seasonal: { seasonS: settings.seasonH * 3600, slots: settings.slots },
      horizonS: settings.horizonMin * 60,
      steps: settings.steps,
      coverage: settings.coverage / 100,
      limits: limits as Record<string, number>,
      warnS: settings.warnH * 3600,
      warmup: settings.warmup,
      maxSeries: settings.maxSeries,
    });
  } catch (error) {
    if (error instanceof RangeError) throw new SettingError('limits', error.message);
    throw error;
  }
}
