// The editor and admin API behind a login, in a real Node-RED: nobody without a token, the operator reads but
// cannot deploy, the engineer deploys but cannot manage the palette, the admin does everything. Passwords live
// in the settings only as bcrypt hashes.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminAuthSettings,
  adminToken,
  newAdminPasswords,
  startNodeRed,
  type AdminPasswords,
  type NodeRed,
} from '@plantwire/testkit';

describe('adminAuth with admin, engineer and operator', () => {
  let red: NodeRed;
  let passwords: AdminPasswords;
  const flow = [
    { id: 't1', type: 'tab', label: 'a flow' },
    { id: 'n1', z: 't1', type: 'inject', name: 'deployed by a test', wires: [] },
  ];
  const as = async (role: keyof AdminPasswords, path: string, init: RequestInit = {}) => {
    const token = await adminToken(red.url, role, passwords[role]);
    return fetch(`${red.url}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    });
  };
  const deploy = {
    method: 'POST',
    body: JSON.stringify(flow),
    headers: { 'Node-RED-Deployment-Type': 'full' },
  };

  beforeAll(async () => {
    passwords = newAdminPasswords();
    red = await startNodeRed({
      settings: { adminAuth: adminAuthSettings(passwords) },
      login: { username: 'admin', password: passwords.admin },
    });
  });
  afterAll(() => red?.stop());

  it('keeps only bcrypt hashes in the settings file', () => {
    const settings = readFileSync(`${red.userDir}/settings.js`, 'utf8');
    for (const password of Object.values(passwords)) expect(settings).not.toContain(password);
    expect(settings.match(/"\$2[aby]\$10\$/g)).toHaveLength(3);
  });

  it('refuses the admin API without a token and a login with a wrong password', async () => {
    expect((await fetch(`${red.url}/flows`)).status).toBe(401);
    await expect(adminToken(red.url, 'admin', 'guess')).rejects.toThrow(/401|403/);
  });

  it('operator: reads the flows, cannot deploy', async () => {
    expect((await as('operator', '/flows')).status).toBe(200);
    expect((await as('operator', '/flows', deploy)).status).toBe(401);
  });

  it('engineer: deploys, cannot manage the palette', async () => {
    const deployed = await as('engineer', '/flows', deploy);
    expect(deployed.status).toBeLessThan(300);
    const flows = (await (await as('operator', '/flows')).json()) as { id: string }[];
    expect(flows.map((n) => n.id)).toContain('n1');
    const palette = await as('engineer', '/nodes/node-red', {
      method: 'PUT',
      body: JSON.stringify({ enabled: true }),
    });
    expect(palette.status).toBe(401);
  });

  it('admin: deploys and manages the palette', async () => {
    expect((await as('admin', '/flows', deploy)).status).toBeLessThan(300);
    const palette = await as('admin', '/nodes/node-red', {
      method: 'PUT',
      body: JSON.stringify({ enabled: true }),
    });
    expect(palette.status).toBe(200);
  });
});
