// MQTT clients a test opens under given accounts (no reconnects: a refusal fails the connect), all ended at once;
// an inbox collects the topics a client receives.
import { connectAsync, type MqttClient } from 'mqtt';

export interface MqttClients {
  /** Connects as `username`, with its known password unless `password` is given. */
  as(username: string, password?: string): Promise<MqttClient>;
  inbox(client: MqttClient): string[];
  endAll(): void;
}

export function mqttClients(
  url: () => string,
  passwordOf: (username: string) => string | undefined,
): MqttClients {
  const clients: MqttClient[] = [];
  return {
    async as(username, password = passwordOf(username)) {
      const client = await connectAsync(url(), {
        username,
        password,
        reconnectPeriod: 0,
        connectTimeout: 5000,
      });
      clients.push(client);
      return client;
    },
    inbox(client) {
      const got: string[] = [];
      client.on('message', (topic) => got.push(topic));
      return got;
    },
    endAll() {
      for (const client of clients.splice(0)) client.end(true);
    },
  };
}
