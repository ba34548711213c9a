/** Timeline items the page keeps, the newest first: both its entry list and the `#log` list stop here. */
export const LIVE_LOG_LIMIT = 200;

/**
 * The live page: every chat with who is typing there (EN status texts) and the latest messages, plus the raw
 * timeline. It loads `/_emulator/state` once and then follows `/_emulator/events` (SSE), so it updates without a
 * reload; countdowns tick locally from each indicator's `visibleUntil`.
 */
export function livePage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bitrix24 emulator — live</title>
<style>
  :root { --bg:#f3f5f7; --card:#fff; --ink:#1f2d3d; --muted:#7a8899; --accent:#2fc6f6; --ok:#9dcf00; --warn:#ff5752; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--ink); }
  header { background:#0b66c3; color:#fff; padding:14px 24px; display:flex; align-items:center; gap:18px; }
  header h1 { font-size:18px; margin:0; font-weight:600; }
  header .pill { background:rgba(255,255,255,.18); border-radius:12px; padding:2px 10px; font-size:12px; }
  #conn.on { background:var(--ok); color:#1f2d3d; } #conn.off { background:var(--warn); }
  main { display:grid; grid-template-columns: 1fr 360px; gap:18px; padding:18px 24px; }
  #chats { display:grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap:14px; align-content:start; }
  .chat { background:var(--card); border-radius:10px; box-shadow:0 1px 3px rgba(0,0,0,.08); padding:14px 16px; }
  .chat h2 { font-size:15px; margin:0 0 2px; }
  .chat .meta { color:var(--muted); font-size:12px; margin-bottom:8px; }
  .typing { display:flex; align-items:center; gap:8px; background:#e5f8fd; border-radius:8px; padding:6px 10px; margin:4px 0; }
  .typing .text { flex:1; }
  .typing .left { color:var(--muted); font-size:12px; font-variant-numeric: tabular-nums; }
  .dots span { display:inline-block; width:6px; height:6px; border-radius:50%; background:var(--accent); margin-right:2px; animation: blink 1.2s infinite both; }
  .dots span:nth-child(2){ animation-delay:.2s } .dots span:nth-child(3){ animation-delay:.4s }
  @keyframes blink { 0%,80%,100%{ opacity:.2 } 40%{ opacity:1 } }
  .idle { color:var(--muted); font-style:italic; margin:4px 0; }
  .msgs { list-style:none; margin:8px 0 0; padding:0; border-top:1px solid #edf0f3; }
  .msgs li { padding:4px 0; border-bottom:1px solid #f4f6f8; }
  .msgs b { font-weight:600; }
  aside { background:var(--card); border-radius:10px; box-shadow:0 1px 3px rgba(0,0,0,.08); padding:12px 14px; max-height:calc(100vh - 100px); overflow:auto; }
  aside h2 { font-size:14px; margin:0 0 8px; }
  #log { list-style:none; margin:0; padding:0; font:12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
  #log li { padding:3px 0; border-bottom:1px solid #f0f2f4; }
  .st-ok { color:#5a8a00; } .st-err { color:var(--warn); } .hide { color:var(--muted); }
</style>
</head>
<body>
<header><h1>Bitrix24 emulator</h1><span class="pill" id="conn">connecting…</span><span class="pill" id="stats"></span></header>
<main>
  <section id="chats"></section>
  <aside><h2>Timeline</h2><ul id="log"></ul></aside>
</main>
<script>
(() => {
  let state = null, skew = 0, pending = false;
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
  async function load() {
    pending = false;
    const res = await fetch('state', { cache: 'no-store' });
    state = await res.json();
    skew = state.now - Date.now();
    render();
    renderLog();
  }
  function refresh() { if (!pending) { pending = true; setTimeout(load, 50); } }
  function render() {
    if (!state) return;
    const now = Date.now() + skew;
    const s = state.stats;
    $('stats').textContent = s.requests + ' requests · ' + s.queryLimitExceeded + ' rate-limited';
    $('chats').innerHTML = state.chats.map((chat) => {
      const live = chat.indicators.filter((i) => i.visibleUntil > now);
      const typing = live.length ? live.map((i) =>
        '<div class="typing" data-sender="' + i.senderId + '"><span class="dots"><span></span><span></span><span></span></span>' +
        '<span class="text">' + esc(i.statusMessageCode ? i.senderName + ': ' + i.text : i.text) + '</span>' +
        '<span class="left">' + Math.max(0, Math.ceil((i.visibleUntil - now) / 1000)) + ' s</span></div>').join('')
        : '<div class="idle">Nobody is typing</div>';
      const names = chat.members.map((id) => (state.users.find((u) => u.id === id) || { name: '#' + id }).name).join(', ');
      const msgs = chat.messages.slice(-5).map((m) => '<li><b>' + esc(m.author) + ':</b> ' + esc(m.text) + (m.edited ? ' <i>(edited)</i>' : '') + '</li>').join('');
      return '<div class="chat" data-chat="' + chat.id + '"><h2>' + esc(chat.title) + '</h2><div class="meta">' +
        esc(chat.type === 'private' ? 'private dialog' : chat.dialogId) + ' · ' + esc(names) + '</div>' + typing +
        (msgs ? '<ul class="msgs">' + msgs + '</ul>' : '') + '</div>';
    }).join('');
  }
  const who = (id) => ((state && state.users.find((u) => u.id === id)) || { name: 'user ' + id }).name;
  const where = (chatId) => { const c = state && state.chats.find((x) => x.id === chatId); return c ? c.title : 'chat ' + chatId; };
  // Entries are kept and the list re-drawn after each state load, so names of chats created meanwhile resolve.
  // Both the entries and the #log items stop at LOG_LIMIT (the newest), so a page left open stays small.
  const LOG_LIMIT = ${LIVE_LOG_LIMIT};
  const entries = [];
  function line(entry) {
    const li = document.createElement('li');
    const t = new Date(entry.time).toISOString().slice(11, 23);
    if (entry.kind === 'call') {
      li.className = entry.status === 200 ? 'st-ok' : 'st-err';
      li.textContent = t + ' ' + entry.method + ' ' + (entry.dialogId || '') + ' → ' + entry.status + (entry.error ? ' ' + entry.error : '');
    } else if (entry.kind === 'hide') {
      li.className = 'hide';
      li.textContent = t + ' hidden: ' + who(entry.senderId) + ' in ' + where(entry.chatId) + ' (' + entry.cause + ')';
    } else if (entry.kind === 'message') {
      li.textContent = t + ' ' + (entry.deleted ? 'delete' : entry.edited ? 'edit' : 'message') + ' by ' + who(entry.authorId) + ' in ' + where(entry.chatId) + ': ' + entry.text;
    } else {
      li.textContent = t + ' ' + entry.kind;
    }
    return li;
  }
  function renderLog() {
    $('log').replaceChildren(...entries.slice().reverse().map(line));
  }
  function log(entry) {
    entries.push(entry);
    if (entries.length > LOG_LIMIT) entries.shift();
    const list = $('log');
    list.prepend(line(entry));
    while (list.childElementCount > LOG_LIMIT) list.lastElementChild.remove();
  }
  const events = new EventSource('events');
  events.onopen = () => { $('conn').textContent = 'live'; $('conn').className = 'pill on'; };
  events.onerror = () => { $('conn').textContent = 'reconnecting…'; $('conn').className = 'pill off'; };
  events.onmessage = (event) => { log(JSON.parse(event.data)); refresh(); };
  setInterval(render, 500);
  load();
})();
</script>
</body>
</html>
`;
}
