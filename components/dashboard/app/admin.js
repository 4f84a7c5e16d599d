// The store owner's app: sign in with the admin token (kept in this tab's
// sessionStorage and sent as a Bearer token), then the club's pages.
import { apply, call, date, el, errorText, number, percent, t } from "./i18n.js";

const main = document.getElementById("main");
const state = { token: sessionStorage.getItem("token"), settings: null };
const views = { overview, members };
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
  nav.replaceChildren(el("a", { href: "#overview", text: t("nav.overview") }), el("a", { href: "#members", text: t("nav.members") }));
  if (!state.settings) return signin();
  (views[location.hash.slice(1)] ?? overview)();
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
    el("span", { class: "name", text: m.name || t("members.unnamed") }),
    el("span", { class: "phone", text: m.phone ?? "" }),
    el("span", { class: "meta", text: `${number(m.points)} ${t("members.points")} · ${t("members.tier")} ${m.tier}` }),
    el("span", { class: "meta", text: `${t("members.joined")} ${date(m.joined_at, zone)}` }));
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
