// A store-forward queue file holding `points` telemetry points, written straight through the durable queue (what
// the node would have stored after a long outage), for the RSS-with-backlog figures.
import { DurableQueue } from '@plantwire/node-red-buffer';
import { telemetryPoint } from '@plantwire/testkit';

export function writeBacklog(path, points) {
  const queue = new DurableQueue({
    path,
    synchronous: 'NORMAL',
    minFreeBytes: 0,
    maxRows: points * 2,
    maxBytes: 1e12,
  });
  const chunk = Array.from({ length: 10_000 }, (_, i) => telemetryPoint(1_767_225_600_000 + i));
  for (let done = 0; done < points; done += chunk.length)
    queue.enqueue(chunk.slice(0, Math.min(chunk.length, points - done)));
  queue.close();
}
