// A member's own page: sign in with a code texted to them, then their
// points, pending points, tier and the way to the next, the codes they can
// still use, and their choice about the club's marketing SMS. The session
// is an HttpOnly cookie this script never sees; signing out ends it.
import { apply, call, date, el, errorText, number, t } from "./i18n.js";

const main = document.getElementById("main");
let state = { phone: "", sent: false, page: null, message: "", loading: true };

async function load() {
  const answer = await call("GET", "/api/me").catch(() => null);
  state.loading = false;
  if (answer?.status === 200) state.page = answer.body;
  render();
}

function render() {
  document.title = t("me.title");
  document.getElementById("title").textContent = state.page?.club?.name || t("me.title");
  if (state.loading) return main.replaceChildren(el("p", { class: "note", text: t("loading") }));
  main.replaceChildren(state.page ? page(state.page) : signIn());
}

function signIn() {
  const error = el("p", { class: "error", id: "me-error", role: "alert", text: state.message });
  if (!state.sent) {
    const phone = el("input", { id: "phone", type: "tel", inputmode: "tel", dir: "ltr", autocomplete: "tel", required: "", value: state.phone });
    const form = el("form", { class: "card", id: "me-phone" },
      el("p", { class: "note", text: t("me.intro") }),
      el("label", { for: "phone", text: t("join.phone") }), phone, error,
      el("button", { class: "primary", type: "submit", text: t("join.send") }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      state.phone = phone.value.trim();
      const answer = await call("POST", "/api/me/code", { phone: state.phone }).catch(() => null);
      if (!answer) state.message = t("error.network");
      else if (answer.status === 202) Object.assign(state, { sent: true, message: "" });
      else state.message = errorText(answer);
      render();
    });
    return form;
  }
  const code = el("input", { id: "code", inputmode: "numeric", autocomplete: "one-time-code", dir: "ltr", required: "" });
  const form = el("form", { class: "card", id: "me-code" },
    el("p", { class: "note", text: t("me.sent") }),
    el("label", { for: "code", text: t("join.code") }), code, error,
    el("button", { class: "primary", type: "submit", text: t("me.signin") }),
    el("button", { type: "button", text: t("join.again"), onclick: () => { Object.assign(state, { sent: false, message: "" }); render(); } }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const answer = await call("POST", "/api/me/session", { phone: state.phone, code: code.value.trim() }).catch(() => null);
    if (!answer) state.message = t("error.network");
    else if (answer.status === 201) Object.assign(state, { page: answer.body, sent: false, message: "" });
    else if (answer.body?.error?.code === "not_a_member") state.message = t("me.notMember");
    else state.message = errorText(answer);
    render();
  });
  queueMicrotask(() => code.focus());
  return form;
}

function page(p) {
  const m = p.member;
  const zone = p.club.timezone;
  const tile = (id, label, value) => el("div", { class: "tile", id }, el("span", { class: "label", text: label }), el("strong", { text: value }));
  const next = m.next_tier
    ? el("section", { class: "card", id: "next-tier" },
        el("p", { text: t("me.nextTier", { tier: m.next_tier.name, amount: number(m.next_tier.remaining) }) }),
        el("progress", { max: String(m.next_tier.min_spend), value: String(Math.min(m.next_tier.spend, m.next_tier.min_spend)) }))
    : el("section", { class: "card", id: "next-tier" }, el("p", { text: t("me.topTier") }));
  const codes = p.codes.length
    ? el("ul", { class: "plain", id: "codes" }, ...p.codes.map((c) => el("li", {},
        el("code", { class: "code", dir: "ltr", text: c.code }), " · ", c.reward,
        el("span", { class: "meta", text: t("me.expires") + " " + date(c.expires_at, zone) }))))
    : el("p", { class: "note", id: "codes", text: t("me.noCodes") });
  const error = el("p", { class: "error", role: "alert", text: state.message });
  const toggle = el("button", { type: "button", id: "consent-toggle", text: m.marketing ? t("me.optOut") : t("me.optIn"), onclick: async () => {
    const answer = await call("POST", "/api/me/consent", { marketing: !m.marketing }).catch(() => null);
    if (answer?.status === 200) Object.assign(state, { page: answer.body, message: "" });
    else if (answer?.status === 401) Object.assign(state, { page: null, message: t("me.expired") });
    else state.message = answer ? errorText(answer) : t("error.network");
    render();
  } });
  return el("div", { id: "me" },
    el("h1", { text: m.name ? t("me.hello", { name: m.name }) : t("me.helloAnon") }),
    el("div", { class: "tiles" },
      tile("points", t("me.points"), number(m.points)),
      tile("pending", t("me.pending"), number(m.pending_points)),
      tile("tier", t("me.tier"), m.tier)),
    next,
    el("section", { class: "card" }, el("h2", { text: t("me.codes") }), codes),
    el("section", { class: "card", id: "consent" },
      el("h2", { text: t("me.sms") }),
      el("p", { id: "consent-status", text: m.marketing ? t("me.receiving") : t("me.notReceiving") }), toggle, error),
    el("button", { type: "button", id: "sign-out", text: t("me.signout"), onclick: async () => {
      await call("DELETE", "/api/me/session").catch(() => null);
      Object.assign(state, { page: null, phone: "", message: "" });
      render();
    } }));
}

apply(render);
load();
