// The console's "why" (issue 18): why each operation's misses missed, and the TTL simulator's
// answer to "what would a longer TTL buy me?". console.js calls these with cacheStats.
(() => {
  const { pct, int, cell } = window.HotpathFormat;

  /** operationName -> "first 3 · invalidated 1", from this instance's per-operation reasons. */
  function reasonsBy(byOperation) {
    const texts = new Map();
    for (const op of byOperation ?? []) {
      const reasons = (op.reasons ?? []).map((r) => `${r.reason} ${int(r.count)}`);
      if (reasons.length > 0) texts.set(op.operationName, reasons.join(' · '));
    }
    return (operationName) => texts.get(operationName) ?? '–';
  }

  /** The simulator's table: sampled answers, repeats within the TTL, and the three hit rates. */
  function renderSimulation(list, table) {
    const body = table.tBodies[0];
    body.replaceChildren();
    for (const op of list ?? []) {
      const row = document.createElement('tr');
      row.dataset.operation = op.operationName;
      cell(row, op.operationName, 'name');
      cell(row, int(op.sampled), 'num');
      cell(row, int(op.repeatsWithinTtl), 'num');
      cell(row, int(op.invalidatedBeforeTtl), 'num');
      cell(row, pct(op.hitRateHalfTtl), 'num half');
      cell(row, pct(op.hitRate), 'num same');
      cell(row, pct(op.hitRateDoubleTtl), 'num double');
      body.appendChild(row);
    }
    if (!list || list.length === 0) {
      const row = document.createElement('tr');
      const td = document.createElement('td');
      td.colSpan = 7;
      td.className = 'empty';
      td.textContent = 'No sampled answers yet (CACHE_TTL_SIM_SAMPLE).';
      row.appendChild(td);
      body.appendChild(row);
    }
  }

  window.HotpathWhy = { reasonsBy, renderSimulation };
})();
