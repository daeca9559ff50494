// dyups's live dashboard. It uses only the APIs a script uses: dyups's interface (/detail?format=json for the
// upstreams, their balancing method and version; /upstream/NAME for commands, replace and delete, with If-Match)
// and NGINX Plus's upstream API (/api/9/http/upstreams for the peers' state and figures; its servers paths for
// per-server changes, with If-Match). Everything it shows is written as text (textContent), never as markup.
'use strict';
(() => {
  const PLUS = '/api/9/http/upstreams';
  const TOKEN_KEY = 'dyups.token';
  const PAGE_SIZE = 25;
  const SPARK_WINDOW_MS = 5 * 60 * 1000;
  const SPARK_POINTS = 120;
  const STATES = ['up', 'draining', 'down', 'unavail', 'checking', 'unhealthy'];

  /**
   * Runs a generator function as an async function: each `yield promise` waits for the promise and gives its value
   * (or throws its error) as `await` does, and the call returns a promise of what the generator returns. The page is
   * written so because HtmlUnit, the browser tests' fallback on a machine without Chromium, runs neither async
   * functions nor classes; everything else it uses runs in both.
   */
  function task(body) {
    return function run(...args) {
      const steps = body.apply(this, args);
      return new Promise((resolve, reject) => {
        const step = (method, value) => {
          let next;
          try {
            next = steps[method](value);
          } catch (e) {
            reject(e);
            return;
          }
          if (next.done) {
            resolve(next.value);
          } else {
            Promise.resolve(next.value).then((v) => step('next', v), (e) => step('throw', e));
          }
        };
        step('next', undefined);
      });
    };
  }

  const $ = (id) => document.getElementById(id);
  const view = {
    upstreams: [], // [{name, version, method, servers, peers}] in listing order
    byName: new Map(),
    history: new Map(), // name -> [{t, requests}], at most SPARK_POINTS spanning SPARK_WINDOW_MS
    cards: new Map(), // name -> {element, key}
    page: 0,
    paused: false,
    polling: false,
    again: false, // a refresh asked for while one was under way: it may have read the listing before a change
    cluster: 'unknown', // 'present', 'absent' or 'unknown'
    clusterChecked: 0,
    timer: 0,
    interval: 1000,
  };

  // An answer 401: the token panel is shown and the caller stops. A function, not a class: see task().
  function Unauthorized() {}
  Unauthorized.prototype = Object.create(Error.prototype);

  // ---- HTTP ----------------------------------------------------------------------------------------------------

  const call = task(function* call(method, url, options = {}) {
    const headers = new Headers(options.headers || {});
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) {
      headers.set('Authorization', 'Bearer ' + token);
    }
    let body = options.body;
    if (options.json !== undefined) {
      headers.set('Content-Type', 'application/json');
      body = JSON.stringify(options.json);
    } else if (body !== undefined) {
      headers.set('Content-Type', 'text/plain; charset=utf-8');
    }
    const response = yield fetch(url, { method, headers, body, cache: 'no-store', credentials: 'same-origin' });
    if (response.status === 401) {
      askForToken(token ? 'The token was refused.' : '');
      throw new Unauthorized();
    }
    return response;
  });

  /** The text an error answer carries: NGINX Plus's error object's text, or dyups's plain text. */
  const errorText = task(function* errorText(response) {
    const text = yield response.text();
    try {
      const json = JSON.parse(text);
      if (json && json.error && typeof json.error.text === 'string') {
        return json.error.text;
      }
    } catch (e) {
      // dyups's answers are plain text.
    }
    return text.trim() || response.status + ' ' + response.statusText;
  });

  const path = (name) => '/upstream/' + encodeURIComponent(name);
  const plusPath = (name) => PLUS + '/' + encodeURIComponent(name);
  const etag = (version) => '"' + version + '"';

  // ---- Token ---------------------------------------------------------------------------------------------------

  function askForToken(error) {
    clearTimeout(view.timer);
    $('main').hidden = true;
    $('token-panel').hidden = false;
    $('token-error').textContent = error;
    $('summary').textContent = 'Sign in to see the upstreams.';
    $('token').focus();
  }

  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token').value.trim();
    if (!token) {
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    $('token').value = '';
    $('token-error').textContent = '';
    refresh();
  });

  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    askForToken('');
  });

  // ---- Polling -------------------------------------------------------------------------------------------------

  const refresh = task(function* refresh() {
    clearTimeout(view.timer);
    if (view.polling) {
      // The poll under way may have read the listing before the change that asks for this refresh (and its peers
      // after it): one more poll once it ends, so the page settles on a state read wholly after the change.
      view.again = true;
      return;
    }
    view.polling = true;
    view.again = false;
    try {
      // The listing first, then the peers: the version an action sends in If-Match is never newer than the ids
      // it names, and when a change lands in between, the action is refused rather than misapplied.
      const detail = yield call('GET', '/detail?format=json', { headers: { Accept: 'application/json' } });
      if (!detail.ok) {
        throw new Error('GET /detail: ' + (yield errorText(detail)));
      }
      const listing = yield detail.json();
      const plus = yield call('GET', PLUS);
      const peers = plus.ok ? (yield plus.json()) : {};
      yield clusterState();
      $('token-panel').hidden = true;
      $('main').hidden = false;
      $('sign-out').hidden = !sessionStorage.getItem(TOKEN_KEY);
      merge(listing, peers);
      render();
      $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
    } catch (e) {
      if (e instanceof Unauthorized) {
        view.polling = false;
        return;
      }
      $('updated').textContent = 'Not updated: ' + e.message;
    }
    view.polling = false;
    if (view.again) {
      refresh();
      return;
    }
    schedule();
  });

  function schedule() {
    clearTimeout(view.timer);
    if (!view.paused) {
      view.timer = setTimeout(refresh, view.interval);
    }
  }

  function merge(listing, plus) {
    const now = performance.now();
    const upstreams = [];
    const byName = new Map();
    for (const u of Array.isArray(listing.upstreams) ? listing.upstreams : []) {
      const entry = plus && typeof plus === 'object' ? plus[u.name] : undefined;
      const upstream = {
        name: String(u.name),
        version: Number(u.version),
        method: methodOf(u.balancing),
        servers: Array.isArray(u.servers) ? u.servers : [],
        peers: entry && Array.isArray(entry.peers) ? entry.peers : [],
      };
      upstream.requests = sum(upstream.peers, 'requests');
      record(upstream, now);
      upstreams.push(upstream);
      byName.set(upstream.name, upstream);
    }
    for (const name of view.history.keys()) {
      if (!byName.has(name)) {
        view.history.delete(name);
      }
    }
    view.upstreams = upstreams;
    view.byName = byName;
    // 10 000 upstreams are a large listing: refreshed less often, so that the page stays responsive.
    view.interval = upstreams.length > 2000 ? 5000 : 1000;
  }

  function methodOf(balancing) {
    if (!balancing || typeof balancing.method !== 'string') {
      return 'round_robin';
    }
    if (balancing.method === 'hash') {
      return 'hash ' + balancing.key + (balancing.consistent ? ' consistent' : '');
    }
    if (balancing.method === 'random') {
      return balancing.two ? 'random two' : 'random';
    }
    return balancing.method;
  }

  /** The sum of a numeric field over peers, or null when no peer has it (statistics not reported). */
  function sum(peers, field) {
    let total = null;
    for (const peer of peers) {
      if (typeof peer[field] === 'number') {
        total = (total || 0) + peer[field];
      }
    }
    return total;
  }

  function record(upstream, now) {
    if (upstream.requests === null) {
      return;
    }
    let samples = view.history.get(upstream.name);
    if (!samples) {
      samples = [];
      view.history.set(upstream.name, samples);
    }
    const last = samples[samples.length - 1];
    if (last && upstream.requests < last.requests) {
      samples.length = 0; // statistics reset (DELETE of the upstream in the Plus API, or a new upstream)
    }
    // Points kept are at least window/points apart, so that the sparkline spans the whole window; the last one is
    // the newest answer, replaced until it is far enough from the one before.
    const anchor = samples[samples.length - 2];
    if (anchor && now - anchor.t < SPARK_WINDOW_MS / SPARK_POINTS) {
      samples[samples.length - 1] = { t: now, requests: upstream.requests };
    } else {
      samples.push({ t: now, requests: upstream.requests });
    }
    while (samples.length > 0 && now - samples[0].t > SPARK_WINDOW_MS) {
      samples.shift();
    }
  }

  /** Requests per second between consecutive samples. */
  function rates(name) {
    const samples = view.history.get(name) || [];
    const out = [];
    for (let i = 1; i < samples.length; i++) {
      const seconds = (samples[i].t - samples[i - 1].t) / 1000;
      out.push({ t: samples[i].t, rate: seconds > 0 ? (samples[i].requests - samples[i - 1].requests) / seconds : 0 });
    }
    return out;
  }

  const clusterState = task(function* clusterState() {
    if (view.cluster === 'absent' && Date.now() - view.clusterChecked < 30000) {
      return;
    }
    view.clusterChecked = Date.now();
    let status = null;
    try {
      const response = yield call('GET', '/status?format=json', { headers: { Accept: 'application/json' } });
      if (response.ok && (response.headers.get('Content-Type') || '').includes('json')) {
        status = yield response.json();
        // A single instance's own store (memory or the persistence file) is no cluster: no panel for it.
        if (status && (status.kind === 'memory' || status.kind === 'file')) {
          status = null;
        }
      }
    } catch (e) {
      if (e instanceof Unauthorized) {
        throw e;
      }
    }
    view.cluster = status ? 'present' : 'absent';
    $('cluster').hidden = !status;
    if (!status) {
      return;
    }
    // The store's status, read field by field: a field this page does not know is left out.
    const connected = status.available !== false;
    const badge = $('cluster-state');
    badge.className = 'badge ' + (connected ? 'ok' : 'bad');
    badge.textContent = (status.kind ? status.kind + ' ' : 'store ') + (connected ? 'connected' : 'not connected');
    const parts = [];
    if (typeof status.state === 'string' && status.state) {
      parts.push(status.state);
    }
    if (typeof status.behindMillis === 'number') {
      parts.push('behind by ' + status.behindMillis + ' ms');
    }
    if (typeof status.pendingChanges === 'number') {
      parts.push(status.pendingChanges + ' changes pending');
    }
    if (typeof status.lastVersion === 'number') {
      parts.push('last change applied: version ' + status.lastVersion);
    }
    if (typeof status.lastChangeAt === 'string') {
      parts.push('at ' + status.lastChangeAt);
    }
    if (typeof status.detail === 'string' && status.detail) {
      parts.push(status.detail);
    }
    $('cluster-detail').textContent = parts.join(', ');
  });

  // ---- Rendering -----------------------------------------------------------------------------------------------

  function stateOf(peer) {
    return STATES.includes(peer.state) ? peer.state : 'up';
  }

  function visible() {
    const query = $('search').value.trim().toLowerCase();
    const problems = $('problems').checked;
    return view.upstreams.filter((u) => (!query || u.name.toLowerCase().includes(query))
        && (!problems || u.peers.some((p) => stateOf(p) !== 'up')));
  }

  function render() {
    const counts = Object.fromEntries(STATES.map((s) => [s, 0]));
    let servers = 0;
    for (const u of view.upstreams) {
      for (const p of u.peers) {
        counts[stateOf(p)]++;
        servers++;
      }
    }
    $('summary').textContent = view.upstreams.length + ' upstream' + (view.upstreams.length === 1 ? '' : 's') + ', '
        + servers + ' server' + (servers === 1 ? '' : 's') + ': '
        + STATES.filter((s) => counts[s] > 0 || s === 'up').map((s) => counts[s] + ' ' + s).join(', ');

    const shown = visible();
    const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
    view.page = Math.min(view.page, pages - 1);
    const from = view.page * PAGE_SIZE;
    const slice = shown.slice(from, from + PAGE_SIZE);
    $('range').textContent = shown.length === 0 ? 'No upstream matches.'
        : 'Upstreams ' + (from + 1) + '–' + (from + slice.length) + ' of ' + shown.length;
    $('prev').disabled = view.page === 0;
    $('next').disabled = view.page >= pages - 1;
    $('prev').hidden = $('next').hidden = pages === 1;

    // Only what is on the page is in the document; a card is rebuilt only when its servers changed, else its
    // figures are updated in place (so that focus and selection survive the refresh).
    const container = $('upstreams');
    const keep = new Set(slice.map((u) => u.name));
    for (const name of view.cards.keys()) {
      if (!keep.has(name)) {
        view.cards.get(name).element.remove();
        view.cards.delete(name);
      }
    }
    let previous = null;
    for (const upstream of slice) {
      const key = structureKey(upstream);
      let card = view.cards.get(upstream.name);
      if (!card || card.key !== key) {
        const element = buildCard(upstream);
        if (card) {
          card.element.replaceWith(element);
        }
        card = { element, key };
        view.cards.set(upstream.name, card);
      }
      updateCard(card.element, upstream);
      const expected = previous ? previous.nextSibling : container.firstChild;
      if (expected !== card.element) {
        container.insertBefore(card.element, expected);
      }
      previous = card.element;
    }
  }

  function structureKey(upstream) {
    return upstream.version + '|' + upstream.method + '|' + upstream.peers.map((p) => p.id + ' ' + p.server).join(',');
  }

  let ids = 0;

  function el(tag, attributes = {}, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === 'class') {
        element.className = value;
      } else if (name === 'data') {
        // One by one: HtmlUnit's dataset takes no Object.assign.
        for (const [key, data] of Object.entries(value)) {
          element.dataset[key] = data;
        }
      } else {
        element.setAttribute(name, value);
      }
    }
    for (const child of children) {
      element.append(child);
    }
    return element;
  }

  const COLUMNS = ['State', 'Server', 'Weight', 'Active', 'Requests', 'Responses 1xx/2xx/3xx/4xx/5xx', 'Fails',
    'Unavail', 'Checks', 'Resp. time', 'Actions'];

  function buildCard(upstream) {
    const titleId = 'upstream-' + (++ids);
    const card = el('section', { class: 'upstream', 'aria-labelledby': titleId, data: { upstream: upstream.name } });
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('viewBox', '0 0 120 24');
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.setAttribute('role', 'img');
    svg.append(document.createElementNS('http://www.w3.org/2000/svg', 'line'),
        document.createElementNS('http://www.w3.org/2000/svg', 'polyline'));
    const header = el('header', {},
        el('h2', { id: titleId }, upstream.name),
        el('span', { class: 'tag method', title: 'balancing method' }, upstream.method),
        el('span', { class: 'tag version', title: 'version (ETag)' }, 'version ' + upstream.version),
        svg,
        el('span', { class: 'rate' }),
        el('div', { class: 'actions' },
            el('button', { type: 'button', data: { action: 'add' }, 'aria-label': 'Add a server to ' + upstream.name },
                'Add server'),
            el('button', { type: 'button', data: { action: 'edit' },
              'aria-label': 'Edit the commands of ' + upstream.name }, 'Edit commands'),
            el('button', { type: 'button', class: 'danger', data: { action: 'delete' },
              'aria-label': 'Delete ' + upstream.name }, 'Delete')));
    // No spread into a call here or below: HtmlUnit's script engine does not compile one.
    const head = el('tr');
    for (const column of COLUMNS) {
      head.append(el('th', { scope: 'col' }, column));
    }
    const body = el('tbody');
    for (const peer of upstream.peers) {
      body.append(buildRow(upstream, peer));
    }
    card.append(header, el('div', { class: 'scroll' }, el('table', {},
        el('caption', { class: 'visually-hidden' }, 'Servers of ' + upstream.name), el('thead', {}, head), body)));
    return card;
  }

  function buildRow(upstream, peer) {
    const label = peer.server + ' in ' + upstream.name;
    const button = (action, text, extra = {}) => el('button',
        Object.assign({ type: 'button', data: { action }, 'aria-label': text + ' ' + label }, extra), text);
    return el('tr', { data: { server: String(peer.server), id: String(peer.id) } },
        el('td', {}, el('span', { class: 'state' })),
        el('th', { scope: 'row', class: 'server' }, String(peer.server) + (peer.backup ? ' (backup)' : '')),
        el('td', { class: 'num weight' }),
        el('td', { class: 'num active' }),
        el('td', { class: 'num requests' }),
        el('td', { class: 'num responses' }),
        el('td', { class: 'num fails' }),
        el('td', { class: 'num unavail' }),
        el('td', { class: 'num checks' }),
        el('td', { class: 'num time' }),
        el('td', { class: 'ops' },
            button('up', 'Up'), button('drain', 'Drain'), button('down', 'Down'), button('weight', 'Weight'),
            button('remove', 'Remove', { class: 'danger' })));
  }

  const figure = (value) => (typeof value === 'number' ? value.toLocaleString('en-US') : '–');

  function updateCard(card, upstream) {
    const series = rates(upstream.name);
    const now = series.length ? series[series.length - 1].rate : null;
    card.querySelector('.rate').textContent = upstream.requests === null ? 'no request figures'
        : (now === null ? '…' : now.toFixed(1)) + ' req/s';
    drawSpark(card.querySelector('.spark'), series, upstream.requests === null);
    const rows = card.querySelectorAll('tbody tr');
    upstream.peers.forEach((peer, i) => {
      const row = rows[i];
      if (!row) {
        return;
      }
      const state = stateOf(peer);
      const badge = row.querySelector('.state');
      badge.className = 'state state-' + state;
      badge.textContent = state;
      row.querySelector('.weight').textContent = figure(peer.weight);
      row.querySelector('.active').textContent = figure(peer.active);
      row.querySelector('.requests').textContent = figure(peer.requests);
      const r = peer.responses;
      row.querySelector('.responses').textContent = r && typeof r === 'object'
          ? ['1xx', '2xx', '3xx', '4xx', '5xx'].map((c) => figure(r[c])).join('/') : '–';
      row.querySelector('.fails').textContent = figure(peer.fails);
      row.querySelector('.unavail').textContent = figure(peer.unavail);
      const h = peer.health_checks;
      row.querySelector('.checks').textContent = h && typeof h === 'object'
          ? figure(h.checks) + ', ' + figure(h.fails) + ' failed'
            + (h.last_passed === undefined ? '' : h.last_passed ? ', last passed' : ', last failed')
          : '–';
      row.querySelector('.time').textContent = typeof peer.response_time === 'number'
          ? peer.response_time + ' ms' : '–';
      row.querySelector('[data-action=up]').disabled = state === 'up';
      row.querySelector('[data-action=drain]').disabled = state === 'draining';
      row.querySelector('[data-action=down]').disabled = state === 'down';
    });
  }

  function drawSpark(svg, series, none) {
    const line = svg.querySelector('polyline');
    const base = svg.querySelector('line');
    base.setAttribute('x1', '0');
    base.setAttribute('x2', '120');
    base.setAttribute('y1', '23');
    base.setAttribute('y2', '23');
    if (none || series.length < 2) {
      line.setAttribute('points', '');
      svg.setAttribute('aria-label', none ? 'no request figures' : 'requests per second: not enough samples yet');
      return;
    }
    const last = series[series.length - 1].t;
    const max = series.reduce((most, s) => Math.max(most, s.rate), 1);
    line.setAttribute('points', series.map((s) => {
      const x = 120 - ((last - s.t) / SPARK_WINDOW_MS) * 120;
      const y = 23 - (s.rate / max) * 21;
      return x.toFixed(1) + ',' + y.toFixed(1);
    }).join(' '));
    svg.setAttribute('aria-label', 'requests per second over the last minutes, now '
        + series[series.length - 1].rate.toFixed(1) + ', at most ' + max.toFixed(1));
  }

  // ---- Dialog --------------------------------------------------------------------------------------------------

  /**
   * Opens the confirmation dialog; apply() runs when confirmed and returns null (done: the dialog closes) or an
   * error text (shown in the dialog, which stays open).
   */
  function confirmAction({ title, text, fields = [], confirm = 'Confirm', danger = false, apply, focus }) {
    const dialog = $('dialog');
    $('dialog-title').textContent = title;
    $('dialog-text').textContent = text;
    $('dialog-error').textContent = '';
    $('dialog-fields').replaceChildren();
    for (const f of fields) {
      $('dialog-fields').append(f);
    }
    const button = $('dialog-confirm');
    button.textContent = confirm;
    button.className = danger ? 'danger' : '';
    button.disabled = false;
    dialog.onsubmit = task(function* (event) {
      event.preventDefault();
      button.disabled = true;
      $('dialog-error').textContent = '';
      let error;
      try {
        error = yield apply();
      } catch (e) {
        error = e instanceof Unauthorized ? null : 'The request failed: ' + e.message;
      }
      button.disabled = false;
      if (error) {
        if (typeof error === 'string') {
          $('dialog-error').textContent = error;
        }
        return;
      }
      dialog.close();
    });
    dialog.showModal();
    (focus || button).focus();
  }

  $('dialog-cancel').addEventListener('click', () => $('dialog').close());
  // Escape cancels, as a modal dialog does by itself in Chromium and Firefox; said here for browsers that leave it
  // to the page (HtmlUnit, which also gives the key as its character: keyCode 27 is the same everywhere).
  $('dialog').addEventListener('keydown', (event) => {
    if ((event.key === 'Escape' || event.keyCode === 27) && $('dialog').open) {
      event.preventDefault();
      $('dialog').close();
    }
  });
  $('dialog').addEventListener('close', () => {
    $('dialog-fields').replaceChildren();
  });

  function field(label, input) {
    const id = 'field-' + (++ids);
    input.id = id;
    return el('div', {}, el('label', { for: id }, label), input);
  }

  function say(text, bad = false) {
    const message = $('message');
    message.className = bad ? 'bad' : '';
    message.replaceChildren();
    if (Array.isArray(text)) {
      message.append(text[0]);
      const list = el('ul', { class: 'changes' });
      for (const line of text.slice(1)) {
        list.append(el('li', {}, line));
      }
      message.append(list);
    } else {
      message.textContent = text;
    }
  }

  // ---- Actions -------------------------------------------------------------------------------------------------

  $('upstreams').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) {
      return;
    }
    const card = button.closest('section[data-upstream]');
    const upstream = card && view.byName.get(card.dataset.upstream);
    if (!upstream) {
      return;
    }
    // What the operator saw when acting: its version goes in If-Match, its peers tell what changed meanwhile.
    const seen = { name: upstream.name, version: upstream.version, peers: upstream.peers.map((p) => ({ ...p })) };
    const row = button.closest('tr[data-id]');
    const peer = row ? seen.peers.find((p) => String(p.id) === row.dataset.id) : null;
    const action = button.dataset.action;
    if (peer) {
      serverAction(action, seen, peer);
    } else if (action === 'add') {
      addServer(seen);
    } else if (action === 'edit') {
      editCommands(seen.name);
    } else if (action === 'delete') {
      deleteUpstream(seen);
    }
  });

  function serverAction(action, seen, peer) {
    const where = peer.server + ' in ' + seen.name;
    const patch = (json, done) => task(function* () {
      return afterChange(seen, (yield call('PATCH', plusPath(seen.name) + '/servers/' + peer.id,
          { json, headers: { 'If-Match': etag(seen.version) } })), done);
    });
    switch (action) {
      case 'up':
        return confirmAction({ title: 'Mark ' + peer.server + ' up', confirm: 'Mark up',
          text: where + ' takes new requests again (down and drain cleared).',
          apply: patch({ down: false, drain: false }, where + ' is up.') });
      case 'drain':
        return confirmAction({ title: 'Drain ' + peer.server, confirm: 'Drain',
          text: where + ' gets no new requests; requests already on it finish.',
          apply: patch({ drain: true }, where + ' is draining.') });
      case 'down':
        return confirmAction({ title: 'Mark ' + peer.server + ' down', confirm: 'Mark down', danger: true,
          text: where + ' gets no requests from now on.',
          apply: patch({ down: true }, where + ' is down.') });
      case 'weight': {
        const input = el('input', { type: 'number', min: '1', max: '1000000', required: '', value: String(peer.weight) });
        return confirmAction({ title: 'Change the weight of ' + peer.server, confirm: 'Change weight',
          text: where + ' has weight ' + peer.weight + '.', fields: [field('New weight', input)], focus: input,
          apply: task(function* () {
            const weight = Number(input.value);
            if (!Number.isInteger(weight) || weight < 1) {
              return 'The weight is a whole number from 1 up.';
            }
            return patch({ weight }, where + ' has weight ' + weight + '.')();
          }) });
      }
      case 'remove':
        return confirmAction({ title: 'Remove ' + peer.server, confirm: 'Remove', danger: true,
          text: 'Removes ' + where + '; the other servers keep their state.',
          apply: task(function* () {
            return afterChange(seen, (yield call('DELETE', plusPath(seen.name) + '/servers/' + peer.id,
                { headers: { 'If-Match': etag(seen.version) } })), where + ' is removed.');
          }) });
      default:
        return undefined;
    }
  }

  function addServer(seen) {
    const address = el('input', { type: 'text', required: '', placeholder: '10.0.0.5:8080', autocomplete: 'off' });
    const weight = el('input', { type: 'number', min: '1', value: '1' });
    const backup = el('input', { type: 'checkbox' });
    confirmAction({ title: 'Add a server to ' + seen.name, confirm: 'Add server', focus: address,
      text: 'The new server takes requests at once; the other servers keep their state.',
      fields: [field('Address (host:port)', address), field('Weight', weight),
        el('label', { class: 'check' }, backup, ' backup')],
      apply: task(function* () {
        if (!address.value.trim()) {
          return 'Give the server\'s address.';
        }
        const json = { server: address.value.trim(), weight: Number(weight.value) || 1 };
        if (backup.checked) {
          json.backup = true;
        }
        return afterChange(seen, (yield call('POST', plusPath(seen.name) + '/servers',
            { json, headers: { 'If-Match': etag(seen.version) } })), json.server + ' is added to ' + seen.name + '.');
      }) });
  }

  function deleteUpstream(seen) {
    confirmAction({ title: 'Delete ' + seen.name, confirm: 'Delete upstream', danger: true,
      text: 'Deletes the upstream ' + seen.name + ' (version ' + seen.version + ') and its ' + seen.peers.length
          + ' servers: requests for it fail from now on.',
      apply: task(function* () {
        return afterChange(seen, (yield call('DELETE', path(seen.name),
            { headers: { 'If-Match': etag(seen.version) } })), seen.name + ' is deleted.');
      }) });
  }

  /** The answer to a change: null when done (message, refresh), else the text the dialog shows. */
  const afterChange = task(function* afterChange(seen, response, done) {
    if (response.ok) {
      say(done);
      refresh();
      return null;
    }
    if (response.status === 412) {
      $('dialog').close();
      say((yield whatChanged(seen)), true);
      refresh();
      return true; // the dialog is closed already
    }
    return yield errorText(response);
  });

  /** Says how the upstream differs from what the operator saw. */
  const whatChanged = task(function* whatChanged(seen) {
    const response = yield call('GET', plusPath(seen.name));
    const head = 'Not applied: ' + seen.name + ' changed meanwhile';
    if (response.status === 404) {
      return [head + ' (version ' + seen.version + ' → deleted).', seen.name + ' was deleted.'];
    }
    const now = response.ok ? (yield response.json()) : { peers: [] };
    const version = (response.headers.get('ETag') || '').replace(/"/g, '');
    const lines = [head + ' (version ' + seen.version + ' → ' + (version || 'newer') + '). Look again and retry:'];
    const before = new Map(seen.peers.map((p) => [p.id, p]));
    const after = new Map((now.peers || []).map((p) => [p.id, p]));
    for (const [id, p] of after) {
      const old = before.get(id);
      if (!old) {
        lines.push('server ' + p.server + ' added');
        continue;
      }
      const changes = [];
      for (const f of ['weight', 'state', 'backup', 'max_conns']) {
        if (old[f] !== p[f] && (old[f] !== undefined || p[f] !== undefined)) {
          changes.push(f + ' ' + old[f] + ' → ' + p[f]);
        }
      }
      if (changes.length) {
        lines.push('server ' + p.server + ': ' + changes.join(', '));
      }
    }
    for (const [id, p] of before) {
      if (!after.has(id)) {
        lines.push('server ' + p.server + ' removed');
      }
    }
    if (lines.length === 1) {
      lines.push('its other directives changed');
    }
    return lines;
  });

  // ---- The commands editor -------------------------------------------------------------------------------------

  function editor(text) {
    const gutter = el('pre', { class: 'gutter', 'aria-hidden': 'true' });
    const area = el('textarea', { spellcheck: 'false', 'aria-label': 'Commands', autocomplete: 'off',
      'aria-describedby': 'dialog-error' });
    area.value = text;
    const number = () => {
      const lines = area.value.split('\n').length;
      gutter.replaceChildren();
      for (let i = 1; i <= lines; i++) {
        gutter.append(el('div', {}, String(i)));
      }
      gutter.scrollTop = area.scrollTop;
    };
    area.addEventListener('input', number);
    area.addEventListener('scroll', () => {
      gutter.scrollTop = area.scrollTop;
    });
    number();
    const wrap = el('div', { class: 'editor' }, gutter, area);
    return { wrap, area, gutter };
  }

  /** Where a parser message puts the error: "... in commands:LINE:COLUMN". */
  function position(message) {
    const match = /\bin commands:(\d+):(\d+)\s*$/.exec(message);
    return match ? { line: Number(match[1]), column: Number(match[2]) } : null;
  }

  function showError(ed, message) {
    const at = position(message);
    for (const line of ed.gutter.children) {
      line.classList.remove('error-line');
    }
    if (!at) {
      $('dialog-error').textContent = message;
      return;
    }
    $('dialog-error').textContent = 'Line ' + at.line + ', column ' + at.column + ': ' + message;
    const mark = ed.gutter.children[at.line - 1];
    if (mark) {
      mark.classList.add('error-line');
    }
    const lines = ed.area.value.split('\n');
    let offset = 0;
    for (let i = 0; i < at.line - 1 && i < lines.length; i++) {
      offset += lines[i].length + 1;
    }
    offset += Math.max(0, at.column - 1);
    offset = Math.min(offset, ed.area.value.length);
    ed.area.focus();
    ed.area.setSelectionRange(offset, offset);
  }

  const editCommands = task(function* editCommands(name) {
    const response = yield call('GET', path(name) + '?format=commands');
    if (!response.ok) {
      say('Cannot read the commands of ' + name + ': ' + (yield errorText(response)), true);
      return;
    }
    const base = yield response.text();
    const version = (response.headers.get('ETag') || '').replace(/"/g, '');
    openEditor({ name, base, version });
  });

  function openEditor({ name, base, version, create = false }) {
    const ed = editor(base);
    const fields = [];
    let nameInput = null;
    if (create) {
      nameInput = el('input', { type: 'text', required: '', autocomplete: 'off' });
      fields.push(field('Name', nameInput));
    }
    fields.push(ed.wrap);
    confirmAction({
      title: create ? 'New upstream' : 'Edit the commands of ' + name,
      text: create ? 'Creates an upstream from the commands below (refused if the name exists already).'
        : 'Replaces every command of ' + name + ' (version ' + version + ') with the text below. Servers kept '
          + 'unchanged keep their state.',
      confirm: create ? 'Create' : 'Replace commands', fields, focus: nameInput || ed.area,
      apply: task(function* () {
        const target = create ? nameInput.value.trim() : name;
        if (!target) {
          return 'Give the upstream a name.';
        }
        const headers = create ? { 'If-None-Match': '*' } : { 'If-Match': etag(version) };
        const answer = yield call('POST', path(target), { body: ed.area.value, headers });
        if (answer.ok) {
          say(target + (create ? ' is created.' : ' is updated.'));
          refresh();
          return null;
        }
        const message = yield errorText(answer);
        if (answer.status === 412) {
          $('dialog-error').textContent = '';
          showConflict(ed, target, base, version, create);
          return true;
        }
        showError(ed, message);
        return true;
      }) });
  }

  /** The editor's text was based on a version that is gone: say what changed, keep the operator's text. */
  const showConflict = task(function* showConflict(ed, name, base, version, create) {
    const response = yield call('GET', path(name) + '?format=commands');
    if (create) {
      $('dialog-error').textContent = 'Not created: ' + name + ' exists already.';
      return;
    }
    if (!response.ok) {
      $('dialog-error').textContent = 'Not applied: ' + name + ' was deleted meanwhile.';
      return;
    }
    const current = yield response.text();
    const now = (response.headers.get('ETag') || '').replace(/"/g, '');
    const was = new Set(base.split('\n').filter((l) => l.trim()));
    const is = new Set(current.split('\n').filter((l) => l.trim()));
    const added = [...is].filter((l) => !was.has(l)).map((l) => '+ ' + l);
    const removed = [...was].filter((l) => !is.has(l)).map((l) => '- ' + l);
    const error = $('dialog-error');
    error.replaceChildren('Not applied: ' + name + ' changed meanwhile (version ' + version + ' → ' + now
        + '). Your text is kept; the current commands differ in:');
    const list = el('ul', { class: 'changes' });
    for (const line of [...removed, ...added]) {
      list.append(el('li', {}, line));
    }
    error.append(list);
  });

  $('new-upstream').addEventListener('click', () => openEditor({ name: '', base: 'server 127.0.0.1:8080;\n',
    version: '', create: true }));

  // ---- Toolbar -------------------------------------------------------------------------------------------------

  $('search').addEventListener('input', () => {
    view.page = 0;
    render();
  });
  $('problems').addEventListener('change', () => {
    view.page = 0;
    render();
  });
  $('prev').addEventListener('click', () => {
    view.page = Math.max(0, view.page - 1);
    render();
  });
  $('next').addEventListener('click', () => {
    view.page++;
    render();
  });
  $('pause').addEventListener('click', () => {
    view.paused = !view.paused;
    $('pause').setAttribute('aria-pressed', String(view.paused));
    $('pause').textContent = view.paused ? 'Resume refresh' : 'Pause refresh';
    if (view.paused) {
      clearTimeout(view.timer);
    } else {
      refresh();
    }
  });

  refresh();
})();
