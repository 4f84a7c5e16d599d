// The store owner's app: sign in with the admin token (kept in this tab's
// sessionStorage and sent as a Bearer token), then the club's pages.
import { apply, call, date, el, errorText, number, percent, t } from "./i18n.js";

const main = document.getElementById("main");
const state = { token: sessionStorage.getItem("token"), settings: null };
const views = { overview, members, messages };
window.addEventListener("hashchange", () => render());

function render() {
  document.title = t("app.title");
  document.getElementById("title").textContent = t("app.title");
  const signout = document.getElementById("signout");
  signout.textContent = t("signout");
  signout.hidden = !state.settings;
  signout.onclick = () => {
    sessionStorage.removeItem("token");
    Object.assign(state, { token: null, settings: null });
    render();
  };
  const nav = document.getElementById("nav");
  nav.hidden = !state.settings;
  nav.replaceChildren(
    el("a", { href: "#overview", text: t("nav.overview") }),
    el("a", { href: "#members", text: t("nav.members") }),
    el("a", { href: "#messages", text: t("nav.messages") }));
  if (!state.settings) return signin();
  const [view, arg] = location.hash.slice(1).split("/");
  if (view === "member" && arg) return member(decodeURIComponent(arg));
  (views[view] ?? overview)();
}

function signin(message) {
  const input = el("input", { id: "token", type: "password", autocomplete: "current-password", required: "" });
  const error = el("p", { class: "error", id: "signin-error", role: "alert" });
  if (message) error.textContent = message;
  const form = el("form", { class: "card", id: "signin" },
    el("h1", { text: t("signin.title") }),
    el("label", { for: "token", text: t("signin.token") }), input,
    el("p", { class: "note", text: t("signin.hint") }), error,
    el("button", { class: "primary", type: "submit", text: t("signin.submit") }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    await start(input.value.trim());
  });
  main.replaceChildren(form);
  input.focus();
}

/** Checks a token by reading the settings with it. */
async function start(token) {
  let answer;
  try { answer = await call("GET", "/api/settings", undefined, token); } catch { return signin(t("error.network")); }
  if (answer.status === 401 || answer.status === 403) {
    sessionStorage.removeItem("token");
    return signin(t("signin.wrong"));
  }
  if (answer.status !== 200) return signin(errorText(answer));
  sessionStorage.setItem("token", token);
  Object.assign(state, { token, settings: answer.body });
  render();
}

function members() {
  const list = el("ul", { class: "members", id: "members" });
  const more = el("button", { type: "button", id: "more", text: t("members.more"), hidden: "" });
  const error = el("p", { class: "error", role: "alert" });
  const phone = el("input", { id: "phone", type: "tel", inputmode: "tel", dir: "ltr" });
  const search = el("form", { class: "row", id: "search" },
    el("div", {}, el("label", { for: "phone", text: t("members.search") }), phone),
    el("button", { class: "primary", type: "submit", text: t("members.find") }),
    el("button", { type: "button", text: t("members.all"), onclick: () => { phone.value = ""; load(); } }));
  let before = null;

  const show = (rows, append) => {
    if (!append) list.replaceChildren();
    for (const m of rows) list.append(row(m));
    if (!list.children.length) list.append(el("li", { class: "note", text: t("members.none") }));
  };
  const load = async (next) => {
    error.textContent = "";
    const q = next ? `?limit=20&before=${next}` : "?limit=20";
    const answer = await call("GET", "/api/members" + q, undefined, state.token).catch(() => null);
    if (!answer) return (error.textContent = t("error.network"));
    if (answer.status !== 200) return (error.textContent = errorText(answer));
    show(answer.body.members, Boolean(next));
    before = answer.body.next_before;
    more.hidden = before == null;
  };
  search.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!phone.value.trim()) return load();
    const answer = await call("GET", "/api/members?phone=" + encodeURIComponent(phone.value.trim()), undefined, state.token).catch(() => null);
    more.hidden = true;
    if (!answer) return (error.textContent = t("error.network"));
    if (answer.status === 404) return show([], false);
    if (answer.status !== 200) return (error.textContent = errorText(answer));
    show([answer.body], false);
  });
  more.addEventListener("click", () => load(before));
  main.replaceChildren(el("section", { class: "card" }, el("h1", { text: t("members.title") }), search, error, list, more));
  load();
}

function row(m) {
  const zone = state.settings.timezone;
  return el("li", { "data-id": m.id },
    el("a", { class: "name", href: `#member/${encodeURIComponent(m.id)}`, text: m.name || t("members.unnamed") }),
    el("span", { class: "phone", text: m.phone ?? "" }),
    el("span", { class: "meta", text: `${number(m.points)} ${t("members.points")} · ${t("members.tier")} ${m.tier}` }),
    el("span", { class: "meta", text: `${t("members.joined")} ${date(m.joined_at, zone)}` }));
}

/** `GET` with the token; the body, or `null` after showing why not in `error`. */
async function get(path, error) {
  const answer = await call("GET", path, undefined, state.token).catch(() => null);
  if (!answer) error.textContent = t("error.network");
  else if (answer.status !== 200) error.textContent = errorText(answer);
  else return answer.body;
  return null;
}

/** A list of `{label, value}` pairs. */
function facts(pairs) {
  return el("dl", { class: "facts" }, ...pairs.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
}

async function member(id) {
  const zone = state.settings.timezone;
  const error = el("p", { class: "error", role: "alert" });
  const section = el("section", { id: "member", "data-id": id }, el("a", { href: "#members", text: t("member.back") }), error);
  main.replaceChildren(section);
  const path = `/api/members/${encodeURIComponent(id)}`;
  const [m, ledger, msgs] = await Promise.all([get(path, error), get(`${path}/ledger?limit=20`, error), get(`/api/messages?member_id=${encodeURIComponent(id)}&limit=20`, error)]);
  if (!m || !ledger || !msgs) return;
  const consent = (status) => t("consent." + status);
  section.append(
    el("div", { class: "card" },
      el("h1", { class: "name", text: m.name || t("members.unnamed") }),
      el("p", { class: "phone", text: m.phone ?? "" }),
      facts([
        [t("member.points"), number(m.points)],
        [t("member.pending"), number(m.pending_points)],
        [t("member.tier"), m.tier],
        [t("member.segment"), m.segment],
        [t("member.joined"), date(m.joined_at, zone)],
        [t("member.referral"), m.referral_code],
        [t("member.consent"), consent(m.consent.status)],
      ])),
    el("div", { class: "card" }, el("h2", { text: t("member.history") }),
      el("ul", { class: "plain", id: "consent-history" }, ...m.consent_history.slice().reverse().map((e) =>
        el("li", { text: `${date(e.at, zone)} · ${consent(e.status)} · ${e.source}` })))),
    adjustForm(id),
    el("div", { class: "card" }, el("h2", { text: t("member.ledger") }),
      el("ul", { class: "plain", id: "ledger" }, ...ledger.entries.map((e) =>
        el("li", { text: `${date(e.at, zone)} · ${e.kind} · ${number(e.points)} → ${number(e.balance)}${e.ref ? " · " + e.ref : ""}` })))),
    el("div", { class: "card" }, el("h2", { text: t("member.messages") }),
      el("ul", { class: "plain", id: "member-messages" }, ...msgs.messages.map(messageRow))));
}

function adjustForm(id) {
  const points = el("input", { id: "adjust-points", type: "number", step: "1", required: "", dir: "ltr" });
  const reason = el("input", { id: "adjust-reason", required: "", maxlength: "200" });
  const note = el("p", { class: "note", role: "status" });
  // One key per attempt: a form sent twice is applied once.
  let key = crypto.randomUUID();
  const form = el("form", { class: "card", id: "adjust" },
    el("h2", { text: t("member.adjust") }),
    el("div", { class: "row" },
      el("div", {}, el("label", { for: "adjust-points", text: t("member.adjust.points") }), points),
      el("div", {}, el("label", { for: "adjust-reason", text: t("member.adjust.reason") }), reason),
      el("button", { class: "primary", type: "submit", text: t("member.adjust.submit") })),
    note);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { points: Number(points.value), reason: reason.value.trim(), idempotency_key: key };
    const answer = await call("POST", `/api/members/${encodeURIComponent(id)}/adjust`, body, state.token).catch(() => null);
    if (!answer) return (note.textContent = t("error.network"));
    if (answer.status !== 200) return (note.textContent = errorText(answer));
    key = crypto.randomUUID();
    member(id);
  });
  return form;
}

function messageRow(m) {
  return el("li", { "data-id": m.id, "data-status": m.status },
    el("span", { class: "meta", text: `${date(m.created_at, state.settings.timezone)} · ${t("status." + m.status)} · ${m.kind}${m.campaign ? " · " + m.campaign : ""}` }),
    el("span", { class: "text", text: m.text }));
}

function messages() {
  const status = el("select", { id: "status" }, el("option", { value: "", text: t("messages.any") }),
    ...["queued", "sent", "delivered", "failed"].map((s) => el("option", { value: s, text: t("status." + s) })));
  const campaign = el("input", { id: "campaign", dir: "ltr" });
  const list = el("ul", { class: "plain", id: "messages" });
  const more = el("button", { type: "button", id: "more", text: t("members.more"), hidden: "" });
  const error = el("p", { class: "error", role: "alert" });
  let before = null;
  const load = async (next) => {
    error.textContent = "";
    const q = new URLSearchParams({ limit: "20" });
    if (status.value) q.set("status", status.value);
    if (campaign.value.trim()) q.set("campaign_id", campaign.value.trim());
    if (next) q.set("before", next);
    const page = await get("/api/messages?" + q, error);
    if (!page) return;
    if (!next) list.replaceChildren();
    list.append(...page.messages.map(messageRow));
    if (!list.children.length) list.append(el("li", { class: "note", text: t("messages.none") }));
    before = page.next_before;
    more.hidden = before == null;
  };
  const form = el("form", { class: "row", id: "filters" },
    el("div", {}, el("label", { for: "status", text: t("messages.status") }), status),
    el("div", {}, el("label", { for: "campaign", text: t("messages.campaign") }), campaign),
    el("button", { class: "primary", type: "submit", text: t("messages.filter") }));
  form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  more.addEventListener("click", () => load(before));
  main.replaceChildren(el("section", { class: "card" }, el("h1", { text: t("messages.title") }), form, error, list, more));
  load();
}

async function overview() {
  const section = el("section", { id: "overview" }, el("h1", { text: t("overview.title") }));
  const error = el("p", { class: "error", role: "alert" });
  section.append(error);
  main.replaceChildren(section);
  const [o, d] = await Promise.all([
    call("GET", "/api/reports/overview", undefined, state.token).catch(() => null),
    call("GET", "/api/reports/daily", undefined, state.token).catch(() => null),
  ]);
  if (!o || !d) return (error.textContent = t("error.network"));
  if (o.status !== 200 || d.status !== 200) return (error.textContent = errorText(o.status !== 200 ? o : d));
  const v = o.body;
  const tiles = [
    ["members", number(v.members)],
    ["opted_in", `${number(v.opted_in)} (${percent(v.opt_in_rate)})`],
    ["opt_out_rate", percent(v.opt_out_rate)],
    ["active_90d", number(v.active_90d)],
    ["repeat", percent(v.repeat_purchase_rate)],
    ["retention", percent(v.retention_rate)],
    ["aov", number(v.aov)],
    ["points", number(v.points_outstanding)],
    ["nps", `${number(v.nps.score)} (${number(v.nps.responses)})`],
  ];
  section.append(el("div", { class: "tiles" }, ...tiles.map(([k, text]) =>
    el("div", { class: "tile", "data-tile": k }, el("span", { class: "label", text: t("overview." + k) }), el("strong", { text })))));
  const charts = el("div", { class: "charts" });
  section.append(el("h2", { text: t("chart.days") }), charts);
  const days = d.body.days;
  const xs = days.map((row) => Date.parse(row.date + "T12:00:00Z") / 1000);
  for (const series of [["joins", "optouts"], ["orders"], ["revenue"], ["earned", "spent"], ["sent", "delivered"]]) {
    const box = el("figure", { class: "chart", "data-chart": series.join("-") }, el("figcaption", { text: series.map((s) => t("chart." + s)).join(" · ") }));
    charts.append(box);
    chart(box, xs, series.map((s) => days.map((row) => row[s])), series, d.body.zone);
  }
}

const COLOURS = ["#123c69", "#c0392b"];

/** A small line chart (uPlot) of `ys` against the days `xs`. */
function chart(box, xs, ys, names, zone) {
  if (typeof uPlot !== "function") return;
  const width = Math.max(240, box.clientWidth - 16);
  const opts = {
    width,
    height: 160,
    legend: { show: false },
    cursor: { show: false },
    scales: { x: { time: true } },
    axes: [
      { values: (_, ticks) => ticks.map((s) => date(new Date(s * 1000).toISOString(), zone, true)), size: 30, font: "11px Vazirmatn, sans-serif" },
      { values: (_, ticks) => ticks.map((n) => number(n)), size: 60, font: "11px Vazirmatn, sans-serif" },
    ],
    series: [{}, ...names.map((n, i) => ({ label: t("chart." + n), stroke: COLOURS[i], width: 2 }))],
  };
  new uPlot(opts, [xs, ...ys], box);
}

if (state.token) start(state.token);
apply(render);
