// The console's formatting and table cells, shared by console.js and why.js.
(() => {
  const int = (n) => (n == null ? '–' : Math.round(n).toLocaleString('en-US'));
  const pct = (r) => (r == null ? '–' : `${(r * 100).toFixed(1)}%`);
  const ms = (v) => (v == null ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(0));
  const pair = (a, b) => (a == null && b == null ? '–' : `${ms(a)} / ${ms(b)} ms`);
  const rate = (v) => (v == null ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(0));
  const bytes = (b) => {
    if (b == null) return 'n/a';
    const units = ['B', 'KiB', 'MiB', 'GiB'];
    let i = 0;
    while (b >= 1024 && i < units.length - 1) {
      b /= 1024;
      i++;
    }
    return `${b.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
  };
  const time = (iso) => new Date(iso).toLocaleTimeString();
  function cell(row, value, cls) {
    const td = document.createElement('td');
    td.textContent = value;
    if (cls) td.className = cls;
    row.appendChild(td);
  }

  function emptyRow(body, span, message) {
    const row = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = span;
    td.className = 'muted';
    td.textContent = message;
    row.appendChild(td);
    body.appendChild(row);
  }

  window.HotpathFormat = { int, pct, ms, pair, rate, bytes, time, cell, emptyRow };
})();
