// sigmabridge playground: a thin client of the JSON API under /api/ (see serve/doc.go).
// Plain JavaScript, no dependency; the page works offline.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
};

const TARGET_NAMES = { splunk: "Splunk SPL", lucene: "Lucene", dsl: "Query DSL", esql: "ES|QL", eql: "EQL" };

const DEFAULT_RULE = `title: Lambda function created by a console user
id: 2f9c5a38-5d5e-4d0b-9a57-1f8e2f7b0c11
status: experimental
description: A Lambda function was created from the console rather than by a deployment pipeline.
author: sigmabridge playground
date: 2026-12-07
tags:
  - attack.execution
  - attack.t1648
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventSource: lambda.amazonaws.com
    eventName|startswith: CreateFunction
  console:
    userAgent|contains: console.amazonaws.com
  condition: selection and console
level: medium
`;

const DEFAULT_EVENTS = `{"eventSource":"lambda.amazonaws.com","eventName":"CreateFunction20150331","userAgent":"console.amazonaws.com","userIdentity":{"arn":"arn:aws:iam::111122223333:user/alice"}}
{"eventSource":"lambda.amazonaws.com","eventName":"CreateFunction20150331","userAgent":"aws-cli/2.15","userIdentity":{"arn":"arn:aws:iam::111122223333:role/ci-deploy"}}
{"eventSource":"lambda.amazonaws.com","eventName":"Invoke","userAgent":"console.amazonaws.com"}`;

const state = { generation: 0, info: null, pipelines: [] };

// ---- API ----------------------------------------------------------------------------

async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const r = await fetch("api/" + path, opts);
  let data = null;
  try { data = await r.json(); } catch (e) { data = { error: `${r.status} ${r.statusText}` }; }
  if (!r.ok) throw new Error((data && data.error) || `${r.status}`);
  return data;
}

function request() {
  const pipelines = [...document.querySelectorAll("#pipelines input:checked")].map((i) => i.value);
  return {
    rule: $("#rule").value,
    pipelines,
    pipeline_yaml: $("#pipeline-yaml").value,
    events: $("#events").value,
    format: $("#format").value || "jsonl",
    profile: $("#profile").value,
  };
}

// ---- the editor -----------------------------------------------------------------------

function esc(s) {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// highlightValue colours a YAML value: quoted strings, numbers and booleans, flow punctuation.
function highlightValue(v) {
  const m = /^(\s*)(.*?)(\s*)(#.*)?$/.exec(v);
  let [, lead, body, gap, com] = m;
  let out = esc(lead);
  if (/^(['"]).*\1$/.test(body)) out += `<span class="tk-str">${esc(body)}</span>`;
  else if (/^-?\d+(\.\d+)?$/.test(body) || /^(true|false|null|~)$/i.test(body)) out += `<span class="tk-num">${esc(body)}</span>`;
  else if (/^[\[{|>]/.test(body)) out += `<span class="tk-punct">${esc(body)}</span>`;
  else out += esc(body);
  out += esc(gap || "");
  if (com) out += `<span class="tk-com">${esc(com)}</span>`;
  return out;
}

function highlightLine(line) {
  if (/^\s*#/.test(line)) return `<span class="tk-com">${esc(line)}</span>`;
  if (/^---\s*$/.test(line)) return `<span class="tk-punct">${esc(line)}</span>`;
  const m = /^(\s*)(- )?([^\s#'"][^:#]*?|'[^']*'|"[^"]*")(:)(\s|$)(.*)$/.exec(line);
  if (m) {
    const [, ind, dash, key, colon, sp, rest] = m;
    const bar = key.indexOf("|");
    const keyHtml = bar >= 0
      ? `<span class="tk-key">${esc(key.slice(0, bar))}</span><span class="tk-mod">${esc(key.slice(bar))}</span>`
      : `<span class="tk-key">${esc(key)}</span>`;
    return esc(ind) + (dash ? `<span class="tk-punct">- </span>` : "") + keyHtml +
      `<span class="tk-punct">${colon}</span>` + esc(sp) + highlightValue(rest);
  }
  const d = /^(\s*)(- )(.*)$/.exec(line);
  if (d) return esc(d[1]) + `<span class="tk-punct">- </span>` + highlightValue(d[3]);
  return highlightValue(line);
}

function renderEditor() {
  const text = $("#rule").value;
  const lines = text.split("\n");
  const bad = state.lineMarks || {};
  $("#highlight").innerHTML = lines.map((l, i) => {
    const cls = bad[i + 1];
    const html = highlightLine(l) || " ";
    return cls ? `<span class="ln-${cls}">${html}</span>` : html;
  }).join("\n") + "\n";
  $("#gutter").innerHTML = lines.map((_, i) => {
    const cls = bad[i + 1];
    return cls ? `<span class="${cls === "err" ? "bad" : "warn"}" data-line="${i + 1}">${i + 1}</span>` : String(i + 1);
  }).join("\n") + "\n";
  syncScroll();
}

function syncScroll() {
  const ta = $("#rule");
  $("#highlight").scrollTop = ta.scrollTop;
  $("#highlight").scrollLeft = ta.scrollLeft;
  $("#gutter").scrollTop = ta.scrollTop;
}

function gotoPos(line, col) {
  const ta = $("#rule");
  const lines = ta.value.split("\n");
  let off = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) off += lines[i].length + 1;
  off += Math.max(0, (col || 1) - 1);
  ta.focus();
  ta.setSelectionRange(off, off);
}

// ---- lint -----------------------------------------------------------------------------

function renderFindings(res) {
  const ul = $("#findings");
  ul.replaceChildren();
  state.lineMarks = {};
  for (const f of res.findings) {
    const sev = f.severity === "warning" ? "warning" : "error";
    if (f.line > 0 && state.lineMarks[f.line] !== "err") state.lineMarks[f.line] = sev === "error" ? "err" : "warn";
    const li = el("li", { class: sev, "data-line": String(f.line), "data-col": String(f.col || 0), "data-check": f.check },
      el("span", { class: "pos", text: `${f.line || "?"}:${f.col || "?"} ` }),
      el("span", { class: "check", text: f.check }), " ", f.message);
    li.addEventListener("click", () => gotoPos(f.line, f.col));
    ul.append(li);
  }
  $("#lint-summary").textContent = res.findings.length === 0 ? "no lint findings"
    : `${res.errors} error(s), ${res.warnings} warning(s)`;
  renderEditor();
}

// ---- targets --------------------------------------------------------------------------

function renderTargets(res) {
  const box = $("#targets");
  box.replaceChildren();
  const nload = res.load.filter((d) => d.severity !== "warning").length;
  $("#load-summary").textContent = `${res.rules} rule(s)` + (nload ? `, ${nload} load error(s)` : "");
  for (const t of res.targets) {
    const failed = t.failed > 0 || res.rules === 0 || Boolean(t.error);
    const inactive = !failed && t.inactive && t.inactive.length > 0;
    const stateText = inactive ? "inactive" : failed ? (t.unsupported > 0 ? "cannot express" : "failed") : "ok";
    const card = el("div", { class: "target" + (failed ? " failed" : "") + (inactive ? " inactive" : ""), "data-target": t.target, "data-state": stateText });
    const copy = el("button", { class: "copy", type: "button", text: "Copy" });
    const text = t.queries.map((q) => q.text).join("\n");
    copy.addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(text); } catch (e) { fallbackCopy(text); }
      copy.classList.add("done"); copy.textContent = "Copied";
      setTimeout(() => { copy.classList.remove("done"); copy.textContent = "Copy"; }, 1200);
    });
    card.append(el("h3", {},
      el("span", { class: "name", text: (TARGET_NAMES[t.target] || t.target) + (t.plugin ? " (plugin " + t.plugin + ")" : "") }),
      el("span", { class: "state", text: stateText }),
      el("span", { class: "via", text: t.pipelines.length ? "via " + t.pipelines.join(" + ") : "no pipeline" }),
      t.queries.length ? copy : null));
    for (const q of t.queries) {
      let shown = q.text;
      if (q.json) { try { shown = JSON.stringify(JSON.parse(q.text), null, 1); } catch (e) { /* keep */ } }
      card.append(el("pre", { class: "query", text: shown }));
    }
    const ul = el("ul", { class: "diags" });
    if (t.error) ul.append(el("li", { class: "error", "data-code": "plugin-error" }, el("code", { text: "plugin" }), ": " + t.error));
    for (const d of t.diagnostics) {
      ul.append(el("li", { class: d.severity === "warning" ? "warning" : "error", "data-code": d.code },
        el("code", { text: d.code }), d.line ? ` (line ${d.line})` : "", ": " + d.message));
    }
    for (const n of t.inactive || []) ul.append(el("li", { class: "warning", "data-code": "inactive" }, el("code", { text: "inactive" }), ": " + n));
    card.append(ul);
    box.append(card);
  }
}

function fallbackCopy(text) {
  const ta = el("textarea", { value: text });
  document.body.append(ta);
  ta.select();
  document.execCommand("copy");
  ta.remove();
}

// ---- events ---------------------------------------------------------------------------

function renderMatch(res) {
  const tb = $("#events-out tbody");
  tb.replaceChildren();
  $("#event-problems").textContent = res.problems.join("\n");
  const titles = res.rules.map((r) => r.title);
  for (const ev of res.events) {
    const hit = ev.rules.length > 0;
    const sels = el("td", { class: "sels" });
    for (const s of ev.selections) {
      const div = el("div", { "data-selection": s.name }, el("span", { class: "sel", text: s.name }));
      for (const f of s.fields) div.append(" ", el("span", { class: "field", text: `${f.field}=${JSON.stringify(f.values.length === 1 ? f.values[0] : f.values)}` }));
      sels.append(div);
    }
    tb.append(el("tr", { class: hit ? "hit" : "miss", "data-n": String(ev.n), "data-matched": hit ? "yes" : "no" },
      el("td", { text: String(ev.n) }), el("td", { text: String(ev.line) }),
      el("td", { class: "verdict", text: hit ? "match: " + ev.rules.map((i) => titles[i]).join(", ") : "no match" }),
      sels, el("td", { class: "event", text: ev.text, title: ev.text })));
  }
  const states = res.rules.filter((r) => r.state !== "ok").map((r) => `${r.title}: ${r.state}`);
  $("#match-summary").textContent = `${res.matched} of ${res.events.length} event(s) match` + (states.length ? ` (${states.join("; ")})` : "");
}

async function runES() {
  const out = $("#es-out");
  out.textContent = "running on Elasticsearch…";
  try {
    const res = await api("es", request());
    const t = el("table", { class: "es-table" });
    t.append(el("tr", {}, el("th", { text: "form" }), el("th", { text: "hits (event #)" }), el("th", { text: "evaluator" }), el("th", { text: "" })));
    for (const f of res.forms) {
      const ev = res.evaluator[f.rule] || [];
      t.append(el("tr", { class: f.differs ? "differs" : "", "data-form": f.target, "data-differs": f.differs ? "yes" : "no", title: f.query || "" },
        el("td", { text: TARGET_NAMES[f.target] || f.target }), el("td", { text: f.error ? f.error : f.hits.join(", ") || "none" }),
        el("td", { text: ev.join(", ") || "none" }), el("td", { text: f.error ? "error" : f.differs ? "DIFFERS" : "same" })));
    }
    if (res.problems.length) t.append(el("tr", {}, el("td", { colSpan: 4, class: "error", text: res.problems.join("\n") })));
    out.replaceChildren(t);
  } catch (e) {
    out.textContent = "Elasticsearch: " + e.message;
  }
}

// ---- updates --------------------------------------------------------------------------

let timer = null;
function schedule() {
  clearTimeout(timer);
  timer = setTimeout(update, 300);
}

async function update() {
  const gen = ++state.generation;
  document.body.dataset.state = "busy";
  const req = request();
  $("#pipeline-error").textContent = "";
  const jobs = [
    api("lint", { rule: req.rule }).then((r) => gen === state.generation && renderFindings(r)),
    api("convert", { rule: req.rule, pipelines: req.pipelines, pipeline_yaml: req.pipeline_yaml })
      .then((r) => gen === state.generation && renderTargets(r)),
    api("match", req).then((r) => gen === state.generation && renderMatch(r)),
  ];
  const results = await Promise.allSettled(jobs);
  if (gen !== state.generation) return;
  const errs = results.filter((r) => r.status === "rejected").map((r) => r.reason.message);
  if (errs.length) $("#pipeline-error").textContent = [...new Set(errs)].join("\n");
  if (errs.length && req.pipeline_yaml.trim()) $("#pasted").open = true;
  document.body.dataset.state = "ready";
  document.body.dataset.generation = String(gen);
}

// ---- sharing: the state in the URL fragment, deflated and base64url-encoded ------------

function b64url(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function pipeThrough(bytes, stream) {
  const out = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

async function shareLink() {
  const r = request();
  const payload = JSON.stringify({ v: 1, r: r.rule, p: r.pipelines, y: r.pipeline_yaml, e: r.events, f: r.format, pr: r.profile });
  const z = await pipeThrough(new TextEncoder().encode(payload), new CompressionStream("deflate-raw"));
  const url = location.origin + location.pathname + "#s=" + b64url(z);
  history.replaceState(null, "", url);
  const inp = $("#share-link");
  inp.hidden = false;
  inp.value = url;
  inp.select();
  try { await navigator.clipboard.writeText(url); } catch (e) { /* shown in the box */ }
  return url;
}

async function readFragment() {
  const m = /^#s=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!m) return null;
  try {
    const raw = await pipeThrough(unb64url(m[1]), new DecompressionStream("deflate-raw"));
    const s = JSON.parse(new TextDecoder().decode(raw));
    return s && s.v === 1 ? s : null;
  } catch (e) {
    $("#pipeline-error").textContent = "the share link could not be read: " + e.message;
    return null;
  }
}

// ---- the pack -------------------------------------------------------------------------

async function openPack() {
  const dlg = $("#pack");
  dlg.showModal();
  const tb = $("#pack-table tbody");
  if (tb.children.length) return;
  $("#pack-summary").textContent = "loading…";
  try {
    const res = await api("pack");
    for (const r of res.rules) {
      const ls = [r.logsource.product, r.logsource.service, r.logsource.category].filter(Boolean).join("/");
      const tr = el("tr", { "data-path": r.path },
        el("td", {}, el("div", { text: r.title }), el("div", { class: "muted", text: r.path })),
        el("td", { text: ls }),
        el("td", { class: r.samples_pass ? "cov-ok" : "cov-failed", text: `${r.positives}+ ${r.negatives}- ${r.samples_pass ? "pass" : "FAIL"}`, title: (r.failures || []).join("\n") }));
      for (const t of ["splunk", "lucene", "dsl", "esql", "eql"]) tr.append(el("td", { class: "cov-" + r.targets[t], text: r.targets[t] }));
      tr.addEventListener("click", () => loadPackRule(r.path));
      tb.append(tr);
    }
    const pass = res.rules.filter((r) => r.samples_pass).length;
    $("#pack-summary").textContent = `${res.rules.length} rules, samples pass for ${pass} (under ${res.profile})`;
  } catch (e) {
    $("#pack-summary").textContent = e.message;
  }
}

async function loadPackRule(path) {
  const res = await api("pack/rule?path=" + encodeURIComponent(path));
  $("#rule").value = res.yaml;
  $("#profile").value = "pack"; // the samples assume it
  const readable = res.samples.filter((s) => s.events);
  const first = readable[0];
  if (first) {
    $("#format").value = first.format;
    $("#events").value = readable.filter((s) => s.format === first.format).map((s) => s.events.trim()).join("\n");
  }
  $("#pack").close();
  renderEditor();
  update();
}

// ---- start ----------------------------------------------------------------------------

async function start() {
  const [info, pl] = await Promise.all([api("info"), api("pipelines")]);
  state.info = info;
  $("#profile").append(el("option", { value: "", text: info.profile ? "yours: " + info.profile : "none (serve has no profile)" }),
    el("option", { value: "pack", text: "the pack samples' (testdata/rules/profile.yml)" }));
  $("#profile").addEventListener("change", update);
  for (const f of info.formats) $("#format").append(el("option", { value: f, text: f }));
  $("#es-run").hidden = !info.es;
  const box = $("#pipelines");
  for (const p of pl.pipelines) {
    const cb = el("input", { type: "checkbox", value: p.name, id: "pl-" + p.name });
    cb.addEventListener("change", update);
    box.append(el("label", { htmlFor: "pl-" + p.name }, cb, " " + p.name + " ", el("span", { class: "for", text: "(" + p.targets.join(", ") + ")" })));
  }
  const shared = await readFragment();
  if (shared) {
    $("#rule").value = shared.r || "";
    $("#pipeline-yaml").value = shared.y || "";
    $("#events").value = shared.e || "";
    if (shared.f) $("#format").value = shared.f;
    if (shared.pr) $("#profile").value = shared.pr;
    for (const n of shared.p || []) { const cb = document.getElementById("pl-" + n); if (cb) cb.checked = true; }
    if (shared.y) $("#pasted").open = true;
  } else {
    $("#rule").value = DEFAULT_RULE;
    $("#events").value = DEFAULT_EVENTS;
  }
  const ta = $("#rule");
  ta.addEventListener("input", () => { renderEditor(); schedule(); });
  ta.addEventListener("scroll", syncScroll);
  ta.addEventListener("keydown", (e) => {
    if (e.key === "Tab") {
      e.preventDefault();
      ta.setRangeText("  ", ta.selectionStart, ta.selectionEnd, "end");
      renderEditor(); schedule();
    }
  });
  for (const id of ["#events", "#pipeline-yaml"]) $(id).addEventListener("input", schedule);
  $("#format").addEventListener("change", update);
  const ev = $("#events");
  ev.addEventListener("dragover", (e) => e.preventDefault());
  ev.addEventListener("drop", async (e) => {
    e.preventDefault();
    const f = e.dataTransfer.files[0];
    if (f) { ev.value = await f.text(); update(); }
  });
  $("#share").addEventListener("click", shareLink);
  $("#pack-open").addEventListener("click", openPack);
  $("#pack-close").addEventListener("click", () => $("#pack").close());
  $("#es-run").addEventListener("click", runES);
  renderEditor();
  await update();
}

start().catch((e) => {
  document.body.dataset.state = "error";
  $("#pipeline-error").textContent = "the playground could not start: " + e.message;
});
