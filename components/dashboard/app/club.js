// The club's rules kept in its settings: the marketing guards and the
// points' timings, the tiers, and the holidays. Each page saves only the
// keys it shows, as a merge patch onto the version it read.
import { call, el, field, showError, t } from "./i18n.js";

/** PATCHes `body` onto the settings as this page read them (`If-Match`).
 *  When someone else saved in between, nothing is written: their values
 *  become the page's, `rerender` shows them and the form's status says so. */
export async function saveSettings(state, form, body, rerender) {
  const note = form.querySelector("[role=status]");
  form.querySelectorAll(".field-error").forEach((p) => (p.textContent = ""));
  note.textContent = "";
  const answer = await call("PATCH", "/api/settings", body, state.token, { "if-match": state.settingsTag }).catch(() => null);
  if (!answer) return (note.textContent = t("error.network"));
  if (answer.status === 412 && answer.body?.current) {
    Object.assign(state, { settings: answer.body.current, settingsTag: answer.etag });
    rerender();
    document.querySelector(`#${form.id} [role=status]`).textContent = t("setup.conflict");
    return;
  }
  if (answer.status !== 200) return showError(form, answer, note);
  Object.assign(state, { settings: answer.body, settingsTag: answer.etag });
  note.textContent = t("setup.saved");
}

/** The views, for the admin app's router. */
export function club({ main, state }) {
  const status = () => el("p", { class: "note", role: "status" });
  const whole = (attrs) => ({ type: "number", min: "0", step: "1", dir: "ltr", ...attrs });

  function rules() {
    const s = state.settings;
    const form = el("form", { class: "card", id: "rules" },
      el("h1", { text: t("rules.title") }),
      el("h2", { text: t("rules.cap") }),
      el("div", { class: "row" },
        field("cap-day", t("rules.per_day"), s.frequency_cap.per_day, whole({ "data-api": "frequency_cap" })),
        field("cap-week", t("rules.per_week"), s.frequency_cap.per_week, whole({ "data-api": "frequency_cap" }))),
      el("h2", { text: t("rules.quiet") }),
      el("div", { class: "row" },
        field("quiet-start", t("setup.quiet_start"), s.quiet_hours.start, { dir: "ltr", placeholder: "09:00", "data-api": "quiet_hours" }),
        field("quiet-end", t("setup.quiet_end"), s.quiet_hours.end, { dir: "ltr", placeholder: "21:00", "data-api": "quiet_hours" })),
      el("h2", { text: t("rules.points") }),
      el("div", { class: "row" },
        field("points_expiry_months", t("rules.expiry_months"), s.points_expiry_months, whole()),
        field("expiry_reminder_days", t("rules.reminder_days"), s.expiry_reminder_days, whole()),
        field("pending_days", t("rules.pending_days"), s.pending_days, whole())),
      el("h2", { text: t("rules.referral") }),
      el("div", { class: "row" },
        field("referrer", t("rules.referrer"), s.referral_points.referrer, whole({ "data-api": "referral_points" })),
        field("referee", t("rules.referee"), s.referral_points.referee, whole({ "data-api": "referral_points" }))),
      status(),
      el("button", { class: "primary", type: "submit", text: t("save") }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const v = (id) => form.querySelector("#" + id).value.trim();
      const n = (id) => Number(v(id));
      saveSettings(state, form, {
        frequency_cap: { per_day: n("cap-day"), per_week: n("cap-week") },
        quiet_hours: { start: v("quiet-start"), end: v("quiet-end") },
        points_expiry_months: n("points_expiry_months"),
        expiry_reminder_days: n("expiry_reminder_days"),
        pending_days: n("pending_days"),
        referral_points: { referrer: n("referrer"), referee: n("referee") },
      }, rules);
    });
    main.replaceChildren(form);
  }

  function tiers() {
    const s = state.settings;
    const rows = s.tiers.map((tier) => ({ ...tier }));
    const list = el("ol", { class: "plain", id: "tier-list" });
    // Reads the inputs back before the rows move, so nothing typed is lost.
    const read = () => list.querySelectorAll("li").forEach((li, i) => {
      const v = (name) => li.querySelector(`[name=${name}]`).value.trim();
      rows[i] = { name: v("name"), min_spend: Number(v("min_spend")), multiplier_pct: Number(v("multiplier_pct")) };
    });
    const edit = (change) => () => { read(); change(); draw(); };
    const input = (i, name, label, value, attrs) => {
      const id = `tier-${i}-${name}`;
      return el("div", {}, el("label", { for: id, text: label }), el("input", { id, name, value: String(value), dir: "ltr", required: "", ...attrs }));
    };
    const off = (disabled) => (disabled ? { disabled: "" } : {});
    const row = (r, i) => el("li", { "data-tier": r.name },
      el("div", { class: "row" },
        input(i, "name", t("tiers.name"), r.name, { pattern: "[a-z0-9_]{1,32}" }),
        input(i, "min_spend", t("tiers.min_spend", { currency: s.currency }), r.min_spend, { type: "number", min: "0" }),
        input(i, "multiplier_pct", t("tiers.multiplier"), r.multiplier_pct, { type: "number", min: "100", max: "1000" })),
      el("div", { class: "row" },
        el("button", { type: "button", class: "up", text: t("tiers.up"), ...off(i === 0), onclick: edit(() => rows.splice(i - 1, 0, ...rows.splice(i, 1))) }),
        el("button", { type: "button", class: "down", text: t("tiers.down"), ...off(i === rows.length - 1), onclick: edit(() => rows.splice(i + 1, 0, ...rows.splice(i, 1))) }),
        el("button", { type: "button", class: "remove", text: t("tiers.remove"), ...off(rows.length === 1), onclick: edit(() => rows.splice(i, 1)) })));
    const draw = () => list.replaceChildren(...rows.map(row));
    const form = el("form", { class: "card", id: "tiers" },
      el("h1", { text: t("tiers.title") }),
      el("p", { class: "note", text: t("tiers.note") }),
      list,
      el("div", { "data-field": "tiers" }, el("p", { class: "error field-error" })),
      el("button", { type: "button", id: "tier-add", text: t("tiers.add"), onclick: edit(() => rows.push({ name: "", min_spend: (rows.at(-1)?.min_spend ?? 0) + 1, multiplier_pct: 100 })) }),
      status(),
      el("button", { class: "primary", type: "submit", text: t("save") }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      read();
      saveSettings(state, form, { tiers: rows }, tiers);
    });
    draw();
    main.replaceChildren(form);
  }

  return { rules, tiers };
}
