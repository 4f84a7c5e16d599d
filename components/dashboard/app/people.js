// Members: the list, found by phone or paged, and a new member; a member's
// page with their points, history and messages, and what the owner does
// for them: their details, phone and consent (with its reason), points by
// hand, a reward redeemed on their behalf or cancelled, and erasure.
import { call, confirmStep, date, dateTime, el, errorText, facts, field, number, read, showError, t } from "./i18n.js";

/** A message of the log, as the log and a member's page list it. */
export function messageRow(m, zone) {
  return el("li", { "data-id": m.id, "data-status": m.status },
    el("span", { class: "meta", text: `${dateTime(m.created_at, zone)} · ${t("status." + m.status)} · ${m.kind}${m.campaign ? " · " + m.campaign : ""}` }),
    el("span", { class: "text", text: m.text }));
}

const ok = (answer) => answer && answer.status < 300;
const tagList = (text) => text.split(/[,،]/).map((x) => x.trim()).filter(Boolean);

/** The views, for the admin app's router. */
export function people({ main, state }) {
  const api = (method, path, body) => call(method, path, body, state.token).catch(() => null);
  const zone = () => state.settings.timezone;
  const alert = (id) => el("p", { class: "error", role: "alert", ...(id ? { id } : {}) });

  /** Sends a form's request; a refusal is shown at the field it names or
   *  in `failure`. The answer (`null` offline). */
  async function send(form, failure, method, path, body) {
    form.querySelectorAll(".error").forEach((p) => (p.textContent = ""));
    const answer = await api(method, path, body);
    if (!answer) failure.textContent = t("error.network");
    else if (!ok(answer)) showError(form, answer, failure);
    return answer;
  }

  function members() {
    const list = el("ul", { class: "members", id: "members" });
    const more = el("button", { type: "button", id: "more", text: t("members.more"), hidden: "" });
    const error = alert();
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
      const page = await read("/api/members" + (next ? `?limit=20&before=${next}` : "?limit=20"), state.token, error);
      if (!page) return;
      show(page.members, Boolean(next));
      before = page.next_before;
      more.hidden = before == null;
    };
    search.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!phone.value.trim()) return load();
      const answer = await api("GET", "/api/members?phone=" + encodeURIComponent(phone.value.trim()));
      more.hidden = true;
      if (!answer) return (error.textContent = t("error.network"));
      if (answer.status === 404) return show([], false);
      if (answer.status !== 200) return (error.textContent = errorText(answer));
      show([answer.body], false);
    });
    more.addEventListener("click", () => load(before));
    main.replaceChildren(el("section", { class: "card" }, el("h1", { text: t("members.title") }), search, error, list, more), newMember());
    load();
  }

  function row(m) {
    return el("li", { "data-id": m.id },
      el("a", { class: "name", href: `#member/${encodeURIComponent(m.id)}`, text: m.name || t("members.unnamed") }),
      el("span", { class: "phone", text: m.phone ?? "" }),
      el("span", { class: "meta", text: `${number(m.points)} ${t("members.points")} · ${t("members.tier")} ${m.tier}` }),
      el("span", { class: "meta", text: `${t("members.joined")} ${date(m.joined_at, zone())}` }));
  }

  function newMember() {
    const consent = el("input", { type: "checkbox", id: "new-consent" });
    const failure = alert("new-member-error");
    const form = el("form", { class: "card", id: "new-member" },
      el("h2", { text: t("members.new") }),
      el("div", { class: "row" },
        field("new-phone", t("join.phone"), "", { type: "tel", dir: "ltr", required: "", "data-api": "phone" }),
        field("new-name", t("member.name"), "", { "data-api": "name" })),
      el("div", { class: "row" },
        field("new-birthday", t("member.birthday"), "", { dir: "ltr", placeholder: "1370-06-15", "data-api": "birthday" }),
        field("new-tags", t("campaign.tags"), "", { "data-api": "tags" })),
      el("label", { class: "check" }, consent, " ", t("members.consented")),
      field("new-consent-text", t("members.consentText"), "", { "data-api": "consent" }),
      failure,
      el("button", { class: "primary", type: "submit", text: t("members.create") }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const v = (id) => form.querySelector("#" + id).value.trim();
      const body = { phone: v("new-phone"), tags: tagList(v("new-tags")) };
      if (v("new-name")) body.name = v("new-name");
      if (v("new-birthday")) body.birthday = v("new-birthday");
      if (consent.checked) body.consent = { marketing: true, source: "api", ...(v("new-consent-text") ? { text: v("new-consent-text") } : {}) };
      const answer = await send(form, failure, "POST", "/api/members", body);
      if (ok(answer)) return (location.hash = `#member/${encodeURIComponent(answer.body.id)}`);
      const existing = answer?.body?.error?.member_id;
      if (existing) failure.append(" ", el("a", { id: "existing-member", href: `#member/${encodeURIComponent(existing)}`, text: t("members.open") }));
    });
    return form;
  }

  /** A member's page; `issued`: a redemption just made, whose code it shows. */
  async function member(id, issued) {
    const error = alert();
    const section = el("section", { id: "member", "data-id": id }, el("a", { href: "#members", text: t("member.back") }), error);
    main.replaceChildren(section);
    const path = `/api/members/${encodeURIComponent(id)}`;
    const [m, ledger, msgs, catalog] = await Promise.all([read(path, state.token, error), read(`${path}/ledger?limit=20`, state.token, error), read(`/api/messages?member_id=${encodeURIComponent(id)}&limit=20`, state.token, error), read("/api/rewards", state.token, error)]);
    if (!m || !ledger || !msgs || !catalog) return;
    const consent = (status) => t("consent." + status);
    section.append(
      el("div", { class: "card" },
        el("h1", { class: "name", text: m.erased ? t("member.erased") : m.name || t("members.unnamed") }),
        el("p", { class: "phone", text: m.phone ?? "" }),
        facts([
          [t("member.points"), number(m.points)],
          [t("member.pending"), number(m.pending_points)],
          [t("member.tier"), m.tier],
          [t("member.segment"), m.segment],
          [t("member.joined"), date(m.joined_at, zone())],
          [t("member.referral"), m.referral_code],
          [t("member.consent"), consent(m.consent.status)],
          ...(m.tags.length ? [[t("campaign.tags"), m.tags.join("، ")]] : []),
        ])),
      el("div", { class: "card" }, el("h2", { text: t("member.history") }),
        el("ul", { class: "plain", id: "consent-history" }, ...m.consent_history.slice().reverse().map((e) =>
          el("li", { text: `${date(e.at, zone())} · ${consent(e.status)} · ${e.source}${e.text ? " · " + e.text : ""}` })))));
    if (!m.erased) section.append(redeemCard(m, catalog.rewards, issued), detailsForm(m), phoneForm(m), consentForm(m), adjustForm(id));
    section.append(redemptionsCard(m, ledger.entries));
    section.append(
      el("div", { class: "card" }, el("h2", { text: t("member.ledger") }),
        el("ul", { class: "plain", id: "ledger" }, ...ledger.entries.map((e) =>
          el("li", { text: `${date(e.at, zone())} · ${e.kind} · ${number(e.points)} → ${number(e.balance)}${e.ref ? " · " + e.ref : ""}` })))),
      el("div", { class: "card" }, el("h2", { text: t("member.messages") }),
        el("ul", { class: "plain", id: "member-messages" }, ...msgs.messages.map((x) => messageRow(x, zone())))));
    if (!m.erased) section.append(eraseCard(m));
  }

  /** A reward redeemed on the member's behalf, after the owner confirms
   *  what it costs and leaves. */
  function redeemCard(m, rewards, issued) {
    const reward = el("select", { id: "redeem-reward" }, ...rewards.map((r) => el("option", { value: r.id, text: `${r.name} · ${t("me.cost", { points: number(r.cost) })}` })));
    const failure = alert("redeem-error");
    const chosen = () => rewards.find((r) => r.id === reward.value);
    // One key per redemption: a confirmation sent twice spends once.
    let key = crypto.randomUUID();
    const button = el("button", { type: "button", class: "primary", id: "redeem", text: t("redeem.submit"), ...(rewards.length ? {} : { disabled: "" }) });
    const step = confirmStep(button, () => t("redeem.confirm", { reward: chosen().name, cost: number(chosen().cost), left: number(m.points - chosen().cost) }), async () => {
      failure.textContent = "";
      const answer = await api("POST", "/api/redemptions", { member_id: m.id, reward_id: reward.value, idempotency_key: key });
      if (answer?.status === 201) return member(m.id, answer.body);
      if (answer) key = crypto.randomUUID();
      failure.textContent = answer ? errorText(answer) : t("error.network");
    });
    return el("div", { class: "card", id: "member-redeem" }, el("h2", { text: t("redeem.title") }),
      issued ? el("p", { id: "redeemed" }, t("redeem.issued"), " ", el("code", { class: "code", text: issued.code }), ` · ${t("me.expires")} ${date(issued.expires_at, zone())}`) : null,
      el("label", { for: "redeem-reward", text: t("redeem.reward") }), reward, failure, step);
  }

  /** The member's recent redemptions (those of the ledger's page), each
   *  read for its code and state; an unused code can be cancelled. */
  function redemptionsCard(m, entries) {
    const list = el("ul", { class: "plain", id: "redemptions" });
    const failure = alert();
    const ids = [...new Set(entries.filter((e) => e.kind === "redeem" && e.ref).map((e) => e.ref))];
    Promise.all(ids.map((rid) => read(`/api/redemptions/${encodeURIComponent(rid)}`, state.token, failure))).then((found) => {
      list.replaceChildren(...found.filter(Boolean).map((r) => el("li", { "data-id": r.id, "data-state": r.state },
        el("code", { class: "code", text: r.code }),
        el("span", { class: "meta", text: `${r.reward_id} · ${t("redemption.state." + r.state)} · ${t("me.expires")} ${date(r.expires_at, zone())}` }),
        r.state === "issued" && !m.erased ? confirmStep(el("button", { type: "button", class: "cancel", text: t("redemption.cancel") }), () => t("redemption.cancelConfirm"), async () => {
          const answer = await api("POST", `/api/redemptions/${encodeURIComponent(r.id)}/cancel`);
          if (answer?.status === 200) return member(m.id);
          failure.textContent = answer ? errorText(answer) : t("error.network");
        }) : null)));
      if (!list.children.length) list.append(el("li", { class: "note", text: t("redemptions.none") }));
    });
    return el("div", { class: "card", id: "member-redemptions" }, el("h2", { text: t("redemptions.title") }), failure, list);
  }

  /** A member's form that sends `body()` and shows the member again. */
  function memberForm(id, title, fields, method, path, body) {
    const failure = alert();
    const form = el("form", { class: "card", id }, el("h2", { text: title }), ...fields, failure,
      el("button", { class: "primary", type: "submit", text: t("save") }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const answer = await send(form, failure, method, path, body(form));
      if (ok(answer)) member(answer.body.id);
    });
    return form;
  }

  function detailsForm(m) {
    const calendar = el("select", { id: "edit-calendar" }, ...["jalali", "gregorian"].map((c) => el("option", { value: c, text: t("calendar." + c) })));
    calendar.value = m.birthday?.calendar ?? "jalali";
    return memberForm("member-edit", t("member.edit"), [
      el("div", { class: "row" },
        field("edit-name", t("member.name"), m.name, { "data-api": "name" }),
        field("edit-tags", t("campaign.tags"), m.tags.join(", "), { "data-api": "tags" })),
      el("div", { class: "row" },
        field("edit-birthday", t("member.birthday"), m.birthday?.date, { dir: "ltr", placeholder: "1370-06-15", "data-api": "birthday" }),
        el("div", { "data-field": "calendar" }, el("label", { for: "edit-calendar", text: t("member.calendar") }), calendar, el("p", { class: "error field-error" }))),
    ], "PATCH", `/api/members/${encodeURIComponent(m.id)}`, (form) => {
      const v = (id) => form.querySelector("#" + id).value.trim();
      // An emptied field clears it; a birthday names its calendar.
      return { name: v("edit-name") || null, tags: tagList(v("edit-tags")), birthday: v("edit-birthday") || null, ...(v("edit-birthday") ? { calendar: calendar.value } : {}) };
    });
  }

  function phoneForm(m) {
    return memberForm("member-phone", t("member.phoneChange"), [field("new-member-phone", t("join.phone"), "", { type: "tel", dir: "ltr", required: "", "data-api": "phone" })],
      "POST", `/api/members/${encodeURIComponent(m.id)}/phone`, (form) => ({ phone: form.querySelector("#new-member-phone").value.trim() }));
  }

  function consentForm(m) {
    const marketing = el("select", { id: "consent-marketing" }, ...["opted_in", "opted_out"].map((s) => el("option", { value: s, text: t("consent." + s) })));
    marketing.value = m.consent.status === "opted_in" ? "opted_in" : "opted_out";
    const source = el("select", { id: "consent-source", dir: "ltr" }, ...["api", "checkout", "web", "keyword", "import"].map((s) => el("option", { value: s, text: s })));
    const reason = el("textarea", { id: "consent-reason", rows: "2", maxlength: "1000", required: "" });
    return memberForm("member-consent", t("member.consentChange"), [
      el("div", { class: "row" },
        el("div", {}, el("label", { for: "consent-marketing", text: t("member.consent") }), marketing),
        el("div", {}, el("label", { for: "consent-source", text: t("member.source") }), source)),
      el("div", { "data-field": "text" }, el("label", { for: "consent-reason", text: t("member.consentReason") }), reason, el("p", { class: "error field-error" })),
    ], "POST", `/api/members/${encodeURIComponent(m.id)}/consent`, () => ({ marketing: marketing.value === "opted_in", source: source.value, text: reason.value.trim() }));
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
      const answer = await api("POST", `/api/members/${encodeURIComponent(id)}/adjust`, body);
      if (!answer) return (note.textContent = t("error.network"));
      if (answer.status !== 200) return (note.textContent = errorText(answer));
      key = crypto.randomUUID();
      member(id);
    });
    return form;
  }

  /** Erasure is for good: the owner types the word before it is sent. */
  function eraseCard(m) {
    const word = el("input", { id: "erase-word", autocomplete: "off" });
    const go = el("button", { type: "button", class: "danger", id: "erase", disabled: "", text: t("erase.submit") });
    const failure = alert("erase-error");
    word.addEventListener("input", () => (go.disabled = word.value.trim() !== t("erase.word")));
    go.addEventListener("click", async () => {
      const answer = await api("DELETE", `/api/members/${encodeURIComponent(m.id)}`);
      if (answer?.status === 204) return member(m.id);
      failure.textContent = answer ? errorText(answer) : t("error.network");
    });
    return el("div", { class: "card", id: "member-erase" },
      el("h2", { text: t("erase.title") }),
      el("p", { class: "note", text: t("erase.note") }),
      el("label", { for: "erase-word", text: t("erase.type", { word: t("erase.word") }) }), word,
      failure, go);
  }

  return { members, member };
}
