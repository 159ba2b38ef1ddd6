// Node-RED's editor and admin API behind a login (adminAuth), with the reference systems' three roles:
// admin (everything), engineer (read and deploy flows) and operator (read only). Passwords are stored as bcrypt
// hashes in the settings; the clear passwords are made once and kept by whoever starts the runtime (the demo:
// .plantwire/secrets.json, never in git).
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';

export const ADMIN_ROLES = {
  admin: '*',
  engineer: ['read', 'flows.write'],
  operator: 'read',
} as const;

export type AdminRole = keyof typeof ADMIN_ROLES;
export type AdminPasswords = Record<AdminRole, string>;

/** A new password for each role. */
export function newAdminPasswords(): AdminPasswords {
  const make = () => randomBytes(15).toString('base64url');
  return { admin: make(), engineer: make(), operator: make() };
}

/** The adminAuth setting: one user per role, named after it, with its password bcrypt-hashed. */
export function adminAuthSettings(passwords: AdminPasswords) {
  return {
    type: 'credentials',
    users: (Object.keys(ADMIN_ROLES) as AdminRole[]).map((role) => ({
      username: role,
      password: bcrypt.hashSync(passwords[role], 10),
      permissions: ADMIN_ROLES[role],
    })),
  };
}

/**
 * An admin API access token for a user, as the editor's login gets one. The scope asked for must be within the
 * user's permissions: a role's own (ADMIN_ROLES) by default for the role users, else everything.
 */
export async function adminToken(url: string, username: string, password: string): Promise<string> {
  const role = ADMIN_ROLES[username as AdminRole] ?? '*';
  const scope = Array.isArray(role) ? role.join(' ') : role;
  const response = await fetch(`${url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password }),
  });
  if (!response.ok) throw new Error(`login as ${username}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}
