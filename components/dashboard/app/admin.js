// The store owner's app: sign in with the admin token (kept in this tab's
// sessionStorage and sent as a Bearer token), then the club's pages.
import { bonus } from "./bonus.js";
import { club, saveSettings } from "./club.js";
import { apply, call, date, el, errorText, facts, field, number, percent, read, showError, t } from "./i18n.js";
import { marketing } from "./marketing.js";
import { messageRow, people } from "./people.js";
import { stores } from "./stores.js";
import { team } from "./team.js";
import { transfer } from "./transfer.js";

const main = document.getElementById("main");
const state = { token: sessionStorage.getItem("token"), settings: null };
const views = { overview, messages, setup, ...people({ main, state }), ...club({ main, state }), ...bonus({ main, state }), ...marketing({ main, state }), ...stores({ main, state }), ...transfer({ main, state }), ...team({ main, state }) };
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
    el("a", { href: "#setup", text: t("nav.setup") }),
    el("a", { href: "#overview", text: t("nav.overview") }),
    el("a", { href: "#members", text: t("nav.members") }),
    el("a", { href: "#rules", text: t("nav.rules") }),
    el("a", { href: "#tiers", text: t("nav.tiers") }),
    el("a", { href: "#holidays", text: t("nav.holidays") }),
    el("a", { href: "#bonus", text: t("nav.bonus") }),
    el("a", { href: "#rewards", text: t("nav.rewards") }),
    el("a", { href: "#automations", text: t("nav.automations") }),
    el("a", { href: "#campaigns", text: t("nav.campaigns") }),
    el("a", { href: "#messages", text: t("nav.messages") }),
    el("a", { href: "#stores", text: t("nav.stores") }),
    el("a", { href: "#transfer", text: t("nav.transfer") }),
    el("a", { href: "#replies", text: t("nav.replies") }),
    el("a", { href: "#team", text: t("nav.team") }),
    el("a", { href: "#audit", text: t("nav.audit") }));
  if (!state.settings) return signin();
  const [view, arg] = location.hash.slice(1).split("/");
  (views[view] ?? overview)(arg && decodeURIComponent(arg));
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
  Object.assign(state, { token, settings: answer.body, settingsTag: answer.etag });
  render();
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
    const page = await read("/api/messages?" + q, state.token, error);
    if (!page) return;
    if (!next) list.replaceChildren();
    list.append(...page.messages.map((m) => messageRow(m, state.settings.timezone)));
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

function setup() {
  const s = state.settings;
  const note = el("p", { class: "note", role: "status", id: "settings-note" });
  const settingsForm = el("form", { class: "card", id: "settings" },
    el("h2", { text: t("setup.settings") }),
    el("div", { class: "row" },
      field("sender_signature", t("setup.sender_signature"), s.sender_signature),
      field("optout_footer", t("setup.optout_footer"), s.optout_footer),
      field("timezone", t("setup.timezone"), s.timezone, { dir: "ltr" })),
    el("div", { class: "row" },
      field("quiet_start", t("setup.quiet_start"), s.quiet_hours.start, { dir: "ltr", "data-api": "quiet_hours" }),
      field("quiet_end", t("setup.quiet_end"), s.quiet_hours.end, { dir: "ltr", "data-api": "quiet_hours" })),
    el("div", { class: "row" },
      field("earn_amount", t("setup.earn_amount"), s.earn.per_amount, { type: "number", dir: "ltr", "data-api": "earn" }),
      field("earn_points", t("setup.earn_points"), s.earn.points, { type: "number", dir: "ltr", "data-api": "earn" }),
      field("sms_part_cost", t("setup.sms_part_cost"), s.sms_part_cost, { type: "number", dir: "ltr" })),
    note,
    el("button", { class: "primary", type: "submit", text: t("setup.save") }));
  settingsForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = (id) => settingsForm.querySelector("#" + id).value.trim();
    saveSettings(state, settingsForm, {
      sender_signature: v("sender_signature"),
      optout_footer: v("optout_footer"),
      timezone: v("timezone"),
      quiet_hours: { start: v("quiet_start"), end: v("quiet_end") },
      earn: { ...s.earn, per_amount: Number(v("earn_amount")), points: Number(v("earn_points")) },
      sms_part_cost: Number(v("sms_part_cost")),
    }, setup);
  });

  const platform = el("select", { id: "platform" }, ...["woocommerce", "shopify", "generic"].map((p) => el("option", { value: p, text: p })));
  // Persian WooCommerce's four units of the rial, and the club's own.
  const currencies = [...new Set([s.currency, "IRR", "IRT", "IRHR", "IRHT"])];
  const currency = el("select", { id: "currency", dir: "ltr" }, ...currencies.map((c) => el("option", { value: c, text: c })));
  const secret = el("input", { id: "secret", dir: "ltr", required: "", minlength: "16" });
  const storeNote = el("div", { id: "store-result" });
  const storeForm = el("form", { class: "card", id: "store" },
    el("h2", { text: t("setup.store") }),
    el("div", { class: "row" },
      field("store_id", t("setup.store_id"), "", { dir: "ltr", required: "", "data-api": "id" }),
      field("store_name", t("setup.store_name"), "", { required: "", "data-api": "name" }),
      el("div", {}, el("label", { for: "platform", text: t("setup.platform") }), platform),
      el("div", { "data-field": "currency" }, el("label", { for: "currency", text: t("setup.currency") }), currency, el("p", { class: "error field-error" }))),
    el("div", { class: "row", "data-field": "webhook_secret" },
      el("div", {}, el("label", { for: "secret", text: t("setup.secret") }), secret, el("p", { class: "error field-error" })),
      el("button", { type: "button", text: t("setup.secret_new"), onclick: () => (secret.value = randomSecret()) })),
    el("button", { class: "primary", type: "submit", text: t("setup.connect") }), storeNote);
  storeForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    storeForm.querySelectorAll(".field-error").forEach((p) => (p.textContent = ""));
    storeNote.replaceChildren();
    const id = storeForm.querySelector("#store_id").value.trim();
    const body = { name: storeForm.querySelector("#store_name").value.trim(), platform: platform.value, currency: currency.value, webhook_secret: secret.value.trim() };
    const answer = await call("PUT", `/api/stores/${encodeURIComponent(id)}`, body, state.token).catch(() => null);
    if (!answer) return storeNote.append(el("p", { class: "error", text: t("error.network") }));
    if (answer.status !== 200) return showError(storeForm, answer, storeNote.appendChild(el("p", { class: "error" })));
    const route = { woocommerce: "woocommerce", shopify: "shopify", generic: "orders" }[platform.value];
    storeNote.append(
      el("p", { text: t("setup.webhook_url") }), el("code", { id: "webhook-url", class: "phone", text: `${location.origin}/hooks/${route}/${encodeURIComponent(id)}` }),
      answer.body.api_key ? el("p", { text: t("setup.api_key") }) : null,
      answer.body.api_key ? el("code", { id: "api-key", class: "phone", text: answer.body.api_key }) : null,
      el("p", { class: "note", text: t("setup.steps." + platform.value) }));
  });

  const panelCard = el("div", { class: "card", id: "panel" }, el("h2", { text: t("setup.panel") }));
  main.replaceChildren(el("section", { id: "setup" }, el("h1", { text: t("setup.title") }), settingsForm, storeForm, panelCard));
  read("/api/panel", state.token, panelCard.appendChild(el("p", { class: "error" }))).then((p) => {
    if (!p) return;
    const onOff = (b) => t(b ? "setup.on" : "setup.off");
    const credit = p.credit == null ? (p.credit_error ?? t("setup.unknown")) : `${number(p.credit)} ${p.credit_unit ?? ""}`;
    panelCard.append(facts([
      [t("setup.provider"), p.provider],
      [t("setup.line"), p.sender || "—"],
      [t("setup.credit"), credit],
      [t("setup.polling"), `${onOff(p.polling.replies)} / ${onOff(p.polling.delivery)}`],
    ]));
  });
}

/** 32 random bytes as hex: a webhook secret nobody will guess. */
function randomSecret() {
  return [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("");
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
