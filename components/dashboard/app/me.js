// A member's own page: sign in with a code texted to them, then their
// points, pending points, tier and the way to the next, the codes they can
// still use, the rewards they can redeem (after a confirmation), their
// points history, their referral link, their birthday (once), their
// choice about the club's marketing SMS, and leaving the club for good
// (confirmed by a fresh code). The session is an HttpOnly cookie
// this script never sees; signing out ends it.
import { apply, call, date, el, errorText, memberPage, number, t } from "./i18n.js";

const main = document.getElementById("main");
let state = { phone: "", sent: false, notMember: false, page: null, message: "", loading: true, asking: null, issued: null, history: null, forgetting: false, forgotten: false };

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
  if (state.forgotten) return main.replaceChildren(el("p", { class: "card", id: "forgotten", role: "status", text: t("me.forgotten") }));
  main.replaceChildren(state.page ? page(state.page) : signIn());
}

function signIn() {
  const error = el("p", { class: "error", id: "me-error", role: "alert", text: state.message });
  const join = state.notMember ? el("a", { id: "to-join", class: "button", href: memberPage("join"), text: t("me.join") }) : null;
  if (!state.sent) {
    const phone = el("input", { id: "phone", type: "tel", inputmode: "tel", dir: "ltr", autocomplete: "tel", required: "", value: state.phone });
    const form = el("form", { class: "card", id: "me-phone" },
      el("p", { class: "note", text: t("me.intro") }),
      el("label", { for: "phone", text: t("join.phone") }), phone, error, join,
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
    else if (answer.body?.error?.code === "not_a_member") Object.assign(state, { sent: false, notMember: true, message: t("me.notMember") });
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
  const expired = (answer) => answer?.status === 401 && Object.assign(state, { page: null, message: t("me.expired") });
  // Asked first (nothing is spent), then confirmed with one key, so a
  // double tap is one redemption.
  const ask = async (reward) => {
    const answer = await call("POST", "/api/me/redemptions", { reward_id: reward.id }).catch(() => null);
    if (answer?.status === 200) Object.assign(state, { asking: { ...answer.body, key: crypto.randomUUID() }, issued: null, message: "" });
    else if (!expired(answer)) state.message = answer ? errorText(answer) : t("error.network");
    render();
  };
  const confirm = async () => {
    const a = state.asking;
    const answer = await call("POST", "/api/me/redemptions", { reward_id: a.reward.id, confirm: true, idempotency_key: a.key }).catch(() => null);
    if (answer?.status === 201) {
      Object.assign(state, { asking: null, issued: answer.body, history: null, message: "" });
      return load();
    }
    if (!expired(answer)) state.message = answer ? errorText(answer) : t("error.network");
    render();
  };
  const rewards = el("section", { class: "card", id: "rewards" }, el("h2", { text: t("me.rewards") }),
    p.rewards.length
      ? el("ul", { class: "plain" }, ...p.rewards.map((r) => el("li", { id: "reward-" + r.id }, r.name, " · ",
          el("span", { class: "meta", text: t("me.cost", { points: number(r.cost) }) }), " ",
          el("button", { type: "button", class: "redeem", ...(r.affordable ? {} : { disabled: "" }), text: t("me.redeem"), onclick: () => ask(r) }))))
      : el("p", { class: "note", text: t("me.noRewards") }));
  if (state.asking) {
    const a = state.asking;
    rewards.append(el("div", { class: "confirm", id: "redeem-confirm", role: "alertdialog" },
      el("p", { text: t("me.confirm", { reward: a.reward.name, cost: number(a.reward.cost), left: number(a.balance_after) }) }),
      el("button", { type: "button", class: "primary", id: "redeem-yes", text: t("me.confirmYes"), onclick: confirm }),
      el("button", { type: "button", id: "redeem-no", text: t("me.confirmNo"), onclick: () => { state.asking = null; render(); } })));
  }
  if (state.issued) rewards.append(el("p", { id: "redeemed", role: "status", text: t("me.redeemed", { code: state.issued.code }) }));
  const history = el("section", { class: "card", id: "history" }, el("h2", { text: t("me.history") }),
    state.history
      ? (state.history.length
          ? el("ul", { class: "plain" }, ...state.history.map((e) => el("li", {}, el("strong", { dir: "ltr", text: (e.points > 0 ? "+" : "") + number(e.points) }), " · ", t("kind." + e.kind),
              el("span", { class: "meta", text: date(e.at, zone) }))))
          : el("p", { class: "note", text: t("me.noHistory") }))
      : el("button", { type: "button", id: "show-history", text: t("me.showHistory"), onclick: async () => {
          const answer = await call("GET", "/api/me/history").catch(() => null);
          if (answer?.status === 200) state.history = answer.body.entries;
          else if (!expired(answer)) state.message = answer ? errorText(answer) : t("error.network");
          render();
        } }));
  const referral = el("section", { class: "card", id: "referral" }, el("h2", { text: t("me.referral") }),
    el("p", { class: "note", text: t("me.referralNote") }),
    el("input", { id: "referral-link", readonly: "", dir: "ltr", value: m.referral_link, onclick: (e) => e.target.select() }));
  let birthday;
  if (m.birthday) {
    birthday = el("section", { class: "card", id: "birthday" }, el("p", { id: "birthday-given" }, t("me.birthdayGiven", { date: "" }), el("bdi", { dir: "ltr", text: m.birthday.date.replaceAll("-", "/") })));
  } else {
    const input = el("input", { id: "birthday-input", dir: "ltr", inputmode: "numeric", placeholder: "1370/06/21" });
    birthday = el("form", { class: "card", id: "birthday" }, el("h2", { text: t("me.birthday") }),
      el("label", { for: "birthday-input", text: t("me.birthdayNote") }), input,
      el("button", { type: "submit", text: t("me.birthdaySave") }));
    birthday.addEventListener("submit", async (e) => {
      e.preventDefault();
      const answer = await call("POST", "/api/me/birthday", { birthday: input.value.trim().replaceAll("/", "-") }).catch(() => null);
      if (answer?.status === 200) Object.assign(state, { page: answer.body, message: "" });
      else if (!expired(answer)) state.message = answer ? errorText(answer) : t("error.network");
      render();
    });
  }
  const toggle = el("button", { type: "button", id: "consent-toggle", text: m.marketing ? t("me.optOut") : t("me.optIn"), onclick: async () => {
    const answer = await call("POST", "/api/me/consent", { marketing: !m.marketing }).catch(() => null);
    if (answer?.status === 200) Object.assign(state, { page: answer.body, message: "" });
    else if (answer?.status === 401) Object.assign(state, { page: null, message: t("me.expired") });
    else state.message = answer ? errorText(answer) : t("error.network");
    render();
  } });
  const forget = el("section", { class: "card", id: "forget" }, el("h2", { text: t("me.forget") }));
  if (!state.forgetting) {
    forget.append(el("p", { class: "note", text: t("me.forgetNote") }),
      el("button", { type: "button", id: "forget-ask", text: t("me.forgetAsk"), onclick: async () => {
        const answer = await call("POST", "/api/me/forget/code", {}).catch(() => null);
        if (answer?.status === 202) Object.assign(state, { forgetting: true, message: "" });
        else if (!expired(answer)) state.message = answer ? errorText(answer) : t("error.network");
        render();
      } }));
  } else {
    const code = el("input", { id: "forget-code", inputmode: "numeric", autocomplete: "one-time-code", dir: "ltr", required: "" });
    const form = el("form", { id: "forget-confirm" }, el("p", { class: "note", text: t("me.forgetSent") }),
      el("label", { for: "forget-code", text: t("join.code") }), code, error,
      el("button", { type: "submit", class: "danger", text: t("me.forgetYes") }),
      el("button", { type: "button", text: t("me.confirmNo"), onclick: () => { state.forgetting = false; render(); } }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const answer = await call("POST", "/api/me/forget", { code: code.value.trim() }).catch(() => null);
      if (answer?.status === 204) Object.assign(state, { page: null, forgetting: false, forgotten: true, message: "" });
      else if (!expired(answer)) state.message = answer ? errorText(answer) : t("error.network");
      render();
    });
    forget.append(form);
  }
  return el("div", { id: "me" },
    el("h1", { text: m.name ? t("me.hello", { name: m.name }) : t("me.helloAnon") }),
    el("div", { class: "tiles" },
      tile("points", t("me.points"), number(m.points)),
      tile("pending", t("me.pending"), number(m.pending_points)),
      tile("tier", t("me.tier"), m.tier)),
    next,
    el("section", { class: "card" }, el("h2", { text: t("me.codes") }), codes),
    rewards,
    history,
    referral,
    birthday,
    el("section", { class: "card", id: "consent" },
      el("h2", { text: t("me.sms") }),
      el("p", { id: "consent-status", text: m.marketing ? t("me.receiving") : t("me.notReceiving") }), toggle, state.forgetting ? null : error),
    forget,
    el("button", { type: "button", id: "sign-out", text: t("me.signout"), onclick: async () => {
      await call("DELETE", "/api/me/session").catch(() => null);
      Object.assign(state, { page: null, phone: "", message: "" });
      render();
    } }));
}

apply(render);
load();
