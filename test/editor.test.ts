// What an automation engineer does in the Node-RED 4.1 editor, in a real (headless) browser, for every Plantwire
// node: drag it from the palette, edit it (creating the QuestDB server through the config-node select), read its
// help, deploy with the Deploy button, and find it in the runtime's flows with no error in the log.
//
// The node types come from each package's package.json `node-red.nodes`, so a new node is covered without
// touching this file; a new config node type needs an entry in CONFIG_NODE_FIELDS (the test says so).
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { launchBrowser, startNodeRed, startQuestDb, type NodeRed, type QuestDb } from '@plantwire/testkit';

type Browser = Awaited<ReturnType<typeof launchBrowser>>;
type Page = Awaited<ReturnType<Browser['newPage']>>;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCREENSHOT = join(ROOT, 'test', 'screenshots', 'editor.png');
/** Node-RED and Chromium start slowly on a busy 2-core machine: every wait in the browser gets this long. */
const UI_TIMEOUT = 30_000;

interface PlantwireNodeType {
  type: string;
  /** npm name of the package that declares it. */
  module: string;
  /** The editor HTML as built (what Node-RED serves). */
  editorHtml: string;
  /** The first paragraph of locales/en-US/<type>.html, as HTML; undefined when the help is missing. */
  helpParagraph: string | undefined;
  config: boolean;
}

/** Every node type declared by a workspace package (`node-red.nodes` in packages/* /package.json). */
function plantwireNodeTypes(): PlantwireNodeType[] {
  const packagesDir = join(ROOT, 'packages');
  return readdirSync(packagesDir)
    .filter((dir) => existsSync(join(packagesDir, dir, 'package.json')))
    .flatMap((dir) => {
      const pkg = JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8')) as {
        name: string;
        'node-red'?: { nodes?: Record<string, string> };
      };
      return Object.entries(pkg['node-red']?.nodes ?? {}).map(([type, file]) => {
        const nodeDir = join(packagesDir, dir, dirname(file));
        const htmlFile = join(nodeDir, `${type}.html`);
        if (!existsSync(htmlFile)) throw new Error(`${htmlFile} is missing: run npm run build`);
        const editorHtml = readFileSync(htmlFile, 'utf8');
        const helpFile = join(nodeDir, 'locales', 'en-US', `${type}.html`);
        const help = existsSync(helpFile) ? readFileSync(helpFile, 'utf8') : '';
        const config = new RegExp(
          `registerType\\(\\s*['"]${type}['"]\\s*,\\s*\\{[^]*?category:\\s*['"]config['"]`,
        ).test(editorHtml);
        return {
          type,
          module: pkg.name,
          editorHtml,
          helpParagraph: /<p>([^]*?)<\/p>/.exec(help)?.[1],
          config,
        };
      });
    });
}

const NODE_TYPES = plantwireNodeTypes();
const PALETTE_TYPES = NODE_TYPES.filter((node) => !node.config);
const nameFor = (type: string) => `e2e ${type}`;

/** What the test types into a config node's dialog, per config type (`url` is filled from the running service). */
const CONFIG_NODE_FIELDS: Record<string, (services: { questdb: QuestDb }) => Record<string, string>> = {
  'questdb-config': ({ questdb }) => ({ name: 'e2e questdb', url: questdb.httpUrl }),
  'kafka-config': () => ({ name: 'e2e kafka', brokers: '127.0.0.1:9092' }),
};

const normalise = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * The editor catches what a node's editor code throws (oneditprepare, oneditsave, label functions, a module's
 * editor script) and only logs it to the console; these are those lines, and any console error naming a node.
 */
function editorComplaints(messages: string[]): string[] {
  return messages.filter(
    (message) =>
      /^\w+: (oneditprepare|oneditsave|oneditcancel|oneditresize|oneditdelete|Definition error|\[@plantwire\/)/.test(
        message,
      ) ||
      (message.startsWith('error: ') && NODE_TYPES.some((node) => message.includes(node.type))),
  );
}

describe('the Node-RED 4.1 editor in a real browser, for every Plantwire node', () => {
  let questdb: QuestDb | undefined;
  let red: NodeRed | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const consoleMessages: string[] = [];
  /** Node ids the test dragged, by type, and the config nodes it created through the dialogs, by type. */
  const dragged = new Map<string, string>();
  const configNodes = new Map<string, string>();

  beforeAll(async () => {
    expect(PALETTE_TYPES.length).toBeGreaterThan(0);
    // Started side by side; whatever did start is kept for afterAll to stop even when another one failed.
    const [q, r, b] = await Promise.allSettled([
      startQuestDb(),
      startNodeRed({ startTimeoutMs: 120_000 }),
      launchBrowser(),
    ]);
    if (q.status === 'fulfilled') questdb = q.value;
    if (r.status === 'fulfilled') red = r.value;
    if (b.status === 'fulfilled') browser = b.value;
    for (const started of [q, r, b]) if (started.status === 'rejected') throw started.reason;
    if (!red || !browser) throw new Error('Node-RED or chromium did not start');
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('pageerror', (error) => pageErrors.push(String(error.stack ?? error)));
    page.on('console', (message) => {
      consoleMessages.push(`${message.type()}: ${message.text()}`);
    });
    await page.goto(red.url, { timeout: 120_000 });
    // The editor is ready when the palette lists the node types and the workspace chart is drawn.
    await page.waitForSelector('#red-ui-workspace-chart svg', { timeout: 120_000 });
    await page.waitForSelector('.red-ui-palette-node[data-palette-type="inject"]', { timeout: 120_000 });
  }, 240_000);

  afterAll(async () => {
    const results = await Promise.allSettled([browser?.close(), red?.stop(), questdb?.stop()]);
    for (const result of results) if (result.status === 'rejected') console.error(result.reason);
  }, 120_000);

  /**
   * Waits for the edit tray holding `button` to finish sliding in: Node-RED swaps trays with a CSS transition and
   * a click on a tray still moving can miss.
   */
  async function trayOpen(button: string) {
    await page.locator(button).waitFor({ state: 'visible' });
    await page.waitForFunction((selector) => {
      const tray = document.querySelector(selector)?.closest('.red-ui-tray');
      return tray !== null && tray !== undefined && getComputedStyle(tray).right === '0px';
    }, button);
  }

  /**
   * The `data-i18n` keys of the open dialog that show no text or the key itself (a label missing from the node's
   * locales/en-US/<type>.json): a label left blank is a broken dialog for the engineer.
   */
  async function untranslated(): Promise<string[]> {
    return page.evaluate(() =>
      Array.from(document.querySelectorAll('.red-ui-tray [data-i18n]')).flatMap((el) =>
        (el.getAttribute('data-i18n') ?? '').split(';').filter((spec) => {
          const [, attr, key] = /^(?:\[(\w+)\])?(.*)$/.exec(spec)!;
          const text =
            !attr || ['html', 'prepend', 'append'].includes(attr) ? el.textContent : el.getAttribute(attr);
          return !text?.trim() || text.includes(key!);
        }),
      ),
    );
  }

  /** After a failed step, a tray left open would shade the palette and fail every test after it. */
  afterEach(async () => {
    if (page === undefined) return;
    const trays = () => page.evaluate(() => document.querySelectorAll('.red-ui-tray').length);
    for (let left = await trays(), i = 0; left > 0 && i < 3; left = await trays(), i++) {
      await page
        .locator('#node-config-dialog-cancel, #node-dialog-cancel')
        .first()
        .click({ timeout: 5_000 })
        .catch(() => undefined);
      await page
        .waitForFunction((n) => document.querySelectorAll('.red-ui-tray').length < n, left, {
          timeout: 5_000,
        })
        .catch(() => undefined);
    }
  });

  /** On failure: a screenshot beside the good one, and what the page and Node-RED said. */
  function diagnoseOnFailure(name: string) {
    onTestFailed(async () => {
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: join(dirname(SCREENSHOT), `failed-${name}.png`) }).catch(() => undefined);
      console.error(
        `page errors: ${JSON.stringify(pageErrors)}\nconsole: ${JSON.stringify(consoleMessages)}`,
      );
      console.error(`Node-RED log (end):\n${red?.log().slice(-4000)}`);
    });
  }

  it('registers every Plantwire node type in the editor, and lists the non-config ones in the palette', async () => {
    const registered = await page.evaluate(
      (types) =>
        types.map((type) => {
          const def = (globalThis as any).RED.nodes.getType(type);
          return { type, registered: def !== undefined, category: def?.category as string | undefined };
        }),
      NODE_TYPES.map((node) => node.type),
    );
    for (const node of NODE_TYPES) {
      const found = registered.find((entry) => entry.type === node.type)!;
      expect(found.registered, `${node.type} (${node.module}) is not registered in the editor`).toBe(true);
      expect(found.category === 'config', `${node.type}: config node or not`).toBe(node.config);
      const paletteEntry = page.locator(`.red-ui-palette-node[data-palette-type="${node.type}"]`);
      if (node.config) expect(await paletteEntry.count()).toBe(0);
      else await paletteEntry.waitFor({ state: 'visible' });
    }
    expect(pageErrors).toEqual([]);
    expect(editorComplaints(consoleMessages)).toEqual([]);
  });

  it.each(PALETTE_TYPES.map((node, index) => [node.type, node, index] as const))(
    '%s: drag from the palette, edit, Done, and its help shows',
    async (type, node, index) => {
      diagnoseOnFailure(type);
      // What this node's steps make the page say (an earlier node's complaint fails that node's test only).
      const [errorsFrom, consoleFrom] = [pageErrors.length, consoleMessages.length];
      // Drag with the mouse from the palette onto the workspace, each node at its own spot on a grid.
      const paletteEntry = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
      await paletteEntry.scrollIntoViewIfNeeded();
      const from = (await paletteEntry.boundingBox())!;
      const chart = (await page.locator('#red-ui-workspace-chart').boundingBox())!;
      const to = { x: chart.x + 160 + (index % 3) * 300, y: chart.y + 80 + Math.floor(index / 3) * 110 };
      const before: string[] = await page.evaluate(
        (t) => (globalThis as any).RED.nodes.filterNodes({ type: t }).map((n: { id: string }) => n.id),
        type,
      );
      await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
      await page.mouse.down();
      await page.mouse.move(from.x + from.width / 2 + 30, from.y + from.height / 2, { steps: 5 });
      await page.mouse.move(to.x, to.y, { steps: 20 });
      await page.mouse.up();
      const handle = await page.waitForFunction(
        ({ t, known }) =>
          (globalThis as any).RED.nodes
            .filterNodes({ type: t })
            .map((n: { id: string }) => n.id)
            .find((id: string) => !known.includes(id)),
        { t: type, known: before },
      );
      const id = (await handle.jsonValue()) as string;
      dragged.set(type, id);
      const shape = page.locator(`#red-ui-workspace-chart g[id="${id}"] rect.red-ui-flow-node`);
      await shape.waitFor({ state: 'visible' });

      // Double-click opens the edit dialog.
      await shape.dblclick();
      const done = page.locator('#node-dialog-ok');
      await trayOpen('#node-dialog-ok');
      const nameInput = page.locator('#node-input-name');
      await nameInput.waitFor({ state: 'visible' });
      await nameInput.fill(nameFor(type));
      expect(await untranslated(), `${type}: labels the editor could not translate`).toEqual([]);
      if (type === 'store-forward') {
        // A number the runtime would refuse is marked here, with the deploy's message; empty is the default.
        const maxRows = page.locator('#node-input-maxRows');
        for (const [value, marked] of [
          ['0', true],
          ['', false],
        ] as const) {
          await maxRows.fill(value);
          await maxRows.dispatchEvent('change');
          await expect
            .poll(async () => (await maxRows.getAttribute('class'))?.includes('input-error'))
            .toBe(marked);
        }
        const message = await page.evaluate((nodeId) => {
          const RED = (globalThis as any).RED;
          return RED.nodes
            .getType('store-forward')
            .defaults.maxRows.validate.call(RED.nodes.node(nodeId), '0');
        }, id);
        expect(message).toBe('maxRows must be a whole number of 1 or more (got "0")');
      }

      // Each config-node property (questdb-config for the QuestDB nodes): create the first through the select's
      // add button, choose it for the next ones and open it with the edit button.
      const configProps: { property: string; configType: string }[] = await page.evaluate((t) => {
        const RED = (globalThis as any).RED;
        const defaults = RED.nodes.getType(t).defaults as Record<string, { type?: string }>;
        return Object.entries(defaults)
          .filter(([, d]) => d.type && RED.nodes.getType(d.type)?.category === 'config')
          .map(([property, d]) => ({ property, configType: d.type! }));
      }, type);
      for (const { property, configType } of configProps) {
        const fill = CONFIG_NODE_FIELDS[configType];
        if (!fill) {
          throw new Error(
            `${type}.${property} needs a ${configType}: add it to CONFIG_NODE_FIELDS in this test`,
          );
        }
        const fields = fill({ questdb: questdb! });
        const select = page.locator(`#node-input-${property}`);
        await select.waitFor({ state: 'visible' });
        const existing = configNodes.get(configType);
        if (existing === undefined) {
          await page.locator(`#node-input-btn-${property}-add`).click();
        } else {
          await select.selectOption(existing);
          const edit = page.locator(`#node-input-btn-${property}-edit:not(.disabled)`);
          await edit.click();
        }
        const configOk = page.locator('#node-config-dialog-ok');
        await trayOpen('#node-config-dialog-ok');
        expect(await untranslated(), `${configType}: labels the editor could not translate`).toEqual([]);
        for (const [field, value] of Object.entries(fields)) {
          const input = page.locator(`#node-config-input-${field}`);
          await input.waitFor({ state: 'visible' });
          if (existing === undefined) await input.fill(value);
          else expect(await input.inputValue(), `${configType}.${field} when reopened`).toBe(value);
        }
        await configOk.click();
        await configOk.waitFor({ state: 'detached' });
        // Back in the node's dialog, the select now holds the config node.
        await page.waitForFunction((p) => {
          const value = (document.querySelector(`#node-input-${p}`) as { value?: string } | null)?.value;
          return value && value !== '_ADD_' ? value : undefined;
        }, property);
        await trayOpen('#node-dialog-ok');
        const chosen = await select.inputValue();
        if (existing === undefined) configNodes.set(configType, chosen);
        else expect(chosen).toBe(existing);
      }

      await done.click();
      await done.waitFor({ state: 'detached' });
      const state = await page.evaluate((nodeId) => {
        const n = (globalThis as any).RED.nodes.node(nodeId);
        return { name: n.name as string, valid: n.valid as boolean, changed: n.changed as boolean };
      }, id);
      expect(state).toEqual({ name: nameFor(type), valid: true, changed: true });
      // The label on the workspace follows the name.
      await page
        .locator(`#red-ui-workspace-chart g[id="${id}"] .red-ui-flow-node-label`, { hasText: nameFor(type) })
        .waitFor({ state: 'visible' });

      // Help: select the node, open the sidebar's Help tab, and read the node's help there.
      expect(node.helpParagraph, `${type}: locales/en-US/${type}.html has no first paragraph`).toBeTruthy();
      const expected = normalise(
        await page.evaluate((html) => {
          const div = document.createElement('div');
          div.innerHTML = html;
          return div.textContent ?? '';
        }, node.helpParagraph!),
      );
      await page
        .locator('#red-ui-workspace-chart svg')
        .first()
        .click({ position: { x: 20, y: 20 } });
      await shape.click();
      await page.locator('#red-ui-tab-help-link-button').click();
      // The Help tab's panel: a title (the palette label) over the node's help text.
      const helpPanel = page.locator('.red-ui-help:has(> h1.red-ui-help-title)').filter({ visible: true });
      await expect
        .poll(async () => normalise((await helpPanel.innerText()) ?? ''), { timeout: UI_TIMEOUT })
        .toContain(expected);
      expect(pageErrors.slice(errorsFrom)).toEqual([]);
      expect(editorComplaints(consoleMessages.slice(consoleFrom))).toEqual([]);
    },
    120_000,
  );

  it('deploys with the Deploy button: every node is in GET /flows with its name, and the log has no error', async () => {
    diagnoseOnFailure('deploy');
    expect([...dragged.keys()].sort()).toEqual(PALETTE_TYPES.map((node) => node.type).sort());
    const since = red!.log().length;
    await page.locator('#red-ui-header-button-deploy').click();
    // Deployed (the editor says so and lifts its shades), or a dialog or an error stands in the way.
    const outcome = await page.waitForFunction(
      () => {
        const visible = (el: Element | null) => el !== null && el.getClientRects().length > 0;
        const dialog = Array.from(document.querySelectorAll('.ui-dialog')).find(visible);
        if (dialog) return `dialog: ${dialog.textContent}`;
        const error = Array.from(document.querySelectorAll('.red-ui-notification-error')).find(visible);
        if (error) return `error: ${error.textContent}`;
        const success = Array.from(document.querySelectorAll('.red-ui-notification-success')).find(visible);
        const busy = visible(document.querySelector('.red-ui-deploy-button-spinner'));
        return success && !busy && !visible(document.querySelector('#red-ui-header-shade'))
          ? `deployed: ${success.textContent}`
          : undefined;
      },
      undefined,
      { timeout: UI_TIMEOUT },
    );
    expect(await outcome.jsonValue()).toMatch(/^deployed: Successfully deployed/);
    await red!.waitForLog(/Started flows/, 60_000, since);

    const { flows } = await red!.api<{ rev: string; flows: Record<string, unknown>[] }>('/flows', {
      headers: { 'Node-RED-API-Version': 'v2' },
    });
    for (const [type, id] of dragged) {
      const deployed = flows.find((n) => n.id === id);
      expect(deployed, `${type} ${id} in GET /flows`).toBeDefined();
      expect(deployed).toMatchObject({ type, name: nameFor(type) });
    }
    for (const [configType, id] of configNodes) {
      const fields = CONFIG_NODE_FIELDS[configType]!({ questdb: questdb! });
      expect(flows.find((n) => n.id === id)).toMatchObject({ type: configType, ...fields });
      const users = flows.filter((n) => Object.values(n).includes(id)).map((n) => n.type);
      expect(users.length, `${configType} is used by the nodes that need it`).toBeGreaterThan(0);
    }

    // Every deployed node shows up on the workspace with the editor's deployed state (no change marker).
    await page.waitForFunction(
      (ids) => ids.every((id) => (globalThis as any).RED.nodes.node(id)?.changed === false),
      [...dragged.values()],
    );
    // The screenshot without the deploy notification over the header (it fades out by itself).
    await page.locator('.red-ui-notification').first().waitFor({ state: 'detached' });
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    const log = red!.log();
    expect(log).not.toMatch(/Waiting for missing types/);
    // Only Plantwire nodes run in this Node-RED: any error in its log is about them.
    expect(log.split('\n').filter((line) => line.includes('[error]'))).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(editorComplaints(consoleMessages)).toEqual([]);
  }, 120_000);

  /** Opens the edit dialog of the node of `type` the test dragged. */
  async function openEditor(type: string) {
    const id = dragged.get(type);
    expect(id, `${type} was dragged`).toBeDefined();
    await page.locator(`#red-ui-workspace-chart g[id="${id}"] rect.red-ui-flow-node`).dblclick();
    await trayOpen('#node-dialog-ok');
    return id!;
  }

  async function closeEditor(button: '#node-dialog-ok' | '#node-dialog-cancel') {
    await page.locator(button).click();
    await page.locator(button).waitFor({ state: 'detached' });
  }

  const marked = async (selector: string) =>
    (await page.locator(selector).getAttribute('class'))?.includes('input-error') ?? false;

  it("questdb-query: choosing a preset takes its table (events: plantwire_events); a table of the user's stays", async () => {
    diagnoseOnFailure('questdb-query-table');
    await openEditor('questdb-query');
    const mode = page.locator('#node-input-mode');
    const table = page.locator('#node-input-table');
    for (const [preset, expected] of [
      ['events', 'plantwire_events'],
      ['series', 'plantwire_telemetry'],
      ['events', 'plantwire_events'],
      ['latest', 'plantwire_telemetry'],
    ] as const) {
      await mode.selectOption(preset);
      expect(await table.inputValue(), preset).toBe(expected);
    }
    await table.fill('my_points');
    await mode.selectOption('events');
    expect(await table.inputValue()).toBe('my_points');
    await closeEditor('#node-dialog-cancel');
  });

  it("questdb-write: each mode takes its table, generic asks for the user's; Keep is checked against the partitions", async () => {
    diagnoseOnFailure('questdb-write-table');
    await openEditor('questdb-write');
    const mode = page.locator('#node-input-mode');
    const table = page.locator('#node-input-table');
    await mode.selectOption('generic');
    expect(await table.inputValue()).toBe('');
    await expect.poll(() => marked('#node-input-table')).toBe(true);
    await mode.selectOption('events');
    expect(await table.inputValue()).toBe('plantwire_events');
    await mode.selectOption('telemetry');
    expect(await table.inputValue()).toBe('plantwire_telemetry');
    await table.fill('my_rows');
    await mode.selectOption('generic');
    expect(await table.inputValue()).toBe('my_rows');
    await mode.selectOption('telemetry');

    // QuestDB drops whole partitions: 30 days fit DAY partitions, not MONTH ones.
    const ttl = page.locator('#node-input-ttlDays');
    await ttl.fill('30');
    await ttl.dispatchEvent('change');
    for (const [partitionBy, refused] of [
      ['MONTH', true],
      ['DAY', false],
      ['WEEK', true],
      ['HOUR', false],
    ] as const) {
      await page.locator('#node-input-partitionBy').selectOption(partitionBy);
      await expect.poll(() => marked('#node-input-ttlDays'), { message: partitionBy }).toBe(refused);
    }
    await closeEditor('#node-dialog-cancel');
  });

  it('store-forward: a first retry longer than the longest wait is marked, as the deploy refuses it', async () => {
    diagnoseOnFailure('store-forward-backoff');
    await openEditor('store-forward');
    const base = page.locator('#node-input-backoffBaseS');
    const max = page.locator('#node-input-backoffMaxS');
    for (const [first, longest, refused] of [
      ['90', '60', true],
      ['90', '120', false],
      ['5', '', false], // empty takes the default, 60 s
      ['90', '', true],
    ] as const) {
      await max.fill(longest);
      await max.dispatchEvent('change');
      await base.fill(first);
      await base.dispatchEvent('change');
      await expect
        .poll(() => marked('#node-input-backoffBaseS'), { message: `${first} to ${longest}` })
        .toBe(refused);
    }
    await closeEditor('#node-dialog-cancel');
  });

  /** Deploys with the Deploy button; returns where the runtime's log stood, once the flows have started again. */
  async function deployChanges(): Promise<number> {
    const since = red!.log().length;
    await page.locator('#red-ui-header-button-deploy').click();
    await red!.waitForLog(/Started flows/, 60_000, since);
    return since;
  }

  const statusOf = (id: string) =>
    page.evaluate(
      (nodeId) => (globalThis as any).RED.nodes.node(nodeId)?.status?.text as string | undefined,
      id,
    );

  it('telemetry-validate: tokens one per line are that many tokens, kept when the dialog is saved again, and removable', async () => {
    diagnoseOnFailure('telemetry-validate-tokens');
    const type = 'telemetry-validate';
    const tokens = page.locator('#node-input-tokens');
    const noTokens = /no tokens configured/;
    const id = await openEditor(type);
    await page.locator('#node-input-mode').selectOption('http');
    await tokens.fill('tok-a acme\ntok-b acme plant-1');
    await closeEditor('#node-dialog-ok');
    let since = await deployChanges();
    expect(red!.log().slice(since)).not.toMatch(noTokens);
    await expect.poll(() => statusOf(id)).toBe('tokens: 2');

    // A fresh editor is only told that tokens are set (a password credential never comes back): the field shows
    // empty with a note, and saving the dialog keeps the tokens.
    await page.reload({ timeout: 120_000 });
    await page.waitForSelector('#red-ui-workspace-chart svg', { timeout: 120_000 });
    await page.waitForSelector(`#red-ui-workspace-chart g[id="${id}"]`, { timeout: 120_000 });
    await openEditor(type);
    expect(await tokens.inputValue()).toBe('');
    expect(await tokens.getAttribute('placeholder')).toMatch(/^tokens are set \(hidden\)/);
    await page.locator('#node-input-name').fill(`${nameFor(type)} saved again`);
    await closeEditor('#node-dialog-ok');
    since = await deployChanges();
    expect(red!.log().slice(since)).not.toMatch(noTokens);
    await expect.poll(() => statusOf(id)).toBe('tokens: 2');

    // Removing them is a choice of its own.
    await openEditor(type);
    await page.locator('#node-input-tokens-remove').check();
    await closeEditor('#node-dialog-ok');
    since = await deployChanges();
    expect(red!.log().slice(since)).toMatch(noTokens);
    await expect.poll(() => statusOf(id)).toBe('no tokens: every request gets 401');
    await openEditor(type);
    expect(await tokens.getAttribute('placeholder')).not.toMatch(/tokens are set/);
    expect(await page.locator('#node-input-tokens-remove').isVisible()).toBe(false);
    await closeEditor('#node-dialog-cancel');
    expect(pageErrors).toEqual([]);
    expect(editorComplaints(consoleMessages)).toEqual([]);
  }, 240_000);
});
