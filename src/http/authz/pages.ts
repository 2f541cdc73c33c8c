/**
 * The authorization server's pages: plain server-rendered HTML (no scripts), labelled form controls, a viewport for
 * phones, one stylesheet from this server. Every value is escaped; every form carries the transaction's CSRF token.
 */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside HTML content and quoted attributes. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)} · Vesta</title>
<link rel="stylesheet" href="/auth/static/vesta.css">
</head>
<body>
<main>
<p class="brand">Vesta</p>
<h1>${esc(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

const hidden = (csrf: string): string => `<input type="hidden" name="csrf" value="${esc(csrf)}">`;
const alert = (message?: string): string => (message ? `<p class="error" role="alert">${esc(message)}</p>` : '');

/** The login form (username and password). */
export function loginPage(o: { action: string; csrf: string; appName: string; message?: string; username?: string }): string {
  return layout('Sign in', `<p><strong>${esc(o.appName)}</strong> wants to connect to your health records. Sign in to continue.</p>
${alert(o.message)}
<form method="post" action="${esc(o.action)}">
${hidden(o.csrf)}
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${esc(o.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`);
}

/** The patient picker of a standalone launch: a name search (GET) and a choice (POST). */
export function patientPage(o: {
  self: string; action: string; csrf: string; appName: string; query: string; patients: { id: string; name: string; birthDate?: string }[]; message?: string;
}): string {
  const list = o.patients.length === 0 ? '<p>No patient found. Try another name.</p>' : `<form method="post" action="${esc(o.action)}">
${hidden(o.csrf)}
<fieldset>
<legend>Patients</legend>
${o.patients.map((p, i) => `<div class="choice"><input type="radio" id="p${i}" name="patient" value="${esc(p.id)}"${i === 0 ? ' required' : ''}>
<label for="p${i}">${esc(p.name)}${p.birthDate ? ` <span class="muted">born ${esc(p.birthDate)}</span>` : ''}</label></div>`).join('\n')}
</fieldset>
<button type="submit">Continue with this patient</button>
</form>`;
  return layout('Choose a patient', `<p>Which patient should <strong>${esc(o.appName)}</strong> open?</p>
${alert(o.message)}
<form method="get" action="${esc(o.self)}" role="search">
<label for="name">Search by name</label>
<input id="name" name="name" value="${esc(o.query)}" autocomplete="off">
<button type="submit" class="secondary">Search</button>
</form>
${list}`);
}

/** The consent page: each scope in plain words, each a checkbox (approve a subset), approve or deny. */
export function consentPage(o: { action: string; csrf: string; appName: string; patientName?: string; scopes: { scope: string; words: string }[] }): string {
  return layout('Allow access?', `<p><strong>${esc(o.appName)}</strong> asks to:</p>
${o.patientName ? `<p>Patient: <strong>${esc(o.patientName)}</strong></p>` : ''}
<form method="post" action="${esc(o.action)}">
${hidden(o.csrf)}
<fieldset>
<legend>Permissions (untick any you do not want to give)</legend>
${o.scopes.map((s, i) => `<div class="choice"><input type="checkbox" id="s${i}" name="scope" value="${esc(s.scope)}" checked>
<label for="s${i}">${esc(s.words)} <span class="muted">(${esc(s.scope)})</span></label></div>`).join('\n')}
</fieldset>
<div class="actions">
<button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary" formnovalidate>Deny</button>
</div>
</form>`);
}

/** An error that must not be sent back to the app (unknown client, unregistered redirect, stale form). */
export function errorPage(message: string): string {
  return layout('Cannot continue', `${alert(message)}<p>You can close this page.</p>`);
}

/** The stylesheet (served from /auth/static/vesta.css, so the pages' CSP needs no inline styles). */
export const STYLESHEET = `*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f4f6f8}
main{max-width:28rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
.brand{margin:0;font-weight:700;color:#0b5cad;letter-spacing:.05em}
h1{font-size:1.5rem;margin:.25rem 0 1rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
.choice label{display:inline;font-weight:400;margin-left:.5rem}
.choice{margin:.5rem 0;display:flex;align-items:flex-start}
.choice input{margin-top:.35rem;width:1.1rem;height:1.1rem;flex:none}
input[type=text],input:not([type]),input[type=password]{width:100%;padding:.6rem;font-size:1rem;border:1px solid #6b7785;border-radius:4px}
button{margin-top:1rem;padding:.65rem 1.2rem;font-size:1rem;border:0;border-radius:4px;background:#0b5cad;color:#fff;cursor:pointer;min-height:44px}
button.secondary{background:#e7ebef;color:#1b1f24;border:1px solid #6b7785}
button:focus,input:focus{outline:3px solid #f2a900;outline-offset:2px}
fieldset{border:1px solid #c9d1d9;border-radius:4px;margin:1rem 0;padding:.5rem 1rem}
.actions{display:flex;gap:1rem;flex-wrap:wrap}
.error{background:#fdecea;color:#8a1c12;border-left:4px solid #c62828;padding:.5rem .75rem}
.muted{color:#5b6672;font-size:.9em}
@media (max-width:30rem){main{margin:0;border-radius:0;min-height:100vh}}
`;
