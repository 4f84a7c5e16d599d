// Rewards, automations and campaigns. Every template is edited beside a
// live preview made by the API (the text a sample member gets, with the
// signature and the opt-out footer, its encoding, parts and characters),
// a campaign's audience is counted before it is scheduled, and a campaign's
// page shows its delivery funnel.
import { call, dateTime, el, errorText, facts, field, number, percent, showError, t, zonedInstant } from "./i18n.js";

const KINDS = ["welcome", "thank_you", "feedback", "birthday", "anniversary", "winback", "expiry_reminder", "tier_upgrade", "replenishment"];
const SEGMENTS = ["new", "active", "loyal", "at_risk", "lapsed"];
const REWARD_KINDS = ["percent", "fixed", "free_shipping", "gift"];

/** The views, for the admin app's router. */
export function marketing({ main, state }) {
  const api = (method, path, body) => call(method, path, body, state.token).catch(() => null);
  const card = (...children) => el("section", { class: "card" }, ...children);

  /** A preview box that asks `request()` again whenever `inputs` change
   *  (a quarter of a second after the last keystroke). */
  function livePreview(inputs, request) {
    const sample = el("p", { class: "sms" });
    const meta = el("p", { class: "note", "data-preview": "meta" });
    const box = el("div", { class: "preview", "data-preview": "box" }, el("strong", { text: t("preview.title") }), sample, meta);
    let timer = null;
    const refresh = () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const answer = await request();
        if (!answer) return;
        if (answer.status !== 200) {
          sample.textContent = "";
          meta.textContent = errorText(answer);
          box.dataset.state = "error";
          return;
        }
        const p = answer.body;
        sample.textContent = p.sample;
        const parts = t("preview.meta", { encoding: p.encoding === "gsm7" ? "GSM-7" : "UCS-2", parts: number(p.parts), chars: number(p.chars) });
        meta.textContent = p.audience == null ? parts : `${parts} · ${t("preview.audience", { members: number(p.audience), messages: number(p.messages) })}`;
        box.dataset.state = "ok";
      }, 250);
    };
    for (const input of inputs) input.addEventListener("input", refresh);
    refresh();
    return box;
  }

  async function rewards() {
    const list = el("ul", { class: "plain", id: "rewards" });
    const error = el("p", { class: "error", role: "alert" });
    const load = async () => {
      const answer = await api("GET", "/api/rewards");
      if (answer?.status !== 200) return (error.textContent = answer ? errorText(answer) : t("error.network"));
      list.replaceChildren(...answer.body.rewards.map((r) => el("li", { "data-id": r.id },
        el("strong", { text: r.name }), ` · ${t("reward.kind." + r.kind)}${r.value ? " " + number(r.value) : ""}`,
        el("span", { class: "meta", text: `${r.id} · ${t("reward.cost")} ${number(r.cost)} · ${t("reward.valid_days")} ${number(r.valid_days)}${r.stock == null ? "" : ` · ${t("reward.stock")} ${number(r.stock)}`}` }))));
      if (!list.children.length) list.append(el("li", { class: "note", text: t("rewards.none") }));
    };
    const kind = el("select", { id: "kind" }, ...REWARD_KINDS.map((k) => el("option", { value: k, text: t("reward.kind." + k) })));
    const form = el("form", { id: "reward-form" },
      el("div", { class: "row" },
        field("reward-id", t("reward.id"), "", { dir: "ltr", required: "", "data-api": "id" }),
        field("reward-name", t("reward.name"), "", { required: "", "data-api": "name" })),
      el("div", { class: "row" },
        el("div", { "data-field": "kind" }, el("label", { for: "kind", text: t("reward.kind") }), kind, el("p", { class: "error field-error" })),
        field("value", t("reward.value"), "10", { type: "number", min: "0" }),
        field("cost", t("reward.cost"), "100", { type: "number", min: "0" })),
      el("div", { class: "row" },
        field("valid_days", t("reward.valid_days"), "30", { type: "number", min: "1" }),
        field("min_order", t("reward.min_order"), "0", { type: "number", min: "0" }),
        field("stock", t("reward.stock"), "", { type: "number", min: "0", placeholder: t("reward.unlimited") })),
      el("p", { class: "error", role: "alert" }),
      el("button", { class: "primary", type: "submit", text: t("save") }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      form.querySelectorAll(".error").forEach((p) => (p.textContent = ""));
      const v = (id) => form.querySelector("#" + id).value.trim();
      const id = v("reward-id");
      const body = { name: v("reward-name"), kind: kind.value, value: Number(v("value")), cost: Number(v("cost")), valid_days: Number(v("valid_days")), min_order: Number(v("min_order")), stock: v("stock") === "" ? null : Number(v("stock")), active: true };
      const answer = await api("PUT", `/api/rewards/${encodeURIComponent(id)}`, body);
      if (answer?.status === 200) { form.reset(); return load(); }
      showError(form, answer ?? { body: { error: { message: t("error.network") } } }, form.querySelector(".error[role=alert]"));
    });
    main.replaceChildren(card(el("h1", { text: t("rewards.title") }), error, list), card(el("h2", { text: t("rewards.new") }), form));
    load();
  }

  async function automations() {
    const error = el("p", { class: "error", role: "alert" });
    main.replaceChildren(card(el("h1", { text: t("automations.title") }), el("p", { class: "note", text: t("automations.intro") }), error));
    const [all, catalog] = await Promise.all([api("GET", "/api/automations"), api("GET", "/api/rewards")]);
    if (all?.status !== 200) return (error.textContent = all ? errorText(all) : t("error.network"));
    const rewards = catalog?.status === 200 ? catalog.body.rewards : [];
    for (const kind of KINDS) main.append(automation(kind, all.body.automations.find((a) => a.kind === kind), rewards));
  }

  function automation(kind, saved, rewards) {
    const a = saved ?? { enabled: false, template: "", offset_days: 0, reward_id: null, cycles: {} };
    const id = (name) => `${kind}-${name}`;
    const enabled = el("input", { type: "checkbox", id: id("enabled") });
    enabled.checked = a.enabled;
    const template = el("textarea", { id: id("template"), rows: "3" });
    template.value = a.template ?? "";
    const reward = el("select", { id: id("reward") }, el("option", { value: "", text: t("automation.noReward") }),
      ...rewards.map((r) => el("option", { value: r.id, text: r.name })));
    reward.value = a.reward_id ?? "";
    const extra = [];
    if (kind === "thank_you" || kind === "feedback") extra.push(field(id("offset"), t("automation.offset"), String(a.offset_days ?? 0), { type: "number", min: "0", "data-api": "offset_days" }));
    if (kind === "replenishment") extra.push(field(id("cycles"), t("automation.cycles"), Object.entries(a.cycles ?? {}).map(([c, d]) => `${c}=${d}`).join(", "), { dir: "ltr", "data-api": "cycles", placeholder: "coffee=30, tea=45" }));
    const note = el("p", { class: "note", role: "status" });
    const failure = el("p", { class: "error", role: "alert" });
    const preview = livePreview([template, reward], () =>
      template.value.trim() ? api("POST", `/api/automations/${kind}/preview`, { template: template.value, reward_id: reward.value || null }) : Promise.resolve(null));
    const form = el("form", { id: id("form") },
      el("label", { class: "check" }, enabled, " ", t("automation.enabled")),
      el("div", { "data-field": "template" }, el("label", { for: id("template"), text: t("automation.template") }), template, el("p", { class: "error field-error" })),
      preview,
      el("div", { "data-field": "reward_id" }, el("label", { for: id("reward"), text: t("automation.reward") }), reward, el("p", { class: "error field-error" })),
      ...extra, failure, note,
      el("button", { class: "primary", type: "submit", text: t("save") }));
    reward.addEventListener("change", () => template.dispatchEvent(new Event("input")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      form.querySelectorAll(".error").forEach((p) => (p.textContent = ""));
      note.textContent = "";
      const body = { enabled: enabled.checked, template: template.value, reward_id: reward.value || null };
      const offset = form.querySelector(`#${id("offset")}`);
      if (offset) body.offset_days = Number(offset.value);
      const cycles = form.querySelector(`#${id("cycles")}`);
      if (cycles) body.cycles = Object.fromEntries(cycles.value.split(",").map((p) => p.split("=").map((x) => x.trim())).filter(([c, d]) => c && d).map(([c, d]) => [c, Number(d)]));
      const answer = await api("PUT", `/api/automations/${kind}`, body);
      if (answer?.status === 200) note.textContent = t("saved");
      else if (!answer) failure.textContent = t("error.network");
      else if (answer.body?.error?.code === "invalid_template") form.querySelector('[data-field="template"] .field-error').textContent = errorText(answer);
      else showError(form, answer, failure);
    });
    return el("details", { class: "card", id: `automation-${kind}`, ...(a.enabled ? { open: "" } : {}) },
      el("summary", { text: `${t("automation." + kind)}${a.enabled ? " · " + t("automation.on") : ""}` }),
      el("a", { id: `report-${kind}`, href: `#campaign/auto:${kind}`, text: t("automation.reportLink") }), form);
  }

  async function campaigns() {
    const list = el("ul", { class: "plain", id: "campaigns" });
    const error = el("p", { class: "error", role: "alert" });
    main.replaceChildren(card(el("h1", { text: t("campaigns.title") }), error, list), newCampaign());
    const answer = await api("GET", "/api/campaigns?limit=50");
    if (answer?.status !== 200) return (error.textContent = answer ? errorText(answer) : t("error.network"));
    list.replaceChildren(...answer.body.campaigns.map((c) => el("li", { "data-id": c.id },
      el("a", { href: `#campaign/${encodeURIComponent(c.id)}`, text: c.name }),
      el("span", { class: "meta", text: `${dateTime(c.send_at, state.settings.timezone)} · ${t("campaign.status." + c.status)} · ${t("funnel.sent")} ${number(c.stats.sent)} · ${t("funnel.delivered")} ${number(c.stats.delivered)}` }))));
    if (!list.children.length) list.append(el("li", { class: "note", text: t("campaigns.none") }));
  }

  function newCampaign() {
    const s = state.settings;
    const name = field("campaign-name", t("campaign.name"), "", { required: "", "data-api": "name" });
    const template = el("textarea", { id: "campaign-template", rows: "4", required: "" });
    const link = field("link_url", t("campaign.link"), "", { type: "url", dir: "ltr", placeholder: "https://" });
    const checks = (group, values, label) => el("fieldset", { "data-group": group },
      el("legend", { text: label }),
      ...values.map((v) => el("label", { class: "check" }, el("input", { type: "checkbox", value: v, name: group }), " ", t(`${group}.${v}`) === `${group}.${v}` ? v : t(`${group}.${v}`))));
    const tiers = checks("tier", s.tiers.map((x) => x.name), t("campaign.tiers"));
    const segments = checks("segment", SEGMENTS, t("campaign.segments"));
    const tags = field("tags", t("campaign.tags"), "", { dir: "auto", placeholder: "coffee, vip" });
    const minPoints = field("min_points", t("campaign.minPoints"), "", { type: "number", min: "0", "data-api": "audience" });
    // The owner picks the club's wall-clock time; the note under the field
    // reads it back as the club's calendar writes it.
    const when = field("send_at", t("campaign.sendAt", { zone: s.timezone }), "", { type: "datetime-local", "data-api": "send_at" });
    const whenInput = when.querySelector("input");
    const sendAt = () => (whenInput.value ? zonedInstant(whenInput.value, s.timezone) : null);
    const whenNote = el("p", { class: "note", id: "send-at-note" });
    whenInput.addEventListener("input", () => {
      const at = sendAt();
      whenNote.textContent = at ? dateTime(at, s.timezone) : "";
    });
    when.insertBefore(whenNote, when.querySelector(".field-error"));
    const failure = el("p", { class: "error", role: "alert", id: "campaign-error" });
    const form = el("form", { class: "card", id: "campaign-form" }, el("h2", { text: t("campaigns.new") }), name,
      el("div", { "data-field": "template" }, el("label", { for: "campaign-template", text: t("campaign.template") }), template, el("p", { class: "error field-error" })),
      el("p", { class: "note", text: t("campaign.placeholders") }));
    const audience = () => {
      const picked = (group) => [...form.querySelectorAll(`[data-group=${group}] input:checked`)].map((i) => i.value);
      const min = form.querySelector("#min_points").value;
      return { tiers: picked("tier"), segments: picked("segment"), tags: form.querySelector("#tags").value.split(",").map((x) => x.trim()).filter(Boolean), min_points: min === "" ? null : Number(min) };
    };
    const linkValue = () => form.querySelector("#link_url").value.trim() || null;
    const preview = livePreview([form], () =>
      template.value.trim() ? api("POST", "/api/campaigns/preview", { template: template.value, audience: audience(), link_url: linkValue() }) : Promise.resolve(null));
    form.append(preview, link, tiers, segments, el("div", { class: "row" }, tags, minPoints), when, failure,
      el("button", { class: "primary", type: "submit", text: t("campaign.schedule") }));
    form.addEventListener("change", () => template.dispatchEvent(new Event("input", { bubbles: true })));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      form.querySelectorAll(".error").forEach((p) => (p.textContent = ""));
      const body = { name: form.querySelector("#campaign-name").value.trim(), template: template.value, audience: audience(), link_url: linkValue() };
      const at = sendAt();
      if (at) body.send_at = at;
      const answer = await api("POST", "/api/campaigns", body);
      if (answer?.status === 201) return (location.hash = `#campaign/${encodeURIComponent(answer.body.id)}`);
      if (!answer) return (failure.textContent = t("error.network"));
      if (answer.body?.error?.code === "insufficient_credit") return (failure.textContent = t("campaign.credit", { needed: number(answer.body.error.needed), available: number(answer.body.error.available) }));
      if (answer.body?.error?.code === "invalid_template") return (form.querySelector('[data-field="template"] .field-error').textContent = errorText(answer));
      showError(form, answer, failure);
    });
    return form;
  }

  /** A broadcast's report, or an automation's (`auto:<kind>`: its
   *  counters since it was first on, and the feedback's NPS). */
  async function campaign(id) {
    const error = el("p", { class: "error", role: "alert" });
    main.replaceChildren(card(error));
    const answer = await api("GET", `/api/reports/campaigns/${encodeURIComponent(id)}`);
    if (answer?.status !== 200) return (error.textContent = answer ? errorText(answer) : t("error.network"));
    const c = answer.body;
    const st = c.stats;
    const kind = id.startsWith("auto:") && id.slice(5);
    // An automation has no audience of its own: its funnel starts at the messages sent.
    const steps = [["audience", st.audience], ["queued", st.queued], ["sent", st.sent], ["delivered", st.delivered], ["clicks", st.clicks], ["conversions", st.conversions]].filter(([, v]) => v != null);
    const top = Math.max(1, steps[0][1]);
    const funnel = el("ol", { class: "funnel", id: "funnel" }, ...steps.map(([k, v]) => el("li", { "data-step": k },
      el("span", { text: t("funnel." + k) }), el("strong", { text: number(v) }), el("progress", { max: String(top), value: String(Math.min(v, top)) }))));
    const skipped = st.skipped ?? {};
    const cancel = c.status === "scheduled" || c.status === "sending"
      ? el("button", { type: "button", id: "cancel", text: t("campaign.cancel"), onclick: async () => {
          const r = await api("POST", `/api/campaigns/${encodeURIComponent(id)}/cancel`);
          if (r?.status === 200) campaign(id); else error.textContent = r ? errorText(r) : t("error.network");
        } })
      : null;
    main.replaceChildren(
      kind
        ? card(el("h1", { text: t("automation." + kind) }), el("p", { class: "note", text: t("automation.report") }), el("a", { href: "#automations", text: t("nav.automations") }))
        : card(el("h1", { text: c.name }),
          el("p", { class: "note", text: `${t("campaign.status." + c.status)} · ${dateTime(c.send_at, state.settings.timezone)}` }),
          el("p", { class: "sms", text: c.template }), error, cancel),
      card(el("h2", { text: t("campaign.funnel") }), funnel),
      card(facts([
        [t("campaign.failed"), number(st.failed)],
        [t("campaign.skipped"), `${t("guard.opted_out")} ${number(skipped.opted_out ?? 0)} · ${t("guard.frequency_cap")} ${number(skipped.frequency_cap ?? 0)}`],
        [t("campaign.held"), `${t("guard.quiet_hours")} ${number(st.held?.quiet_hours ?? 0)} · ${t("guard.holiday")} ${number(st.held?.holiday ?? 0)}`],
        [t("campaign.ctr"), percent(c.rates.ctr)],
        [t("campaign.conversionRate"), percent(c.rates.conversion_rate)],
        [t("campaign.revenue"), number(st.revenue)],
        [t("campaign.optouts"), number(st.optouts)],
        [t("campaign.cost"), `${number(c.rates.cost)} (${number(st.parts)} ${t("campaign.parts")})`],
        ...(c.nps ? [[t("overview.nps"), `${number(c.nps.score)} (${number(c.nps.responses)})`]] : []),
      ])));
  }

  return { rewards, automations, campaigns, campaign };
}
