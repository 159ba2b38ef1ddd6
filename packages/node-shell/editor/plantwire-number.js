/* global window */
// The editor's check of a Plantwire number setting, shared by every Plantwire node's form (the build puts this
// file before each node's definition): the range the runtime's settings spec gives (RED.settings.<type>Numbers),
// so the editor refuses what a deploy would. Empty takes the default; ${NAME} is an environment variable.
window.plantwireNumber =
  window.plantwireNumber ||
  function (rules, name) {
    // Two parameters: the editor takes a returned text as the reason only from a validator declared with (value, opt).
    return function (value, _opt) {
      const text = value === undefined || value === null ? '' : String(value).trim();
      // Node-RED substitutes ${NAME} only as the whole value, untrimmed and without spaces.
      if (text === '' || /^\$\{\S+\}$/.test(String(value))) return true;
      const rule = (rules && rules[name]) || { min: 0, integer: false };
      // Plain decimal only, as the deploy takes it (DECIMAL in src/settings.ts): Number() would take "0x10" and [5].
      const decimal = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
      const number =
        typeof value === 'number' || (typeof value === 'string' && decimal.test(text)) ? Number(text) : NaN;
      const max = rule.max === undefined ? Infinity : rule.max;
      if (
        Number.isFinite(number) &&
        number >= rule.min &&
        number <= max &&
        (!rule.integer || Number.isInteger(number))
      )
        return true;
      const key = (rule.integer ? 'integer' : 'number') + (max < Infinity ? 'Range' : '');
      const params = { setting: name, value: JSON.stringify(value), min: rule.min, max: max };
      return typeof this._ === 'function' ? this._('node-shell.setting.' + key, params) : false;
    };
  };
