// Dashboard 2.0 (@flowfuse/node-red-dashboard 1.31) building blocks for flows/dashboard.json.

export const UI = 'dash-ui';
export const THEME = 'dash-theme';

export function base() {
  return [
    {
      id: UI,
      type: 'ui-base',
      name: 'Plantwire',
      path: '/dashboard',
      appIcon: '',
      // Each message from a browser tab carries msg._client; one carrying it goes to that tab only for these types
      // (without it, to every tab): the Machine page's choice and charts are each tab's own.
      includeClientData: true,
      acceptsClientConfig: ['ui-notification', 'ui-control', 'ui-dropdown', 'ui-chart'],
      showPathInSidebar: false,
      headerContent: 'page',
      navigationStyle: 'default',
      titleBarStyle: 'default',
      showReconnectNotification: true,
      notificationDisplayTime: 1,
      showDisconnectNotification: true,
      allowInstall: false,
    },
    {
      id: THEME,
      type: 'ui-theme',
      name: 'Plantwire',
      colors: {
        surface: '#1f2933',
        primary: '#0d74ce',
        bgPage: '#f4f5f7',
        groupBg: '#ffffff',
        groupOutline: '#d9d9e0',
      },
      sizes: {
        density: 'compact',
        pagePadding: '12px',
        groupGap: '12px',
        groupBorderRadius: '4px',
        widgetGap: '8px',
      },
    },
  ];
}

export function page(id, name, path, icon, order) {
  return {
    id,
    type: 'ui-page',
    name,
    ui: UI,
    path,
    icon,
    layout: 'grid',
    theme: THEME,
    breakpoints: [
      { name: 'Default', px: 0, cols: 3 },
      { name: 'Tablet', px: 576, cols: 6 },
      { name: 'Small Desktop', px: 768, cols: 9 },
      { name: 'Desktop', px: 1024, cols: 12 },
    ],
    order,
    className: '',
    visible: 'true',
    disabled: 'false',
  };
}

export function group(id, pageId, name, width, order) {
  return {
    id,
    type: 'ui-group',
    name,
    page: pageId,
    width: String(width),
    height: '1',
    order,
    showTitle: true,
    className: '',
    visible: 'true',
    disabled: 'false',
    groupType: 'default',
  };
}

/** Widgets of one tab: `widget(id, type, groupId, order, col, row, props, wires)`. */
export function widgetsOf(node) {
  return (id, type, groupId, order, col, row, props = {}, wires = []) =>
    node(id, type, col, row, { group: groupId, order, width: 0, height: 0, className: '', ...props }, wires);
}

export const text = (label) => ({
  name: label,
  label,
  format: '{{msg.payload}}',
  layout: 'row-spread',
  style: false,
  font: '',
  fontSize: 16,
  color: '#717171',
  wrapText: false,
  value: 'payload',
  valueType: 'msg',
});

export const table = (name, columns) => ({
  name,
  label: '',
  maxrows: 0,
  passthru: false,
  autocols: false,
  showSearch: false,
  deselect: true,
  selectionType: 'none',
  columns: columns.map(([title, key]) => ({
    title,
    key,
    keyType: 'key',
    type: 'text',
    width: '',
    align: 'start',
  })),
  mobileBreakpoint: 'sm',
  mobileBreakpointType: 'defaults',
  action: 'replace',
});

/**
 * A time chart of `{series, x, y}` points; history arrives with msg.action = "replace", live points append. Times
 * are UTC, as every table of the dashboard gives them, and the axis says so. `ymin`/`ymax` fix the value axis
 * (`yStep` apart), `categories` make it an axis of names (the points' y is one of them).
 */
export const chart = (
  label,
  {
    ymin = '',
    ymax = '',
    yStep,
    categories,
    width = 6,
    height = 4,
    legend = true,
    interpolation = 'linear',
  } = {},
) => ({
  name: label,
  label,
  width,
  height,
  chartType: 'line',
  category: 'series',
  categoryType: 'property',
  xAxisLabel: 'time (UTC)',
  xAxisProperty: 'x',
  xAxisPropertyType: 'property',
  xAxisType: 'time',
  xAxisFormat: '',
  xAxisFormatType: 'auto',
  xmin: '',
  xmax: '',
  yAxisLabel: '',
  yAxisProperty: 'y',
  yAxisPropertyType: 'property',
  // A category axis runs over the names' indexes: 0 to the last.
  ymin: categories ? '0' : String(ymin),
  ymax: categories ? String(categories.length - 1) : String(ymax),
  bins: 10,
  action: 'append',
  stackSeries: false,
  pointShape: 'false',
  pointRadius: 0,
  showLegend: legend,
  removeOlder: '24',
  removeOlderUnit: '3600',
  removeOlderPoints: '2000',
  colors: ['#0095FF', '#FF0000', '#FF7F0E', '#2CA02C', '#A347E1', '#D62728', '#FF9896', '#9467BD', '#C5B0D5'],
  textColor: ['#666666'],
  textColorDefault: true,
  gridColor: ['#e5e5e5'],
  gridColorDefault: true,
  interpolation,
  // ECharts options over the widget's own (Dashboard 2.0 applies them as the chart is drawn): UTC, the axis name
  // clear of the tick labels below it (they overlapped at 1024 px).
  chartOptions: {
    useUTC: true,
    grid: { bottom: 30, containLabel: true },
    xAxis: { nameGap: 24 },
    // The dashboard adds the axis's ends as labels of their own: one a tick label already shows is not drawn twice.
    yAxis: {
      axisLabel: { hideOverlap: true },
      ...(categories && { type: 'category', data: categories }),
      ...(yStep && { interval: yStep }),
    },
  },
});

/** A dropdown whose messages have msg.topic `topic`. */
export const dropdown = (label, options, topic = '') => ({
  name: label,
  label,
  tooltip: '',
  passthru: false,
  multiple: false,
  chips: false,
  clearable: false,
  options: options.map(([value, label]) => ({ value, label, type: 'str' })),
  payload: '',
  topic,
  topicType: 'str',
  typeIsComboBox: false,
  msgTrigger: 'onChange',
});

/** A Vue template widget; messages it sends leave on its output (never the ones it receives). */
export const template = (name, format, width = 12) => ({
  name,
  width,
  head: '',
  format,
  // Its state is what it is sent (the list), never what it sends (a command): a refused Ack would blank the table.
  storeOutMessages: false,
  passthru: false,
  resendOnRefresh: true,
  templateScope: 'local',
});

/** A notification at the top right, shown `seconds` long in `color`; one with msg._client goes to that tab only. */
export const notification = (name, color, seconds) => ({
  name,
  ui: UI,
  position: 'top right',
  colorDefault: false,
  color,
  displayTime: String(seconds),
  showCountdown: true,
  outputs: 0,
  allowDismiss: true,
  dismissText: 'Close',
  allowConfirm: false,
  confirmText: 'Confirm',
  raw: false,
  className: '',
});
