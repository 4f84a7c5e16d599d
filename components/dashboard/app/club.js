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

  return { rules };
}
