import { launchBrowser } from '@plantwire/testkit';
import { connectAsync } from 'mqtt';
const q = async (sql) => (await (await fetch(`http://127.0.0.1:9000/exec?query=${encodeURIComponent(sql)}`)).json()).dataset;
const c = await connectAsync('mqtt://127.0.0.1:1883');
c.on('message', (t, m) => console.log('cmd seen', m.toString()));
await c.subscribeAsync('v1/acme/plant-01/cmd');
const b = await launchBrowser();
const p = await b.newPage();
await p.goto('http://127.0.0.1:1881/dashboard/faults');
await p.waitForSelector('.nrdb-ui-group');
const t0 = Date.now();
await p.click('[data-fault="bearing_fault"][data-machine="line-01/cnc-01"]');
for (let i = 0; i < 8; i++) {
  const r = await q("SELECT metric, avg(value) FROM plantwire_telemetry WHERE line='line-01' AND machine='cnc-01' AND metric IN ('temperature','vibration','state') AND ts > dateadd('s', -6, now())");
  console.log(Math.round((Date.now()-t0)/1000), JSON.stringify(r));
  await new Promise(r => setTimeout(r, 10000));
}
await b.close(); await c.endAsync();
