// The operators' console: reads cacheStats and runs the operator mutations through /graphql
// with OPS_TOKEN, kept for this tab only (sessionStorage), never put in a URL. Its numbers are
// a live query (`@live` over SSE, read with fetch: EventSource cannot send the token), pushed
// by the server when they change; a stream that ends is opened again after RECONNECT_MS.
(() => {
  const TOKEN_KEY = 'hotpath.opsToken';
  const RECONNECT_MS = 2000;

  const LATENCY = 'hitP50Ms hitP99Ms missP50Ms missP99Ms';
  const COUNTS =
    'hits misses bypasses errors totalRequests hitRate invalidations requestsPerSecond';
  const SIM = 'hitRateHalfTtl hitRate hitRateDoubleTtl';
  const STATS_QUERY = `query OpsConsole {
  cacheStats {
    backend connected fallbackActive fallbackSince keys usedMemoryBytes storeVersion uptimeSeconds
    ${COUNTS}
    latency { ${LATENCY} }
    byOperation { operationName hits misses reasons { reason count } }
    ttlSimulation { operationName sampled repeatsWithinTtl invalidatedBeforeTtl ${SIM} }
    history { at requests hits misses hitRate }
    recentInvalidations(limit: 20) { at tenantId tags removed purge }
    live { streams groups pushes executions }
    budgets { tenant pointsUsed throttled queuedSeconds }
    cluster {
      instances since ${COUNTS}
      latency { ${LATENCY} }
      byOperation { operationName hits misses }
      history { at requests hits misses hitRate }
    }
  }
}`;
  const LIVE_QUERY = STATS_QUERY.replace('query OpsConsole {', 'query OpsConsoleLive @live {');
  const RESULT = 'invalidatedEntities';

  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem(TOKEN_KEY);
  let timer = null;
  /** The AbortController of the open live query, if any. */
  let live = null;
  let lastStats = null;

  class AuthError extends Error {}

  async function gql(query, variables, withToken = token) {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${withToken}` },
      body: JSON.stringify({ query, variables }),
    });
    let body;
    try {
      body = await response.json();
    } catch {
      throw new Error(`HTTP ${response.status}`);
    }
    const error = body.errors?.[0];
    const code = error?.extensions?.code;
    if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') {
      throw new AuthError('That is not the operator token.');
    }
    if (error) throw new Error(error.message);
    return body.data;
  }

  const { int, pct, pair, rate, bytes, time, cell, emptyRow } = window.HotpathFormat;
  const text = (id, value) => {
    $(id).textContent = value;
  };

  // --- rendering --------------------------------------------------------------------------
  /** `why(name)`: this instance's reasons for that operation's misses (why.js). */
  function renderOperations(list, why) {
    const body = $('operations').tBodies[0];
    body.replaceChildren();
    for (const op of list) {
      const row = document.createElement('tr');
      const lookups = op.hits + op.misses;
      cell(row, op.operationName, 'name');
      cell(row, int(op.hits), 'num');
      cell(row, int(op.misses), 'num');
      cell(row, lookups ? pct(op.hits / lookups) : '–', 'num');
      cell(row, why(op.operationName), 'reasons');
      body.appendChild(row);
    }
    if (list.length === 0) emptyRow(body, 5, 'No lookups yet.');
  }

  function renderInvalidations(list) {
    const body = $('invalidations-table').tBodies[0];
    body.replaceChildren();
    for (const e of list) {
      const row = document.createElement('tr');
      cell(row, time(e.at));
      cell(row, e.purge ? 'all (purge)' : (e.tenantId ?? 'all tenants'), 'name');
      cell(row, e.purge ? 'new epoch' : e.tags.join(', '), 'tags');
      cell(row, int(e.removed), 'num');
      body.appendChild(row);
    }
    if (list.length === 0) emptyRow(body, 4, 'None yet.');
  }

  // Cost budgets (issue 17): the tenants this process charged, most points first.
  function renderBudgets(list) {
    const body = $('budgets-table').tBodies[0];
    body.replaceChildren();
    for (const b of [...list].sort((x, y) => y.pointsUsed - x.pointsUsed)) {
      const row = document.createElement('tr');
      cell(row, b.tenant, 'name');
      cell(row, int(b.pointsUsed), 'num');
      cell(row, int(b.throttled), 'num');
      cell(row, b.queuedSeconds.toFixed(2), 'num');
      body.appendChild(row);
    }
    if (list.length === 0) emptyRow(body, 4, 'No budgets charged (or BUDGETS_ENABLED=false).');
  }

  function render(s) {
    const all = s.cluster ?? s;
    const own = s.cluster ? s : null;
    const mine = (id, value) => text(id, own ? `this instance: ${value}` : '');
    text('backend', s.storeVersion ? `${s.backend} ${s.storeVersion}` : s.backend);
    text(
      'fallback',
      s.fallbackActive
        ? `ACTIVE since ${new Date(s.fallbackSince).toLocaleString()}`
        : s.connected || s.backend === 'DISABLED'
          ? 'off'
          : 'off (store not answering)',
    );
    $('fallback').className = s.fallbackActive ? 'bad' : '';
    text('instances', s.cluster ? String(s.cluster.instances) : '1');
    text('scope', s.cluster ? 'all instances' : 'this process');
    text('hit-rate', pct(all.hitRate));
    mine('own-hit-rate', pct(s.hitRate));
    text('rps', rate(all.requestsPerSecond));
    mine('own-rps', rate(s.requestsPerSecond));
    text('hits', int(all.hits));
    mine('own-hits', int(s.hits));
    text('misses', int(all.misses));
    mine('own-misses', int(s.misses));
    text('hit-latency', pair(all.latency.hitP50Ms, all.latency.hitP99Ms));
    mine('own-hit-latency', pair(s.latency.hitP50Ms, s.latency.hitP99Ms));
    text('miss-latency', pair(all.latency.missP50Ms, all.latency.missP99Ms));
    mine('own-miss-latency', pair(s.latency.missP50Ms, s.latency.missP99Ms));
    text('keys', s.keys == null ? 'n/a' : int(s.keys));
    text('memory', bytes(s.usedMemoryBytes));
    text('errors', int(all.errors));
    mine('own-errors', int(s.errors));
    text('invalidations', int(all.invalidations));
    text('live-streams', s.live ? int(s.live.streams) : 'n/a');
    text('live-pushes', s.live ? `${int(s.live.pushes)} pushes, ${int(s.live.groups)} groups` : '');
    renderOperations(all.byOperation, window.HotpathWhy.reasonsBy(s.byOperation));
    window.HotpathWhy.renderSimulation(s.ttlSimulation, $('ttl-sim'));
    renderInvalidations(s.recentInvalidations);
    renderBudgets(s.budgets);
    window.HotpathChart.render($('chart'), all.history);
    text('updated', `updated ${new Date().toLocaleTimeString()}`);
  }

  // --- session ----------------------------------------------------------------------------
  function showSignIn(message) {
    clearTimeout(timer);
    timer = null;
    live?.abort();
    live = null;
    $('dashboard').hidden = true;
    $('session').hidden = true;
    $('signin').hidden = false;
    $('signin-error').hidden = !message;
    $('signin-error').textContent = message ?? '';
  }

  function showDashboard() {
    $('signin').hidden = true;
    $('session').hidden = false;
    $('dashboard').hidden = false;
  }

  async function refresh() {
    try {
      const data = await gql(STATS_QUERY);
      lastStats = data.cacheStats;
      $('refresh-error').hidden = true;
      render(lastStats);
    } catch (error) {
      if (error instanceof AuthError) {
        signOut(error.message);
        return;
      }
      $('refresh-error').hidden = false;
      $('refresh-error').textContent = `Could not refresh: ${error.message}`;
    }
  }

  async function signIn(candidate) {
    let data;
    try {
      data = await gql(STATS_QUERY, {}, candidate);
    } catch (error) {
      showSignIn(
        error instanceof AuthError ? error.message : `Could not sign in: ${error.message}`,
      );
      return;
    }
    token = candidate;
    sessionStorage.setItem(TOKEN_KEY, candidate);
    showDashboard();
    lastStats = data.cacheStats;
    render(lastStats);
    openLive();
  }

  /** Shows a result the live query pushed, as refresh() shows one it asked for. */
  function pushed(result) {
    const code = result.errors?.[0]?.extensions?.code;
    if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') {
      signOut('That is not the operator token.');
      return;
    }
    if (result.errors) {
      $('refresh-error').hidden = false;
      $('refresh-error').textContent = `Could not refresh: ${result.errors[0].message}`;
      return;
    }
    lastStats = result.data.cacheStats;
    $('refresh-error').hidden = true;
    render(lastStats);
  }

  /** cacheStats @live over SSE: each `next` event is the whole new result. */
  async function openLive() {
    live?.abort();
    clearTimeout(timer);
    const controller = new AbortController();
    live = controller;
    try {
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          authorization: `Bearer ${token}`,
        },
        body: JSON.stringify({ query: LIVE_QUERY }),
        signal: controller.signal,
      });
      if (response.status === 401 || response.status === 403) {
        signOut('That is not the operator token.');
        return;
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        for (let at = buffer.indexOf('\n\n'); at !== -1; at = buffer.indexOf('\n\n')) {
          const lines = buffer.slice(0, at).split('\n');
          buffer = buffer.slice(at + 2);
          if (lines[0] !== 'event: next') continue; // heartbeats, complete
          const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5));
          pushed(JSON.parse(data.join('')));
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      $('refresh-error').hidden = false;
      $('refresh-error').textContent = `Live updates interrupted: ${error.message}`;
    }
    // Ended by the server (a restart, a deploy): open it again, on whichever instance answers.
    if (live === controller && token) timer = setTimeout(openLive, RECONNECT_MS);
  }

  function signOut(message) {
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    window.HotpathChart.destroy();
    showSignIn(message);
  }

  // --- actions ----------------------------------------------------------------------------
  function confirmAction(message) {
    const dialog = $('confirm');
    text('confirm-text', message);
    return new Promise((resolve) => {
      const done = (ok) => {
        $('confirm-ok').onclick = null;
        $('confirm-cancel').onclick = null;
        dialog.onclose = null;
        if (dialog.open) dialog.close();
        resolve(ok);
      };
      $('confirm-ok').onclick = () => done(true);
      $('confirm-cancel').onclick = () => done(false);
      dialog.onclose = () => done(false);
      dialog.showModal();
    });
  }

  async function act(message, query, variables, describe) {
    if (!(await confirmAction(message))) return;
    const result = $('action-result');
    result.className = '';
    result.textContent = 'Working…';
    try {
      const data = await gql(query, variables);
      result.textContent = describe(Object.values(data)[0]);
      result.className = 'ok';
      await refresh();
    } catch (error) {
      if (error instanceof AuthError) return signOut(error.message);
      result.textContent = error.message;
      result.className = 'error';
    }
  }

  const removed = (r) => `Done: ${int(r.invalidatedEntities)} cached response(s) removed.`;
  const value = (id) => $(id).value.trim();

  $('purge').addEventListener('click', () =>
    act(
      'Purge the whole cache? Every instance starts from an empty cache (a new epoch).',
      `mutation OpsPurge { purgeCache { ${RESULT} epoch } }`,
      {},
      (r) => `Purged: epoch ${r.epoch ?? 'n/a'}.`,
    ),
  );

  const onSubmit = (id, handler) =>
    $(id).addEventListener('submit', (event) => {
      event.preventDefault();
      handler();
    });

  onSubmit('warm-form', () => {
    const ids = value('warm-users')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    act(
      ids.length
        ? `Warm ${ids.length} user(s)?`
        : 'Warm every active user and the most requested requests?',
      'mutation OpsWarm($ids: [ID!]) { warmCache(userIds: $ids) { usersWarmed operations popular durationMs } }',
      { ids: ids.length ? ids : null },
      (r) =>
        `Warmed ${r.usersWarmed} user(s) and ${r.popular} popular request(s): ` +
        `${r.operations} queries in ${r.durationMs.toFixed(0)} ms.`,
    );
  });

  onSubmit('agenda-form', () => {
    const userId = value('agenda-user');
    const date = value('agenda-date') || null;
    act(
      `Invalidate the agenda of user ${userId}${date ? ` on ${date}` : ' (every day)'}?`,
      `mutation OpsInvalidateAgenda($u: ID!, $d: Date) { invalidateAgenda(userId: $u, date: $d) { ${RESULT} } }`,
      { u: userId, d: date },
      removed,
    );
  });

  onSubmit('services-form', () => {
    const userId = value('services-user');
    act(
      `Invalidate the services of user ${userId}?`,
      `mutation OpsInvalidateServices($u: ID!) { invalidateServices(userId: $u) { ${RESULT} } }`,
      { u: userId },
      removed,
    );
  });

  onSubmit('type-form', () => {
    const typename = value('type-name');
    act(
      `Invalidate every cached response holding ${typename}, in every tenant?`,
      `mutation OpsInvalidateType($t: String!) { invalidateType(typename: $t) { ${RESULT} } }`,
      { t: typename },
      removed,
    );
  });

  onSubmit('signin-form', () => {
    const candidate = $('token').value;
    $('token').value = '';
    signIn(candidate);
  });
  $('sign-out').addEventListener('click', () => signOut());

  window.addEventListener('resize', () => {
    window.HotpathChart.resize($('chart'));
  });

  if (token) signIn(token);
  else showSignIn();
})();
