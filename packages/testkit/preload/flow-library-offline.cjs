// Preloaded into node-red-dev: the Flow Library catalogue (catalogue.nodered.org) is out of reach here, so its
// answer comes from the file named by PLANTWIRE_CATALOGUE. Every other request goes out unchanged.
'use strict';
const { readFileSync } = require('node:fs');
const { dirname } = require('node:path');

const cli = dirname(require.resolve('node-red-dev/package.json'));
const axios = require(require.resolve('axios', { paths: [cli] }));
const online = axios.defaults.adapter;

axios.defaults.adapter = (config) => {
  if (!String(config.url).startsWith('https://catalogue.nodered.org/')) return online(config);
  const data = JSON.parse(readFileSync(process.env.PLANTWIRE_CATALOGUE, 'utf8'));
  return Promise.resolve({ data, status: 200, statusText: 'OK', headers: {}, config, request: {} });
};
