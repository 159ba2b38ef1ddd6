// What a kafka-config node's settings become for kafkajs: the broker list checked, SASL and TLS assembled.
import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';

export type SaslMechanism = 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface ClientSettings {
  /** "host:port, host:port" */
  brokers: string;
  clientId: string;
  tls: boolean;
  tlsVerify: boolean;
  /** A PEM file of the CA that signed the brokers' certificates; empty trusts the system's CAs. */
  caFile: string;
  sasl: SaslMechanism;
  username?: string;
  password?: string;
  connectionTimeoutMs: number;
}

const BROKER = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;

/** The broker list as kafkajs takes it; throws naming the entry that is not host:port. */
export function parseBrokers(text: string): string[] {
  const brokers = text
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new Error('brokers must list at least one host:port');
  for (const broker of brokers) {
    const port = Number(broker.slice(broker.lastIndexOf(':') + 1));
    if (!BROKER.test(broker) || port < 1 || port > 65535)
      throw new Error(`brokers must be host:port entries separated by commas (got "${broker}")`);
  }
  return brokers;
}

export function kafkaClientConfig(settings: ClientSettings): KafkaConfig {
  const config: KafkaConfig = {
    clientId: settings.clientId,
    brokers: parseBrokers(settings.brokers),
    connectionTimeout: settings.connectionTimeoutMs,
  };
  if (settings.tls) {
    config.ssl = {
      rejectUnauthorized: settings.tlsVerify,
      ...(settings.caFile ? { ca: [readFileSync(settings.caFile, 'utf8')] } : {}),
    };
  }
  if (settings.sasl !== 'none') {
    if (!settings.username || !settings.password)
      throw new Error(`SASL ${settings.sasl} needs a username and a password`);
    config.sasl = {
      mechanism: settings.sasl,
      username: settings.username,
      password: settings.password,
    } as SASLOptions;
  }
  return config;
}

/** SASL PLAIN sends the password as it is: without TLS anyone on the network path reads it. */
export function sendsPasswordInClear(settings: Pick<ClientSettings, 'sasl' | 'tls'>): boolean {
  return settings.sasl === 'plain' && !settings.tls;
}
