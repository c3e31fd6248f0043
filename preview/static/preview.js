// The preview's only script: live reload, the index filter, the sample editor, the spam score.
"use strict";

// Every request that changes something carries the token this page was served with.
const PREVIEW_TOKEN = (document.querySelector("meta[name=preview-token]") || {}).content || "";
const post = (url, body) => fetch(url, {
  method: "POST",
  headers: { "content-type": "application/json", "x-preview-token": PREVIEW_TOKEN },
  body,
});
// A refusal (403, 413) is plain text, not the JSON error a render failure sends.
const replyData = async (reply) => {
  const text = await reply.text();
  try { return JSON.parse(text); } catch { return { error: { message: text.trim() || reply.statusText } }; }
};

(function liveUpdates() {
  const body = document.body;
  const topics = (body.dataset.live || "").split(" ").filter(Boolean);
  const versions = JSON.parse(body.dataset.versions || "{}");
  const params = new URLSearchParams();
  for (const topic of [...topics, "ses"]) params.set(topic, versions[topic] || "");
  const status = document.getElementById("live-status");
  const source = new EventSource("/events?" + params.toString());
  source.addEventListener("open", () => { if (status) { status.textContent = "live"; status.className = "pill ok"; } });
  source.addEventListener("error", () => { if (status) { status.textContent = "reconnecting"; status.className = "pill idle"; } });
  for (const topic of topics) {
    source.addEventListener(topic, () => { source.close(); window.location.reload(); });
  }
  source.addEventListener("ses", async () => {
    const reply = await fetch("/ses/status");
    if (!reply.ok) return;
    const state = await reply.json();
    const button = document.getElementById("send-ses");
    const input = document.getElementById("ses-recipient");
    const reason = document.getElementById("ses-reason");
    if (button) button.disabled = !state.enabled;
    if (input) input.disabled = !state.enabled;
    if (reason) reason.textContent = state.reason;
  });
})();

(function filterBox() {
  const input = document.getElementById("filter");
  if (!input) return;
  const apply = () => {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    let any = false;
    for (const group of document.querySelectorAll("[data-group]")) {
      let shown = 0;
      for (const row of group.querySelectorAll("tr[data-search]")) {
        const text = row.dataset.search.toLowerCase();
        const match = words.every((w) => text.includes(w));
        row.hidden = !match;
        if (match) shown += 1;
      }
      group.hidden = shown === 0;
      any = any || shown > 0;
    }
    document.getElementById("no-match").hidden = any;
  };
  input.addEventListener("input", apply);
  apply();
})();

(function sampleEditor() {
  const area = document.getElementById("sample-json");
  if (!area) return;
  const errorBox = document.getElementById("editor-error");
  const frame = document.getElementById("email-frame");
  const main = document.querySelector("main.email");
  let timer = null;
  let sequence = 0;

  const showError = (error) => {
    errorBox.hidden = !error;
    errorBox.textContent = error ? [error.file, error.line].filter(Boolean).join(":") + (error.file ? ": " : "") + error.message : "";
  };
  const set = (id, value) => { const el = document.getElementById(id); if (el) el.textContent = value; };

  const render = async () => {
    const mine = ++sequence;
    const reply = await post(area.dataset.render, area.value);
    const data = await replyData(reply);
    if (mine !== sequence) return;
    if (!reply.ok) { showError(data.error); return; }
    showError(null);
    set("m-subject", data.subject);
    set("m-from", data.from);
    set("m-to", data.to);
    set("m-preheader", data.preheader || "—");
    set("m-size", (data.size / 1024).toFixed(1) + " KB");
    set("text-part", data.text);
    set("html-source", data.source);
    // Unless a brand was picked, the draft's brand follows its client id, as in the Lambda.
    set("brand-note", data.brand_note);
    for (const link of document.querySelectorAll("#brands a[data-brand]")) {
      link.classList.toggle("on", link.dataset.brand === data.brand);
    }
    main.dataset.brand = data.brand;
    if (frame) frame.src = data.frame + "&mode=" + encodeURIComponent(main.dataset.mode);
    const query = new URLSearchParams(data.query);
    const url = new URL(window.location.href);
    url.searchParams.set("draft", query.get("draft"));
    history.replaceState(null, "", url);
    for (const input of document.querySelectorAll("#send input[name=draft]")) input.value = data.draft;
    for (const form of document.querySelectorAll("#send form")) {
      if (!form.querySelector("input[name=draft]")) {
        const hidden = document.createElement("input");
        hidden.type = "hidden"; hidden.name = "draft"; hidden.value = data.draft;
        form.appendChild(hidden);
      }
    }
  };
  area.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(render, 250); });

  const save = document.getElementById("save-sample");
  const statusLine = document.getElementById("save-status");
  // Saving writes a sample file, and the live reload that follows replaces this page: the
  // confirmation is carried across it so the user still sees where the sample went.
  const SAVED = "preview-saved-status";
  const carried = JSON.parse(sessionStorage.getItem(SAVED) || "null");
  sessionStorage.removeItem(SAVED);
  if (carried && Date.now() - carried.at < 10000) statusLine.textContent = carried.text;
  save.addEventListener("click", async () => {
    const name = document.getElementById("save-name").value.trim();
    const reply = await post("/email/" + save.dataset.kind + "/samples/" + encodeURIComponent(name), area.value);
    const data = await replyData(reply);
    if (!reply.ok) { showError(data.error || { message: String(data) }); statusLine.textContent = "Not saved."; return; }
    showError(null);
    statusLine.textContent = "Saved to templates/" + data.saved + ".";
    sessionStorage.setItem(SAVED, JSON.stringify({ text: statusLine.textContent, at: Date.now() }));
    const url = new URL(window.location.href);
    url.searchParams.delete("draft");
    url.searchParams.set("sample", data.sample);
    history.replaceState(null, "", url);
  });
})();

(function spamScore() {
  // SpamAssassin's local score of the email's encoded bytes, as `check` computes it: fetched
  // once the page is shown (a first score takes a second or two).
  const box = document.getElementById("m-spam");
  if (!box || !box.dataset.url) return;
  const show = async () => {
    let data;
    try {
      const reply = await fetch(box.dataset.url);
      data = await reply.json();
    } catch (error) {
      box.textContent = "not scored: " + error;
      return;
    }
    box.replaceChildren();
    if (data.error) {
      box.textContent = "not scored: " + data.error;
      box.className = "near";
      return;
    }
    const head = document.createElement("span");
    head.id = "m-spam-score";
    head.className = data.passes ? "" : "over";
    head.textContent = `${data.score} of ${data.threshold}`;
    box.append(head, ` (SpamAssassin ${data.spamassassin}, local rules; fails at ${data.threshold})`);
    const list = document.createElement("ul");
    list.className = "rules";
    for (const rule of data.counted) {
      const item = document.createElement("li");
      item.textContent = `${rule.rule} ${rule.score}: ${rule.description}`;
      list.append(item);
    }
    for (const rule of data.discounted) {
      const item = document.createElement("li");
      item.className = "discounted";
      item.textContent = `${rule.rule}: not counted (${rule.why})`;
      list.append(item);
    }
    if (list.children.length) box.append(list);
  };
  show();
})();
